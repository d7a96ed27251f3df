"""A team's week of needs, its daily-report figures and its lists at 100,000 persons, on PostgreSQL: build the data
once with generate_series (server side, under a minute), then time app/needs/service.py in-process (median and
worst of a few runs) and print the plan of each query.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_needs .venv/bin/python bench/needs_week.py

Data: 100,000 persons; 12 teams; 400,000 needs over three years (one person and one category each), 200,000 of
them for the busiest team (about 1,300 due in a week: the week view shows its cap, WEEK_LIMIT), 85 % closed.
Descriptions are left empty (sealing is per row in Python: app/crypto.py, about 1.5 ms each). Not a test."""

import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MASTER_KEY", "YmVuY2gtcGF0aHdheS1tYXN0ZXIta2V5LTMyYnl0ZXM")  # a bench-only key

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.access import Actor  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.field.days import day_bounds  # noqa: E402
from app.models import Team  # noqa: E402
from app.needs import service  # noqa: E402
from app.needs.forms import NeedFilter  # noqa: E402

URL = os.environ["DATABASE_URL"]
ORG = "Bench needs"
DATA = """
INSERT INTO organisations (id, name, retention_months, share_with_steering, version, created_at, updated_at)
  VALUES (gen_random_uuid(), :org, 24, false, 1, now(), now());
INSERT INTO teams (id, org_id, name, kind, noon_to_noon, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'Team ' || lpad(i::text, 2, '0'), 'patrol', i = 1, 1, now(), now()
  FROM organisations o, generate_series(1, 12) i WHERE o.name = :org;
CREATE TEMP TABLE bt AS SELECT id, row_number() OVER (ORDER BY name) AS n FROM teams
  WHERE org_id = (SELECT id FROM organisations WHERE name = :org);
INSERT INTO persons (id, org_id, alias, other_aliases, code, gender, birth_year, languages, street_since, custom,
    active, last_contact_at, alert, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'P' || i, '[]', 'N' || i, 'man', 1970 + i % 40, '[]', date '2015-01-01', '{}',
    true, now(), false, 1, now(), now()
  FROM organisations o, generate_series(1, 100000) i WHERE o.name = :org;
CREATE TEMP TABLE bp AS SELECT id, row_number() OVER (ORDER BY code) AS n FROM persons
  WHERE org_id = (SELECT id FROM organisations WHERE name = :org);
INSERT INTO need_categories (id, org_id, label, position, version, created_at, updated_at)
  SELECT gen_random_uuid(), o.id, 'Category ' || i, i, 1, now(), now()
  FROM organisations o, generate_series(1, 12) i WHERE o.name = :org;
CREATE TEMP TABLE bc AS SELECT id, row_number() OVER (ORDER BY position) AS n FROM need_categories
  WHERE org_id = (SELECT id FROM organisations WHERE name = :org);
CREATE TEMP TABLE bn AS
  SELECT gen_random_uuid() AS id, i,
    timestamptz '2024-01-01' + (i * 1095 / 400000.0) * interval '1 day' AS created,
    CASE WHEN i % 2 = 0 THEN 1 ELSE 2 + i % 11 END AS team_n,
    CASE WHEN i % 20 < 17 THEN (ARRAY['done','done','done','cancelled'])[1 + i % 4]
         ELSE (ARRAY['todo','in_progress'])[1 + i % 2] END AS status
  FROM generate_series(1, 400000) i;
INSERT INTO needs (id, org_id, status, urgent, due_on, due_time, completed_at, version, created_at, updated_at)
  SELECT bn.id, o.id, bn.status, bn.i % 10 = 0, (bn.created + (bn.i % 15) * interval '1 day')::date,
    CASE WHEN bn.i % 3 = 0 THEN time '08:00' + (bn.i % 14) * interval '1 hour' END,
    CASE WHEN bn.status IN ('done', 'cancelled') THEN bn.created + interval '3 days' END, 1, bn.created, bn.created
  FROM bn, organisations o WHERE o.name = :org;
INSERT INTO need_teams (need_id, team_id, org_id, open, urgent, due_on, due_time, closed_at)
  SELECT n.id, bt.id, n.org_id, n.status IN ('todo', 'in_progress'), n.urgent, n.due_on, n.due_time, n.completed_at
  FROM needs n JOIN bn ON bn.id = n.id JOIN bt ON bt.n = bn.team_n;
INSERT INTO need_persons (need_id, person_id, org_id)
  SELECT bn.id, bp.id, o.id FROM bn JOIN bp ON bp.n = 1 + (bn.i::bigint * 7919) % 100000, organisations o
  WHERE o.name = :org;
INSERT INTO need_category_links (need_id, category_id, org_id)
  SELECT bn.id, bc.id, o.id FROM bn JOIN bc ON bc.n = 1 + bn.i % 12, organisations o WHERE o.name = :org;
"""


def build(engine) -> None:
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM organisations WHERE name = :org"), {"org": ORG}).first():
            return
        t0 = time.perf_counter()
        for stmt in DATA.split(";\n"):
            if stmt.strip():
                conn.execute(text(stmt), {"org": ORG})
        print(f"data written in {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def timed(fn, runs: int = 7) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    command.upgrade(alembic_config(URL), "head")
    engine = make_engine(URL)
    build(engine)
    statements: list[tuple[str, dict]] = []
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.name == "Team 01")).one()
        actor = Actor(uuid.uuid4(), team.org_id, "coordinator", team_ids=frozenset({team.id}), team_id=team.id)
        monday = date(2026, 6, 1)
        today = service.work_day(team).day
        start, end = day_bounds(team, today - timedelta(days=1))

        def week():
            return service.week(session, actor, team, monday)

        shown = sum(len(rows) for _d, rows in week())
        cases = {
            f"week view ({shown} needs shown)": week,
            "today's list": lambda: service.list_needs(session, actor, team, NeedFilter(view="today")),
            "overdue list": lambda: service.list_needs(session, actor, team, NeedFilter(view="overdue")),
            "badges": lambda: service.counts(session, actor, team),
            "home: urgent and overdue": lambda: service.home_needs(session, actor, team.id),
            "report: recorded": lambda: service.created_in_day(session, actor, team, start, end),
            "report: done": lambda: service.done_in_day(session, actor, team, start, end),
            "report: overdue": lambda: service.overdue_in_day(session, actor, team, start, end),
        }
        for name, fn in cases.items():
            median, worst = timed(fn)
            print(f"{name:<34} median {median:7.1f} ms   worst {worst:7.1f} ms")

        from sqlalchemy import event

        def keep(conn, cursor, stmt, params, context, executemany):
            statements.append((stmt, params))

        conn = session.connection()
        event.listen(conn, "before_cursor_execute", keep)
        week()
        service.overdue_in_day(session, actor, team, start, end)
        service.created_in_day(session, actor, team, start, end)
        event.remove(conn, "before_cursor_execute", keep)
    print(f"\n{len(statements)} statements for the week view and two report figures")
    with engine.connect() as conn:
        for stmt, params in statements:
            if "need" not in stmt:
                continue
            where = stmt[stmt.find("FROM") :].strip().replace("\n", " ")
            print("\n" + where[:400] + " ...")
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + stmt, params)
            for (line,) in plan:
                print("   " + line)


if __name__ == "__main__":
    main()
