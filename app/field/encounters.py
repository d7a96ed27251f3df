"""Encounters: one submit records a contact with one or several persons (picked among those the team met
recently, found with the tolerant person search, or created on the spot), when and where, the materials given,
the services done and a short note.

- The note and the health part (care given, a health note) are stored encrypted (app/crypto.py).
- What a role receives is decided here, not in templates: the note only with `notes.read`, the health part only
  with `health.read` (and it is accepted only with `health.write`).
- Each encounter updates the persons' last contact and shows in their timeline; a merge moves it to the survivor.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, col, delete, select, update

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors
from app.audit.service import record
from app.crypto import DecryptError, encrypted_column, seal, unseal
from app.errors import Forbidden
from app.field import catalogue, territories
from app.field.forms import EncounterForm
from app.field.rounds import team_of_today
from app.i18n import _
from app.models import (
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    EncounterService,
    FieldService,
    Material,
    Person,
    Place,
    Round,
    Team,
    Territory,
    User,
    utcnow,
)
from app.needs import service as needs
from app.persons import search, timeline
from app.persons.forms import PersonForm, SearchForm
from app.persons.service import create_person, require_read, touch_contact
from app.web import TZ, validate_form

HEALTH_COLUMNS = ("health_care", "health_note")  # health data: only for roles with health.read

for _column in ("note", *HEALTH_COLUMNS):
    encrypted_column(Encounter, _column)

RECENT_DAYS = 14  # "recently met by the team": the persons of its encounters in these last days...
RECENT_ROWS = 200  # ...among its latest encounters
MAX_PERSONS = 20  # in one encounter


def can_record(actor: Actor) -> bool:
    """Field roles record encounters; the reception role records quick ones (no note, no new person)."""
    return actor.can("field.write") or actor.can("encounters.quick")


def require_record(actor: Actor) -> None:
    if not can_record(actor):
        raise Forbidden()


# ---------------------------------------------------------------- choosing persons (encounters and check-ins)
@dataclass
class PersonChoice:
    id: uuid.UUID
    alias: str
    code: str
    alert: bool


def recent_persons(session: Session, actor: Actor, team_id: uuid.UUID, limit: int = 8) -> list[PersonChoice]:
    """The persons the team met lately, the most recent first: the first choices of a new encounter. Reads the
    team's latest encounters backwards along ix_encounters_org_team_at and stops: bounded work at any volume."""
    rows = session.exec(
        select(Person.id, Person.alias, Person.code, Person.alert)
        .join(EncounterPerson, col(EncounterPerson.person_id) == col(Person.id))
        .join(Encounter, col(Encounter.id) == col(EncounterPerson.encounter_id))
        .where(Encounter.org_id == actor.org_id, Encounter.team_id == team_id, col(Encounter.deleted_at).is_(None))
        .where(Encounter.at >= utcnow() - timedelta(days=RECENT_DAYS))
        .where(Person.org_id == actor.org_id, col(Person.deleted_at).is_(None))
        .order_by(col(Encounter.at).desc())
        .limit(RECENT_ROWS)
    ).all()
    seen: dict[uuid.UUID, PersonChoice] = {}
    for pid, alias, code, alert in rows:
        seen.setdefault(pid, PersonChoice(pid, alias, code, alert))
    return list(seen.values())[:limit]


def find_persons(session: Session, actor: Actor, q: str, limit: int = 8) -> tuple[list[search.Row], bool]:
    """Matches for `q` with the tolerance of person search, and whether one looks like the same person (the
    duplicate guard before creating someone on the spot)."""
    require_read(actor)
    if not q.strip():
        return [], False
    rows = search.search(session, actor, SearchForm(q=q[:120], status="all")).rows[:limit]
    return rows, any(r.score >= 60 for r in rows)


def chosen(session: Session, actor: Actor, person_id: object) -> PersonChoice:
    """A person chosen on a form (404 for another organisation's)."""
    require_read(actor)
    p = get_or_404(session, actor, Person, person_id)
    return PersonChoice(p.id, p.alias, p.code, p.alert)


@dataclass
class FormChoices:
    """What the encounter form shows around the values typed: the persons picked, those created on the spot,
    the recently met ones not picked yet, and the round the encounter belongs to."""

    picked: list[PersonChoice]
    new_persons: list[tuple[str, str]]  # (client id, alias)
    recent: list[PersonChoice]
    round: Round | None


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def form_choices(session: Session, actor: Actor, team_id: uuid.UUID, values: Mapping) -> FormChoices:
    ids = list(dict.fromkeys(i for v in values.get("person_ids") or [] if (i := _uuid(v))))
    found = {p.id: p for p in session.exec(scoped(Person, actor).where(col(Person.id).in_(ids)))} if ids else {}
    picked = [PersonChoice(p.id, p.alias, p.code, p.alert) for i in ids if (p := found.get(i))]
    new_persons = [(key, alias) for v in values.get("new_persons") or [] for key, _s, alias in [str(v).partition(" ")]]
    recent = [p for p in recent_persons(session, actor, team_id) if p.id not in found]
    round_id = _uuid(values.get("round_id") or "")
    rnd = None
    if round_id is not None:
        rnd = session.exec(scoped(Round, actor).where(Round.id == round_id, Round.team_id == team_id)).first()
    return FormChoices(picked, [(k, a) for k, a in new_persons if a], recent, rnd)


