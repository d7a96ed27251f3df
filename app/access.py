"""The ONE place for access control: who the caller is (Actor), what each role may do (PERMISSIONS), and the
scoped queries that keep every organisation's rows invisible to the others (a foreign row is a 404)."""

import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from sqlalchemy import bindparam
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import Forbidden, Invalid, NotFound
from app.i18n import _

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
            "persons.export",
            "org.export",
            "persons.erase",
            "persons.access_log",
            "needs.read",
            "needs.write",
            "structures.read",
            "referrals.read",
            "referrals.write",
            "stays.read",
            "stays.write",
            "structures.manage",
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
            "needs.read",
            "needs.write",
            "structures.read",
            "referrals.read",
            "referrals.write",
            "stays.read",
            "stays.write",
            "structures.manage",
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
            "needs.read",
            "needs.write",
            "structures.read",
            "referrals.read",
            "referrals.write",
            "stays.read",
            "stays.write",
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
            "persons.access_log",
            "needs.read",
            "needs.write",
            "structures.read",
            "referrals.read",
            "referrals.write",
            "stays.read",
            "stays.write",
        }
    ),
    # Check-ins and quick encounters only (persons, time, place, materials, services: never a note), and aliases,
    # codes, alerts and presence; never notes, history, reports or health data. The directory of structures too
    # (addresses and phone numbers to give), without who is referred or housed.
    "reception": frozenset({"team.home", "persons.basic", "checkins.write", "encounters.quick", "structures.read"}),
    # The plan's partners: consolidated, anonymous indicators; no organisation, never a record.
    "steering": frozenset({"indicators.consolidated"}),
}
# Extra actions a user of this role receives only when their `health_access` flag is set (by another admin):
# an admin sees health data only if also a health professional.
HEALTH_GRANTS: dict[str, frozenset[str]] = {"admin": frozenset({"health.read", "health.write"})}
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
    health_access: bool = False  # User.health_access: see HEALTH_GRANTS

    def can(self, action: str) -> bool:
        if action in PERMISSIONS.get(self.role, frozenset()):
            return True
        return self.health_access and action in HEALTH_GRANTS.get(self.role, frozenset())

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden()


def can(role: str, action: str) -> bool:
    """What the role itself allows (without any per-user grant)."""
    return action in PERMISSIONS.get(role, frozenset())


M = TypeVar("M", bound=SQLModel)


def _in_org(model: type[M], org_id: object, include_deleted: bool) -> SelectOfScalar[M]:
    """The one rule of isolation: select(model) in one organisation, live rows only unless asked."""
    stmt = select(model).where(model.org_id == org_id)  # type: ignore[attr-defined]
    if not include_deleted and hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
    return stmt


def scoped(model: type[M], actor: Actor, *, include_deleted: bool = False) -> SelectOfScalar[M]:
    """select(model) restricted to the actor's organisation (and to live rows unless asked)."""
    if actor.org_id is None:
        raise NotFound()
    return _in_org(model, actor.org_id, include_deleted)


@cache
def _by_id(model: type[M], include_deleted: bool) -> SelectOfScalar[M]:
    """scoped(model).where(id) built once per model: a statement object keeps its cache key, so each lookup only
    binds the organisation and the id (most pages make one to three)."""
    return _in_org(model, bindparam("org_id"), include_deleted).where(model.id == bindparam("id"))  # type: ignore[attr-defined]


def get_or_404(session: Session, actor: Actor, model: type[M], obj_id: object, *, include_deleted=False) -> M:
    """The row with this id in the actor's organisation, or NotFound: another organisation's row does not exist."""
    try:
        key = obj_id if isinstance(obj_id, uuid.UUID) else uuid.UUID(str(obj_id))
    except ValueError:
        raise NotFound() from None
    if actor.org_id is None:
        raise NotFound()
    params = {"org_id": actor.org_id, "id": key}
    obj = session.exec(_by_id(model, include_deleted), params=params).first()  # type: ignore[call-overload]
    if obj is None:
        raise NotFound()
    return obj


# ---------------------------------------------------------------- the one crossing between organisations
# Organisations never see each other's rows, with one deliberate exception: a referral to a structure linked to a
# team of another organisation. Then the receiving organisation gets an IncomingReferral row of its own holding
# only a snapshot of what the person consented to share (taken at sending), and the status steps it records are
# copied back onto the sender's Referral. Nothing else crosses: the sender never reads the receiver's person
# record, the receiver never reads the sender's. The only code that reads or writes a row of another organisation
# is app/referrals/crossing.py, and it calls this rule before anything leaves the organisation.
def require_consent_to_share(actor: Actor, target_org_id: uuid.UUID | None, consent_given: bool) -> None:
    """No consent, no sharing outside the organisation: raise Invalid when data would leave without it."""
    if target_org_id is not None and target_org_id != actor.org_id and not consent_given:
        raise Invalid(
            _(
                "This structure is a team of another organisation: nothing can be sent to it without the "
                "person's consent. Record the consent, or choose what to do with the person first."
            )
        )
