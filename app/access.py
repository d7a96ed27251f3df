"""The ONE place for access control: who the caller is (Actor), what each role may do (PERMISSIONS), and the
scoped queries that keep every organisation's rows invisible to the others (a foreign row is a 404)."""

import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import Forbidden, NotFound

# Role -> allowed actions. Literal on purpose: reviewing a permission means reading this table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "org.settings",
            "users.manage",
            "teams.manage",
            "audit.read",
            "team.home",
            "persons.read",
            "persons.write",
            "persons.history",
            "persons.merge",
            "persons.delete",
            "notes.read",
            "notes.write",
            "field.read",
            "field.write",
            "checkins.write",
            "reports.write",
            "territories.manage",
            "caseload.read",
            "indicators.read",
            "exports",
        }
    ),
    "coordinator": frozenset(
        {
            "team.home",
            "persons.read",
            "persons.write",
            "persons.history",
            "persons.merge",
            "notes.read",
            "notes.write",
            "field.read",
            "field.write",
            "checkins.write",
            "reports.write",
            "territories.manage",
            "caseload.read",
            "indicators.read",
            "exports",
        }
    ),
    "worker": frozenset(
        {
            "team.home",
            "persons.read",
            "persons.write",
            "persons.history",
            "persons.merge",
            "notes.read",
            "notes.write",
            "field.read",
            "field.write",
            "checkins.write",
            "reports.write",
        }
    ),
    "health": frozenset(
        {
            "team.home",
            "persons.read",
            "persons.write",
            "persons.history",
            "persons.merge",
            "notes.read",
            "notes.write",
            "field.read",
            "field.write",
            "checkins.write",
            "reports.write",
            "health.read",
            "health.write",
        }
    ),
    # Check-ins and quick encounters only (persons, time, place, materials, services: never a note), and aliases,
    # codes, alerts and presence; never notes, history, reports or health data.
    "reception": frozenset({"team.home", "persons.basic", "checkins.write", "encounters.quick"}),
    # The plan's partners: consolidated, anonymous indicators; no organisation, never a record.
    "steering": frozenset({"indicators.consolidated"}),
}
ROLES = tuple(PERMISSIONS)
# Roles that must sign in with a second factor (TOTP); every other role may choose to.
MFA_REQUIRED_ROLES = frozenset({"admin", "coordinator", "health"})
ORG_ROLES = tuple(r for r in ROLES if r != "steering")


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    org_id: uuid.UUID | None
    role: str
    name: str = ""
    lang: str = "fr"
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    team_id: uuid.UUID | None = None  # the team picked for today's work
    session_id: str | None = None
    mfa_pending: bool = False  # password accepted, second factor not yet

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden()


def can(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


M = TypeVar("M", bound=SQLModel)


def scoped(model: type[M], actor: Actor, *, include_deleted: bool = False) -> SelectOfScalar[M]:
    """select(model) restricted to the actor's organisation (and to live rows unless asked)."""
    if actor.org_id is None:
        raise NotFound()
    stmt = select(model).where(model.org_id == actor.org_id)  # type: ignore[attr-defined]
    if not include_deleted and hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
    return stmt


def get_or_404(session: Session, actor: Actor, model: type[M], obj_id: object, *, include_deleted=False) -> M:
    """The row with this id in the actor's organisation, or NotFound: another organisation's row does not exist."""
    try:
        key = obj_id if isinstance(obj_id, uuid.UUID) else uuid.UUID(str(obj_id))
    except ValueError:
        raise NotFound() from None
    obj = session.exec(scoped(model, actor, include_deleted=include_deleted).where(model.id == key)).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound()
    return obj
