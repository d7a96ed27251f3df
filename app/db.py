"""Engine and the request's session: `get_session` is the only place that commits."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session
from starlette.requests import Request

from app.config import get_settings

TOUCH = "touch_user_session"  # session.info key: the sign-in session seen by this request (app/auth/service.py)
# Pages read with GET that write: the indicators bring their kept figures up to date first (app/indicators/rollup.py).
WRITING_READS = ("/indicators", "/steering")


MEMO = "memo"  # session.info key: what several parts of one page read (see memo)


def memo(session: Session, key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` once per session (one request) for `key`: what several parts of one page read alike (the
    organisation's custom fields, a person's procedures for both the summary and the timeline). Forgotten at every
    flush and rollback, and not used while changes wait to be flushed: a request that writes never reads back what it
    read before writing."""
    if session.new or session.deleted or session.dirty:
        return compute()
    cache = session.info.setdefault(MEMO, {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@contextmanager
def planner(session: Session, **settings: str) -> Iterator[None]:
    """PostgreSQL planner settings (`enable_hashjoin="off"`...) for the statements run inside, then the ones before
    again; this transaction only (set_config's is_local), nothing on SQLite. For a statement whose plan the
    planner's estimates get wrong at scale, with the figures that show it where it is used."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = {f"n{i}": name for i, name in enumerate(settings)}  # bound as parameters, never spliced in
    before = session.execute(text("SELECT " + ", ".join(f"current_setting(:{k})" for k in names)), names).one()

    def apply(values) -> None:
        pairs = ", ".join(f"set_config(:{k}, :v{k}, true)" for k in names)
        values = {f"v{k}": str(v) for k, v in zip(names, values, strict=True)}
        session.execute(text(f"SELECT {pairs}"), {**names, **values})

    apply(settings.values())
    try:
        yield
    finally:
        apply(before)


@event.listens_for(OrmSession, "after_flush")
@event.listens_for(OrmSession, "after_soft_rollback")  # a refused form's route rolls back, then shows the form again
def _forget_memo(session, _ctx):
    session.info.pop(MEMO, None)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite run
            # Let SQLAlchemy drive transactions (pysqlite's own handling breaks SAVEPOINTs), enforce foreign
            # keys, and use WAL so readers never wait on the writer.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            from app.indicators.rollup import sqlite_functions  # the indicators' Paris days and months

            sqlite_functions(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # A request that writes takes the write lock at once (BEGIN IMMEDIATE, waiting up to the timeout):
            # a deferred transaction that reads, then writes after another writer committed, fails at once
            # with "database is locked" (make bench saw 8 of 10 concurrent encounters fail that way).
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # Sessions in UTC: psycopg then returns timestamps with datetime.UTC itself, which UTCDateTime passes through,
    # instead of a ZoneInfo("Etc/UTC") converted value by value (10 % of a search's CPU at 100,000 persons).
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"options": "-c timezone=UTC"}
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commit when the route succeeded, roll back on any error."""
    engine = get_engine()
    writes = request.method not in ("GET", "HEAD", "OPTIONS") or request.url.path.startswith(WRITING_READS)
    if writes and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_immediate=True)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        touch = session.info.pop(TOUCH, None)
    if touch:
        touch_after_commit(engine, *touch)


def touch_after_commit(engine: Engine, session_id: str, now) -> None:
    """The sign-in session's "last seen", in a transaction of its own once the request's has ended: best effort
    (a page never fails for it; a missed touch is made by the next request), and on SQLite a write transaction
    from its first statement, which waits for the lock instead of failing like a reader turned writer."""
    from app.auth.service import touch_session

    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_immediate=True)
    try:
        with Session(engine) as session:
            touch_session(session, session_id, now)
            session.commit()
    except OperationalError:
        logging.getLogger("parcours").warning("the session's last-seen time could not be written", exc_info=True)


def get_session_factory() -> Callable[[], Session]:
    """New sessions for work that outlives the request (a background export), each with its own transactions:
    `with factory() as session: ...`. A dependency, so that tests give their own."""
    engine = get_engine()
    return lambda: Session(engine, expire_on_commit=False)