# ---------------------------------------------------------------- recording
def record_encounter(session: Session, actor: Actor, form: EncounterForm, raw: Mapping[str, str]) -> Encounter:
    """Record the encounter of `form` (quantities in `raw`, inputs m_<material id>). The same form sent twice
    returns the first encounter. FieldErrors with a message per field when something does not fit."""
    require_record(actor)
    if (existing := session.get(Encounter, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing
    if (form.health_care or form.health_note) and not actor.can("health.write"):
        raise Forbidden()
    if form.note and not actor.can("notes.write"):
        raise Forbidden()
    if form.new_persons and not actor.can("persons.write"):
        raise Forbidden()
    team = team_of_today(session, actor)
    errors: dict[str, str] = {}
    wanted = list(dict.fromkeys(form.person_ids))
    persons = list(session.exec(scoped(Person, actor).where(col(Person.id).in_(wanted)))) if wanted else []
    new_persons = form.new_person_list
    if len(persons) != len(wanted):
        errors["person_ids"] = _("One of the persons was not found. Choose them again.")
    elif not persons and not new_persons:
        errors["person_ids"] = _("Choose at least one person. People not identified are counted on the round.")
    elif len(persons) + len(new_persons) > MAX_PERSONS:
        errors["person_ids"] = _("At most %(n)s persons in one encounter.", n=MAX_PERSONS)
    rnd = None
    if form.round_id is not None:
        rnd = session.exec(scoped(Round, actor).where(Round.id == form.round_id, Round.team_id == team.id)).first()
        if rnd is None:
            errors["round_id"] = _("This round is not one of your team's. Reload the page.")
    territory_id = place_id = None
    try:
        territory_id, place_id = territories.resolve_where(session, actor, form.where)
    except FieldErrors as exc:
        errors.update(exc.errors)
    service_ids: list[uuid.UUID] = []
    try:
        service_ids = catalogue.check_services(session, actor, "encounter", form.service_ids)
    except FieldErrors as exc:
        errors.update(exc.errors)
    quantities, quantity_errors = catalogue.parse_quantities(raw, "m_", partial(catalogue.material_map, session, actor))
    errors.update(quantity_errors)
    need_form = None
    try:  # checked now, created once the persons exist: nothing is written when any part is wrong
        need_form = needs.encounter_need(
            session,
            actor,
            encounter_id=form.id,
            person_ids=[*wanted, *(pid for pid, _alias in new_persons)],
            team_id=team.id,
            category_ids=form.need_category_ids,
            description=form.need_description,
            urgent=form.need_urgent,
            due_on=form.need_due_on,
        )
    except FieldErrors as exc:
        for name, message in exc.errors.items():
            errors.setdefault(name, message)  # a missing person is said once, by the encounter's own message
    if errors:
        raise FieldErrors(errors)
    at = form.at or utcnow()
    created = []
    for person_id, alias in new_persons:
        person_form = validate_form(
            PersonForm,
            {"id": person_id, "alias": alias, "team_ids": [team.id], "first_met_on": at.astimezone(TZ).date()},
        )
        if not person_form.ok or person_form.data is None:
            raise FieldErrors({"new_persons": next(iter(person_form.errors.values()))})
        created.append(create_person(session, actor, person_form.data))
    encounter = Encounter(
        id=form.id,
        org_id=team.org_id,
        team_id=team.id,
        round_id=rnd.id if rnd else None,
        at=at,
        territory_id=territory_id,
        place_id=place_id,
        latitude=form.latitude if form.longitude is not None else None,
        longitude=form.longitude if form.latitude is not None else None,
        accuracy_m=form.accuracy_m if form.latitude is not None and form.longitude is not None else None,
        author_id=actor.user_id,
    )
    seal(session, encounter, "note", form.note)
    seal(session, encounter, "health_care", form.health_care)
    seal(session, encounter, "health_note", form.health_note)
    session.add(encounter)  # flushed with its persons, materials and services below: one change-log row for all
    new_ids = {p.id for p in created}
    org_id = encounter.org_id
    for person in {p.id: p for p in [*persons, *created]}.values():
        session.add(
            EncounterPerson(
                encounter_id=form.id,
                person_id=person.id,
                org_id=org_id,
                new=person.id in new_ids,
                team_id=encounter.team_id,
                at=encounter.at,
            )
        )
        touch_contact(session, person, actor.user_id, at)
    for material_id, n in quantities.items():
        session.add(
            EncounterMaterial(
                encounter_id=form.id,
                material_id=material_id,
                org_id=org_id,
                quantity=n,
                team_id=encounter.team_id,
                at=encounter.at,
            )
        )
    for service_id in service_ids:
        session.add(EncounterService(encounter_id=form.id, service_id=service_id, org_id=org_id))
    session.flush()
    if need_form is not None:
        needs.create_need(session, actor, need_form)
    record(
        session,
        actor,
        "encounter.created",
        entity_type="encounter",
        entity_id=encounter.id,
        details={"persons": len(persons) + len(created), "new_persons": len(created)},
    )
    return encounter


def get_encounter(session: Session, actor: Actor, encounter_id: object) -> Encounter:
    actor.require("field.read")
    return get_or_404(session, actor, Encounter, encounter_id)


def delete_encounter(session: Session, actor: Actor, encounter: Encounter) -> None:
    """A wrong record leaves every list and figure (a tombstone, so phones learn of it too)."""
    actor.require("field.write")
    if encounter.deleted_at is None:
        encounter.deleted_at = utcnow()
        # The copies on its persons and materials (what the indicators count) go with it.
        for model in (EncounterPerson, EncounterMaterial):
            session.exec(
                update(model).where(col(model.encounter_id) == encounter.id).values(deleted_at=encounter.deleted_at)
            )  # type: ignore[call-overload]
        record(session, actor, "encounter.deleted", entity_type="encounter", entity_id=encounter.id)


# ---------------------------------------------------------------- what each role receives
@dataclass
class PersonRef:
    id: uuid.UUID
    alias: str
    code: str
    new: bool = False


@dataclass
class EncounterView:
    encounter: Encounter
    team: str
    where: str | None
    author: str | None
    persons: list[PersonRef] = field(default_factory=list)
    materials: list[tuple[str, int]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    note: str | None = None  # only for roles with notes.read
    health_care: str | None = None  # only for roles with health.read
    health_note: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return self.encounter.id

    @property
    def at(self):
        return self.encounter.at


def _read(session: Session, obj, column: str) -> str | None:
    if getattr(obj, column) is None:
        return None
    try:
        return unseal(session, obj, column)
    except DecryptError:
        return _("(this text cannot be decrypted)")


def views(session: Session, actor: Actor, encounters: list[Encounter]) -> list[EncounterView]:
    """Encounters as this actor may see them, in a fixed number of queries whatever their number."""
    ids = [e.id for e in encounters]
    if not ids:
        return []
    persons: dict[uuid.UUID, list[PersonRef]] = {}
    for enc_id, new, pid, alias, code in session.exec(
        select(EncounterPerson.encounter_id, EncounterPerson.new, Person.id, Person.alias, Person.code)
        .join(Person, col(Person.id) == col(EncounterPerson.person_id))
        .where(col(EncounterPerson.encounter_id).in_(ids), col(Person.deleted_at).is_(None))
        .order_by(Person.alias)
    ).all():
        persons.setdefault(enc_id, []).append(PersonRef(pid, alias, code, new))
    materials: dict[uuid.UUID, list[tuple[str, int]]] = {}
    for enc_id, label, n in session.exec(
        select(EncounterMaterial.encounter_id, Material.label, EncounterMaterial.quantity)
        .join(Material, col(Material.id) == col(EncounterMaterial.material_id))
        .where(col(EncounterMaterial.encounter_id).in_(ids))
        .order_by(Material.position, Material.label)
    ).all():
        materials.setdefault(enc_id, []).append((label, n))
    services: dict[uuid.UUID, list[str]] = {}
    for enc_id, label in session.exec(
        select(EncounterService.encounter_id, FieldService.label)
        .join(FieldService, col(FieldService.id) == col(EncounterService.service_id))
        .where(col(EncounterService.encounter_id).in_(ids))
        .order_by(FieldService.position, FieldService.label)
    ).all():
        services.setdefault(enc_id, []).append(label)
    names = catalogue.labels(
        session,
        {
            Team: {e.team_id for e in encounters},
            Territory: {e.territory_id for e in encounters},
            Place: {e.place_id for e in encounters},
            User: {e.author_id for e in encounters},
        },
    )
    out = []
    for e in encounters:
        where = names.get(e.place_id) if e.place_id else None
        if e.territory_id:
            where = f"{names.get(e.territory_id, '')} · {where}" if where else names.get(e.territory_id)
        view = EncounterView(
            e,
            names.get(e.team_id, ""),
            where,
            names.get(e.author_id) if e.author_id else None,
            persons.get(e.id, []),
            materials.get(e.id, []),
            services.get(e.id, []),
        )
        if actor.can("notes.read"):
            view.note = _read(session, e, "note")
        if actor.can("health.read"):
            view.health_care = _read(session, e, "health_care")
            view.health_note = _read(session, e, "health_note")
        out.append(view)
    return out


def team_day(session: Session, actor: Actor, team_id: uuid.UUID, start, end, limit: int = 50) -> list[EncounterView]:
    """The team's encounters in [start, end), the latest first."""
    actor.require("field.read")
    rows = session.exec(
        scoped(Encounter, actor)
        .where(Encounter.team_id == team_id, Encounter.at >= start, Encounter.at < end)
        .order_by(col(Encounter.at).desc())
        .limit(limit)
    ).all()
    return views(session, actor, list(rows))


def of_round(session: Session, actor: Actor, rnd: Round) -> list[EncounterView]:
    rows = session.exec(
        scoped(Encounter, actor).where(Encounter.round_id == rnd.id).order_by(col(Encounter.at).desc()).limit(200)
    ).all()
    return views(session, actor, list(rows))


def summary(view: EncounterView, person_id: uuid.UUID | None = None) -> str:
    """The encounter in a few lines of text (the person timeline's body)."""
    lines = []
    others = [p.alias for p in view.persons if p.id != person_id]
    if others:
        lines.append(_("With %(names)s", names=", ".join(others)))
    if view.where:
        lines.append(view.where)
    if view.materials:
        lines.append(", ".join(f"{n} × {label}" for label, n in view.materials))
    if view.services:
        lines.append(", ".join(view.services))
    if view.note:
        lines.append(view.note)
    if view.health_care or view.health_note:
        health = " · ".join(t for t in (view.health_care, view.health_note) if t)
        lines.append(_("Health: %(text)s", text=health))
    return "\n".join(lines)


# ---------------------------------------------------------------- the person's page and merges
@timeline.register_timeline("field.encounters")
def _timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    if not actor.can("persons.read"):  # the reception role sees no timeline at all
        return []
    # Read in the order of the person's own index (ix_encounter_persons_person_at: the links carry their
    # encounter's time and deletion), so the page is one short range however many encounters the person or the
    # organisation has. Sorted on the encounter's time, PostgreSQL walked the organisation's 2 million encounters
    # newest first for a person met mostly long ago (0.66 s at 100,000 persons).
    link_at = col(EncounterPerson.at)
    stmt = (
        scoped(Encounter, actor)
        .join(EncounterPerson, col(EncounterPerson.encounter_id) == col(Encounter.id))
        .where(EncounterPerson.person_id == person_id, col(EncounterPerson.deleted_at).is_(None))
    )
    stmt = timeline.older_than(stmt, link_at, before)
    rows = session.exec(stmt.order_by(link_at.desc()).limit(limit)).all()
    return [
        timeline.TimelineEntry(
            v.at,
            "encounter",
            _("Encounter · %(team)s", team=v.team),
            body=summary(v, person_id) or None,
            by=v.author,
            url=f"/encounters/{v.id}" if actor.can("field.read") else None,
        )
        for v in views(session, actor, list(rows))
    ]


@timeline.register_merge_step
def _merge_encounter_persons(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """The merged record's encounters become the survivor's; one where both records were is kept once."""
    moved = list(session.exec(select(EncounterPerson.encounter_id).where(EncounterPerson.person_id == merged_id)))
    if not moved:
        return
    both = select(EncounterPerson.encounter_id).where(EncounterPerson.person_id == survivor_id)
    session.exec(
        delete(EncounterPerson).where(
            col(EncounterPerson.person_id) == merged_id, col(EncounterPerson.encounter_id).in_(both)
        )
    )  # type: ignore[call-overload]
    session.exec(
        update(EncounterPerson).where(col(EncounterPerson.person_id) == merged_id).values(person_id=survivor_id)
    )  # type: ignore[call-overload]
    session.exec(
        update(Encounter)
        .where(col(Encounter.id).in_(moved))
        .values(version=Encounter.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )  # type: ignore[call-overload]


@timeline.register_erase_dependents
def _encounters_only_about(session: Session, person_ids: set[uuid.UUID]) -> list[tuple[Any, Any]]:
    """An encounter whose every person is erased goes too: its note and health part are about them."""
    theirs = select(EncounterPerson.encounter_id).where(col(EncounterPerson.person_id).in_(person_ids))
    others = select(EncounterPerson.encounter_id).where(col(EncounterPerson.person_id).not_in(person_ids))
    ids = list(session.execute(theirs.except_(others)).scalars())  # read now: deleting links changes the answer
    table = Encounter.__table__  # type: ignore[attr-defined]
    return [(table, table.c.id.in_(ids))] if ids else []
