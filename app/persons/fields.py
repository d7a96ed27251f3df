"""The organisation's custom person fields and its list of reasons to leave the active list: configuration
(admins) and the parsing, checking and display of the values entered on a person.

Values live in Person.custom keyed by the field's id, so renaming a field, changing its choices or type,
restricting it to some teams or archiving it never drops a value already entered: it is shown as stored."""

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version, list_teams
from app.audit.service import record
from app.db import memo
from app.i18n import _, lazy
from app.models import CustomField, ExitReason, utcnow
from app.persons.forms import CustomFieldForm, ExitReasonForm

KINDS = {
    "text": lazy("Short text"),
    "long_text": lazy("Long text"),
    "number": lazy("Number"),
    "date": lazy("Date"),
    "boolean": lazy("Yes / no"),
    "choice": lazy("One choice"),
    "multi_choice": lazy("Several choices"),
}
DEFAULT_EXIT_REASONS = [
    lazy("Housed durably"),
    lazy("Moved to another city or country"),
    lazy("Followed by another service"),
    lazy("No contact for a long time"),
    lazy("Hospital or long-term care"),
    lazy("Prison"),
    lazy("Deceased"),
    lazy("Other"),
]


# ---------------------------------------------------------------- custom fields: configuration
SCOPES = ("person", "observation", "medical")
# What the custom fields page offers (medical fields are set on the health settings page).
SCOPE_LABELS = {"person": lazy("Persons"), "observation": lazy("Territory observations")}


def list_fields(
    session: Session, actor: Actor, *, include_archived: bool = False, scope: str | None = "person"
) -> list[CustomField]:
    """The organisation's fields of one scope: "person" (on the person record), "observation" (on territory
    observations) or "medical" (in the medical file, for health roles only: app/health/service.py). None: the
    person and observation fields together, for their admin page. Read once per request (a person's page shows
    them on the card and names them in the history)."""

    def read() -> list[CustomField]:
        stmt = scoped(CustomField, actor)
        where = CustomField.scope == scope if scope else col(CustomField.scope).in_(SCOPE_LABELS)
        stmt = stmt.where(where)
        if not include_archived:
            stmt = stmt.where(col(CustomField.archived_at).is_(None))
        return list(session.exec(stmt.order_by(col(CustomField.archived_at).is_not(None), CustomField.position)))

    return list(memo(session, ("custom_fields", actor.org_id, scope, include_archived), read))


def get_field(session: Session, actor: Actor, field_id: uuid.UUID) -> CustomField:
    actor.require("org.settings")
    return get_or_404(session, actor, CustomField, field_id)


def save_field(session: Session, actor: Actor, form: CustomFieldForm, field: CustomField | None = None) -> CustomField:
    actor.require("org.settings")
    if field is None and form.id is not None:
        existing = session.get(CustomField, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"label": _("This form was already used. Reload the page.")})
            return existing
    if field is not None:
        check_version(field, form.version)
    own_teams = {t.id for t in list_teams(session, actor, include_archived=True)}
    if not set(form.team_ids) <= own_teams:
        raise FieldErrors({"team_ids": _("Choose one of the options.")})
    values = {
        "label": form.label,
        "kind": form.kind,
        "options": form.option_list if form.kind in ("choice", "multi_choice") else [],
        "required": form.required,
        "team_ids": sorted(str(t) for t in form.team_ids),
        "in_indicators": form.in_indicators,
        "position": form.position,
    }
    scope = field.scope if field is not None else form.scope
    if scope == "medical":
        values["in_indicators"] = False  # health data never feeds indicators through a custom field
    if field is None:
        field = CustomField(id=form.id or uuid.uuid4(), org_id=actor.org_id, scope=scope, **values)  # type: ignore[arg-type]
        session.add(field)
        action = "custom_field.created"
    else:
        for k, v in values.items():
            setattr(field, k, v)
        action = "custom_field.updated"
    session.flush()
    record(session, actor, action, entity_type="custom_field", entity_id=field.id)
    return field


def set_field_archived(session: Session, actor: Actor, field: CustomField, archived: bool) -> None:
    actor.require("org.settings")
    field.archived_at = utcnow() if archived else None
    action = "custom_field.archived" if archived else "custom_field.restored"
    record(session, actor, action, entity_type="custom_field", entity_id=field.id)


def enabled_for(field: CustomField, actor: Actor) -> bool:
    """A field restricted to some teams shows on the forms of those teams only (any of the user's teams when
    no team is picked today)."""
    if field.archived_at is not None:
        return False
    if not field.team_ids:
        return True
    if actor.team_id is not None:
        return str(actor.team_id) in field.team_ids
    return any(str(t) in field.team_ids for t in actor.team_ids)


