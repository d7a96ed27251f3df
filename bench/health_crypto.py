"""What encryption at rest and the retention purge cost: the timeline of a person with 200 encrypted notes, a 10 MB
document encrypted then streamed back, and the purge of 1,000 persons past the retention period, on the database
given by DATABASE_URL (a fresh SQLite file by default).

    .venv/bin/python bench/health_crypto.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench .venv/bin/python bench/health_crypto.py

Not a test: it prints milliseconds (median of several runs)."""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="parcours-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp / 'bench.db'}")
os.environ.setdefault("DOCUMENTS_DIR", str(_tmp / "documents"))
os.environ.setdefault("MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS1vZi0zMi1ieXRlcy1vayE")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from sqlmodel import Session  # noqa: E402

import app.main  # noqa: E402, F401  (every domain registers itself)
from app.access import Actor  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.crypto import seal  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Organisation, Person, PersonNote, utcnow  # noqa: E402
from app.persons import documents, timeline  # noqa: E402
from app.persons.service import new_unique_code  # noqa: E402
from app.privacy.service import purge  # noqa: E402


def median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    url = get_settings().database_url
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        org = Organisation(name="Bench")
        session.add(org)
        session.flush()
        person = Person(org_id=org.id, alias="Bench", code=new_unique_code(session, org.id))
        session.add(person)
        session.flush()
        for i in range(200):
            note = PersonNote(org_id=org.id, person_id=person.id)
            seal(session, note, "body", f"Note {i}: " + "seen at Stalingrad, asked for a shower and a bed. " * 4)
            session.add(note)
        session.commit()
        actor = Actor(user_id=org.id, org_id=org.id, role="worker")
        ms = median_ms(lambda: timeline.timeline(session, actor, person.id))
        print(f"timeline of 200 encrypted notes (decrypt included): {ms:.1f} ms")

        data = os.urandom(10 * 1024 * 1024)
        target = Path(get_settings().documents_dir) / "bench.enc"
        ms = median_ms(lambda: documents.write_encrypted(session, org.id, org.id, [data], target, len(data)), 3)
        print(f"encrypt a 10 MB document to disk: {ms:.0f} ms")
        doc = type("Doc", (), {"storage_key": "bench.enc", "org_id": org.id, "id": org.id})()
        ms = median_ms(lambda: sum(len(c) for c in documents.decrypted(session, doc)), 3)  # type: ignore[arg-type]
        print(f"stream a 10 MB document back, decrypted: {ms:.0f} ms")

        old = utcnow() - timedelta(days=800)
        for _ in range(1000):
            gone = Person(org_id=org.id, alias="Old", code=new_unique_code(session, org.id), last_contact_at=old)
            session.add(gone)
            session.flush()
            note = PersonNote(org_id=org.id, person_id=gone.id)
            seal(session, note, "body", "an old note")
            session.add(note)
        session.commit()
        start = time.perf_counter()
        report = purge(session, org_id=org.id)
        session.commit()
        took = (time.perf_counter() - start) * 1000
        print(f"purge of {len(report[0].expired)} persons past retention ({report[0].erased.rows} rows): {took:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
