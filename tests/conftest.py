"""Test set-up: one database per run built with `alembic upgrade head` (so the migrations are what is tested),
and every test inside a transaction that is rolled back at its end.

TEST_DATABASE_URL selects the engine: SQLite (a fresh file) when unset, PostgreSQL in CI."""

import contextlib
import os
import tempfile
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="parcours-test-"))
TEST_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.db'}"
os.environ["DATABASE_URL"] = TEST_URL
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.setdefault("DOCUMENTS_DIR", str(_tmp / "documents"))
os.environ.setdefault("EXPORTS_DIR", str(_tmp / "exports"))
os.environ.setdefault("MASTER_KEY", "dGVzdC1tYXN0ZXIta2V5LW9mLTMyLWJ5dGVzLWxvbmc")
# Cheap hashing in tests; production keeps the library's defaults.
os.environ["ARGON2_TIME_COST"] = "1"
os.environ["ARGON2_MEMORY_COST"] = "1024"
os.environ["ARGON2_PARALLELISM"] = "1"

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.service import touch_session  # noqa: E402
from app.cli import alembic_config  # noqa: E402
from app.db import TOUCH, get_session, get_session_factory, make_engine  # noqa: E402


def reset_database(url: str) -> None:
    """An empty database: a new SQLite file, or PostgreSQL's public schema dropped and re-created."""
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    elif url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def engine():
    reset_database(TEST_URL)
    command.upgrade(alembic_config(TEST_URL), "head")
    eng = make_engine(TEST_URL)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine):
    """A session bound to an outer transaction: the app's commits become savepoints, all undone at the end."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    conn.close()


@pytest.fixture
def app(db):
    from app.main import app as fastapi_app

    def _session():
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
        if touch := db.info.pop(TOUCH, None):  # what get_session does after the request's transaction
            touch_session(db, *touch)
            db.commit()

    fastapi_app.dependency_overrides[get_session] = _session
    # Background work (a full export) runs on the test's session too, so that it sees the test's rows.
    fastapi_app.dependency_overrides[get_session_factory] = lambda: lambda: contextlib.nullcontext(db)
    yield fastapi_app
    fastapi_app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c
