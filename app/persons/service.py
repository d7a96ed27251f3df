"""Persons: create and edit (with the history of every change), the views each role may receive, notes,
the active list, family links, places and deletion. Search is in search.py, merge in merge.py, documents in
documents.py, custom fields in fields.py; the extension points of the page in timeline.py."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, delete, or_, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.crypto import Unreadable, encrypted_column, reveal, seal
from app.errors import Forbidden, Invalid, NotFound
from app.i18n import _, lazy
from app.models import (
    CustomField,
    ExitReason,
    Person,
    PersonChange,
    PersonExit,
    PersonLink,
    PersonName,
    PersonNote,
    PersonPlace,
    PersonTeam,
    Team,
    User,
    utcnow,
)
from app.persons import codes, fields, timeline
from app.persons.forms import ExitForm, LinkForm, NoteForm, PersonForm, PlaceForm
from app.persons.names import name_rows
from app.web import TZ

FIELD_LABELS = {
    "alias": lazy("Alias"),
    "other_aliases": lazy("Other aliases"),
    "gender": lazy("Gender"),
    "birth_year": lazy("Birth year"),
    "languages": lazy("Languages"),
    "nationality": lazy("Nationality"),
    "phone": lazy("Phone"),
    "first_met_on": lazy("First met on"),
    "street_since": lazy("On the street since"),
    "alert": lazy("Vulnerability alert"),
    "alert_reason": lazy("Alert reason"),
    "description": lazy("Description"),
    "teams": lazy("Teams"),
}
PLAIN_FIELDS = [k for k in FIELD_LABELS if k != "teams"]
# Free texts of a person, encrypted at rest (app/crypto.py). Aliases and the code stay in clear: search needs them.
SEALED_FIELDS = ("phone", "alert_reason", "description", "delete_reason")
for _name in SEALED_FIELDS:
    encrypted_column(Person, _name)
encrypted_column(PersonNote, "body")
encrypted_column(PersonChange, "old")
encrypted_column(PersonChange, "new")


def can_read(actor: Actor) -> bool:
    return actor.can("persons.read") or actor.can("persons.basic")


def require_read(actor: Actor) -> None:
    if not can_read(actor):
        raise Forbidden()


def is_basic(actor: Actor) -> bool:
    """The reception role: alias, code, alert and presence only, enforced here rather than in templates."""
    return not actor.can("persons.read")


# ---------------------------------------------------------------- views
@dataclass
class BasicView:
    """What the reception role receives about a person: nothing more exists in its pages."""

    id: uuid.UUID
    alias: str
    code: str
    alert: bool
    presence: str | None
    basic: bool = True


@dataclass
class FullView:
    person: Person
    teams: list[Team]
    age: int | None
    last_seen_by: str | None
    open_needs: int
    presence: str | None
    exits: list[tuple[PersonExit, str, str | None]]  # open exits: (exit, reason label, team name or None)
    custom: list[tuple[str, str]]  # (label, displayed value) of every field that has a value
    texts: dict[str, str | None]  # the decrypted free texts: phone, alert_reason, description
    basic: bool = False

    @property
    def id(self) -> uuid.UUID:
        return self.person.id

    @property
    def alias(self) -> str:
        return self.person.alias

    @property
    def code(self) -> str:
        return self.person.code

    @property
    def alert(self) -> bool:
        return self.person.alert


def resolve(session: Session, actor: Actor, person_id: object) -> Person:
    """The live person with this id; a merged record leads to its survivor; a deleted one does not exist."""
    require_read(actor)
    person = get_or_404(session, actor, Person, person_id, include_deleted=True)
    for _hop in range(10):
        if person.deleted_at is None:
            return person
        if person.merged_into_id is None:
            break
        person = get_or_404(session, actor, Person, person.merged_into_id, include_deleted=True)
    raise NotFound()


def get_for_write(session: Session, actor: Actor, person_id: object) -> Person:
    person = get_or_404(session, actor, Person, person_id)
    actor.require("persons.write")
    return person


def texts(session: Session, actor: Actor, person: Person) -> dict[str, str | None]:
    """The person's encrypted free texts, decrypted (Unreadable when damaged)."""
    return {name: reveal(session, person, name, actor) for name in ("phone", "alert_reason", "description")}


def age_of(person: Person) -> int | None:
    return utcnow().year - person.birth_year if person.birth_year else None


