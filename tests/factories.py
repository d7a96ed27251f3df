"""Plain factory functions for tests."""

import re
import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.service import hash_password, start_session
from app.models import Organisation, Team, TeamMembership, User
from app.security import SESSION_COOKIE, csrf_token_for

PASSWORD = "correct horse battery"


def make_org(db: Session, name: str | None = None) -> Organisation:
    org = Organisation(name=name or f"Org {uuid.uuid4().hex[:6]}")
    db.add(org)
    db.commit()
    return org


def make_team(db: Session, org: Organisation, name: str | None = None, kind: str = "patrol", **kw) -> Team:
    team = Team(org_id=org.id, name=name or f"Team {uuid.uuid4().hex[:6]}", kind=kind, **kw)
    db.add(team)
    db.commit()
    return team


def make_user(
    db: Session,
    org: Organisation | None,
    role: str = "worker",
    teams: list[Team] | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    **kw,
) -> User:
    user = User(
        org_id=org.id if org else None,
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
        name=kw.pop("name", f"{role.title()} {uuid.uuid4().hex[:4]}"),
        role=role,
        password_hash=hash_password(password) if password else None,
        **kw,
    )
    db.add(user)
    db.commit()
    for team in teams or []:
        db.add(TeamMembership(user_id=user.id, team_id=team.id, org_id=team.org_id))
    db.commit()
    return user


def sign_in(client: TestClient, db: Session, user: User) -> TestClient:
    """Give `client` a session for `user` (as the sign-in page would) and the CSRF header htmx sends."""
    token = start_session(db, user, "testclient", "pytest")
    db.commit()
    client.cookies.set(SESSION_COOKIE, token)
    client.headers["X-CSRF-Token"] = csrf_token_for(token)
    return client


def csrf_from(html: str) -> str:
    match = re.search(r'data-csrf="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
