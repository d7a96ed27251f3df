"""Observations of a territory by a team: how many people were seen (by gender), the atmosphere, police
presence, material found or collected (counted against the materials catalogue), incidents, a note, and the
organisation's custom observation fields (CustomField of scope "observation", app/persons/fields.py)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import Session, col, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors
from app.audit.service import record
from app.field import catalogue, territories
from app.field.forms import ObservationForm
from app.field.rounds import team_of_today
from app.i18n import _, lazy
from app.models import CustomField, Material, Observation, ObservationMaterial, Place, Team, Territory, User, utcnow
from app.persons import fields

ATMOSPHERES = {"calm": lazy("Calm"), "tense": lazy("Tense"), "violent": lazy("Violent")}
POLICE = {
    "none": lazy("No police"),
    "passing": lazy("Police passing by"),
    "present": lazy("Police present"),
    "operation": lazy("Police operation (eviction, arrests)"),
}
PAGE_SIZE = 30


def custom_fields(session: Session, actor: Actor) -> list[CustomField]:
    return fields.form_fields(session, actor, scope="observation")


def record_observation(
    session: Session, actor: Actor, form: ObservationForm, raw: Mapping[str, str], custom_raw: dict[str, list[str]]
) -> Observation:
    actor.require("field.write")
    if (existing := session.get(Observation, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing
    team = team_of_today(session, actor)
    errors: dict[str, str] = {}
    territory_id = place_id = None
    try:
        territory_id, place_id = territories.resolve_where(session, actor, form.where)
    except FieldErrors as exc:
        errors.update(exc.errors)
    materials = partial(catalogue.material_map, session, actor)
    found, found_errors = catalogue.parse_quantities(raw, "found_", materials)
    collected, collected_errors = catalogue.parse_quantities(raw, "collected_", materials)
    custom, custom_errors = fields.parse_custom(custom_fields(session, actor), custom_raw)
    errors.update({**found_errors, **collected_errors, **custom_errors})
    if errors:
        raise FieldErrors(errors)
    assert territory_id is not None  # the form requires a territory or a place
    obs = Observation(
        id=form.id,
        org_id=team.org_id,
        team_id=team.id,
        territory_id=territory_id,
        place_id=place_id,
        at=form.at or utcnow(),
        women=form.women,
        men=form.men,
        others=form.others,
        atmosphere=form.atmosphere,
        police=form.police,
        incidents=form.incidents,
        note=form.note,
        custom={k: v for k, v in custom.items() if v is not None},
        author_id=actor.user_id,
    )
    session.add(obs)
    session.flush()
    for material_id in sorted(set(found) | set(collected)):
        session.add(
            ObservationMaterial(
                observation_id=obs.id,
                material_id=material_id,
                org_id=obs.org_id,
                found=found.get(material_id, 0),
                collected=collected.get(material_id, 0),
            )
        )
    session.flush()
    record(session, actor, "observation.created", entity_type="observation", entity_id=obs.id)
    return obs


def get_observation(session: Session, actor: Actor, observation_id: object) -> Observation:
    actor.require("field.read")
    return get_or_404(session, actor, Observation, observation_id)


@dataclass
class ObservationView:
    observation: Observation
    team: str
    where: str
    author: str | None
    materials: list[tuple[str, int, int]] = field(default_factory=list)  # (label, found, collected)
    custom: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return self.observation.id

    @property
    def people(self) -> int:
        o = self.observation
        return o.women + o.men + o.others


def views(
    session: Session, actor: Actor, rows: list[Observation], *, with_custom: bool = False
) -> list[ObservationView]:
    ids = [o.id for o in rows]
    if not ids:
        return []
    lines: dict[uuid.UUID, list[tuple[str, int, int]]] = {}
    for obs_id, label, found, collected in session.exec(
        select(
            ObservationMaterial.observation_id, Material.label, ObservationMaterial.found, ObservationMaterial.collected
        )
        .join(Material, col(Material.id) == col(ObservationMaterial.material_id))
        .where(col(ObservationMaterial.observation_id).in_(ids))
        .order_by(Material.position, Material.label)
    ).all():
        lines.setdefault(obs_id, []).append((label, found, collected))
    names = catalogue.labels(
        session,
        {
            Team: {o.team_id for o in rows},
            Territory: {o.territory_id for o in rows},
            Place: {o.place_id for o in rows},
            User: {o.author_id for o in rows},
        },
    )
    defs = fields.list_fields(session, actor, include_archived=True, scope="observation") if with_custom else []
    out = []
    for o in rows:
        where = names.get(o.territory_id, "")
        if o.place_id:
            where = f"{where} · {names.get(o.place_id, '')}"
        custom = [(f.label, shown) for f in defs if (shown := fields.display_value(f, o.custom.get(str(f.id))))]
        out.append(
            ObservationView(
                o,
                names.get(o.team_id, ""),
                where,
                names.get(o.author_id) if o.author_id else None,
                lines.get(o.id, []),
                custom,
            )
        )
    return out


def recent(session: Session, actor: Actor, team_id: uuid.UUID, page: int = 1) -> tuple[list[ObservationView], bool]:
    actor.require("field.read")
    rows = list(
        session.exec(
            scoped(Observation, actor)
            .where(Observation.team_id == team_id)
            .order_by(col(Observation.at).desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return views(session, actor, rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE
