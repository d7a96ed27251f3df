"""Demo data: two organisations, each with a team of every kind and one user of every role."""

from dataclasses import dataclass

from sqlmodel import Session, select

from app.access import MFA_REQUIRED_ROLES
from app.auth.service import hash_password
from app.crypto import encrypt_system
from app.field.demo import load_demo_field
from app.health.demo import load_demo_health
from app.models import Organisation, Team, TeamMembership, User, utcnow
from app.persons.demo import load_demo_persons
from app.referrals.demo import load_demo_pathway

DEMO_PASSWORD = "parcours-demo-2026"  # noqa: S105 (printed for newcomers on purpose)
# Demo accounts whose role requires two-factor sign-in are enrolled with this key: add it to an authenticator
# app (or run `python3 -c "import pyotp; print(pyotp.TOTP('<key>').now())"`) to get their codes.
DEMO_TOTP_SECRET = "PARCOURSDEMOKEYFORTOTP23"  # noqa: S105 (printed for newcomers on purpose)

ORGS = [
    ("Association Boréal", "boreal"),
    ("Association Horizon", "horizon"),
]
TEAMS = [
    # name, kind, capacity, noon_to_noon
    ("Maraude Stalingrad", "patrol", None, False),
    ("Maraude métro ligne 12", "metro_patrol", None, True),
    ("Espace de repos Rosa", "rest_area", 26, True),
    ("Accueil CAARUD", "reception", None, False),
    ("Hébergement ASSORE", "accommodation", 400, False),
    ("Coordination", "coordination", None, False),
]
# role -> teams (by index in TEAMS) the demo user works with
ROLE_TEAMS = {
    "admin": [0, 1, 2, 3, 4, 5],
    "coordinator": [5, 0, 2],
    "worker": [0, 1],
    "health": [0, 2],
    "reception": [2],
}
ROLE_NAMES = {
    "admin": "Admin",
    "coordinator": "Coordination",
    "worker": "Travailleur·se social·e",
    "health": "Infirmier·e",
    "reception": "Accueil",
}


STEERING_EMAIL = "steering@plan.demo"


@dataclass
class DemoLogin:
    org: str
    email: str
    role: str


def load_demo(session: Session) -> list[DemoLogin]:
    """Create what is missing (idempotent: running it twice adds nothing) and return the demo logins."""
    logins: list[DemoLogin] = []
    password_hash: str | None = None
    loaded = []
    for org_name, slug in ORGS:
        org = session.exec(select(Organisation).where(Organisation.name == org_name)).first()
        if org is None:
            org = Organisation(name=org_name)
            session.add(org)
            session.flush()
        teams = []
        for name, kind, capacity, noon in TEAMS:
            team = session.exec(select(Team).where(Team.org_id == org.id, Team.name == name)).first()
            if team is None:
                team = Team(org_id=org.id, name=name, kind=kind, capacity=capacity, noon_to_noon=noon)
                session.add(team)
                session.flush()
            teams.append(team)
        for role, team_idx in ROLE_TEAMS.items():
            email = f"{role}@{slug}.demo"
            user = session.exec(select(User).where(User.email == email)).first()
            if user is None:
                password_hash = password_hash or hash_password(DEMO_PASSWORD)
                user = User(
                    org_id=org.id,
                    email=email,
                    name=f"{ROLE_NAMES[role]} {org_name.split()[-1]}",
                    role=role,
                    password_hash=password_hash,
                )
                if role in MFA_REQUIRED_ROLES:
                    user.totp_secret = encrypt_system(DEMO_TOTP_SECRET, f"users.totp_secret:{user.id}")
                    user.totp_enabled_at = utcnow()
                session.add(user)
                session.flush()
                for i in team_idx:
                    session.add(TeamMembership(user_id=user.id, team_id=teams[i].id, org_id=org.id))
            logins.append(DemoLogin(org_name, email, role))
        session.flush()
        load_demo_persons(session, org.id, teams)
        load_demo_health(session, org.id)
        load_demo_field(session, org.id, teams)
        loaded.append((org_name, org.id, teams))
    load_demo_pathway(session, loaded)
    # Boréal shares its indicators with the plan's steering account (which belongs to no organisation).
    loaded_boreal = session.exec(select(Organisation).where(Organisation.name == ORGS[0][0])).one()
    loaded_boreal.share_with_steering = True
    if session.exec(select(User).where(User.email == STEERING_EMAIL)).first() is None:
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        session.add(
            User(org_id=None, email=STEERING_EMAIL, name="Pilotage", role="steering", password_hash=password_hash)
        )
    logins.append(DemoLogin("", STEERING_EMAIL, "steering"))
    session.flush()
    return logins


def has_other_data(session: Session) -> bool:
    """True when the database holds organisations that are not the demo ones (a real installation)."""
    demo_names = [name for name, _slug in ORGS]
    return session.exec(select(Organisation.id).where(Organisation.name.not_in(demo_names))).first() is not None
