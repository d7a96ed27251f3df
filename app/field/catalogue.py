"""The organisation's catalogues: harm-reduction materials, and the services of encounters and of check-ins.

Each list gets its defaults the first time it is asked for (in the language of whoever asks). Entries are
archived, never deleted: an archived entry stays readable on old records and is refused on new ones. Quantities
typed on forms (m_<id>, found_<id>, collected_<id>) are checked here."""

import uuid
from collections.abc import Callable, Mapping

from sqlalchemy import union_all
from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.db import memo
from app.field.forms import MaterialForm, ServiceForm
from app.i18n import _, lazy
from app.models import FieldService, Material, utcnow

MAX_QUANTITY = 500  # per material and record: more is a typing slip, not a day's work
DEFAULT_MATERIALS = [
    lazy("Crack kit"),
    lazy("Pipe tips"),
    lazy("Filters"),
    lazy("Syringes"),
    lazy("Alcohol pads"),
    lazy("Condoms"),
    lazy("Naloxone"),
]
DEFAULT_SERVICES = {
    "encounter": [
        lazy("Care"),
        lazy("Listening"),
        lazy("Information"),
        lazy("Orientation"),
        lazy("Food"),
        lazy("Hygiene kit"),
    ],
    "checkin": [
        lazy("Rest / bed"),
        lazy("Shower"),
        lazy("Laundry"),
        lazy("Meal"),
        lazy("Care"),
        lazy("Activity"),
    ],
}
SCOPES = {"encounter": lazy("Encounters"), "checkin": lazy("Check-ins")}


# ---------------------------------------------------------------- materials
def materials(session: Session, actor: Actor, *, include_archived: bool = False) -> list[Material]:
    """The catalogue, in order; the default list is created the first time any is asked for."""
    # One query (every encounter form and POST asks): all of them, deleted ones included to tell "never set up"
    # (the defaults are created) from "all deleted"; filtered here.
    order = (col(Material.archived_at).is_not(None), Material.position, Material.label)
    rows = list(session.exec(scoped(Material, actor, include_deleted=True).order_by(*order)))
    if not rows:
        for i, label in enumerate(DEFAULT_MATERIALS):
            session.add(Material(org_id=actor.org_id, label=_(label), position=(i + 1) * 10))  # type: ignore[arg-type]
        session.flush()
        rows = list(session.exec(scoped(Material, actor, include_deleted=True).order_by(*order)))
    return [m for m in rows if m.deleted_at is None and (include_archived or m.archived_at is None)]


def get_material(session: Session, actor: Actor, material_id: object) -> Material:
    actor.require("org.settings")
    return get_or_404(session, actor, Material, material_id)


def save_material(session: Session, actor: Actor, form: MaterialForm, material: Material | None = None) -> Material:
    actor.require("org.settings")
    if material is None and form.id is not None and (existing := session.get(Material, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"label": _("This form was already used. Reload the page.")})
        return existing
    if material is None:
        material = Material(id=form.id or uuid.uuid4(), org_id=actor.org_id, label=form.label, position=form.position)  # type: ignore[arg-type]
        session.add(material)
    else:
        check_version(material, form.version)
        material.label, material.position = form.label, form.position
    session.flush()
    record(session, actor, "material.saved", entity_type="material", entity_id=material.id)
    return material


def set_material_archived(session: Session, actor: Actor, material: Material, archived: bool) -> None:
    actor.require("org.settings")
    material.archived_at = utcnow() if archived else None
    record(session, actor, "material.archived" if archived else "material.restored", entity_id=material.id)


def parse_quantities(
    raw: Mapping[str, str], prefix: str, load: Callable[[], Mapping[uuid.UUID, Material]]
) -> tuple[dict[uuid.UUID, int], dict[str, str]]:
    """Quantities typed in inputs named <prefix><material id>: {material id: n > 0}, and errors keyed by input
    name. An empty box or 0 means none. `load()` gives the organisation's materials, archived ones included: read
    only when a quantity was typed (an encounter with no material reads no catalogue)."""
    out: dict[uuid.UUID, int] = {}
    errors: dict[str, str] = {}
    catalogue: Mapping[uuid.UUID, Material] | None = None
    for name, value in raw.items():
        if not name.startswith(prefix):
            continue
        text = str(value).strip()
        if text in ("", "0"):
            continue
        if catalogue is None:
            catalogue = load()
        try:
            material = catalogue.get(uuid.UUID(name[len(prefix) :]))
        except ValueError:
            material = None
        if material is None:
            errors["__all__"] = _("A material of this form is not in your catalogue any more. Reload the page.")
            continue
        try:
            number = int(text)
        except ValueError:
            errors[name] = _("Enter a whole number.")
            continue
        if not 0 <= number <= MAX_QUANTITY:
            errors[name] = _("Enter a number from 0 to %(max)s.", max=MAX_QUANTITY)
        elif material.archived_at is not None and number:
            errors[name] = _("%(label)s is archived and can no longer be recorded: set it to 0.", label=material.label)
        elif number:
            out[material.id] = number
    return out, errors


