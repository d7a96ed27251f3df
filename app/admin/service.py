"""Organisation administration: users (invitations, roles, teams, deactivation, sessions) and teams."""

import uuid

from sqlalchemy.orm import object_session
from sqlmodel import Session, col, delete, func, select, update

from app.access import HEALTH_GRANTS, Actor, get_or_404, scoped
from app.admin.forms import TeamForm, UserForm
from app.audit.service import record
from app.auth.service import create_invitation, revoke_user_sessions
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import Team, TeamMembership, User, UserSession, utcnow


class FieldErrors(Invalid):
    """Validation that needs the database (a taken email, the last admin): errors per form field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def check_version(obj, version: int | None) -> None:
    """Optimistic concurrency: the edit was based on `version`; anything else means someone saved meanwhile.
    The row is re-read under a lock (FOR UPDATE on PostgreSQL; SQLite has a single writer) so that two saves
    arriving together cannot both pass. Call it before changing the object."""
    if version is None:
        return
    session = object_session(obj)
    if session is not None and obj not in session.new:
        session.refresh(obj, with_for_update=True)
    if version != obj.version:
        raise Conflict()


# ---------------------------------------------------------------- teams
def list_teams(session: Session, actor: Actor, *, include_archived: bool = False) -> list[Team]:
    stmt = scoped(Team, actor)
    if not include_archived:
        stmt = stmt.where(col(Team.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(Team.archived_at).is_not(None), Team.name)))


def save_team(session: Session, actor: Actor, form: TeamForm, team: Team | None = None) -> Team:
    actor.require("teams.manage")
    if team is None and form.id is not None:
        existing = session.get(Team, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"name": _("This form was already used. Reload the page.")})
            return existing  # the same form sent twice: one team
    if team is not None:
        check_version(team, form.version)
    duplicate = session.exec(
        scoped(Team, actor).where(func.lower(Team.name) == form.name.lower(), Team.id != (team.id if team else None))
    ).first()
    if duplicate is not None:
        raise FieldErrors({"name": _("Another team already has this name.")})
    values = form.model_dump(exclude={"id", "version"})
    if team is None:
        team = Team(id=form.id or uuid.uuid4(), org_id=actor.org_id, **values)
        session.add(team)
        action = "team.created"
    else:
        before = {k: getattr(team, k) for k in values}
        for k, v in values.items():
            setattr(team, k, v)
        action = "team.updated"
    session.flush()
    changed = None if action == "team.created" else [k for k in values if before[k] != values[k]]
    record(
        session, actor, action, entity_type="team", entity_id=team.id, details={"changed": changed} if changed else None
    )
    return team


def set_team_archived(session: Session, actor: Actor, team: Team, archived: bool) -> None:
    actor.require("teams.manage")
    team.archived_at = utcnow() if archived else None
    record(session, actor, "team.archived" if archived else "team.restored", entity_type="team", entity_id=team.id)


# ---------------------------------------------------------------- users
def list_users(session: Session, actor: Actor) -> list[tuple[User, list[str]]]:
    actor.require("users.manage")
    users = list(session.exec(scoped(User, actor).order_by(col(User.is_active).desc(), User.name)))
    names: dict[uuid.UUID, list[str]] = {u.id: [] for u in users}
    for user_id, team_name in session.exec(
        select(TeamMembership.user_id, Team.name)
        .join(Team, col(Team.id) == col(TeamMembership.team_id))
        .where(TeamMembership.org_id == actor.org_id, col(Team.deleted_at).is_(None))
        .order_by(Team.name)
    ):
        names.setdefault(user_id, []).append(team_name)
    return [(u, names[u.id]) for u in users]


def membership_team_ids(session: Session, user: User) -> list[uuid.UUID]:
    """Every team the user belongs to, archived ones included (the user form shows them all)."""
    return list(session.exec(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)))


def _check_teams(session: Session, actor: Actor, team_ids: list[uuid.UUID]) -> None:
    valid = set(session.exec(select(Team.id).where(Team.org_id == actor.org_id, col(Team.id).in_(team_ids))))
    if len(valid) != len(set(team_ids)):
        raise FieldErrors({"team_ids": _("Choose one of the options.")})


def _set_teams(session: Session, actor: Actor, user: User, team_ids: list[uuid.UUID]) -> None:
    session.exec(delete(TeamMembership).where(col(TeamMembership.user_id) == user.id))  # type: ignore[call-overload]
    for team_id in set(team_ids):
        session.add(TeamMembership(user_id=user.id, team_id=team_id, org_id=actor.org_id))


def _active_admins(session: Session, actor: Actor) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(
            User.org_id == actor.org_id,
            User.role == "admin",
            col(User.is_active).is_(True),
            col(User.deleted_at).is_(None),
        )
    ).one()


def _email_taken(session: Session, email: str, user_id: uuid.UUID | None) -> bool:
    stmt = select(User.id).where(User.email == email)
    if user_id:
        stmt = stmt.where(User.id != user_id)
    return session.exec(stmt).first() is not None


def create_user(session: Session, actor: Actor, form: UserForm) -> tuple[User, str | None]:
    """A new user with an invitation link to hand over. Sending the same form twice returns the first user
    (and no second link: the admin can make a new one from the user's page)."""
    actor.require("users.manage")
    if form.id is not None:
        existing = session.get(User, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"email": _("This form was already used. Reload the page.")})
            return existing, None
    if _email_taken(session, form.email, None):
        raise FieldErrors({"email": _("A user with this email address already exists.")})
    _check_teams(session, actor, form.team_ids)
    user = User(
        id=form.id or uuid.uuid4(),
        org_id=actor.org_id,
        name=form.name,
        email=form.email,
        role=form.role,
        lang=form.lang,
    )
    session.add(user)
    session.flush()
    _set_teams(session, actor, user, form.team_ids)
    token = create_invitation(session, actor, user)
    record(session, actor, "user.created", entity_type="user", entity_id=user.id, details={"role": user.role})
    _set_health_access(session, actor, user, form.health_access)
    return user, token


