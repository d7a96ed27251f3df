from sqlmodel import func, select
from typer.testing import CliRunner

from app.auth.service import _verify
from app.cli import app as cli
from app.demo import DEMO_PASSWORD, load_demo
from app.models import Organisation, Team, User


def test_demo_is_idempotent_and_covers_every_team_kind_and_role(db):
    first = load_demo(db)
    counts = [db.exec(select(func.count()).select_from(m)).one() for m in (Organisation, Team, User)]
    second = load_demo(db)
    assert [db.exec(select(func.count()).select_from(m)).one() for m in (Organisation, Team, User)] == counts
    assert first == second
    org = db.exec(select(Organisation).where(Organisation.name == "Association Boréal")).one()
    kinds = set(db.exec(select(Team.kind).where(Team.org_id == org.id)))
    assert kinds == {"patrol", "metro_patrol", "rest_area", "reception", "accommodation", "coordination"}
    roles = set(db.exec(select(User.role).where(User.org_id == org.id)))
    assert roles == {"admin", "coordinator", "worker", "health", "reception"}
    admin = db.exec(select(User).where(User.email == "admin@boreal.demo")).one()
    assert _verify(admin.password_hash, DEMO_PASSWORD)


def test_create_admin_refuses_a_common_password():
    result = CliRunner().invoke(
        cli,
        ["create-admin", "--email", "x@example.org", "--name", "X", "--organisation", "O", "--password", "password"],
    )
    assert result.exit_code == 1