def material_map(session: Session, actor: Actor) -> dict[uuid.UUID, Material]:
    """Every material of the organisation (archived too), by id: what parse_quantities checks against (read once
    per request: an observation checks two sets of quantities, a refused form shows them again)."""
    return memo(
        session,
        ("materials", actor.org_id),
        lambda: {m.id: m for m in materials(session, actor, include_archived=True)},
    )


def shown_materials(catalogue: Mapping[uuid.UUID, Material], values: Mapping[str, object]) -> list[Material]:
    """The materials a form shows: the active ones, plus an archived one the user had typed a number for."""
    typed = {key.split("_", 1)[1] for key, v in values.items() if "_" in key and str(v or "").strip() not in ("", "0")}
    return [m for m in catalogue.values() if m.archived_at is None or str(m.id) in typed]


# ---------------------------------------------------------------- services of encounters and check-ins
def services(session: Session, actor: Actor, scope: str, *, include_archived: bool = False) -> list[FieldService]:
    everything = scoped(FieldService, actor, include_deleted=True).where(FieldService.scope == scope)
    if session.exec(select(func.count()).select_from(everything.subquery())).one() == 0:
        for i, label in enumerate(DEFAULT_SERVICES[scope]):
            session.add(FieldService(org_id=actor.org_id, scope=scope, label=_(label), position=(i + 1) * 10))  # type: ignore[arg-type]
        session.flush()
    stmt = scoped(FieldService, actor).where(FieldService.scope == scope)
    if not include_archived:
        stmt = stmt.where(col(FieldService.archived_at).is_(None))
    return list(
        session.exec(
            stmt.order_by(col(FieldService.archived_at).is_not(None), FieldService.position, FieldService.label)
        )
    )


def check_services(session: Session, actor: Actor, scope: str, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The chosen services, each of this organisation and list and not archived; FieldErrors otherwise."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = session.exec(
        scoped(FieldService, actor).where(FieldService.scope == scope, col(FieldService.id).in_(wanted))
    ).all()
    if len(rows) != len(wanted):
        raise FieldErrors({"service_ids": _("Choose one of the options.")})
    archived = [r.label for r in rows if r.archived_at is not None]
    if archived:
        raise FieldErrors({"service_ids": _("%(label)s is archived: untick it.", label=", ".join(archived))})
    return sorted(wanted)


def get_service(session: Session, actor: Actor, service_id: object) -> FieldService:
    actor.require("org.settings")
    return get_or_404(session, actor, FieldService, service_id)


def save_service(
    session: Session, actor: Actor, form: ServiceForm, service: FieldService | None = None
) -> FieldService:
    actor.require("org.settings")
    if service is None and form.id is not None and (existing := session.get(FieldService, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"label": _("This form was already used. Reload the page.")})
        return existing
    if service is None:
        service = FieldService(
            id=form.id or uuid.uuid4(),
            org_id=actor.org_id,  # type: ignore[arg-type]
            scope=form.scope,
            label=form.label,
            position=form.position,
        )
        session.add(service)
    else:
        check_version(service, form.version)
        service.label, service.position = form.label, form.position
    session.flush()
    record(session, actor, "service.saved", entity_type="service", entity_id=service.id)
    return service


def set_service_archived(session: Session, actor: Actor, service: FieldService, archived: bool) -> None:
    actor.require("org.settings")
    service.archived_at = utcnow() if archived else None
    record(session, actor, "service.archived" if archived else "service.restored", entity_id=service.id)


def labels(session: Session, wanted: dict[type, set]) -> dict[uuid.UUID, str]:
    """Names by id of a few rows of several tables (teams, territories, places, users...) in one round trip:
    {Team: {ids}, User: {ids}} -> {id: name}. Ids are UUIDs, unique across tables."""
    parts = []
    for model, ids in wanted.items():
        ids = {i for i in ids if i}
        if ids:
            attr = model.label if hasattr(model, "label") else model.name  # type: ignore[attr-defined]
            parts.append(select(model.id.label("id"), attr.label("name")).where(col(model.id).in_(ids)))  # type: ignore[attr-defined]
    if not parts:
        return {}
    return {key: name for key, name in session.exec(union_all(*parts) if len(parts) > 1 else parts[0]).all()}  # type: ignore[call-overload]
