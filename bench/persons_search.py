"""Person search at 100,000 persons in one organisation: build the data (once), then time the searches and show
the query plans, on the database given by DATABASE_URL (SQLite or PostgreSQL).

    DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python bench/persons_search.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench .venv/bin/python bench/persons_search.py

Not a test: it prints milliseconds per search (median of several runs) and each lookup's plan."""

import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.access import Actor  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Organisation, Person, PersonName, utcnow  # noqa: E402
from app.persons import codes  # noqa: E402
from app.persons.forms import SearchForm  # noqa: E402
from app.persons.names import name_rows, normalise, phonetic_key, prefix_clause  # noqa: E402
from app.persons.search import search  # noqa: E402

N = int(os.environ.get("BENCH_PERSONS", "100000"))
FIRST = [
    *[
        "Mohamed",
        "Mamadou",
        "Sékou",
        "Aïcha",
        "Fatou",
        "Ibrahim",
        "Ousmane",
        "Karim",
        "Nadia",
        "Samira",
        "Yasmina",
        "Djibril",
        "Moussa",
        "Amadou",
    ],
    *[
        "Aminata",
        "Jean",
        "Pierre",
        "Marie",
        "Claire",
        "Loïc",
        "Christophe",
        "Julien",
        "Sophie",
        "Nathalie",
        "Isabelle",
        "Kevin",
        "Thomas",
    ],
    *[
        "Nicolas",
        "Ali",
        "Omar",
        "Youssef",
        "Bilal",
        "Hakim",
        "Rachid",
        "Farid",
        "Leila",
        "Sonia",
        "Malik",
        "Idrissa",
        "Boubacar",
        "Seydou",
    ],
    *["Mariam", "Awa", "Khadija", "Hamza", "Anis", "Walid", "Nabil"],
]
SYLLABLES = [c + v for c in "bdklmnst" for v in ("a", "e", "i", "o", "ou")]


def alias(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    return (
        first if rng.random() < 0.3 else f"{first} {''.join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))}"
    )


def build(session: Session) -> uuid.UUID:
    org = session.execute(select(Organisation).where(Organisation.name == "Bench")).scalars().first()
    if org is not None:
        return org.id
    org = Organisation(name="Bench")
    session.add(org)
    session.flush()
    rng, now, used = random.Random(7), utcnow(), set()
    batch_p, batch_n = [], []
    for i in range(N):
        code = codes.new_code()
        while code in used:
            code = codes.new_code()
        used.add(code)
        pid, name = uuid.uuid4(), alias(rng)
        others = [alias(rng)] if rng.random() < 0.2 else []
        at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        batch_p.append(
            dict(id=pid, org_id=org.id, alias=name, other_aliases=others, code=code, languages=[], custom={},
                 alert=rng.random() < 0.05, active=rng.random() < 0.8, last_contact_at=at, created_at=at,
                 updated_at=at, version=1)
        )  # fmt: skip
        for norm, key, primary in name_rows([(name, True)] + [(o, False) for o in others]):
            batch_n.append(dict(org_id=org.id, person_id=pid, norm=norm, key=key, primary=primary))
        if len(batch_p) >= 5000 or i == N - 1:
            session.execute(insert(Person), batch_p)
            session.execute(insert(PersonName), batch_n)
            batch_p, batch_n = [], []
            print(f"  {i + 1} persons", end="\r", flush=True)
    session.commit()
    print()
    return org.id


def timed(fn, runs: int = 7) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    url = os.environ["DATABASE_URL"]
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        org_id = build(session)
        session.execute(text("ANALYZE"))
        count = session.execute(select(func.count()).select_from(Person).where(Person.org_id == org_id)).scalar()
        print(f"{engine.dialect.name}: {count} persons in the organisation")
        actor = Actor(user_id=uuid.uuid4(), org_id=org_id, role="worker")
        cases = [
            ("list, last contact first", SearchForm()),
            ("list, seen in 30 days", SearchForm(days=30)),
            ("'mo' (2 letters)", SearchForm(q="mo")),
            ("'mohammed' (variant)", SearchForm(q="mohammed")),
            ("'seikou' (variant)", SearchForm(q="seikou")),
            ("'aisha kadi'", SearchForm(q="aisha kadi")),
            ("a code", SearchForm(q=session.execute(select(Person.code).limit(1)).scalar())),
            ("'zzzz' (no match)", SearchForm(q="zzzz", status="all")),
        ]
        for label, form in cases:
            ms = timed(lambda form=form: search(session, actor, form))
            rows = search(session, actor, form).rows
            print(f"  {label:<28} {ms:7.1f} ms  {len(rows)} rows, first: {rows[0].alias if rows else '-'}")
        dialect = engine.dialect.name
        for label, column, value in (("norm prefix", PersonName.norm, "moh"), ("key prefix", PersonName.key, "mam")):
            stmt = select(PersonName.person_id).where(
                PersonName.org_id == org_id, prefix_clause(column, value, dialect)
            )
            compiled = stmt.limit(200).compile(engine, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            plan = [" ".join(str(c) for c in row) for row in session.execute(text(explain + str(compiled)))]
            print(f"  plan of the {label}: " + " | ".join(plan)[:300])
        print(f"  keys: mohammed={phonetic_key('mohammed')} norm={normalise('Mohammed')}")


if __name__ == "__main__":
    main()
