"""The pathway's lists and pages at 100,000 persons in one organisation: build the data (once), then time the
queries (service layer) and whole pages (HTTP, in process), median and p95, on DATABASE_URL (SQLite or PostgreSQL).

    DATABASE_URL=sqlite:////tmp/bench-pathway.db .venv/bin/python bench/pathway.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_pathway .venv/bin/python bench/pathway.py

Data: 100,000 persons; 120,000 needs (a quarter open, due over the last year and the next month, spread over
twelve teams, the busiest holding a third); 30,000 referrals to 400 structures; 10,000 incoming referrals from
another organisation; 6,000 stays (2,400 open in three accommodation teams); 20,000 procedures.
Not a test: it prints milliseconds and the plan of a team's list."""

import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MASTER_KEY", "YmVuY2gtcGF0aHdheS1tYXN0ZXIta2V5LTMyYnl0ZXM")  # a bench-only key

from alembic import command  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.access import Actor  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.crypto import encrypt  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import (  # noqa: E402
    IncomingReferral,
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedPerson,
    NeedTeam,
    Organisation,
    Person,
    Procedure,
    Referral,
    Stay,
    Structure,
    Team,
    TeamMembership,
    User,
    utcnow,
)
from app.needs import service as needs_service  # noqa: E402

N = int(os.environ.get("BENCH_PERSONS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
TEAMS = [
    ("Maraude A", "patrol"),
    ("Maraude B", "patrol"),
    ("Maraude C", "patrol"),
    ("Maraude métro", "metro_patrol"),
    ("Espace de repos", "rest_area"),
    ("Espace de nuit", "rest_area"),
    ("Hébergement 1", "accommodation"),
    ("Hébergement 2", "accommodation"),
    ("Hébergement 3", "accommodation"),
    ("Accueil", "reception"),
    ("Coordination", "coordination"),
    ("Santé", "coordination"),
]
STATUSES = ["proposed", "sent", "accepted", "waiting_list", "refused", "attended", "admitted", "closed", "no_show"]


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(model), rows[start : start + 5000])


def build(session: Session) -> uuid.UUID:
    org = session.execute(select(Organisation).where(Organisation.name == "Bench pathway")).scalars().first()
    if org is not None:
        return org.id
    rng, now, today = random.Random(11), utcnow(), date.today()
    org, sender = Organisation(name="Bench pathway"), Organisation(name="Bench sender")
    session.add_all([org, sender])
    session.flush()
    teams = [Team(org_id=org.id, name=n, kind=k, capacity=800 if k == "accommodation" else None) for n, k in TEAMS]
    sender_team = Team(org_id=sender.id, name="Maraude", kind="patrol")
    session.add_all([*teams, sender_team])
    session.flush()
    user = User(org_id=org.id, email="bench-pathway@example.org", name="Bench", role="coordinator")
    session.add(user)
    session.flush()
    for t in teams:
        session.add(TeamMembership(user_id=user.id, team_id=t.id, org_id=org.id))
    cats = [NeedCategory(org_id=org.id, label=f"Catégorie {i}", position=i) for i in range(12)]
    session.add_all(cats)
    session.flush()

    print("  persons", flush=True)
    persons = [uuid.uuid4() for _ in range(N)]
    insert_rows(
        session,
        Person,
        [
            dict(
                id=pid,
                org_id=org.id,
                alias=f"P{i:06d}",
                other_aliases=[],
                code=f"B{i:05d}"[:8],
                languages=[],
                custom={},
                alert=False,
                active=True,
                last_contact_at=now,
                created_at=now,
                updated_at=now,
                version=1,
            )
            for i, pid in enumerate(persons)
        ],
    )

    print("  needs", flush=True)
    weights = [30, 12, 10, 8, 8, 6, 6, 5, 5, 4, 3, 3]
    needs, links_p, links_t, links_c = [], [], [], []
    for i in range(int(N * 1.2)):
        nid, status = uuid.uuid4(), rng.choices(["todo", "in_progress", "done", "cancelled"], [18, 7, 65, 10])[0]
        due = today + timedelta(days=rng.randint(-365, 30)) if rng.random() < 0.9 else None
        closed = now - timedelta(days=rng.randint(0, 365)) if status in ("done", "cancelled") else None
        urgent = rng.random() < 0.03
        row = dict(
            id=nid,
            org_id=org.id,
            status=status,
            urgent=urgent,
            due_on=due,
            completed_at=closed,
            created_at=now,
            updated_at=now,
            version=1,
        )
        row["description"] = encrypt(session, org.id, f"Demande {i}", f"needs.description:{nid}")
        needs.append(row)
        for pid in {rng.choice(persons) for _ in range(2 if rng.random() < 0.1 else 1)}:
            links_p.append(dict(need_id=nid, person_id=pid, org_id=org.id))
        for team_id in {rng.choices(teams, weights)[0].id for _ in range(2 if rng.random() < 0.15 else 1)}:
            links_t.append(
                dict(
                    need_id=nid,
                    team_id=team_id,
                    org_id=org.id,
                    open=status in ("todo", "in_progress"),
                    urgent=urgent,
                    due_on=due or needs_service.NO_DUE_DATE,
                    closed_at=closed,
                )
            )
        links_c.append(dict(need_id=nid, category_id=rng.choice(cats).id, org_id=org.id))
    insert_rows(session, Need, needs)
    insert_rows(session, NeedPerson, links_p)
    insert_rows(session, NeedTeam, links_t)
    insert_rows(session, NeedCategoryLink, links_c)

    print("  structures, referrals, incoming, stays, procedures", flush=True)
    structures = [
        dict(
            id=uuid.uuid4(),
            org_id=org.id,
            name=f"Structure {i:03d}",
            kind=rng.choice(["caarud", "csapa", "assore"]),
            places=rng.choice([None, 20, 60]),
            created_at=now,
            updated_at=now,
            version=1,
        )
        for i in range(400)
    ]
    insert_rows(session, Structure, structures)
    referrals = []
    for _ in range(30000):
        st = rng.choice(STATUSES)
        referrals.append(
            dict(
                id=uuid.uuid4(),
                org_id=org.id,
                person_id=rng.choice(persons),
                structure_id=rng.choice(structures)["id"],
                team_id=rng.choices(teams, weights)[0].id,
                shared=[],
                consent_given=True,
                status=st,
                status_at=now - timedelta(days=rng.randint(0, 500)),
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    insert_rows(session, Referral, referrals)
    sender_person = Person(org_id=sender.id, alias="Sender", code="SENDER01")
    sender_structure = Structure(org_id=sender.id, name="Bench rest area", kind="rest_area")
    session.add_all([sender_person, sender_structure])
    session.flush()
    sent, incoming = [], []
    for _ in range(10000):
        rid, st = uuid.uuid4(), rng.choice(STATUSES[1:])
        at = now - timedelta(days=rng.randint(0, 500))
        sent.append(
            dict(
                id=rid,
                org_id=sender.id,
                person_id=sender_person.id,
                structure_id=sender_structure.id,
                shared=[],
                consent_given=True,
                status=st,
                status_at=at,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        iid = uuid.uuid4()
        incoming.append(
            dict(
                id=iid,
                org_id=org.id,
                referral_id=rid,
                team_id=teams[4].id,
                from_label="Bench sender",
                snapshot=encrypt(session, org.id, '{"alias": "X"}', f"incoming_referrals.snapshot:{iid}"),
                status=st,
                status_at=at,
                sent_at=at,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    insert_rows(session, Referral, sent)
    insert_rows(session, IncomingReferral, incoming)
    stays, procedures = [], []
    for i, pid in enumerate(rng.sample(persons, 6000)):
        team = teams[6 + i % 3]
        is_open = i < 2400
        entered = today - timedelta(days=rng.randint(30, 2000))
        stays.append(
            dict(
                id=uuid.uuid4(),
                org_id=org.id,
                person_id=pid,
                team_id=team.id,
                room=f"{i}",
                entered_on=entered,
                exited_on=None if is_open else entered + timedelta(days=20),
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    insert_rows(session, Stay, stays)
    for _ in range(20000):
        procedures.append(
            dict(
                id=uuid.uuid4(),
                org_id=org.id,
                person_id=rng.choice(persons),
                kind="id_papers",
                started_on=today - timedelta(days=rng.randint(0, 900)),
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    insert_rows(session, Procedure, procedures)
    session.commit()
    return org.id


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    url = os.environ["DATABASE_URL"]
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        org_id = build(session)
        session.execute(text("ANALYZE"))
        session.commit()
        from app.needs import service as needs
        from app.needs.forms import NeedFilter
        from app.persons import timeline
        from app.referrals import service as referrals
        from app.referrals.forms import InboxFilter, ReferralFilter
        from app.stays import service as stays
        from app.structures import service as structures
        from app.structures.forms import StructureFilter

        teams = {t.name: t for t in session.execute(select(Team).where(Team.org_id == org_id)).scalars()}
        busy = teams["Maraude A"]
        user = session.execute(select(User).where(User.org_id == org_id)).scalars().one()
        actor = Actor(user.id, org_id, "coordinator", "Bench", "fr", frozenset(t.id for t in teams.values()), busy.id)
        busiest_person = session.execute(
            select(NeedPerson.person_id)
            .where(NeedPerson.org_id == org_id)
            .group_by(NeedPerson.person_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        n_needs = session.execute(
            select(func.count()).select_from(NeedTeam).where(NeedTeam.team_id == busy.id)
        ).scalar()
        print(f"{engine.dialect.name}: {N} persons; the busiest team holds {n_needs} needs; {RUNS} runs each")
        category = session.execute(select(NeedCategory.id).where(NeedCategory.org_id == org_id)).scalars().first()
        structure = session.execute(select(Structure).where(Structure.org_id == org_id)).scalars().first()
        cases = [
            (
                "needs: overdue (busiest team)",
                lambda: needs.list_needs(session, actor, busy, NeedFilter(view="overdue")),
            ),
            ("needs: today", lambda: needs.list_needs(session, actor, busy, NeedFilter(view="today"))),
            ("needs: upcoming", lambda: needs.list_needs(session, actor, busy, NeedFilter(view="upcoming"))),
            ("needs: recently done", lambda: needs.list_needs(session, actor, busy, NeedFilter(view="done"))),
            (
                "needs: overdue, one category",
                lambda: needs.list_needs(session, actor, busy, NeedFilter(view="overdue", category_id=category)),
            ),
            ("needs: tab counts", lambda: needs.counts(session, actor, busy)),
            (
                "needs: week",
                lambda: needs.week(session, actor, busy, date.today() - timedelta(days=date.today().weekday())),
            ),
            ("home: urgent and overdue", lambda: needs.home_needs(session, actor, busy.id)),
            ("person: summary sections", lambda: timeline.summary_sections(session, actor, busiest_person)),
            ("person: whole timeline", lambda: timeline.timeline(session, actor, busiest_person)),
            ("referrals: sent by the team", lambda: referrals.list_sent(session, actor, busy, ReferralFilter())),
            ("referrals: inbox, in progress", lambda: referrals.inbox(session, actor, InboxFilter())),
            (
                "referrals: team waiting list",
                lambda: referrals.team_waiting_list(session, actor, teams["Espace de repos"].id),
            ),
            ("referrals: structure waiting list", lambda: referrals.structure_waiting_list(session, actor, structure)),
            ("stays: places and occupancy", lambda: stays.places(session, actor)),
            (
                "stays: who is in (page of 100 of 800)",
                lambda: stays.occupants(session, actor, team_id=teams["Hébergement 1"].id),
            ),
            ("structures: list page", lambda: structures.list_structures(session, actor, StructureFilter())),
        ]
        for label, fn in cases:
            median, p95 = timed(fn)
            print(f"  {label:<36} median {median:6.1f} ms   p95 {p95:6.1f} ms")
        stmt, cols = needs._base(actor, busy, NeedFilter(view="overdue"))
        stmt = needs._view(stmt, cols, "overdue", date.today()).limit(31)
        compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = [" ".join(str(c) for c in row) for row in session.execute(text(explain + str(compiled)))]
        print("  plan of the overdue list: " + " | ".join(plan)[:600])

    _pages(url, org_id, busy.id, busiest_person)


def _pages(url: str, org_id: uuid.UUID, team_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Whole pages through the app (routing, session, queries, template), in process."""
    os.environ["DATABASE_URL"] = url
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from fastapi.testclient import TestClient

    from app.auth.service import start_session
    from app.db import get_engine
    from app.main import app
    from app.security import SESSION_COOKIE, csrf_token_for

    with Session(get_engine()) as session:
        user = session.execute(select(User).where(User.org_id == org_id)).scalars().one()
        token = start_session(session, user, "bench", "bench")
        session.commit()
    client = TestClient(app, base_url="https://testserver")
    client.cookies.set(SESSION_COOKIE, token)
    client.headers["X-CSRF-Token"] = csrf_token_for(token)
    client.post("/team", data={"team_id": str(team_id)})
    for label, path in (
        ("page: needs, overdue", "/needs?view=overdue"),
        ("page: needs, today", "/needs?view=today"),
        ("page: week", "/needs/week"),
        ("page: home", "/"),
        ("page: person", f"/persons/{person_id}"),
        ("page: inbox", "/referrals/inbox"),
        ("page: accommodation", "/stays"),
        ("page: directory", "/structures"),
    ):
        assert client.get(path).status_code == 200, path
        median, p95 = timed(lambda path=path: client.get(path))
        print(f"  {label:<36} median {median:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