def view(session: Session, actor: Actor, person: Person) -> BasicView | FullView:
    require_read(actor)
    presence = timeline.presence(session, actor, person.id)
    if is_basic(actor):
        return BasicView(person.id, person.alias, person.code, person.alert, presence)
    custom_defs = {str(f.id): f for f in fields.list_fields(session, actor, include_archived=True)}
    custom = []
    for f in custom_defs.values():
        shown = fields.display_value(f, person.custom.get(str(f.id)))
        if shown:
            custom.append((f.label, shown))
    last_by = session.get(User, person.last_contact_by) if person.last_contact_by else None
    return FullView(
        person=person,
        teams=person_teams(session, person.id),
        age=age_of(person),
        last_seen_by=last_by.name if last_by else None,
        open_needs=timeline.count(session, actor, person.id, "open_needs"),
        presence=presence,
        exits=open_exits(session, actor, person),
        custom=custom,
        texts=texts(session, actor, person),
    )


def person_teams(session: Session, person_id: uuid.UUID) -> list[Team]:
    return list(
        session.exec(
            select(Team)
            .join(PersonTeam, col(PersonTeam.team_id) == col(Team.id))
            .where(PersonTeam.person_id == person_id)
            .order_by(Team.name)
        )
    )


def teams_by_person(session: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {}
    if not person_ids:
        return out
    for pid, name in session.exec(
        select(PersonTeam.person_id, Team.name)
        .join(Team, col(Team.id) == col(PersonTeam.team_id))
        .where(col(PersonTeam.person_id).in_(person_ids))
        .order_by(Team.name)
    ):
        out.setdefault(pid, []).append(name)
    return out


def user_names(session: Session, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())  # type: ignore[arg-type]


# ---------------------------------------------------------------- create and edit
def _values(form: PersonForm) -> dict[str, Any]:
    return {
        "alias": form.alias,
        "other_aliases": form.alias_list,
        "gender": form.gender,
        "birth_year": form.birth_year,
        "languages": form.language_list,
        "nationality": form.nationality,
        "phone": form.phone,
        "first_met_on": form.first_met_on,
        "street_since": form.street_since,
        "alert": form.alert,
        "alert_reason": form.alert_reason if form.alert else None,
        "description": form.description,
    }


def shown(value: Any) -> str | None:
    """A value as kept in the history (language-neutral: dates ISO, yes/no as true/false)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _check_teams(session: Session, actor: Actor, team_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    wanted = set(team_ids)
    if not wanted:
        return []
    valid = set(session.exec(select(Team.id).where(Team.org_id == actor.org_id, col(Team.id).in_(wanted))))
    if valid != wanted:
        raise FieldErrors({"team_ids": _("Choose one of the options.")})
    return sorted(wanted)


def _custom_values(
    session: Session, actor: Actor, person: Person | None, custom_raw: dict[str, list[str]]
) -> tuple[dict[str, Any], list[CustomField]]:
    shown_fields = fields.form_fields(session, actor)
    parsed, errors = fields.parse_custom(shown_fields, custom_raw)
    if errors:
        raise FieldErrors(errors)
    merged = dict(person.custom) if person is not None else {}
    for key, value in parsed.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged, shown_fields


def new_unique_code(session: Session, org_id: uuid.UUID) -> str:
    for _attempt in range(20):
        code = codes.new_code()
        if session.exec(select(Person.id).where(Person.org_id == org_id, Person.code == code)).first() is None:
            return code
    raise RuntimeError("no free personal code after 20 draws")  # 244 million codes: does not happen


def set_names(session: Session, person: Person) -> None:
    """Rebuild the search rows of a person (see names.py)."""
    session.exec(delete(PersonName).where(col(PersonName.person_id) == person.id))  # type: ignore[call-overload]
    if person.deleted_at is not None:
        return
    aliases = [(person.alias, True)] + [(a, False) for a in person.other_aliases]
    for norm, key, primary in name_rows(aliases):
        session.add(PersonName(org_id=person.org_id, person_id=person.id, norm=norm, key=key, primary=primary))


def _set_teams(session: Session, person: Person, team_ids: list[uuid.UUID]) -> None:
    session.exec(delete(PersonTeam).where(col(PersonTeam.person_id) == person.id))  # type: ignore[call-overload]
    for team_id in team_ids:
        session.add(PersonTeam(person_id=person.id, team_id=team_id, org_id=person.org_id))


def _change(session: Session, actor: Actor, person: Person, kind: str, name=None, old=None, new=None, at=None):
    row = PersonChange(
        org_id=person.org_id, person_id=person.id, user_id=actor.user_id, at=at or utcnow(), kind=kind, field=name
    )
    seal(session, row, "old", old)
    seal(session, row, "new", new)
    session.add(row)


def create_person(
    session: Session, actor: Actor, form: PersonForm, custom_raw: dict[str, list[str]] | None = None
) -> Person:
    actor.require("persons.write")
    if form.id is not None:
        existing = session.get(Person, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"alias": _("This form was already used. Reload the page.")})
            return existing  # the same form sent twice: one person
    team_ids = _check_teams(session, actor, form.team_ids)
    custom, _shown = _custom_values(session, actor, None, custom_raw or {})
    now = utcnow()
    values = _values(form)
    person = Person(
        id=form.id or uuid.uuid4(),
        org_id=actor.org_id,  # type: ignore[arg-type]
        code=new_unique_code(session, actor.org_id),  # type: ignore[arg-type]
        custom=custom,
        created_by=actor.user_id,
        last_contact_at=now,
        last_contact_by=actor.user_id,
        **{k: v for k, v in values.items() if k not in SEALED_FIELDS},
    )
    for name in SEALED_FIELDS:
        if name in values:
            seal(session, person, name, values[name])
    session.add(person)
    session.flush()
    _set_teams(session, person, team_ids)
    set_names(session, person)
    _change(session, actor, person, "created", at=now)
    session.flush()
    record(session, actor, "person.created", entity_type="person", entity_id=person.id)
    return person


def update_person(
    session: Session, actor: Actor, person: Person, form: PersonForm, custom_raw: dict[str, list[str]] | None = None
) -> Person:
    """Save an edit made on `form.version`; Conflict when someone saved in between. Every changed field is
    kept in the history (who, when, old -> new)."""
    actor.require("persons.write")
    check_version(person, form.version)
    team_ids = _check_teams(session, actor, form.team_ids)
    custom, shown_fields = _custom_values(session, actor, person, custom_raw or {})
    now = utcnow()
    changed = []
    clear = texts(session, actor, person)
    for name, value in _values(form).items():
        old = clear[name] if name in clear else getattr(person, name)
        if isinstance(old, Unreadable) and not value:
            continue  # a damaged text is kept as it is until something new is typed in its place
        if shown(old) != shown(value):
            before = None if isinstance(old, Unreadable) else shown(old)
            _change(session, actor, person, "updated", name, before, shown(value), at=now)
            if name in SEALED_FIELDS:
                seal(session, person, name, value)
            else:
                setattr(person, name, value)
            changed.append(name)
    old_teams = [t.id for t in person_teams(session, person.id)]
    if sorted(old_teams) != team_ids:
        names = dict(session.exec(select(Team.id, Team.name).where(Team.org_id == actor.org_id)).all())  # type: ignore[arg-type]
        before = ", ".join(sorted(names.get(t, "?") for t in old_teams)) or None
        after = ", ".join(sorted(names.get(t, "?") for t in team_ids)) or None
        _change(session, actor, person, "updated", "teams", before, after, at=now)
        _set_teams(session, person, team_ids)
        changed.append("teams")
    for f in shown_fields:
        key = str(f.id)
        if shown(person.custom.get(key)) != shown(custom.get(key)):
            _change(
                session,
                actor,
                person,
                "updated",
                f"cf:{key}",
                shown(person.custom.get(key)),
                shown(custom.get(key)),
                at=now,
            )
            changed.append("custom")
    if person.custom != custom:
        person.custom = custom
    if {"alias", "other_aliases"} & set(changed):
        set_names(session, person)
    session.flush()
    if changed:
        record(
            session,
            actor,
            "person.updated",
            entity_type="person",
            entity_id=person.id,
            details={"changed": sorted(set(changed))},
        )
    return person


def form_values(session: Session, actor: Actor, person: Person | None) -> dict[str, Any]:
    """The edit form's values for `person` (or a new one, with a fresh client id and today's team)."""
    if person is None:
        today = utcnow().astimezone(TZ).date().isoformat()
        return {"id": uuid.uuid4(), "team_ids": [actor.team_id] if actor.team_id else [], "first_met_on": today}
    values: dict[str, Any] = person.model_dump(exclude=set(SEALED_FIELDS))
    for name, text in texts(session, actor, person).items():
        values[name] = "" if isinstance(text, Unreadable) else text
    values["other_aliases"] = "\n".join(person.other_aliases)
    values["languages"] = ", ".join(person.languages)
    values["team_ids"] = [t.id for t in person_teams(session, person.id)]
    for key, value in person.custom.items():
        values[f"cf_{key}"] = fields.form_value(value)
    return values


def touch_contact(session: Session, person: Person, user_id: uuid.UUID | None, at: datetime) -> None:
    """For later kinds of record (encounters, check-ins...): a contact at `at` updates the last contact."""
    if at > person.last_contact_at:
        person.last_contact_at = at
        person.last_contact_by = user_id


# ---------------------------------------------------------------- history
@dataclass
class Change:
    at: datetime
    by: str | None
    label: str
    old: str | None
    new: str | None


def changes(session: Session, actor: Actor, person: Person, limit: int = 100) -> list[Change]:
    actor.require("persons.history")
    rows = list(
        session.exec(
            select(PersonChange)
            .where(PersonChange.person_id == person.id, PersonChange.org_id == actor.org_id)
            .where(PersonChange.kind == "updated")
            .order_by(col(PersonChange.at).desc())
            .limit(limit)
        )
    )
    names = user_names(session, {r.user_id for r in rows})
    labels = {f"cf:{f.id}": f.label for f in fields.list_fields(session, actor, include_archived=True)}
    return [
        Change(
            r.at,
            names.get(r.user_id) if r.user_id else None,
            field_label(r.field, labels),
            reveal(session, r, "old", actor),
            reveal(session, r, "new", actor),
        )
        for r in rows
    ]


def field_label(name: str | None, custom_labels: dict[str, str]) -> str:
    if name in FIELD_LABELS:
        return _(FIELD_LABELS[name])
    return custom_labels.get(name or "", name or "")


@timeline.register_timeline("persons.history", "persons.history")
def _history_entries(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    stmt = select(PersonChange).where(PersonChange.person_id == person_id, PersonChange.org_id == actor.org_id)
    stmt = timeline.older_than(stmt, PersonChange.at, before)
    # One entry groups the fields changed at once: a few rows per entry.
    rows = list(session.exec(stmt.order_by(col(PersonChange.at).desc()).limit(limit * 5)))
    names = user_names(session, {r.user_id for r in rows})
    labels = {f"cf:{f.id}": f.label for f in fields.list_fields(session, actor, include_archived=True)}
    grouped: dict[tuple, list[PersonChange]] = {}
    for r in rows:
        grouped.setdefault((r.at, r.user_id, r.kind), []).append(r)
    entries = []
    for (at, user_id, kind), group in grouped.items():
        by = names.get(user_id) if user_id else None
        if kind == "created":
            entries.append(timeline.TimelineEntry(at, "created", _("Record created"), by=by))
        elif kind == "updated":
            what = ", ".join(field_label(r.field, labels) for r in group)
            entries.append(timeline.TimelineEntry(at, "change", _("Record updated: %(what)s", what=what), by=by))
        else:
            for r in group:
                title = {
                    "merged": _("Merged with another record"),
                    "left": _("Left the active list"),
                    "returned": _("Back on the active list"),
                }.get(kind, kind)
                entries.append(timeline.TimelineEntry(at, kind, title, body=reveal(session, r, "new", actor), by=by))
    return entries


# ---------------------------------------------------------------- notes
def add_note(session: Session, actor: Actor, person: Person, form: NoteForm) -> PersonNote:
    actor.require("notes.write")
    if form.id is not None:
        existing = session.get(PersonNote, form.id)
        if existing is not None:
            if existing.org_id != actor.org_id:
                raise FieldErrors({"body": _("This form was already used. Reload the page.")})
            return existing
    note = PersonNote(
        id=form.id or uuid.uuid4(),
        org_id=person.org_id,
        person_id=person.id,
        urgent=form.urgent,
        team_id=actor.team_id,
        author_id=actor.user_id,
    )
    if form.at is not None:  # written offline, sent later: the timeline shows when it was written
        note.created_at = min(form.at, utcnow())
    seal(session, note, "body", form.body)
    session.add(note)
    session.flush()
    record(session, actor, "note.created", entity_type="person", entity_id=person.id, details={"urgent": form.urgent})
    return note


def get_note(session: Session, actor: Actor, person: Person, note_id: object) -> PersonNote:
    note = get_or_404(session, actor, PersonNote, note_id)
    if note.person_id != person.id:
        raise NotFound()
    return note


def handle_note(session: Session, actor: Actor, note: PersonNote) -> None:
    actor.require("notes.write")
    if note.handled_at is None:
        note.handled_at = utcnow()
        note.handled_by = actor.user_id
        record(session, actor, "note.handled", entity_type="person", entity_id=note.person_id)


@timeline.register_timeline("persons.notes", "notes.read")
def _note_entries(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    stmt = scoped(PersonNote, actor).where(PersonNote.person_id == person_id)
    stmt = timeline.older_than(stmt, PersonNote.created_at, before)
    notes = list(session.exec(stmt.order_by(col(PersonNote.created_at).desc()).limit(limit)))
    names = user_names(session, {n.author_id for n in notes})
    return [
        timeline.TimelineEntry(
            n.created_at,
            "note",
            _("Urgent note") if n.urgent and not n.handled_at else _("Note"),
            body=reveal(session, n, "body", actor),
            by=names.get(n.author_id) if n.author_id else None,
            urgent=n.urgent and n.handled_at is None,
            url=f"/persons/{person_id}/notes/{n.id}/handled" if n.urgent and not n.handled_at else None,
        )
        for n in notes
    ]


@dataclass
class UrgentNote:
    note: PersonNote
    body: str | None
    alias: str
    author: str | None


def urgent_notes(session: Session, actor: Actor, team_id: uuid.UUID | None, limit: int = 20) -> list[UrgentNote]:
    """Urgent notes not yet handled, for a team's home page: notes written from the team or about persons it
    follows."""
    if team_id is None or not actor.can("notes.read"):
        return []
    followed = select(PersonTeam.person_id).where(PersonTeam.team_id == team_id)
    rows = session.exec(
        scoped(PersonNote, actor)
        .join(Person, col(Person.id) == col(PersonNote.person_id))
        .where(col(PersonNote.urgent).is_(True), col(PersonNote.handled_at).is_(None), col(Person.deleted_at).is_(None))
        .where(or_(PersonNote.team_id == team_id, col(PersonNote.person_id).in_(followed)))
        .order_by(col(PersonNote.created_at).desc())
        .limit(limit)
    ).all()
    persons = {
        p.id: p.alias for p in session.exec(select(Person).where(col(Person.id).in_({n.person_id for n in rows})))
    }
    names = user_names(session, {n.author_id for n in rows})
    return [
        UrgentNote(
            n,
            reveal(session, n, "body", actor),
            persons.get(n.person_id, ""),
            names.get(n.author_id) if n.author_id else None,
        )
        for n in rows
    ]


# ---------------------------------------------------------------- active list
def open_exits(session: Session, actor: Actor, person: Person) -> list[tuple[PersonExit, str, str | None]]:
    rows = session.exec(
        select(PersonExit, ExitReason.label, Team.name)
        .join(ExitReason, col(ExitReason.id) == col(PersonExit.reason_id), isouter=True)
        .join(Team, col(Team.id) == col(PersonExit.team_id), isouter=True)
        .where(PersonExit.person_id == person.id, PersonExit.org_id == actor.org_id)
        .where(col(PersonExit.returned_on).is_(None), col(PersonExit.deleted_at).is_(None))
        .order_by(col(PersonExit.left_on).desc())
    ).all()
    return [(e, label or "", team) for e, label, team in rows]


def leave_active_list(session: Session, actor: Actor, person: Person, form: ExitForm) -> PersonExit:
    actor.require("persons.write")
    reason = session.exec(
        scoped(ExitReason, actor).where(ExitReason.id == form.reason_id, col(ExitReason.archived_at).is_(None))
    ).first()
    if reason is None:
        raise FieldErrors({"reason_id": _("Choose one of the options.")})
    team_name = None
    if form.team_id is not None:
        team = session.exec(scoped(Team, actor).where(Team.id == form.team_id)).first()
        if team is None:
            raise FieldErrors({"team_id": _("Choose one of the options.")})
        team_name = team.name
    if any(e.team_id == form.team_id for e, _l, _t in open_exits(session, actor, person)):
        raise FieldErrors({"reason_id": _("This person is already off this active list.")})
    exit_ = PersonExit(
        org_id=person.org_id,
        person_id=person.id,
        team_id=form.team_id,
        reason_id=reason.id,
        left_on=form.left_on,
        by_user=actor.user_id,
    )
    session.add(exit_)
    if form.team_id is None:
        person.active = False
    where = team_name or _("the whole organisation")
    _change(session, actor, person, "left", "active", None, f"{reason.label} · {where} · {form.left_on.isoformat()}")
    session.flush()
    record(session, actor, "person.left_active_list", entity_type="person", entity_id=person.id)
    return exit_


def come_back(session: Session, actor: Actor, person: Person, exit_id: uuid.UUID) -> None:
    actor.require("persons.write")
    exit_ = get_or_404(session, actor, PersonExit, exit_id)
    if exit_.person_id != person.id:
        raise NotFound()
    if exit_.returned_on is not None:
        return
    exit_.returned_on = utcnow().date()
    if exit_.team_id is None:
        person.active = True
    team = session.get(Team, exit_.team_id) if exit_.team_id else None
    _change(session, actor, person, "returned", "active", None, team.name if team else _("the whole organisation"))
    session.flush()
    record(session, actor, "person.returned_to_active_list", entity_type="person", entity_id=person.id)


# ---------------------------------------------------------------- family and group links, places
@dataclass
class LinkRow:
    link: PersonLink
    other_id: uuid.UUID
    other_alias: str
    other_code: str


def links(session: Session, actor: Actor, person: Person) -> list[LinkRow]:
    actor.require("persons.read")
    rows = session.exec(
        scoped(PersonLink, actor).where(or_(PersonLink.person_id == person.id, PersonLink.other_id == person.id))
    ).all()
    other_ids = {r.other_id if r.person_id == person.id else r.person_id for r in rows}
    others = {p.id: p for p in session.exec(scoped(Person, actor).where(col(Person.id).in_(other_ids)))}
    out = []
    for r in rows:
        oid = r.other_id if r.person_id == person.id else r.person_id
        if oid in others:
            out.append(LinkRow(r, oid, others[oid].alias, others[oid].code))
    return sorted(out, key=lambda r: r.other_alias.lower())


def add_link(session: Session, actor: Actor, person: Person, form: LinkForm) -> PersonLink:
    actor.require("persons.write")
    if form.id is not None and (existing := session.get(PersonLink, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"relation": _("This form was already used. Reload the page.")})
        return existing
    other = session.exec(scoped(Person, actor).where(Person.id == form.other_id)).first()
    if other is None:
        raise FieldErrors({"other_id": _("Choose the other person in the list.")})
    if other.id == person.id:
        raise FieldErrors({"other_id": _("A person cannot be linked to themselves.")})
    link = PersonLink(
        id=form.id or uuid.uuid4(),
        org_id=person.org_id,
        person_id=person.id,
        other_id=other.id,
        relation=form.relation,
        created_by=actor.user_id,
    )
    session.add(link)
    session.flush()
    record(session, actor, "person.link_added", entity_type="person", entity_id=person.id)
    return link


def remove_link(session: Session, actor: Actor, person: Person, link_id: object) -> None:
    actor.require("persons.write")
    link = get_or_404(session, actor, PersonLink, link_id)
    if person.id not in (link.person_id, link.other_id):
        raise NotFound()
    link.deleted_at = utcnow()
    record(session, actor, "person.link_removed", entity_type="person", entity_id=person.id)


def places(session: Session, actor: Actor, person: Person) -> list[PersonPlace]:
    actor.require("persons.read")
    return list(
        session.exec(scoped(PersonPlace, actor).where(PersonPlace.person_id == person.id).order_by(PersonPlace.name))
    )


def add_place(session: Session, actor: Actor, person: Person, form: PlaceForm) -> PersonPlace:
    actor.require("persons.write")
    if form.id is not None and (existing := session.get(PersonPlace, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"name": _("This form was already used. Reload the page.")})
        return existing
    place = PersonPlace(
        id=form.id or uuid.uuid4(), org_id=person.org_id, person_id=person.id, name=form.name, created_by=actor.user_id
    )
    session.add(place)
    session.flush()
    return place


def remove_place(session: Session, actor: Actor, person: Person, place_id: object) -> None:
    actor.require("persons.write")
    place = get_or_404(session, actor, PersonPlace, place_id)
    if place.person_id != person.id:
        raise NotFound()
    place.deleted_at = utcnow()


# ---------------------------------------------------------------- delete
def delete_person(session: Session, actor: Actor, person: Person, reason: str) -> None:
    """Admin only: the record leaves every list at once; the daily purge erases it for good after the grace period
    (app/privacy/service.py GRACE_DAYS)."""
    actor.require("persons.delete")
    if not reason.strip():
        raise Invalid(_("Say why this record is deleted."))
    person.deleted_at = utcnow()
    person.deleted_by = actor.user_id
    seal(session, person, "delete_reason", reason.strip())
    set_names(session, person)
    session.flush()
    # The reason may name the person: it stays on the record, not in the audit log.
    record(session, actor, "person.deleted", entity_type="person", entity_id=person.id)
