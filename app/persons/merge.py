"""Merging two records of the same person: compare side by side, choose each field's surviving value, move
every linked row to the survivor (tables register themselves in timeline.register_person_column /
register_merge_step), keep both histories and record the merge itself."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from app.access import Actor, get_or_404
from app.admin.service import check_version
from app.audit.service import record
from app.crypto import Unreadable, reveal, seal
from app.errors import Invalid
from app.i18n import _
from app.models import (
    Person,
    PersonChange,
    PersonDocument,
    PersonExit,
    PersonLink,
    PersonMerge,
    PersonNote,
    PersonPlace,
    PersonTeam,
    utcnow,
)
from app.persons import fields, timeline
from app.persons.service import FIELD_LABELS, SEALED_FIELDS, _change, age_of, person_teams, set_names, shown

# Fields compared one by one; other aliases and teams are always united, dates of first contact take the earliest.
CHOSEN = [
    "alias",
    "gender",
    "birth_year",
    "languages",
    "nationality",
    "phone",
    "street_since",
    "alert",
    "description",
]

for _model in (PersonNote, PersonChange, PersonExit, PersonPlace, PersonDocument):
    timeline.register_person_column(_model, "person_id")
timeline.register_person_column(PersonLink, "person_id")
timeline.register_person_column(PersonLink, "other_id")


@timeline.register_merge_step
def _links_to_self(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """A link between the two merged records would now tie the person to themselves: it goes."""
    session.exec(
        delete(PersonLink).where(col(PersonLink.person_id) == survivor_id, col(PersonLink.other_id) == survivor_id)
    )  # type: ignore[call-overload]


@timeline.register_merge_step
def _teams(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    kept = set(session.exec(select(PersonTeam.team_id).where(PersonTeam.person_id == survivor_id)))
    for row in session.exec(select(PersonTeam).where(PersonTeam.person_id == merged_id)).all():
        if row.team_id not in kept:
            session.add(PersonTeam(person_id=survivor_id, team_id=row.team_id, org_id=row.org_id))
    session.exec(delete(PersonTeam).where(col(PersonTeam.person_id) == merged_id))  # type: ignore[call-overload]


@dataclass
class Line:
    name: str  # form field: a plain field name, or cf_<id>
    label: str
    left: str
    right: str

    @property
    def same(self) -> bool:
        return self.left == self.right


def _display(name: str, value: Any) -> str:
    if name == "alert":
        return _("Yes") if value else _("No")
    return fields.display_value(None, value) if value is not None else ""


def pair(session: Session, actor: Actor, person: Person, other_id: object) -> Person:
    """The other record of a merge: same organisation (another organisation's is a 404), live, not itself."""
    actor.require("persons.merge")
    other = get_or_404(session, actor, Person, other_id)
    if other.id == person.id:
        raise Invalid(_("A record cannot be merged with itself. Choose the other record of this person."))
    return other


def _value(session: Session, actor: Actor, person: Person, name: str):
    return reveal(session, person, name, actor) if name in SEALED_FIELDS else getattr(person, name)


def compare(session: Session, actor: Actor, left: Person, right: Person) -> list[Line]:
    actor.require("persons.merge")
    lines = []
    for name in CHOSEN:
        lv, rv = _value(session, actor, left, name), _value(session, actor, right, name)
        if name == "alert":
            lr, rr = _value(session, actor, left, "alert_reason"), _value(session, actor, right, "alert_reason")
            lv = f"{_display(name, lv)}{' · ' + lr if left.alert and lr else ''}"
            rv = f"{_display(name, rv)}{' · ' + rr if right.alert and rr else ''}"
        else:
            lv, rv = _display(name, lv), _display(name, rv)
        lines.append(Line(name, _(FIELD_LABELS[name]), lv, rv))
    for f in fields.list_fields(session, actor, include_archived=True):
        key = str(f.id)
        lv, rv = fields.display_value(f, left.custom.get(key)), fields.display_value(f, right.custom.get(key))
        if lv or rv:
            lines.append(Line(f"cf_{key}", f.label, lv, rv))
    return lines


@dataclass
class Side:
    person: Person
    teams: list[str]
    age: int | None


def side(session: Session, person: Person) -> Side:
    return Side(person, [t.name for t in person_teams(session, person.id)], age_of(person))


def merge(
    session: Session,
    actor: Actor,
    survivor: Person,
    merged: Person,
    choices: dict[str, str],
    versions: tuple[int | None, int | None] = (None, None),
) -> PersonMerge:
    """Merge `merged` into `survivor`. `choices` maps a field (see compare()) to "left" (the survivor's value,
    the default) or "right" (the merged record's)."""
    actor.require("persons.merge")
    if survivor.id == merged.id:
        raise Invalid(_("A record cannot be merged with itself. Choose the other record of this person."))
    if survivor.org_id != actor.org_id or merged.org_id != actor.org_id:
        raise Invalid(_("These records cannot be merged."))
    check_version(survivor, versions[0])
    check_version(merged, versions[1])
    now = utcnow()
    taken: dict[str, str] = {}
    for name in CHOSEN:
        if choices.get(name) == "right":
            names = [name, "alert_reason"] if name == "alert" else [name]
            for field in names:
                old, new = _value(session, actor, survivor, field), _value(session, actor, merged, field)
                if isinstance(new, Unreadable):
                    continue  # a damaged text is not copied over a readable one
                _record_change(session, actor, survivor, field, None if isinstance(old, Unreadable) else old, new, now)
                if field in SEALED_FIELDS:  # a ciphertext is bound to its record: decrypted, then sealed anew
                    seal(session, survivor, field, new)
                else:
                    setattr(survivor, field, new)
            taken[name] = "right"
    custom = dict(survivor.custom)
    for key, value in merged.custom.items():
        if key not in custom or choices.get(f"cf_{key}") == "right":
            if shown(custom.get(key)) != shown(value):
                _record_change(session, actor, survivor, f"cf:{key}", custom.get(key), value, now)
            custom[key] = value
            taken[f"cf_{key}"] = "right"
    survivor.custom = custom
    # Every alias either record was known by stays searchable on the survivor.
    aliases = [*survivor.other_aliases, merged.alias, *merged.other_aliases]
    others = []
    for a in aliases:
        if a.lower() != survivor.alias.lower() and a.lower() not in {o.lower() for o in others}:
            others.append(a)
    if others != survivor.other_aliases:
        _record_change(session, actor, survivor, "other_aliases", survivor.other_aliases, others, now)
        survivor.other_aliases = others[:40]
    if merged.first_met_on and (survivor.first_met_on is None or merged.first_met_on < survivor.first_met_on):
        survivor.first_met_on = merged.first_met_on
    if merged.last_contact_at > survivor.last_contact_at:
        survivor.last_contact_at, survivor.last_contact_by = merged.last_contact_at, merged.last_contact_by
    survivor.active = survivor.active or merged.active
    session.flush()
    for step in timeline.merge_steps():
        step(session, survivor.id, merged.id)
    merged.deleted_at = now
    merged.merged_into_id = survivor.id
    set_names(session, merged)
    set_names(session, survivor)
    label = f"{merged.alias} ({merged.code})"
    _change(session, actor, survivor, "merged", "merged", None, label, at=now)
    entry = PersonMerge(
        org_id=survivor.org_id,
        survivor_id=survivor.id,
        merged_id=merged.id,
        user_id=actor.user_id,
        at=now,
        choices=taken,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        actor,
        "person.merged",
        entity_type="person",
        entity_id=survivor.id,
        details={"merged_id": str(merged.id)},
    )
    # Also under the merged record, so that the audit filtered by its (old) code shows where it went.
    record(
        session,
        actor,
        "person.merged_into",
        entity_type="person",
        entity_id=merged.id,
        details={"survivor_id": str(survivor.id)},
    )
    return entry


def _record_change(session, actor, person, name, old, new, at) -> None:
    if shown(old) != shown(new):
        _change(session, actor, person, "updated", name, shown(old), shown(new), at=at)
