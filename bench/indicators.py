"""A year of indicators for one organisation with 100,000 persons and 2 million encounters, on PostgreSQL: build
the data once with generate_series (server side, a minute or so), then time the page's queries (this period and
the one before), median of a few runs, and print the plan of the encounter queries.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_indicators .venv/bin/python bench/indicators.py

Data: 100,000 persons over 2 years; 12 teams; 40,000 rounds, 2,000,000 encounters (one person each) and
600,000 material lines over the year; 300,000 check-ins; 50,000 needs; 6,000 stays. Not a test."""

import os
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MASTER_KEY", "YmVuY2gtcGF0aHdheS1tYXN0ZXIta2V5LTMyYnl0ZXM")  # a bench-only key

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.access import Actor  # noqa: E402
from app.caseload import service as caseload  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.indicators import rollup  # noqa: E402
from app.indicators.service import Scope, compute_periods  # noqa: E402

URL = os.environ["DATABASE_URL"]
ORG = "Bench indicators"
DATA = """
INSERT INTO organisations (id, name, retention_months, share_with_steering, version, created_at, updated_at)
  VALUES (gen_random_uuid(), :org, 24, true, 1, now(), now());
INSERT INTO teams (id, org_id, name, kind, capacity, noon_to_noon, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'Team ' || i, CASE WHEN i = 11 THEN 'rest_area' WHEN i = 12 THEN 'accommodation'
    ELSE 'patrol' END, CASE WHEN i = 11 THEN 30 END, false, 1, now(), now()
  FROM organisations o, generate_series(1, 12) i WHERE o.name = :org;
CREATE TEMP TABLE bt AS SELECT id, row_number() OVER (ORDER BY name) AS n FROM teams
  WHERE org_id = (SELECT id FROM organisations WHERE name = :org);
INSERT INTO persons (id, org_id, alias, other_aliases, code, gender, birth_year, languages, street_since, custom,
    active, last_contact_at, alert, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'P' || i, '[]', 'B' || i, (ARRAY['woman','man','other'])[1 + i % 3],
    1950 + i % 55, '[]', date '2015-01-01' + (i % 3500), '{}', true, now() - (i % 700) * interval '1 day', false,
    1, now() - (i % 730) * interval '1 day', now()
  FROM organisations o, generate_series(1, 100000) i WHERE o.name = :org;
CREATE TEMP TABLE bp AS SELECT id, row_number() OVER (ORDER BY code) AS n FROM persons
  WHERE org_id = (SELECT id FROM organisations WHERE name = :org);
INSERT INTO rounds (id, org_id, team_id, kind, started_at, time_band, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, bt.id, 'foot', timestamptz '2025-01-01' + i * interval '13 minutes',
    (ARRAY['day','evening','night','weekend'])[1 + i % 4], 1, now(), now()
  FROM organisations o, generate_series(1, 40000) i JOIN bt ON bt.n = 1 + i % 10 WHERE o.name = :org;
INSERT INTO encounters (id, org_id, team_id, at, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, bt.id, timestamptz '2025-01-01' + i * interval '15 seconds', 1, now(), now()
  FROM organisations o, generate_series(1, 2000000) i JOIN bt ON bt.n = 1 + i % 10 WHERE o.name = :org;
INSERT INTO encounter_persons (encounter_id, person_id, org_id, new, team_id, at)
  SELECT e.id, bp.id, e.org_id, false, e.team_id, e.at
  FROM (SELECT id, org_id, team_id, at, row_number() OVER () AS n FROM encounters
        WHERE org_id = (SELECT id FROM organisations WHERE name = :org)) e
  JOIN bp ON bp.n = 1 + (e.n * 7919) % 100000;
INSERT INTO materials (id, org_id, label, position, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'Material ' || i, i, 1, now(), now()
  FROM organisations o, generate_series(1, 5) i WHERE o.name = :org;
INSERT INTO encounter_materials (encounter_id, material_id, org_id, quantity, team_id, at)
  SELECT e.id, m.id, e.org_id, 1 + e.n % 4, e.team_id, e.at
  FROM (SELECT id, org_id, team_id, at, row_number() OVER () AS n FROM encounters
        WHERE org_id = (SELECT id FROM organisations WHERE name = :org) LIMIT 600000) e
  JOIN (SELECT id, row_number() OVER () AS k FROM materials
        WHERE org_id = (SELECT id FROM organisations WHERE name = :org)) m ON m.k = 1 + e.n % 5;
INSERT INTO checkins (id, org_id, team_id, person_id, day, arrived_at, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, bt.id, bp.id, date '2025-01-01' + i / 600,
    timestamptz '2025-01-01' + i * interval '1 minute', 1, now(), now()
  FROM organisations o, generate_series(1, 300000) i JOIN bt ON bt.n = 11 JOIN bp ON bp.n = 1 + (i * 31) % 100000
  WHERE o.name = :org;
INSERT INTO needs (id, org_id, status, urgent, completed_at, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, CASE WHEN i % 3 = 0 THEN 'done' ELSE 'todo' END, false,
    CASE WHEN i % 3 = 0 THEN timestamptz '2025-01-01' + i * interval '10 minutes' + (i % 20) * interval '1 day' END,
    1, timestamptz '2025-01-01' + i * interval '10 minutes', now()
  FROM organisations o, generate_series(1, 50000) i WHERE o.name = :org;
INSERT INTO stays (id, org_id, person_id, team_id, entered_on, exited_on, exit_kind, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, bp.id, bt.id, date '2024-06-01' + i / 8,
    CASE WHEN i % 2 = 0 THEN date '2024-06-01' + i / 8 + 30 + i % 200 END,
    CASE WHEN i % 2 = 0 THEN (ARRAY['positive','negative','other'])[1 + i % 3] END, 1, now(), now()
  FROM organisations o, generate_series(1, 6000) i JOIN bt ON bt.n = 12 JOIN bp ON bp.n = i WHERE o.name = :org;
"""


