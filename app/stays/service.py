"""Accommodation stays and procedures started.

A stay is a person in an accommodation (a structure of the directory, or an accommodation team of the
organisation), optionally a room or bed, from an entry date to an exit date with an exit kind (positive,
negative, other) and a reason. One open stay per person and per room: checked here with a clear message, and
by partial unique indexes for the rare race. Per accommodation: occupancy against capacity, who is in since
when, the waiting list. Procedures (domiciliation, ID papers...) are dated per person so that the share of
sheltered people who started them can be computed (`sheltered_with_procedures`)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.crypto import encrypted_column, seal, unseal
from app.db import memo
from app.errors import Invalid, NotFound
from app.i18n import _, lazy
from app.models import IncomingReferral, Person, Procedure, Referral, Stay, Structure, Team, utcnow
from app.persons import timeline
from app.stays.forms import ExitForm, ProcedureForm, StayEditForm, StayForm
from app.structures.forms import ACCOMMODATION_KINDS
from app.web import TZ

encrypted_column(Stay, "exit_note")

EXITS = {
    "housing": ("positive", lazy("Housing")),
    "care_place": ("positive", lazy("Medico-social or care place")),
    "family": ("positive", lazy("Family")),
    "return_country": ("positive", lazy("Return to the home country")),
    "street": ("negative", lazy("Back to the street")),
    "prison": ("negative", lazy("Prison")),
    "death": ("negative", lazy("Death")),
    "lost_contact": ("negative", lazy("Lost contact")),
    "other": ("other", lazy("Other")),
}
OCCUPANTS_PAGE = 100
EXIT_KINDS = {"positive": lazy("Positive exit"), "negative": lazy("Negative exit"), "other": lazy("Other exit")}
PROCEDURES = {
    "domiciliation": lazy("Domiciliation (address)"),
    "id_papers": lazy("ID papers"),
    "health_insurance": lazy("Health insurance"),
    "income": lazy("Income (RSA, AAH…)"),
    "addiction_care": lazy("Addiction care follow-up"),
    "health_care": lazy("Health care follow-up"),
}


def at_noon(day: date) -> datetime:
    """A day placed in the timeline (stays and procedures are dated by day)."""
    return datetime.combine(day, time(12), TZ)


def exit_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Exit reasons grouped by kind, translated, for the exit form's select."""
    return [
        (_(EXIT_KINDS[kind]), [(code, _(label)) for code, (k, label) in EXITS.items() if k == kind])
        for kind in EXIT_KINDS
    ]


# ---------------------------------------------------------------- places
@dataclass
class Place:
    kind: str  # "team" or "structure"
    id: uuid.UUID
    name: str
    capacity: int | None
    occupied: int = 0
    waiting: int = 0

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def url(self) -> str:
        return f"/stays/teams/{self.id}" if self.kind == "team" else f"/structures/{self.id}"


def _accommodation_teams(session: Session, actor: Actor) -> list[Team]:
    return list(
        session.exec(
            scoped(Team, actor).where(Team.kind == "accommodation", col(Team.archived_at).is_(None)).order_by(Team.name)
        )
    )


def _accommodation_structures(session: Session, actor: Actor) -> list[Structure]:
    return list(
        session.exec(
            scoped(Structure, actor)
            .where(col(Structure.kind).in_(ACCOMMODATION_KINDS), col(Structure.archived_at).is_(None))
            .order_by(func.lower(Structure.name))
            .limit(500)
        )
    )


def places(session: Session, actor: Actor) -> list[Place]:
    """The organisation's accommodation teams and the accommodation structures of its directory, with how many
    are in and waiting (three grouped queries, whatever the number of places)."""
    actor.require("stays.read")
    out = [Place("team", t.id, t.name, t.capacity) for t in _accommodation_teams(session, actor)]
    out += [Place("structure", s.id, s.name, s.places) for s in _accommodation_structures(session, actor)]
    team_ids = [p.id for p in out if p.kind == "team"]
    structure_ids = [p.id for p in out if p.kind == "structure"]
    stay_open = (Stay.org_id == actor.org_id, col(Stay.exited_on).is_(None), col(Stay.deleted_at).is_(None))
    by_team = _grouped(session, Stay.team_id, team_ids, *stay_open)
    by_structure = _grouped(session, Stay.structure_id, structure_ids, *stay_open)
    waiting = (IncomingReferral.org_id == actor.org_id, IncomingReferral.status == "waiting_list")
    waiting_team = _grouped(session, IncomingReferral.team_id, team_ids, *waiting)
    waiting = (Referral.org_id == actor.org_id, Referral.status == "waiting_list")
    waiting_structure = _grouped(session, Referral.structure_id, structure_ids, *waiting)
    for p in out:
        p.occupied = (by_team if p.kind == "team" else by_structure).get(p.id, 0)
        p.waiting = (waiting_team if p.kind == "team" else waiting_structure).get(p.id, 0)
    return out


