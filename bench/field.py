"""Field work at scale: one organisation with 100,000 persons and 2,000,000 encounters over two years (plus rounds,
check-ins and observations), then the time of what the busiest pages run, on the database given by DATABASE_URL.

    DATABASE_URL=sqlite:////tmp/bench-field.db .venv/bin/python bench/field.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_field .venv/bin/python bench/field.py

BENCH_PERSONS and BENCH_ENCOUNTERS change the sizes. Not a test: it prints the median milliseconds of each service
call (the queries of a page, without HTML) and the plans of the hot queries. Building the data takes minutes."""

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
from app.field import checkins, encounters, report, rounds  # noqa: E402
from app.field.days import time_band, working_day  # noqa: E402
from app.field.forms import EncounterForm  # noqa: E402
from app.home.service import home  # noqa: E402
from app.models import (  # noqa: E402
    Checkin,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    Material,
    Observation,
    Organisation,
    Person,
    PersonName,
    Round,
    Team,
    TeamMembership,
    Territory,
    User,
    utcnow,
)
from app.persons import codes, timeline  # noqa: E402
from app.persons.names import name_rows  # noqa: E402
from app.web import validate_form  # noqa: E402

N_PERSONS = int(os.environ.get("BENCH_PERSONS", "100000"))
N_ENCOUNTERS = int(os.environ.get("BENCH_ENCOUNTERS", "2000000"))
DAYS = 730
PATROLS, REST_AREAS = 8, 2
BATCH = 20_000
NAMES = ["Mohamed", "Sékou", "Aïcha", "Fatou", "Ibrahim", "Nadia", "Karim", "Loïc", "Djibril", "Samira", "Moussa"]


def bulk(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL (ten times faster than INSERT), executemany on SQLite."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    from psycopg.types.json import Json

    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Json(v) if isinstance(v, dict | list) else v for v in (row[c] for c in cols)])