def build(engine) -> None:
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM organisations WHERE name = :org"), {"org": ORG}).first():
            return
        print("building the data (once)...", flush=True)
        start = time.perf_counter()
        for statement in DATA.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), {"org": ORG})
        conn.execute(text("ANALYZE"))
        print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)


def _ms(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    if not URL.startswith("postgresql"):
        sys.exit("bench/indicators.py builds its data with PostgreSQL's generate_series: give a PostgreSQL URL.")
    start = time.perf_counter()
    command.upgrade(alembic_config(), "head")
    print(f"migrations to head: {time.perf_counter() - start:.0f} s (0009 fills encounter_persons' copies)")
    engine = make_engine(URL)
    build(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # What autovacuum does after a bulk load or a backfill: the visibility map lets index-only scans skip the
        # table. Run here so that the figures do not depend on when autovacuum last passed.
        conn.execute(text("VACUUM ANALYZE encounter_persons"))
        conn.execute(text("VACUUM ANALYZE encounter_materials"))
    print(f"load average: {os.getloadavg()[0]:.1f}")
    with Session(engine) as session:
        org_id, team_id = session.exec(
            text("SELECT o.id, t.id FROM organisations o JOIN teams t ON t.org_id = o.id WHERE o.name = :org LIMIT 1"),
            params={"org": ORG},
        ).one()
        ms = _ms(lambda: rollup.refresh(session, org_id), 1)
        session.commit()
        print(f"kept figures brought up to date (the first time: built from every record): {ms:.0f} ms")
        for label, teams in (("all teams", ()), ("one team", (team_id,))):
            scope = Scope(org_id, date(2025, 1, 1), date(2025, 12, 31), teams)
            total = _ms(lambda scope=scope: compute_periods(session, [scope, scope.previous()]))
            print(f"a year of indicators and the year before, {label}: median {total:.0f} ms")
            half = Scope(org_id, date(2025, 7, 1), date(2025, 12, 31), teams)
            ms = _ms(lambda half=half: compute_periods(session, [half, half.previous()]), 1)
            print(f"  half a year against the half before, both with data (H2 2025, H1): {ms:.0f} ms")
        actor = Actor(user_id=uuid.uuid4(), org_id=org_id, role="coordinator")
        ms = _ms(lambda: caseload.summary(session, actor, caseload.Filters()))
        print(f"caseload summary (8 counts), coordinator: {ms:.0f} ms")
        for name in caseload.LISTS:
            ms = _ms(lambda name=name: caseload.lines(session, actor, name, caseload.Filters()), 1)
            print(f"  caseload list {name}, first page: {ms:.0f} ms")
        # As the drill-down's _met_ids asks it (app/indicators/service.py): from the persons, one probe of
        # ix_encounter_persons_person_at each, rather than hashing the 2 million encounter persons of the year.
        met = (
            "EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM persons p WHERE p.org_id = :o AND EXISTS (SELECT 1 "
            "FROM encounter_persons ep WHERE ep.person_id = p.id AND ep.org_id = :o AND ep.deleted_at IS NULL "
            "AND ep.at >= '2025-01-01' AND ep.at < '2026-01-01'{})"
        )
        for label, where in (("all teams", ""), ("one team", " AND ep.team_id = :t")):
            plan = session.exec(text(met.format(where)), params={"o": org_id, "t": team_id}).all()
            print(f"persons met, {label}:")
            print("\n".join("  " + row[0] for row in plan))


if __name__ == "__main__":
    main()
