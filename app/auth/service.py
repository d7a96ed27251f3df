"""Passwords, sign-in with progressive throttling, server-side sessions and invitations."""

import contextlib
import gzip
import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlmodel import Session, col, select, update

from app.access import Actor
from app.audit.service import record
from app.config import get_settings
from app.db import TOUCH
from app.i18n import _, ngettext
from app.models import Invitation, LoginThrottle, Team, TeamMembership, User, UserSession, utcnow

MIN_PASSWORD = 8
MAX_PASSWORD = 128


@lru_cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_cost, parallelism=s.argon2_parallelism
    )


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used, or None. Length and a list of common passwords; no composition rules."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(n)s characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(n)s characters.", n=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 3:
        return _("This password is too common: choose another one, a short sentence works well.")
    if email and lowered in (email.lower(), email.split("@")[0].lower()) or name and lowered == name.lower():
        return _("The password must not be your name or email address.")
    return None


_DUMMY_HASH: str | None = None


def _verify(stored: str | None, password: str) -> bool:
    global _DUMMY_HASH
    if stored is None:
        # Same work as a real check, so that timing does not tell which accounts exist.
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        stored = _DUMMY_HASH
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher().verify(stored, password)
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- throttling
@dataclass(frozen=True)
class ThrottleRule:
    prefix: str
    free: int  # failures allowed before any delay
    cap: int  # longest delay, seconds


def _rules() -> tuple[ThrottleRule, ...]:
    s = get_settings()
    return (
        # One account from one address: the guessing attack itself. Doubles from 1 s up to the cap.
        ThrottleRule("acct_ip", s.throttle_free_attempts, s.throttle_max_delay_seconds),
        # One account from anywhere: slowed, but never for more than a minute, so that nobody can keep a worker
        # out of their account by failing on purpose.
        ThrottleRule("acct", s.throttle_free_attempts * 4, 60),
        # One address trying many accounts.
        ThrottleRule("ip", s.throttle_free_attempts * 6, s.throttle_max_delay_seconds),
    )


def _keys(email: str, ip: str) -> dict[str, str]:
    return {"acct_ip": f"acct_ip:{email}|{ip}", "acct": f"acct:{email}", "ip": f"ip:{ip}"}


def _delay(failures: int, rule: ThrottleRule) -> int:
    over = failures - rule.free
    return 0 if over < 0 else min(2 ** min(over, 20), rule.cap)


def throttle_wait(session: Session, email: str, ip: str) -> int:
    """Seconds to wait before this sign-in may be tried; 0 when it may go ahead."""
    now = utcnow()
    keys = _keys(email, ip)
    rows = {r.key: r for r in session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys.values())))}
    wait = 0.0
    for rule in _rules():
        row = rows.get(keys[rule.prefix])
        if row is None:
            continue
        if now - row.last_failure_at > timedelta(days=1):
            continue
        ready_at = row.last_failure_at + timedelta(seconds=_delay(row.failures, rule))
        wait = max(wait, (ready_at - now).total_seconds())
    return math.ceil(wait)


def _note_failure(session: Session, email: str, ip: str) -> None:
    now = utcnow()
    for key in _keys(email, ip).values():
        row = session.get(LoginThrottle, key)
        if row is None:
            session.add(LoginThrottle(key=key, failures=1, last_failure_at=now))
        else:
            row.failures = 1 if now - row.last_failure_at > timedelta(days=1) else row.failures + 1
            row.last_failure_at = now
    session.flush()


def _clear_failures(session: Session, email: str, ip: str) -> None:
    keys = _keys(email, ip)
    for key in (keys["acct_ip"], keys["acct"]):
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)


def wait_message(seconds: int) -> str:
    if seconds < 60:
        return ngettext(
            "Too many failed sign-ins. Try again in %(num)s second.",
            "Too many failed sign-ins. Try again in %(num)s seconds.",
            seconds,
        )
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed sign-ins. Try again in %(num)s minute.",
        "Too many failed sign-ins. Try again in %(num)s minutes.",
        minutes,
    )


class SignInRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authenticate(session: Session, email: str, password: str, ip: str) -> User:
    """The user for these credentials, or SignInRefused with a message to show. Every outcome is audited."""
    email = email.strip().lower()
    wait = throttle_wait(session, email, ip)
    if wait > 0:
        record(session, None, "auth.throttled", ip=ip, details={"email": email, "wait_s": wait})
        raise SignInRefused(wait_message(wait))
    user = session.exec(select(User).where(User.email == email, col(User.deleted_at).is_(None))).first()
    ok = _verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        _note_failure(session, email, ip)
        record(
            session,
            None,
            "auth.failed",
            org_id=user.org_id if user else None,
            user_id=user.id if user else None,
            entity_type="user",
            entity_id=user.id if user else None,
            ip=ip,
            details={"email": email},
        )
        if user is not None and ok and not user.is_active:
            raise SignInRefused(_("This account has been deactivated. Ask your organisation's admin."))
        raise SignInRefused(_("Wrong email or password."))
    if _hasher().check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    _clear_failures(session, email, ip)
    user.last_login_at = utcnow()
    record(
        session,
        None,
        "auth.signed_in",
        org_id=user.org_id,
        user_id=user.id,
        entity_type="user",
        entity_id=user.id,
        ip=ip,
    )
    return user


