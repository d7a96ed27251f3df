"""Offline sync at the size of a long day underground: 500 writes queued on a phone (persons created offline,
encounters, some for those persons, check-ins, observations) sent through the sync API the way static/outbox.js
sends them (batches of 100, in order), with the answer to one batch lost and that batch sent again.

    DATABASE_URL=sqlite:////tmp/bench-sync.db .venv/bin/python bench/sync.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_sync .venv/bin/python bench/sync.py

Prints how long the 500 writes take to sync and proves that none is lost and none is doubled (exit code 1
otherwise). The database is emptied first (SQLite file removed, PostgreSQL schema dropped)."""

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench-sync.db")
os.environ.setdefault("MASTER_KEY", "YmVuY2gtc3luYy1tYXN0ZXIta2V5LTMyLWJ5dGVzISE")  # a bench-only key
URL = os.environ["DATABASE_URL"]

from alembic import command  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, col, func, select  # noqa: E402

from app.auth.service import start_session  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.models import (  # noqa: E402
    Checkin,
    Encounter,
    EncounterPerson,
    Observation,
    Organisation,
    Person,
    Team,
    TeamMembership,
    Territory,
    User,
)
from app.security import SESSION_COOKIE, csrf_token_for  # noqa: E402

N, BATCH = 500, 100


def fresh_database() -> None:
    if URL.startswith("sqlite:///"):
        Path(URL.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        with get_engine().begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    command.upgrade(alembic_config(URL), "head")


def setup() -> tuple[str, uuid.UUID, uuid.UUID]:
    with Session(get_engine(), expire_on_commit=False) as db:
        org = Organisation(name="Bench sync")
        db.add(org)
        db.flush()
        team = Team(org_id=org.id, name="Maraude métro", kind="patrol")
        territory = Territory(org_id=org.id, name="Ligne 4")
        user = User(org_id=org.id, email="bench-sync@example.org", name="Bench", role="worker", lang="en")
        db.add_all([team, territory, user])
        db.flush()
        db.add(TeamMembership(user_id=user.id, team_id=team.id, org_id=org.id))
        token = start_session(db, user, "127.0.0.1", "bench")
        db.commit()
        return token, team.id, territory.id


def queued_writes(team_id: uuid.UUID, territory_id: uuid.UUID) -> list[dict]:
    """What the outbox holds after the day: 50 new persons, 350 encounters, 50 check-ins, 50 observations."""
    persons = [{"id": str(uuid.uuid4()), "type": "person", "data": {"alias": f"Métro {i}"}} for i in range(50)]
    out: list[dict] = []
    for i in range(N - 50):
        kind = "encounter" if i % 9 < 7 else ("checkin" if i % 9 == 7 else "observation")
        if i < 50:
            out.append(persons[i])
        person = persons[i % 50]["id"]
        data = {
            "encounter": {"person_ids": [person], "note": f"Contact {i}"},
            "checkin": {},
            "observation": {"where": f"t:{territory_id}", "men": i % 5, "atmosphere": "calm", "police": "none"},
        }[kind]
        out.append({"id": str(uuid.uuid4()), "type": kind, "data": data, "team_id": str(team_id)})
    return out[:N]


def main() -> int:
    fresh_database()
    token, team_id, territory_id = setup()
    changes = queued_writes(team_id, territory_id)
    from app.main import app

    with TestClient(app, base_url="http://testserver") as client:
        client.cookies.set(SESSION_COOKIE, token)
        client.headers["X-CSRF-Token"] = csrf_token_for(token)
        statuses: dict[str, int] = {}
        started = time.perf_counter()
        for start in range(0, len(changes), BATCH):
            batch = changes[start : start + BATCH]
            sends = 2 if start == BATCH else 1  # the answer to the second batch is lost: the phone sends it again
            for _ in range(sends):
                resp = client.post("/api/sync/push", json={"changes": batch})
                assert resp.status_code == 200, resp.text
            for result in resp.json()["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        elapsed = time.perf_counter() - started

    ids = {
        kind: [uuid.UUID(c["id"]) for c in changes if c["type"] == kind]
        for kind in ("person", "encounter", "checkin", "observation")
    }
    models = {"person": Person, "encounter": Encounter, "checkin": Checkin, "observation": Observation}
    lost = duplicated = 0
    with Session(get_engine()) as db:
        for kind, model in models.items():
            stored = db.exec(select(func.count()).select_from(model).where(col(model.id).in_(ids[kind]))).one()
            total = db.exec(select(func.count()).select_from(model)).one()
            lost += len(ids[kind]) - stored
            duplicated += total - stored  # nothing else exists in this database
        links = db.exec(select(func.count()).select_from(EncounterPerson)).one()
        duplicated += links - len(ids["encounter"])
    print(
        f"sync of {len(changes)} queued writes ({URL.split(':')[0]}): {elapsed:.2f} s in batches of {BATCH}, "
        f"{len(changes) / elapsed:.0f} writes/s; answers {statuses}"
    )
    print(f"lost: {lost}, duplicated: {duplicated}")
    return 0 if lost == 0 and duplicated == 0 and statuses.get("rejected", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
