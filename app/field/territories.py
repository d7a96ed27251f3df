"""Territories and the places in them: managed by admins and coordinators, archived rather than deleted, and
offered on the forms as one "where" choice (a territory, or a place inside one)."""

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, func

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.errors import NotFound
from app.field.forms import PlaceForm, TerritoryForm
from app.i18n import _
from app.models import Place, Territory, utcnow


def territories(session: Session, actor: Actor, *, include_archived: bool = False) -> list[Territory]:
    stmt = scoped(Territory, actor)
    if not include_archived:
        stmt = stmt.where(col(Territory.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(Territory.archived_at).is_not(None), Territory.name)))


def places(session: Session, actor: Actor, territory: Territory, *, include_archived: bool = False) -> list[Place]:
    stmt = scoped(Place, actor).where(Place.territory_id == territory.id)
    if not include_archived:
        stmt = stmt.where(col(Place.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(Place.archived_at).is_not(None), Place.name)))


@dataclass
class WhereOption:
    value: str  # "t:<territory id>" or "p:<place id>"
    label: str
    is_place: bool


def where_options(session: Session, actor: Actor) -> list[WhereOption]:
    """Every live territory, each followed by its live places: the options of a "where" select."""
    terrs = territories(session, actor)
    by_territory: dict[uuid.UUID, list[Place]] = {}
    for place in session.exec(scoped(Place, actor).where(col(Place.archived_at).is_(None)).order_by(Place.name)).all():
        by_territory.setdefault(place.territory_id, []).append(place)
    out = []
    for t in terrs:
        out.append(WhereOption(f"t:{t.id}", t.name, False))
        out.extend(WhereOption(f"p:{p.id}", p.name, True) for p in by_territory.get(t.id, []))
    return out


def where_value(territory_id: uuid.UUID | None, place_id: uuid.UUID | None) -> str:
    if place_id:
        return f"p:{place_id}"
    return f"t:{territory_id}" if territory_id else ""


def resolve_where(session: Session, actor: Actor, value: str | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(territory id, place id) of a "where" choice; FieldErrors for a foreign, unknown or archived one."""
    if not value:
        return None, None
    kind, _sep, raw = value.partition(":")
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise FieldErrors({"where": _("Choose one of the options.")}) from None
    model = Place if kind == "p" else Territory if kind == "t" else None
    row = session.exec(scoped(model, actor).where(model.id == key)).first() if model else None  # type: ignore[union-attr]
    if row is None:
        raise FieldErrors({"where": _("Choose one of the options.")})
    if row.archived_at is not None:
        raise FieldErrors({"where": _("This place is archived: choose another one.")})
    if isinstance(row, Place):
        return row.territory_id, row.id
    return row.id, None


# ---------------------------------------------------------------- management
def get_territory(session: Session, actor: Actor, territory_id: object) -> Territory:
    actor.require("field.read")
    return get_or_404(session, actor, Territory, territory_id)


def save_territory(
    session: Session, actor: Actor, form: TerritoryForm, territory: Territory | None = None
) -> Territory:
    actor.require("territories.manage")
    if territory is None and form.id is not None and (existing := session.get(Territory, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"name": _("This form was already used. Reload the page.")})
        return existing
    if territory is not None:
        check_version(territory, form.version)
    same_name = scoped(Territory, actor).where(func.lower(Territory.name) == form.name.lower())
    if territory is not None:
        same_name = same_name.where(Territory.id != territory.id)
    if session.exec(same_name).first() is not None:
        raise FieldErrors({"name": _("Another territory already has this name.")})
    if territory is None:
        territory = Territory(id=form.id or uuid.uuid4(), org_id=actor.org_id, name=form.name)  # type: ignore[arg-type]
        session.add(territory)
    territory.name, territory.description, territory.kinds = form.name, form.description, form.kind_list
    session.flush()
    record(session, actor, "territory.saved", entity_type="territory", entity_id=territory.id)
    return territory


def set_territory_archived(session: Session, actor: Actor, territory: Territory, archived: bool) -> None:
    actor.require("territories.manage")
    territory.archived_at = utcnow() if archived else None
    record(session, actor, "territory.archived" if archived else "territory.restored", entity_id=territory.id)


def get_place(session: Session, actor: Actor, territory: Territory, place_id: object) -> Place:
    actor.require("territories.manage")
    place = get_or_404(session, actor, Place, place_id)
    if place.territory_id != territory.id:
        raise NotFound()
    return place


def save_place(
    session: Session, actor: Actor, territory: Territory, form: PlaceForm, place: Place | None = None
) -> Place:
    actor.require("territories.manage")
    if place is None and form.id is not None and (existing := session.get(Place, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"name": _("This form was already used. Reload the page.")})
        return existing
    if place is None:
        place = Place(id=form.id or uuid.uuid4(), org_id=territory.org_id, territory_id=territory.id, name=form.name)
        session.add(place)
    else:
        check_version(place, form.version)
        place.name = form.name
    session.flush()
    record(session, actor, "place.saved", entity_type="place", entity_id=place.id)
    return place


def set_place_archived(session: Session, actor: Actor, place: Place, archived: bool) -> None:
    actor.require("territories.manage")
    place.archived_at = utcnow() if archived else None
    record(session, actor, "place.archived" if archived else "place.restored", entity_id=place.id)