def _grouped(session: Session, column, ids: list[uuid.UUID], *where) -> dict[uuid.UUID, int]:
    """Rows per place, for the listed places only: each count reads its place's index, never the whole table."""
    if not ids:
        return {}
    rows = session.exec(select(column, func.count()).where(col(column).in_(ids), *where).group_by(column)).all()
    return dict(rows)  # type: ignore[arg-type]


def place_options(session: Session, actor: Actor) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped (value, label) options for the stay form's select."""
    teams = [(f"team:{t.id}", t.name) for t in _accommodation_teams(session, actor)]
    structures = [(f"structure:{s.id}", s.name) for s in _accommodation_structures(session, actor)]
    return [(_("Our accommodation"), teams), (_("Structures of the directory"), structures)]


def _resolve_place(session: Session, actor: Actor, ref: tuple[str, uuid.UUID] | None) -> Structure | Team:
    if ref is None:
        raise FieldErrors({"place": _("Choose one of the options.")})
    kind, place_id = ref
    if kind == "team":
        team = session.exec(scoped(Team, actor).where(Team.id == place_id, Team.kind == "accommodation")).first()
        if team is None or team.archived_at is not None:
            raise FieldErrors({"place": _("Choose one of the options.")})
        return team
    structure = session.exec(scoped(Structure, actor).where(Structure.id == place_id)).first()
    if structure is None:
        raise FieldErrors({"place": _("Choose one of the options.")})
    if structure.archived_at is not None:
        raise FieldErrors({"place": _("%(name)s is archived: choose another place.", name=structure.name)})
    return structure


def place_name(session: Session, stay: Stay) -> str:
    place = session.get(Team, stay.team_id) if stay.team_id else session.get(Structure, stay.structure_id)
    return place.name if place else ""


@dataclass
class Occupant:
    stay: Stay
    alias: str
    days: int


def occupants(
    session: Session, actor: Actor, *, team_id=None, structure_id=None, page: int = 1
) -> tuple[list[Occupant], bool]:
    """Who is in an accommodation and since when, longest stay first: one page, and whether more follow."""
    actor.require("stays.read")
    stmt = (
        select(Stay, Person.alias)
        .join(Person, col(Person.id) == col(Stay.person_id))
        .where(Stay.org_id == actor.org_id, col(Stay.deleted_at).is_(None), col(Stay.exited_on).is_(None))
    )
    stmt = stmt.where(Stay.team_id == team_id) if team_id else stmt.where(Stay.structure_id == structure_id)
    stmt = stmt.order_by(col(Stay.entered_on), col(Stay.room), col(Stay.id))
    rows = session.exec(stmt.offset((page - 1) * OCCUPANTS_PAGE).limit(OCCUPANTS_PAGE + 1)).all()
    today = utcnow().date()
    return [Occupant(stay, alias, (today - stay.entered_on).days) for stay, alias in rows[:OCCUPANTS_PAGE]], (
        len(rows) > OCCUPANTS_PAGE
    )


def _place(session: Session, actor: Actor, kind: str, obj: Team | Structure, capacity: int | None) -> Place:
    open_stays = select(func.count()).select_from(Stay).where(Stay.org_id == actor.org_id)
    open_stays = open_stays.where(col(Stay.exited_on).is_(None), col(Stay.deleted_at).is_(None))
    if kind == "team":
        occupied = session.exec(open_stays.where(Stay.team_id == obj.id)).one()
        waiting = select(func.count()).select_from(IncomingReferral).where(IncomingReferral.team_id == obj.id)
        waiting = waiting.where(IncomingReferral.org_id == actor.org_id, IncomingReferral.status == "waiting_list")
    else:
        occupied = session.exec(open_stays.where(Stay.structure_id == obj.id)).one()
        waiting = select(func.count()).select_from(Referral).where(Referral.structure_id == obj.id)
        waiting = waiting.where(Referral.org_id == actor.org_id, Referral.status == "waiting_list")
    return Place(kind, obj.id, obj.name, capacity, occupied, session.exec(waiting).one())


