"""The smallest write endpoint this stack can serve: what `make bench` compares encounter logging with.

One uvicorn worker, FastAPI, a plain `def` route (thread pool) reading a url-encoded form and doing one
single-row INSERT through a SQLAlchemy Core connection in its own transaction: no sessions, sign-in, CSRF,
ORM, audit or change log. Its throughput with 32 clients is the ceiling of Python + HTTP + one commit on this
machine, as `plain_insert_rate` is that of the database alone.

    DATABASE_URL=postgresql+psycopg://... python -m uvicorn bench.minimal_app:app --port 8766"""

import os
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Form
from fastapi.responses import PlainTextResponse
from sqlalchemy import create_engine, text

URL = os.environ["DATABASE_URL"]
engine = create_engine(URL, pool_size=20, max_overflow=20) if URL.startswith("postgresql") else create_engine(URL)
with engine.begin() as conn:
    conn.execute(
        text("CREATE TABLE IF NOT EXISTS bench_minimal (id VARCHAR(36) PRIMARY KEY, at VARCHAR(40), note TEXT)")
    )

app = FastAPI()


@app.post("/insert")
def insert(note: str = Form("")):
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO bench_minimal VALUES (:id, :at, :note)"),
            {"id": str(uuid.uuid4()), "at": datetime.now(UTC).isoformat(), "note": note},
        )
    return PlainTextResponse("ok", status_code=201)