# ---------------------------------------------------------------- sessions
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The two statements every signed-in request runs, built once: a statement object keeps its cache key, so a
# request only binds its values (building and keying them again cost about 0.5 ms of CPU per request).
_TEAMS_OF_USER = (
    select(Team.id)
    .join(TeamMembership, col(TeamMembership.team_id) == col(Team.id))
    .where(TeamMembership.user_id == bindparam("user_id"), col(Team.deleted_at).is_(None))
    .where(col(Team.archived_at).is_(None))
    .order_by(Team.name)
)
_SESSION_AND_USER = (
    select(UserSession, User)
    .join(User, col(User.id) == col(UserSession.user_id))
    .where(UserSession.id == bindparam("id"))
)


def user_team_ids(session: Session, user: User) -> list[uuid.UUID]:
    """The live teams (not archived, not deleted) the user may pick for the session."""
    return list(session.exec(_TEAMS_OF_USER, params={"user_id": user.id}).all())  # type: ignore[call-overload]


def start_session(
    session: Session, user: User, ip: str | None, user_agent: str | None, *, mfa_pending: bool = False
) -> str:
    """A new random token for every sign-in; returns the token for the cookie (only its hash is stored)."""
    s = get_settings()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    teams = user_team_ids(session, user)
    session.add(
        UserSession(
            id=_digest(token),
            user_id=user.id,
            org_id=user.org_id,
            team_id=teams[0] if len(teams) == 1 else None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=s.session_absolute_hours),
            ip=ip,
            user_agent=(user_agent or "")[:255],
            mfa_pending=mfa_pending,
        )
    )
    session.flush()
    return token


def touch_session(session: Session, session_id: str, now) -> None:
    """Record that a sign-in session was seen (its idle time starts again)."""
    session.exec(update(UserSession).where(col(UserSession.id) == session_id).values(last_seen_at=now))  # type: ignore[call-overload]


def load_actor(session: Session, token: str | None) -> Actor | None:
    """The Actor behind a session cookie, or None when it is unknown, revoked, idle too long or expired."""
    if not token:
        return None
    s = get_settings()
    # The session and its user in one query: this runs before every request.
    found = session.exec(_SESSION_AND_USER, params={"id": _digest(token)}).first()  # type: ignore[call-overload]
    now = utcnow()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=s.session_idle_minutes):
        return None
    if not user.is_active or user.deleted_at is not None:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        # At most one write a minute per session, made by get_session once the request's own transaction has
        # ended (app/db.py: touch_after_commit): a page that only reads never becomes a writer halfway.
        session.info[TOUCH] = (row.id, now)
    teams = user_team_ids(session, user)
    team_id = row.team_id if row.team_id in teams else None
    return Actor(
        user_id=user.id,
        org_id=user.org_id,
        role=user.role,
        name=user.name,
        lang=user.lang or "",
        team_ids=frozenset(teams),
        team_id=team_id,
        session_id=row.id,
        mfa_pending=row.mfa_pending,
        health_access=user.health_access,
    )


def current_user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    assert user is not None
    return user


def end_session(session: Session, actor: Actor) -> None:
    row = session.get(UserSession, actor.session_id)
    if row is not None:
        row.revoked_at = utcnow()
    record(session, actor, "auth.signed_out", entity_type="user", entity_id=actor.user_id)


def revoke_user_sessions(session: Session, user_id: uuid.UUID) -> int:
    result = session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def pick_team(session: Session, actor: Actor, team_id: uuid.UUID) -> Team:
    from app.errors import NotFound

    if team_id not in actor.team_ids:
        raise NotFound()
    row = session.get(UserSession, actor.session_id)
    if row is not None:
        row.team_id = team_id
    team = session.get(Team, team_id)
    assert team is not None
    return team


# ---------------------------------------------------------------- invitations
def create_invitation(session: Session, actor: Actor, user: User) -> str:
    """A new one-time link for `user` (older unused links stop working). Returns the token for the URL."""
    now = utcnow()
    session.exec(  # type: ignore[call-overload]
        update(Invitation)
        .where(col(Invitation.user_id) == user.id, col(Invitation.used_at).is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(24)
    assert user.org_id is not None
    session.add(
        Invitation(
            org_id=user.org_id,
            user_id=user.id,
            token_hash=_digest(token),
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + timedelta(days=get_settings().invitation_days),
        )
    )
    session.flush()
    return token


def find_invitation(session: Session, token: str) -> tuple[Invitation, User] | None:
    inv = session.exec(select(Invitation).where(Invitation.token_hash == _digest(token))).first()
    if inv is None or inv.used_at is not None or inv.expires_at <= utcnow():
        return None
    user = session.get(User, inv.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        return None
    return inv, user


def accept_invitation(session: Session, inv: Invitation, user: User, password: str, ip: str | None) -> None:
    user.password_hash = hash_password(password)
    inv.used_at = utcnow()
    revoke_user_sessions(session, user.id)
    record(
        session,
        None,
        "auth.invitation_accepted",
        org_id=user.org_id,
        user_id=user.id,
        entity_type="user",
        entity_id=user.id,
        ip=ip,
    )


def change_password(session: Session, actor: Actor, current: str, new: str) -> tuple[str, str] | None:
    """Change the actor's password; returns (form field, error message), or None when done."""
    user = session.get(User, actor.user_id)
    assert user is not None
    if not _verify(user.password_hash, current):
        return "current", _("The current password is wrong.")
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        return "password", problem
    user.password_hash = hash_password(new)
    # Every other device is signed out: a changed password is often a suspected leak.
    session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(
            col(UserSession.user_id) == user.id,
            col(UserSession.id) != actor.session_id,
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    record(session, actor, "auth.password_changed", entity_type="user", entity_id=user.id)
    return None
