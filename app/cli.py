"""The `parcours` command line."""

import getpass
from pathlib import Path

import typer
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from app.config import ROOT, get_settings

app = typer.Typer(help="Parcours: field case-tracking for harm-reduction outreach.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="Encryption keys: rotation and re-encryption.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
retention_app = typer.Typer(help="The retention period: the daily purge.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
indicators_app = typer.Typer(help="The figures the indicators keep (app/indicators/rollup.py).", no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")
copies_app = typer.Typer(help="The copies link tables keep of their records (app/copies.py).", no_args_is_help=True)
app.add_typer(copies_app, name="copies")


def _load_domains() -> None:
    """Import every domain, so that their encrypted columns and person tables are registered."""
    import app.main  # noqa: F401


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url or get_settings().database_url
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations (to the latest by default)."""
    url = get_settings().database_url
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)
    typer.echo("Database is up to date.")


@app.command()
def demo(if_empty: bool = typer.Option(False, "--if-empty", help="Not into a database that holds real organisations.")):
    """Load the demo organisations, teams and users (idempotent) and print the logins."""
    from app.db import get_engine
    from app.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, has_other_data, load_demo

    with Session(get_engine()) as session:
        if if_empty and has_other_data(session):
            typer.echo("The database already holds other organisations: no demo data loaded.")
            return
        logins = load_demo(session)
        session.commit()
    typer.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for login in logins:
        typer.echo(f"  {login.role:<12} {login.email:<28} {login.org}")
    typer.echo(
        f"\nadmin, coordinator and health sign in with a second factor: add the key {DEMO_TOTP_SECRET} to an\n"
        "authenticator app, or print the current code with\n"
        f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"\n"
    )


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., prompt=True),
    name: str = typer.Option(..., prompt=True),
    organisation: str = typer.Option(..., "--organisation", prompt=True, help="Created if it does not exist."),
    password: str = typer.Option("", help="Asked for when not given."),
) -> None:
    """Create an organisation admin (and the organisation when it is new)."""
    from app.auth.service import hash_password, password_problem
    from app.db import get_engine
    from app.models import Organisation, User

    email = email.strip().lower()
    if not password:
        password = getpass.getpass("Password: ")
    problem = password_problem(password, email=email, name=name)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    with Session(get_engine()) as session:
        if session.exec(select(User).where(User.email == email)).first():
            typer.echo(f"A user with the email {email} already exists.", err=True)
            raise typer.Exit(1)
        org = session.exec(select(Organisation).where(Organisation.name == organisation)).first()
        if org is None:
            org = Organisation(name=organisation)
            session.add(org)
            session.flush()
        session.add(User(org_id=org.id, email=email, name=name, role="admin", password_hash=hash_password(password)))
        session.commit()
    typer.echo(f"Admin {email} created in {organisation}.")


@app.command("create-steering")
def create_steering(
    email: str = typer.Option(..., prompt=True),
    name: str = typer.Option(..., prompt=True),
    password: str = typer.Option("", help="Asked for when not given."),
) -> None:
    """Create a steering account: no organisation, reads only the indicators organisations share."""
    from app.auth.service import hash_password, password_problem
    from app.db import get_engine
    from app.models import User

    email = email.strip().lower()
    if not password:
        password = getpass.getpass("Password: ")
    problem = password_problem(password, email=email, name=name)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    with Session(get_engine()) as session:
        if session.exec(select(User).where(User.email == email)).first():
            typer.echo(f"A user with the email {email} already exists.", err=True)
            raise typer.Exit(1)
        session.add(User(org_id=None, email=email, name=name, role="steering", password_hash=hash_password(password)))
        session.commit()
    typer.echo(f"Steering account {email} created.")


@keys_app.command("rotate-org")
def keys_rotate_org() -> None:
    """Give every organisation a new data key; older keys stay readable until `keys reencrypt`."""
    from app.crypto import new_org_key
    from app.db import get_engine
    from app.models import Organisation

    with Session(get_engine()) as session:
        orgs = session.exec(select(Organisation)).all()
        for org in orgs:
            new_org_key(session, org.id)
        session.commit()
    typer.echo(f"{len(orgs)} organisation key(s) rotated. Run `parcours keys reencrypt` to move existing data.")


@keys_app.command("rotate-master")
def keys_rotate_master(
    old_key_file: Path = typer.Option(..., help="File holding the master key in use until now."),
) -> None:
    """Re-wrap every organisation key under the master key now configured (MASTER_KEY / MASTER_KEY_FILE)."""
    from app.auth.mfa import rewrap_totp_secrets
    from app.crypto import master_key, parse_master_key, rewrap_org_keys
    from app.db import get_engine

    old, new = parse_master_key(old_key_file.read_text()), master_key()
    with Session(get_engine()) as session:
        count = rewrap_org_keys(session, old, new)
        rewrap_totp_secrets(session, old, new)
        session.commit()
    typer.echo(f"{count} organisation key(s) re-wrapped under master key {new.id}.")


@keys_app.command("reencrypt")
def keys_reencrypt(batch: int = 500) -> None:
    """Re-encrypt every stored value and document under its organisation's active key, with progress."""
    from app.crypto import reencrypt_all
    from app.db import get_engine
    from app.persons.documents import reencrypt_files

    _load_domains()
    with Session(get_engine()) as session:
        progress = lambda table, n: typer.echo(f"  {table}: {n} re-encrypted")  # noqa: E731
        moved = reencrypt_all(session, batch, progress=progress)
        files = reencrypt_files(session, progress=progress)
        session.commit()
    typer.echo(f"Done: {moved} value(s) and {files} document(s) re-encrypted.")


@retention_app.command("purge")
def retention_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be erased."),
) -> None:
    """Erase the persons past their organisation's retention period, the persons deleted more than 30 days ago
    and the documents removed as long ago (with their files); delete the sync receipts older than
    SYNC_RECEIPT_DAYS (30) and compact the sync change log (one row per record). Run it daily (cron, see the README)."""
    from app.db import get_engine
    from app.privacy.service import GRACE_DAYS, purge

    _load_domains()
    with Session(get_engine()) as session:
        report = purge(session, dry_run=dry_run)
        if not dry_run:
            session.commit()
    verb = "would erase" if dry_run else "erased"
    for org in report:
        typer.echo(
            f"{org.org}: {verb} {len(org.expired)} person(s) without contact for {org.retention_months} months, "
            f"{len(org.deleted)} person(s) deleted more than {GRACE_DAYS} days ago, "
            f"{len(org.removed_documents)} removed document(s), {org.receipts} sync receipt(s) older than "
            f"{get_settings().sync_receipt_days} days, {org.changes} superseded sync change(s)"
            + ("" if dry_run else f" ({org.erased.rows} row(s), {org.erased.files} file(s))")
        )
    if dry_run:
        typer.echo("Dry run: nothing was erased.")


def _each_organisation(do, done: str) -> None:
    """`do(session, org_id)` for every organisation, each in its own transaction, saying how long it took (and
    what `do` said, when it returns a string)."""
    import time

    from app.db import get_engine
    from app.models import Organisation

    _load_domains()
    with Session(get_engine()) as session:
        for org in session.exec(select(Organisation)).all():
            started = time.perf_counter()
            said = do(session, org.id)
            session.commit()
            detail = f" ({said})" if isinstance(said, str) else ""
            typer.echo(f"{org.name}: {done}{detail} in {time.perf_counter() - started:.1f} s")


@indicators_app.command("refresh")
def indicators_refresh() -> None:
    """Bring every organisation's kept indicator figures up to date with what was written since (what each reading
    of the indicators does first). Run it every few minutes (cron, see the README) so that a reading finds
    little left to do after a busy day of records."""
    from app.indicators import rollup

    _each_organisation(rollup.brought_up_to_date, "up to date")


@indicators_app.command("rebuild")
def indicators_rebuild() -> None:
    """Recompute every organisation's kept figures from the records: once after upgrading to them (otherwise the
    first reading of an organisation's indicators builds them), after restoring a backup, or to check them (the
    figures shown do not change). Safe while the app runs."""
    from sqlalchemy import text

    from app.db import get_engine
    from app.indicators import rollup

    _each_organisation(rollup.rebuild, "rebuilt")
    with get_engine().begin() as conn:
        if conn.dialect.name == "postgresql":  # fresh statistics for the planner after a bulk write
            conn.execute(text("ANALYZE indicator_days, indicator_presence, indicator_person_activity"))


def _links(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n) or "all in step"


@copies_app.command("check")
def copies_check() -> None:
    """Count, per organisation, the links whose copy of their record has drifted (a caseload or an indicator would
    miscount them). Exits with 1 when any has: run it daily (cron, see the README) and mend with `copies repair`."""
    from app import copies

    drifted = 0

    def check(session: Session, org_id) -> str:
        nonlocal drifted
        counts = copies.drifts(session, org_id)
        drifted += sum(counts.values())
        return _links(counts)

    _each_organisation(check, "checked")
    if drifted:
        typer.echo(f"{drifted} link(s) out of step with their record: run `parcours copies repair`.")
        raise typer.Exit(1)


@copies_app.command("repair")
def copies_repair() -> None:
    """Rewrite every drifted copy from its record (the kept indicator figures follow at their next reading). Safe
    while the app runs."""
    from app import copies

    def repair(session: Session, org_id) -> str:
        counts = copies.repair(session, org_id)
        return f"repaired {_links(counts)}" if any(counts.values()) else _links(counts)

    _each_organisation(repair, "done")


@app.command("bench-data")
def bench_data(
    persons: int = typer.Option(1000, "--persons", help="Persons in all (100000 gives about 2M encounters)."),
    orgs: int = typer.Option(1, "--orgs"),
    years: int = typer.Option(2, "--years"),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """Write a realistic, deterministic benchmark data set (bulk inserts; reused when already there)."""
    import time

    from app.bench_data import BENCH_PASSWORD, bench_email, counts, generate
    from app.db import get_engine

    _load_domains()
    url = get_settings().database_url
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "head")
    started = time.perf_counter()
    progress = lambda msg: typer.echo(f"[{time.perf_counter() - started:6.0f} s] {msg}")  # noqa: E731
    with Session(get_engine()) as session:
        summary = generate(session, persons, orgs, years, seed, progress=progress)
        rows = counts(session, summary.orgs)
    typer.echo(", ".join(f"{v} {k}" for k, v in rows.items()))
    if summary.seconds:
        typer.echo(f"Written in {summary.seconds:.0f} s ({summary.encrypt_ms:.2f} ms per encrypted note).")
    typer.echo(f"Sign in as {bench_email(0, 'worker', persons, seed)} / {BENCH_PASSWORD}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, "--workers", help="Processes (see README, Performance: measured, not guessed)."),
    reload: bool = False,
) -> None:
    """Serve the app with uvicorn: one worker by default (see the README's Performance section before adding)."""
    import uvicorn

    options = dict(
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_level=get_settings().log_level,
    )
    if workers <= 1 or reload:
        uvicorn.run("app.main:app", **options)
        return
    # Several workers share one listening socket, bound here rather than by uvicorn: uvicorn binds it without
    # IPPROTO_TCP, so the accepted connections never get TCP_NODELAY and every kept-alive request waits for the
    # client's delayed ACK, about 40 ms on Linux (uvicorn issue #3149, DESIGN.md). Binding it with the protocol
    # set restores TCP_NODELAY (measured: one connection, /healthz p50 52 -> 14 ms, as with one worker).
    import socket

    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("app.main:app", **options)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    typer.echo(f"Serving http://{host}:{port} with {workers} workers")
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    app()