def _set_health_access(session: Session, actor: Actor, user: User, wanted: bool) -> None:
    """An admin who is also a health professional sees health data. Another admin decides it, never the admin
    themselves; it means nothing for the other roles (the health role always has it). Audited."""
    wanted = wanted and user.role in HEALTH_GRANTS
    if wanted == user.health_access:
        return
    if user.id == actor.user_id:
        raise FieldErrors({"health_access": _("Another admin must change your own health access.")})
    user.health_access = wanted
    action = "user.health_access_granted" if wanted else "user.health_access_revoked"
    record(session, actor, action, entity_type="user", entity_id=user.id)


def update_user(session: Session, actor: Actor, user: User, form: UserForm) -> User:
    actor.require("users.manage")
    check_version(user, form.version)
    if _email_taken(session, form.email, user.id):
        raise FieldErrors({"email": _("A user with this email address already exists.")})
    if user.role == "admin" and form.role != "admin" and user.is_active and _active_admins(session, actor) <= 1:
        raise FieldErrors({"role": _("The organisation must keep at least one active admin.")})
    _check_teams(session, actor, form.team_ids)
    before = {
        "role": user.role,
        "email": user.email,
        "name": user.name,
        "lang": user.lang,
        "teams": sorted(map(str, membership_team_ids(session, user))),
    }
    user.name, user.email, user.role, user.lang = form.name, form.email, form.role, form.lang
    _set_health_access(session, actor, user, form.health_access)
    _set_teams(session, actor, user, form.team_ids)
    session.flush()
    after = {
        "role": user.role,
        "email": user.email,
        "name": user.name,
        "lang": user.lang,
        "teams": sorted(map(str, form.team_ids)),
    }
    changed = [k for k in before if before[k] != after[k]]
    record(
        session,
        actor,
        "user.updated",
        entity_type="user",
        entity_id=user.id,
        details={"changed": changed, "role": user.role},
    )
    return user


def set_user_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    actor.require("users.manage")
    if not active:
        if user.id == actor.user_id:
            raise Invalid(_("You cannot deactivate your own account."))
        if user.role == "admin" and user.is_active and _active_admins(session, actor) <= 1:
            raise Invalid(_("The organisation must keep at least one active admin."))
        revoke_user_sessions(session, user.id)
    user.is_active = active
    record(session, actor, "user.activated" if active else "user.deactivated", entity_type="user", entity_id=user.id)


def revoke_sessions(session: Session, actor: Actor, user: User) -> int:
    actor.require("users.manage")
    count = revoke_user_sessions(session, user.id)
    record(session, actor, "user.sessions_revoked", entity_type="user", entity_id=user.id, details={"count": count})
    return count


def new_invitation(session: Session, actor: Actor, user: User) -> str:
    actor.require("users.manage")
    if not user.is_active:
        raise Invalid(_("Reactivate this account before inviting the user."))
    token = create_invitation(session, actor, user)
    record(session, actor, "user.invitation_created", entity_type="user", entity_id=user.id)
    return token


def active_sessions(session: Session, actor: Actor, user: User) -> list[UserSession]:
    actor.require("users.manage")
    now = utcnow()
    return list(
        session.exec(
            select(UserSession)
            .where(UserSession.user_id == user.id, col(UserSession.revoked_at).is_(None), UserSession.expires_at > now)
            .order_by(col(UserSession.last_seen_at).desc())
        )
    )


def get_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    actor.require("users.manage")
    return get_or_404(session, actor, User, user_id)


def get_team(session: Session, actor: Actor, team_id: uuid.UUID) -> Team:
    actor.require("teams.manage")
    return get_or_404(session, actor, Team, team_id)


def update_profile_lang(session: Session, actor: Actor, lang: str) -> None:
    user = session.get(User, actor.user_id)
    assert user is not None
    user.lang = lang


def end_one_session(session: Session, actor: Actor, user: User, session_id: str) -> None:
    actor.require("users.manage")
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    row.revoked_at = utcnow()
    record(session, actor, "user.session_ended", entity_type="user", entity_id=user.id)


def panic(session: Session, actor: Actor) -> int:
    """End every session of the organisation at once (lost phones, suspected breach), the admin's own too."""
    actor.require("org.settings")
    result = session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(col(UserSession.org_id) == actor.org_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    count = result.rowcount or 0
    record(session, actor, "org.panic", entity_type="organisation", entity_id=actor.org_id, details={"count": count})
    return count