def form_fields(session: Session, actor: Actor, scope: str = "person") -> list[CustomField]:
    return [f for f in list_fields(session, actor, scope=scope) if enabled_for(f, actor)]


# ---------------------------------------------------------------- custom fields: values
def parse_value(field: CustomField, raw: list[str]) -> Any:
    """The typed value of `field` from what the form sent, or None when empty. ValueError with a translated
    message when it does not fit the field."""
    raw = [r.strip() for r in raw if r and r.strip()]
    if not raw:
        if field.required:
            raise ValueError(_("This field is required."))
        return None
    first = raw[0]
    kind = field.kind
    if kind in ("text", "long_text"):
        limit = 500 if kind == "text" else 5000
        if len(first) > limit:
            raise ValueError(_("At most %(n)s characters.", n=limit))
        return first
    if kind == "number":
        try:
            number = float(first.replace(",", ".").replace(" ", ""))
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        if number != number or abs(number) > 1e12:  # NaN or absurd
            raise ValueError(_("Enter a number."))
        return int(number) if number.is_integer() else number
    if kind == "date":
        try:
            day = date.fromisoformat(first)
        except ValueError:
            raise ValueError(_("Enter a valid date.")) from None
        if day.year < 1900 or day.year > 2200:
            raise ValueError(_("Enter a valid date."))
        return day.isoformat()
    if kind == "boolean":
        if first in ("true", "on", "yes"):
            return True
        if first in ("false", "no"):
            return False
        raise ValueError(_("Choose one of the options."))
    if kind == "choice":
        if first not in field.options:
            raise ValueError(_("Choose one of the options."))
        return first
    if kind == "multi_choice":
        if any(r not in field.options for r in raw):
            raise ValueError(_("Choose one of the options."))
        return [o for o in field.options if o in raw]
    raise ValueError(_("This value is not valid."))


def parse_custom(fields: list[CustomField], form: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values of the fields shown on the form (keyed by field id) and errors keyed by input name (cf_<id>)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        name = f"cf_{field.id}"
        try:
            values[str(field.id)] = parse_value(field, form.get(name, []))
        except ValueError as exc:
            errors[name] = str(exc)
    return values, errors


def display_value(field: CustomField | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field is not None and field.kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def form_value(value: Any) -> Any:
    """A stored value as the form shows it (booleans as 'true'/'false', lists as lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# ---------------------------------------------------------------- exit reasons
def exit_reasons(session: Session, actor: Actor, *, include_archived: bool = False) -> list[ExitReason]:
    """The organisation's reasons; the default list is created the first time any is asked for."""
    stmt = scoped(ExitReason, actor, include_deleted=True)
    if session.exec(select(func.count()).select_from(stmt.subquery())).one() == 0:
        for i, label in enumerate(DEFAULT_EXIT_REASONS):
            session.add(ExitReason(org_id=actor.org_id, label=_(label), position=(i + 1) * 10))  # type: ignore[arg-type]
        session.flush()
    stmt = scoped(ExitReason, actor)
    if not include_archived:
        stmt = stmt.where(col(ExitReason.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(ExitReason.archived_at).is_not(None), ExitReason.position)))


def get_exit_reason(session: Session, actor: Actor, reason_id: uuid.UUID) -> ExitReason:
    actor.require("org.settings")
    return get_or_404(session, actor, ExitReason, reason_id)


def save_exit_reason(
    session: Session, actor: Actor, form: ExitReasonForm, reason: ExitReason | None = None
) -> ExitReason:
    actor.require("org.settings")
    if reason is None and form.id is not None:
        existing = session.get(ExitReason, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"label": _("This form was already used. Reload the page.")})
            return existing
    if reason is not None:
        check_version(reason, form.version)
    if reason is None:
        reason = ExitReason(id=form.id or uuid.uuid4(), org_id=actor.org_id, label=form.label, position=form.position)  # type: ignore[arg-type]
        session.add(reason)
    else:
        reason.label, reason.position = form.label, form.position
    session.flush()
    record(session, actor, "exit_reason.saved", entity_type="exit_reason", entity_id=reason.id)
    return reason


def set_exit_reason_archived(session: Session, actor: Actor, reason: ExitReason, archived: bool) -> None:
    actor.require("org.settings")
    reason.archived_at = utcnow() if archived else None
    record(session, actor, "exit_reason.archived" if archived else "exit_reason.restored", entity_id=reason.id)