def team_place(session: Session, actor: Actor, team_id: object) -> Place:
    """An accommodation team of the organisation, with its occupancy and waiting list size."""
    actor.require("stays.read")
    team = get_or_404(session, actor, Team, team_id)
    if team.kind != "accommodation":
        raise NotFound()
    return _place(session, actor, "team", team, team.capacity)


def structure_place(session: Session, actor: Actor, structure: Structure) -> Place | None:
    """The occupancy of a structure (shown on its page) when it houses people or someone stays there."""
    if not actor.can("stays.read"):
        return None
    place = _place(session, actor, "structure", structure, structure.places)
    return place if structure.kind in ACCOMMODATION_KINDS or place.occupied else None


# ---------------------------------------------------------------- stays
def get_stay(session: Session, actor: Actor, stay_id: object) -> Stay:
    actor.require("stays.read")
    return get_or_404(session, actor, Stay, stay_id)


def get_for_write(session: Session, actor: Actor, stay_id: object) -> Stay:
    stay = get_or_404(session, actor, Stay, stay_id)
    actor.require("stays.write")
    return stay


def current_stay(session: Session, actor: Actor, person_id: uuid.UUID) -> Stay | None:
    return session.exec(scoped(Stay, actor).where(Stay.person_id == person_id, col(Stay.exited_on).is_(None))).first()


def _room_taken(session: Session, actor: Actor, stay: Stay) -> None:
    if not stay.room:
        return
    stmt = scoped(Stay, actor).where(Stay.room == stay.room, col(Stay.exited_on).is_(None), Stay.id != stay.id)
    stmt = (
        stmt.where(Stay.team_id == stay.team_id) if stay.team_id else stmt.where(Stay.structure_id == stay.structure_id)
    )
    other = session.exec(stmt).first()
    if other is not None:
        person = session.get(Person, other.person_id)
        raise FieldErrors(
            {
                "room": _(
                    "%(room)s is taken by %(alias)s since %(day)s: record their exit first, or choose another.",
                    room=stay.room,
                    alias=person.alias if person else "?",
                    day=other.entered_on.strftime("%d/%m/%Y"),
                )
            }
        )


def _flush_checked(session: Session, stay: Stay) -> None:
    """Flush inside a savepoint: two phones saving at the same instant meet the unique indexes, not a 500."""
    try:
        with session.begin_nested():
            session.add(stay)
            session.flush()
    except IntegrityError:
        raise FieldErrors(
            {"room": _("Someone recorded another stay for this person or room at the same moment. Reload the page.")}
        ) from None