def build(session: Session) -> uuid.UUID:
    org = session.execute(select(Organisation).where(Organisation.name == "Bench field")).scalars().first()
    if org is not None:
        return org.id
    rng, now = random.Random(11), utcnow()
    org = Organisation(name="Bench field")
    session.add(org)
    session.flush()
    teams = [Team(org_id=org.id, name=f"Patrol {i}", kind="patrol") for i in range(PATROLS)]
    teams += [
        Team(org_id=org.id, name=f"Rest area {i}", kind="rest_area", capacity=30, noon_to_noon=True)
        for i in range(REST_AREAS)
    ]
    user = User(org_id=org.id, email=f"bench-{uuid.uuid4().hex[:6]}@example.org", name="Bench", role="worker")
    session.add_all([*teams, user])
    session.flush()
    session.add_all([TeamMembership(user_id=user.id, team_id=t.id, org_id=org.id) for t in teams])
    territories = [Territory(org_id=org.id, name=f"Territory {i}") for i in range(20)]
    materials = [Material(org_id=org.id, label=f"Material {i}", position=i) for i in range(7)]
    session.add_all([*territories, *materials])
    session.flush()

    print("persons…")
    person_ids, used = [], set()
    batch_p, batch_n = [], []
    for i in range(N_PERSONS):
        code = codes.new_code()
        while code in used:
            code = codes.new_code()
        used.add(code)
        pid, alias = uuid.uuid4(), f"{rng.choice(NAMES)} {i}"
        at = now - timedelta(days=rng.randint(0, DAYS))
        person_ids.append(pid)
        batch_p.append(
            dict(id=pid, org_id=org.id, alias=alias, other_aliases=[], code=code, languages=[], custom={},
                 alert=False, active=True, last_contact_at=at, created_at=at, updated_at=at, version=1)
        )  # fmt: skip
        for norm, key, primary in name_rows([(alias, True)]):
            batch_n.append(dict(org_id=org.id, person_id=pid, norm=norm, key=key, primary=primary))
        if len(batch_p) >= BATCH or i == N_PERSONS - 1:
            bulk(session, Person, batch_p)
            bulk(session, PersonName, batch_n)
            batch_p, batch_n = [], []
    session.commit()

    print("rounds…")
    round_ids: dict[tuple[int, int], uuid.UUID] = {}
    rows = []
    for t in range(PATROLS):
        for d in range(DAYS):
            started = now - timedelta(days=d, hours=4)
            round_ids[(t, d)] = rid = uuid.uuid4()
            rows.append(
                dict(id=rid, org_id=org.id, team_id=teams[t].id, kind="foot", started_at=started,
                     ended_at=started + timedelta(hours=3), time_band=time_band(started), version=1,
                     created_at=started, updated_at=started)
            )  # fmt: skip
    bulk(session, Round, rows)
    session.commit()

    print("encounters…")
    hot = person_ids[: N_PERSONS // 5]  # a fifth of the persons get most of the encounters
    batch_e, batch_p, batch_m = [], [], []
    for i in range(N_ENCOUNTERS):
        t, d = rng.randrange(PATROLS), rng.randrange(DAYS)
        at = now - timedelta(days=d, hours=rng.uniform(1, 4))
        eid = uuid.uuid4()
        batch_e.append(
            dict(id=eid, org_id=org.id, team_id=teams[t].id, round_id=round_ids[(t, d)], at=at,
                 territory_id=territories[rng.randrange(20)].id, version=1, created_at=at, updated_at=at)
        )  # fmt: skip
        people = {rng.choice(hot) if rng.random() < 0.8 else rng.choice(person_ids)}
        if rng.random() < 0.1:
            people.add(rng.choice(person_ids))
        batch_p.extend(dict(encounter_id=eid, person_id=p, org_id=org.id, new=False) for p in people)
        batch_m.append(dict(encounter_id=eid, material_id=materials[rng.randrange(7)].id, org_id=org.id, quantity=2))
        if len(batch_e) >= BATCH or i == N_ENCOUNTERS - 1:
            bulk(session, Encounter, batch_e)
            bulk(session, EncounterPerson, batch_p)
            bulk(session, EncounterMaterial, batch_m)
            session.commit()
            batch_e, batch_p, batch_m = [], [], []
            print(f"  {i + 1}", end="\r", flush=True)
    print()

    print("check-ins and observations…")
    rows = []
    for r in range(REST_AREAS):
        team = teams[PATROLS + r]
        for d in range(DAYS):
            for _ in range(150):
                arrived = now - timedelta(days=d, hours=rng.uniform(12, 30))
                rows.append(
                    dict(id=uuid.uuid4(), org_id=org.id, team_id=team.id, day=working_day(team, arrived),
                         person_id=rng.choice(hot) if rng.random() < 0.9 else None, arrived_at=arrived,
                         left_at=arrived + timedelta(hours=rng.uniform(1, 10)), version=1, created_at=arrived,
                         updated_at=arrived)
                )  # fmt: skip
            if len(rows) >= BATCH:
                bulk(session, Checkin, rows)
                rows = []
    bulk(session, Checkin, rows)
    obs = [
        dict(id=uuid.uuid4(), org_id=org.id, team_id=teams[t].id, territory_id=territories[t].id,
             at=now - timedelta(days=d, hours=2), atmosphere="calm", police="none", women=1, men=5, others=0,
             custom={}, version=1, created_at=now, updated_at=now)
        for t in range(PATROLS) for d in range(0, DAYS, 2)
    ]  # fmt: skip
    bulk(session, Observation, obs)
    session.commit()
    return org.id


def timed(engine, fn, runs: int = 15) -> float:
    """Median milliseconds of fn(session), each run in a new session as a request would be."""
    samples = []
    for i in range(runs + 1):
        with Session(engine) as session:
            start = time.perf_counter()
            fn(session)
            if i:  # the first run warms the caches
                samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def plan(session: Session, stmt) -> str:
    dialect = session.get_bind().dialect.name
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    return " | ".join(" ".join(str(c) for c in row) for row in session.execute(text(explain + str(compiled))))[:400]


def main() -> None:
    url = os.environ["DATABASE_URL"]
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        org_id = build(session)
        print(f"data ready in {time.perf_counter() - started:.0f} s")
        session.execute(text("ANALYZE"))
        session.commit()
        count = lambda model: session.execute(  # noqa: E731
            select(func.count()).select_from(model).where(model.org_id == org_id)
        ).scalar()
        sizes = f"{count(Person)} persons, {count(Encounter)} encounters, {count(Checkin)} check-ins"
        print(f"{engine.dialect.name}: {sizes}")
        teams = session.execute(select(Team).where(Team.org_id == org_id).order_by(Team.name)).scalars().all()
        patrol = next(t for t in teams if t.kind == "patrol")
        rest = next(t for t in teams if t.kind == "rest_area")
        user_id = session.execute(select(User.id).where(User.org_id == org_id)).scalar()
        all_teams = frozenset(t.id for t in teams)
        worker = Actor(user_id=user_id, org_id=org_id, role="worker", team_ids=all_teams, team_id=patrol.id)
        desk = Actor(user_id=user_id, org_id=org_id, role="reception", team_ids=frozenset({rest.id}), team_id=rest.id)
        busiest = session.execute(
            select(EncounterPerson.person_id, func.count())
            .group_by(EncounterPerson.person_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        day = working_day(patrol)
        start_, end_ = report.day_bounds(patrol, day)
        rest_day, pid = working_day(rest), busiest[0]
        cases = [
            ("home page (patrol)", lambda db: home(db, worker)),
            ("home page (rest area, reception)", lambda db: home(db, desk)),
            ("recently met by the team", lambda db: encounters.recent_persons(db, worker, patrol.id)),
            ("daily report figures (patrol)", lambda db: report.figures(db, worker, patrol, day)),
            ("daily report figures (rest area)", lambda db: report.figures(db, worker, rest, rest_day)),
            ("today's encounters of the team", lambda db: encounters.team_day(db, worker, patrol.id, start_, end_)),
            ("rounds list, first page", lambda db: rounds.recent(db, worker, patrol.id)),
            ("check-ins page", lambda db: checkins.today(db, desk, rest)),
            (f"timeline of the busiest person ({busiest[1]} encounters)", lambda db: timeline.timeline(db, worker, pid)),  # noqa: E501
            ("person search 'moh' (encounter form)", lambda db: encounters.find_persons(db, worker, "moh")),
        ]  # fmt: skip
        for label, fn in cases:
            print(f"  {label:<52} {timed(engine, fn):7.1f} ms")

        def record(db):
            form = validate_form(EncounterForm, {"id": str(uuid.uuid4()), "person_ids": [str(pid)]}).data
            encounters.record_encounter(db, worker, form, {})
            db.rollback()

        print(f"  {'recording an encounter (rolled back)':<52} {timed(engine, record):7.1f} ms")
        recent_q = (
            select(EncounterPerson.person_id, func.max(Encounter.at))
            .join(Encounter, Encounter.id == EncounterPerson.encounter_id)
            .where(Encounter.org_id == org_id, Encounter.team_id == patrol.id)
            .where(Encounter.at >= start_ - timedelta(days=14))
            .group_by(EncounterPerson.person_id)
        )
        print("  plan, recently met:", plan(session, recent_q))
        person_q = (
            select(Encounter.id)
            .join(EncounterPerson, EncounterPerson.encounter_id == Encounter.id)
            .where(EncounterPerson.person_id == pid, Encounter.org_id == org_id)
            .order_by(Encounter.at.desc())
            .limit(100)
        )
        print("  plan, a person's encounters:", plan(session, person_q))


if __name__ == "__main__":
    main()
