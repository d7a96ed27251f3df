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
    from app.demo import DEMO_PASSWORD, has_other_data, load_demo

    with Session(get_engine()) as session:
        if if_empty and has_other_data(session):
            typer.echo("The database already holds other organisations: no demo data loaded.")
            return
        logins = load_demo(session)
        session.commit()
    typer.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for login in logins:
        typer.echo(f"  {login.role:<12} {login.email:<28} {login.org}")
    typer.echo("")


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


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Serve the app with uvicorn (one worker by default: measure before adding more, see DESIGN.md)."""
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_level=get_settings().log_level,
    )


if __name__ == "__main__":
    app()