def create_stay(session: Session, actor: Actor, form: StayForm) -> Stay:
    actor.require("stays.write")
    if form.id is not None and (existing := session.get(Stay, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"place": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one stay
    person = session.exec(scoped(Person, actor).where(Person.id == form.person_id)).first()
    if person is None:
        raise NotFound()
    place = _resolve_place(session, actor, form.place_ref)
    current = current_stay(session, actor, person.id)
    if current is not None:
        raise FieldErrors(
            {
                "place": _(
                    "%(alias)s is already staying at %(place)s since %(day)s: record that exit first.",
                    alias=person.alias,
                    place=place_name(session, current),
                    day=current.entered_on.strftime("%d/%m/%Y"),
                )
            }
        )
    referral_id = None
    if form.referral_id is not None:
        referral = session.exec(
            scoped(Referral, actor).where(Referral.id == form.referral_id, Referral.person_id == person.id)
        ).first()
        referral_id = referral.id if referral else None
    stay = Stay(
        id=form.id or uuid.uuid4(),
        org_id=actor.org_id,  # type: ignore[arg-type]
        person_id=person.id,
        team_id=place.id if isinstance(place, Team) else None,
        structure_id=place.id if isinstance(place, Structure) else None,
        room=form.room,
        entered_on=form.entered_on,
        referral_id=referral_id,
        created_by=actor.user_id,
    )
    _room_taken(session, actor, stay)
    _flush_checked(session, stay)
    record(session, actor, "stay.created", entity_type="stay", entity_id=stay.id)
    return stay


def update_stay(session: Session, actor: Actor, stay: Stay, form: StayEditForm) -> Stay:
    actor.require("stays.write")
    check_version(stay, form.version)
    if stay.exited_on is not None and form.entered_on > stay.exited_on:
        raise FieldErrors(
            {"entered_on": _("The entry cannot be after the exit (%(day)s).", day=stay.exited_on.strftime("%d/%m/%Y"))}
        )
    stay.room, stay.entered_on = form.room, form.entered_on
    if stay.exited_on is None:
        _room_taken(session, actor, stay)
    _flush_checked(session, stay)
    record(session, actor, "stay.updated", entity_type="stay", entity_id=stay.id)
    return stay


def exit_stay(session: Session, actor: Actor, stay: Stay, form: ExitForm) -> Stay:
    actor.require("stays.write")
    if stay.exited_on is not None:
        if stay.exited_on == form.exited_on and stay.exit_to == form.exit_to:
            return stay  # the same exit sent twice
        raise Invalid(_("This stay already ended on %(day)s.", day=stay.exited_on.strftime("%d/%m/%Y")))
    check_version(stay, form.version)
    if form.exited_on < stay.entered_on:
        raise FieldErrors(
            {"exited_on": _("The exit cannot be before the entry (%(day)s).", day=stay.entered_on.strftime("%d/%m/%Y"))}
        )
    stay.exited_on = form.exited_on
    stay.exit_to = form.exit_to
    stay.exit_kind = EXITS[form.exit_to][0]
    seal(session, stay, "exit_note", form.exit_note)
    session.flush()
    record(session, actor, "stay.exited", entity_type="stay", entity_id=stay.id, details={"kind": stay.exit_kind})
    return stay


@dataclass
class StayView:
    stay: Stay
    person: Person
    place: str
    place_url: str
    exit_label: str | None
    exit_note: str | None
    days: int


def stay_view(session: Session, actor: Actor, stay: Stay) -> StayView:
    person = session.get(Person, stay.person_id)
    assert person is not None and person.org_id == actor.org_id
    end = stay.exited_on or utcnow().date()
    return StayView(
        stay=stay,
        person=person,
        place=place_name(session, stay),
        place_url=f"/stays/teams/{stay.team_id}" if stay.team_id else f"/structures/{stay.structure_id}",
        exit_label=_(EXITS[stay.exit_to][1]) if stay.exit_to in EXITS else None,
        exit_note=unseal(session, stay, "exit_note") if stay.exit_note else None,
        days=(end - stay.entered_on).days,
    )


def person_stays(session: Session, actor: Actor, person_id: uuid.UUID, limit: int = 50) -> list[Stay]:
    return list(
        session.exec(
            scoped(Stay, actor).where(Stay.person_id == person_id).order_by(col(Stay.entered_on).desc()).limit(limit)
        )
    )


# ---------------------------------------------------------------- procedures
def person_procedures(session: Session, actor: Actor, person_id: uuid.UUID) -> list[Procedure]:
    """A person's procedures, newest first (read once per request: the person's page shows them in its summary
    and its timeline)."""
    actor.require("stays.read")

    def read() -> list[Procedure]:
        stmt = scoped(Procedure, actor).where(Procedure.person_id == person_id)
        return list(session.exec(stmt.order_by(col(Procedure.started_on).desc()).limit(100)))

    return list(memo(session, ("procedures", actor.org_id, person_id), read))


def add_procedure(session: Session, actor: Actor, form: ProcedureForm) -> Procedure:
    actor.require("stays.write")
    if form.id is not None and (existing := session.get(Procedure, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"kind": _("This form was already used. Reload the page.")})
        return existing
    person = session.exec(scoped(Person, actor).where(Person.id == form.person_id)).first()
    if person is None:
        raise NotFound()
    procedure = Procedure(
        id=form.id or uuid.uuid4(),
        org_id=actor.org_id,  # type: ignore[arg-type]
        person_id=person.id,
        kind=form.kind,
        started_on=form.started_on,
        created_by=actor.user_id,
    )
    session.add(procedure)
    session.flush()
    record(session, actor, "procedure.started", entity_type="person", entity_id=person.id, details={"kind": form.kind})
    return procedure


def get_procedure(session: Session, actor: Actor, procedure_id: object) -> Procedure:
    procedure = get_or_404(session, actor, Procedure, procedure_id)
    actor.require("stays.write")
    return procedure


def finish_procedure(session: Session, actor: Actor, procedure: Procedure, day: date) -> None:
    if day < procedure.started_on:
        raise Invalid(
            _("A procedure cannot end before it started (%(day)s).", day=procedure.started_on.strftime("%d/%m/%Y"))
        )
    if procedure.done_on is None:
        procedure.done_on = day
        record(session, actor, "procedure.done", entity_type="person", entity_id=procedure.person_id)


def remove_procedure(session: Session, actor: Actor, procedure: Procedure) -> None:
    procedure.deleted_at = utcnow()
    record(session, actor, "procedure.removed", entity_type="person", entity_id=procedure.person_id)


def sheltered_with_procedures(session: Session, actor: Actor, start: date, end: date) -> tuple[int, int]:
    """(persons sheltered at some point between start and end, how many of them had started a procedure by
    end): the audit's "share of accommodated users who started health or social procedures"."""
    sheltered = (
        select(Stay.person_id)
        .where(Stay.org_id == actor.org_id, col(Stay.deleted_at).is_(None), Stay.entered_on <= end)
        .where(col(Stay.exited_on).is_(None) | (col(Stay.exited_on) >= start))
        .distinct()
    )
    total = session.exec(select(func.count()).select_from(sheltered.subquery())).one()
    started = session.exec(
        select(func.count(func.distinct(Procedure.person_id))).where(
            Procedure.org_id == actor.org_id,
            col(Procedure.deleted_at).is_(None),
            Procedure.started_on <= end,
            col(Procedure.person_id).in_(sheltered),
        )
    ).one()
    return total, started


# ---------------------------------------------------------------- the person's page, timeline and merge
@timeline.register_summary("stays", "stays.read")
def _summary(session: Session, actor: Actor, person_id: uuid.UUID) -> timeline.SummarySection:
    stay = current_stay(session, actor, person_id)
    items = []
    if stay is not None:
        place = place_name(session, stay)
        text = f"{place} · {stay.room}" if stay.room else place
        days = (utcnow().date() - stay.entered_on).days
        meta = _("since %(day)s (%(n)s days)", day=stay.entered_on.strftime("%d/%m/%Y"), n=days)
        items.append(timeline.SummaryItem(text, url=f"/stays/{stay.id}", meta=meta))
    procedures = person_procedures(session, actor, person_id)
    if procedures:
        kinds = ", ".join(_(PROCEDURES[p.kind]) for p in procedures[:6] if p.kind in PROCEDURES)
        items.append(
            timeline.SummaryItem(_("Procedures: %(kinds)s", kinds=kinds), url=f"/procedures?person_id={person_id}")
        )
    actions = []
    if actor.can("stays.write"):
        if stay is None:
            actions.append((_("+ Stay"), f"/stays/new?person_id={person_id}"))
        else:
            actions.append((_("Record the exit"), f"/stays/{stay.id}#exit"))
        actions.append((_("Procedures"), f"/procedures?person_id={person_id}"))
    return timeline.SummarySection("stays", _("Accommodation"), items, empty=_("Not accommodated."), actions=actions)


@timeline.register_timeline("stays", "stays.read")
def _timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, _before: datetime | None, _limit: int
) -> list[timeline.TimelineEntry]:
    entries = []
    for stay in person_stays(session, actor, person_id):
        place = place_name(session, stay)
        where = f"{place} · {stay.room}" if stay.room else place
        url = f"/stays/{stay.id}"
        entries.append(
            timeline.TimelineEntry(at_noon(stay.entered_on), "stay", _("Entered %(place)s", place=where), url=url)
        )
        if stay.exited_on is not None:
            label = _(EXITS[stay.exit_to][1]) if stay.exit_to in EXITS else ""
            title = _("Left %(place)s: %(exit)s", place=where, exit=label)
            note = unseal(session, stay, "exit_note") if stay.exit_note else None
            entries.append(timeline.TimelineEntry(at_noon(stay.exited_on), "stay-exit", title, body=note, url=url))
    for p in person_procedures(session, actor, person_id):
        label = _(PROCEDURES.get(p.kind, p.kind))
        url = f"/procedures?person_id={person_id}"
        entries.append(
            timeline.TimelineEntry(
                at_noon(p.started_on), "procedure", _("Procedure started: %(what)s", what=label), url=url
            )
        )
        if p.done_on is not None:
            entries.append(
                timeline.TimelineEntry(
                    at_noon(p.done_on), "procedure", _("Procedure completed: %(what)s", what=label), url=url
                )
            )
    return entries


timeline.register_person_column(Procedure, "person_id")


@timeline.register_merge_step
def _merge_stays(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """Both records in accommodation at once cannot become one person: the merge stops with a clear message."""
    open_ = (
        select(func.count())
        .select_from(Stay)
        .where(
            col(Stay.person_id).in_([survivor_id, merged_id]),
            col(Stay.exited_on).is_(None),
            col(Stay.deleted_at).is_(None),
        )
    )
    if session.exec(open_).one() > 1:
        raise Invalid(_("Both records have a current stay: record the exit of one of them, then merge."))
    for stay in session.exec(select(Stay).where(Stay.person_id == merged_id)).all():
        stay.person_id = survivor_id
    session.flush()
