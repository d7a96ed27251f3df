"""The benchmark data generator (app/bench_data.py): deterministic, and rows the app can show."""

from sqlalchemy import select
from sqlmodel import Session

from app import bench_data, copies
from app.models import EncounterPerson, Person, Team, User
from tests.factories import sign_in


def _build(engine, seed: int) -> tuple[dict, list]:
    """Generate a tiny data set in a transaction of its own (rolled back) and return what identifies it."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        summary = bench_data.generate(session, 50, orgs=1, years=1, seed=seed, password_hash="x")
        rows = bench_data.counts(session, summary.orgs)
        people = session.execute(
            select(Person.code, Person.alias).where(Person.org_id.in_(summary.orgs)).order_by(Person.code)
        ).all()
        return rows, [tuple(p) for p in people]
    finally:
        session.close()
        outer.rollback()
        conn.close()


def test_same_seed_same_data(engine):
    first, second, other = _build(engine, 5), _build(engine, 5), _build(engine, 6)
    assert first == second
    assert first[1] != other[1]
    counts = first[0]
    assert counts["persons"] == 50 and counts["encounters"] > 300 and counts["checkins"] > 80
    assert counts["person_names"] >= 50 and counts["rounds"] == 3 * 365


def test_generated_rows_render_for_a_bench_user(db, client):
    summary = bench_data.generate(db, 50, orgs=1, years=1, seed=9, password_hash="x")
    again = bench_data.generate(db, 50, orgs=1, years=1, seed=9, password_hash="x")
    assert again.orgs == summary.orgs and again.seconds == 0  # found, not written twice
    org_id = summary.orgs[0]
    # The generator writes the link tables' copies of their records by hand, as their writers would.
    assert set(copies.drifts(db, org_id).values()) == {0}
    email = bench_data.bench_email(0, "worker", 50, 9)
    user = db.execute(select(User).where(User.email == email)).scalar_one()
    sign_in(client, db, user)
    patrol = db.execute(select(Team).where(Team.org_id == org_id, Team.kind == "patrol")).scalars().first()
    assert client.post("/team", data={"team_id": str(patrol.id)}).status_code == 200  # redirected home
    busiest = db.execute(
        select(EncounterPerson.person_id).where(EncounterPerson.org_id == org_id).limit(1)
    ).scalar_one()
    page = client.get(f"/persons/{busiest}")
    assert page.status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/persons", params={"q": "moh"}, headers={"HX-Request": "true"}).status_code == 200
