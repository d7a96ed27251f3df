"""What the rollback-per-test fixture cannot show: a database connection lost in the middle of a push batch, and
the pull watermark with real concurrent transactions on PostgreSQL. These tests commit, then clean up."""

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text
from sqlmodel import Session, SQLModel, func, select

from app.main import app as fastapi_app
from app.models import Encounter, Organisation, Person, SyncChange, User
from app.sync import service
from tests.factories import make_org, make_team, make_territory, make_user, sign_in
from tests.persons.conftest import actor_for


@pytest.fixture
def real(engine):
    """A committed organisation with a worker, and a client on the real request sessions."""
    with Session(engine, expire_on_commit=False) as db:
        org = make_org(db)
        team = make_team(db, org)
        worker = make_user(db, org, teams=[team], lang="en")
        territory = make_territory(db, org)
        with TestClient(fastapi_app, base_url="http://testserver", raise_server_exceptions=False) as client:
            sign_in(client, db, worker)
            assert client.post("/team", data={"team_id": str(team.id)}, follow_redirects=False).status_code == 303
            yield client, org, team, worker, territory
    with engine.begin() as conn:
        user_ids = [u for (u,) in conn.execute(select(User.id).where(User.org_id == org.id))]
        for table in reversed(SQLModel.metadata.sorted_tables):
            if "org_id" in table.c and table.name != "users":
                conn.execute(delete(table).where(table.c.org_id == org.id))
            elif "user_id" in table.c:
                conn.execute(delete(table).where(table.c.user_id.in_(user_ids)))
        conn.execute(delete(User).where(User.org_id == org.id))
        conn.execute(delete(Organisation).where(Organisation.id == org.id))


def _org_count(engine, model, org) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(model).where(model.org_id == org.id)).one()


def test_a_connection_lost_mid_batch_writes_nothing_and_the_resent_batch_arrives_whole(engine, real, monkeypatch):
    client, org, team, _worker, territory = real
    batch = [{"id": str(uuid.uuid4()), "type": "person", "data": {"alias": f"P{i}"}} for i in range(3)]
    batch += [{"id": str(uuid.uuid4()), "type": "encounter", "data": {"person_ids": [b["id"]]}} for b in batch]
    calls = []
    create = service._create

    def dying(session, actor, change):
        calls.append(change.id)
        if len(calls) == 4:  # the connection drops during the fourth change
            conn = session.connection()
            if conn.dialect.name == "postgresql":
                pid = conn.execute(text("select pg_backend_pid()")).scalar()
                with engine.connect() as killer:
                    killer.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
            else:
                conn.invalidate()
        return create(session, actor, change)

    monkeypatch.setattr(service, "_create", dying)
    resp = client.post("/api/sync/push", json={"changes": batch})
    assert resp.status_code == 500 and "Nothing was saved" in resp.json()["message"]
    assert _org_count(engine, Person, org) == 0 and _org_count(engine, Encounter, org) == 0
    assert _org_count(engine, SyncChange, org) == 0

    monkeypatch.setattr(service, "_create", create)
    results = client.post("/api/sync/push", json={"changes": batch}).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 6
    again = client.post("/api/sync/push", json={"changes": batch}).json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 6
    assert _org_count(engine, Person, org) == 3 and _org_count(engine, Encounter, org) == 3


def test_pull_waits_for_a_transaction_that_commits_late(engine, real):
    """A change committed after a later one is not skipped: the cursor never passes an open transaction."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: commit order is seq order")
    _client, org, team, worker, _territory = real
    early, late = uuid.uuid4(), uuid.uuid4()
    txid = text("pg_current_xact_id()::text::bigint")
    slow = engine.connect()
    slow.begin()
    slow.execute(text("select 1"))
    slow.execute(
        SyncChange.__table__.insert().values(org_id=org.id, entity="person", entity_id=early, txid=txid)
    )  # begun first, commits last
    with engine.begin() as fast:
        fast.execute(SyncChange.__table__.insert().values(org_id=org.id, entity="person", entity_id=late, txid=txid))
    actor = actor_for(worker, team)
    with Session(engine) as db:
        first = service.pull(db, actor, None)
    assert first["changes"] == []  # `late` is held back while `early` may still commit
    slow.commit()
    slow.close()
    # The horizon is cluster-wide: a transaction of another database on the server also holds it back a while.
    for _attempt in range(100):
        with Session(engine) as db:
            second = service.pull(db, actor, first["cursor"])
        if second["changes"]:
            break
        time.sleep(0.2)
    assert [c["id"] for c in second["changes"]] == [str(early), str(late)]
    with Session(engine) as db:
        assert service.pull(db, actor, second["cursor"])["changes"] == []


def test_a_long_transaction_in_another_database_does_not_hold_pulls_back(engine, real):
    """A pg_dump or a report running for an hour in another database of the server never writes this change log:
    phones keep pulling."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine

    _client, org, team, worker, _territory = real
    elsewhere = create_engine(engine.url.set(database="postgres"))
    long = elsewhere.connect()
    long.begin()
    long.execute(text("select pg_current_xact_id()"))  # it has a transaction id, and keeps it open
    try:
        change = uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(
                SyncChange.__table__.insert().values(
                    org_id=org.id, entity="person", entity_id=change, txid=text("pg_current_xact_id()::text::bigint")
                )
            )
        with Session(engine) as db:
            pulled = service.pull(db, actor_for(worker, team), None)
        assert [c["id"] for c in pulled["changes"]] == [str(change)]
    finally:
        long.rollback()
        long.close()
        elsewhere.dispose()
