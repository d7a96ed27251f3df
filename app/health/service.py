"""Health data: medical files, consultations and treatments, for health roles only.

Every function here checks "health.read" or "health.write" (app/access.py: the health role, and admins whose
`health_access` another admin set). No other role ever receives a value from these tables: the person page,
timeline, search, exports and indicators of the other roles are built without them, and
tests/test_health_privacy.py walks every page as each other role to prove it. A consultation marked private is
seen by its author only. The medical content of each record is one JSON document encrypted at rest
(app/crypto.py); every view of a medical file or of a consultation is written to the audit log."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlmodel import Session, col, func, or_, select

from app import i18n
from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.crypto import Unreadable, encrypted_column, reveal, seal
from app.errors import NotFound
from app.health.forms import (
    CARE,
    INSURANCE,
    PRODUCTS,
    ROUTES,
    STATUSES,
    VITALS,
    ConsultationForm,
    ConsultationTypeForm,
    MedicalFileForm,
    TreatmentForm,
)
from app.i18n import _, lazy
from app.models import Consultation, ConsultationType, MedicalFile, Person, Treatment, utcnow
from app.persons import fields, timeline
from app.persons.service import user_names
from app.web import TZ

for _model in (MedicalFile, Consultation, Treatment):
    encrypted_column(_model, "content")
timeline.register_person_column(Consultation)
timeline.register_person_column(Treatment)

DEFAULT_TYPES = [lazy("Nurse"), lazy("Doctor"), lazy("Psychologist"), lazy("Psychiatrist")]
FILE_TEXTS = ("insurance_details", "care_structures", "products_other", "vulnerabilities", "history")


def require_read(actor: Actor) -> None:
    actor.require("health.read")


def require_write(actor: Actor) -> None:
    actor.require("health.write")


def _load(session: Session, actor: Actor | None, obj) -> tuple[dict[str, Any], bool]:
    """The decrypted content of a health record, and whether it could be read (a damaged one is audited)."""
    text = reveal(session, obj, "content", actor)
    if isinstance(text, Unreadable):
        return {}, False
    return (json.loads(text) if text else {}), True


def _store(session: Session, obj, data: dict[str, Any]) -> None:
    seal(session, obj, "content", json.dumps(data, ensure_ascii=False, sort_keys=True))


def _labels(keys: list[str], labels: dict[str, str]) -> str:
    return ", ".join(_(labels[k]) for k in keys if k in labels)


# ---------------------------------------------------------------- medical file
@dataclass
class FileView:
    file: MedicalFile | None
    lines: list[tuple[str, str]]  # (label, value shown) of everything filled in
    readable: bool = True


def medical_file(session: Session, actor: Actor, person: Person) -> MedicalFile | None:
    require_read(actor)
    return session.exec(scoped(MedicalFile, actor).where(MedicalFile.person_id == person.id)).first()


def file_view(session: Session, actor: Actor, person: Person, *, audit: bool = True) -> FileView:
    """The medical file as shown on the health page. Audited: every view of a medical file is (an export is
    audited as a whole instead)."""
    mf = medical_file(session, actor, person)
    if audit:
        record(session, actor, "health.file_viewed", entity_type="person", entity_id=person.id)
    if mf is None:
        return FileView(None, [])
    data, readable = _load(session, actor, mf)
    lines: list[tuple[str, str]] = []
    if data.get("insurance"):
        shown = _(INSURANCE.get(data["insurance"], data["insurance"]))
        lines.append(
            (
                _("Health insurance"),
                shown + (f" · {data['insurance_details']}" if data.get("insurance_details") else ""),
            )
        )
    if data.get("care_structures"):
        lines.append((_("Usual care structures"), data["care_structures"]))
    products = _labels(data.get("products", []), PRODUCTS)
    if data.get("products_other"):
        products = ", ".join(p for p in (products, data["products_other"]) if p)
    if products:
        lines.append((_("Products used"), products))
    if data.get("routes"):
        lines.append((_("Routes"), _labels(data["routes"], ROUTES)))
    if data.get("vulnerabilities"):
        lines.append((_("Vulnerabilities"), data["vulnerabilities"]))
    if data.get("history"):
        lines.append((_("Medical history"), data["history"]))
    custom = data.get("custom", {})
    for f in fields.list_fields(session, actor, include_archived=True, scope="medical"):
        shown = fields.display_value(f, custom.get(str(f.id)))
        if shown:
            lines.append((f.label, shown))
    return FileView(mf, lines, readable)


def file_form_values(session: Session, actor: Actor, person: Person) -> tuple[dict[str, Any], bool]:
    """The medical file form's values, and whether the stored file could be read."""
    mf = medical_file(session, actor, person)
    if mf is None:
        return {"insurance": "unknown", "products": [], "routes": []}, True
    data, readable = _load(session, actor, mf)
    values: dict[str, Any] = {k: v for k, v in data.items() if k != "custom"}
    for key, value in data.get("custom", {}).items():
        values[f"cf_{key}"] = fields.form_value(value)
    values["version"] = mf.version
    return values, readable


def save_file(
    session: Session, actor: Actor, person: Person, form: MedicalFileForm, custom_raw: dict[str, list[str]]
) -> MedicalFile:
    require_write(actor)
    mf = medical_file(session, actor, person)
    data: dict[str, Any] = {}
    if mf is not None:
        check_version(mf, form.version)
        data, _readable = _load(session, actor, mf)
    parsed, errors = fields.parse_custom(fields.form_fields(session, actor, scope="medical"), custom_raw)
    if errors:
        raise FieldErrors(errors)
    custom = dict(data.get("custom", {}))
    for key, value in parsed.items():
        if value is None:
            custom.pop(key, None)
        else:
            custom[key] = value
    new = form.model_dump(exclude={"version"}, exclude_none=True)
    new["custom"] = custom
    if mf is None:
        mf = MedicalFile(org_id=person.org_id, person_id=person.id)
        session.add(mf)
    mf.updated_by = actor.user_id
    _store(session, mf, new)
    session.flush()
    record(session, actor, "health.file_updated", entity_type="person", entity_id=person.id)
    return mf


def _combine(kept: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Two medical files of one person (a merge): lists united, texts put one after the other, the kept
    record's choices first."""
    out = dict(kept)
    for key, value in other.items():
        mine = out.get(key)
        if key == "custom":
            out[key] = {**value, **(mine or {})}
        elif isinstance(value, list):
            out[key] = list(dict.fromkeys([*(mine or []), *value]))
        elif key in FILE_TEXTS and mine and value and mine != value:
            out[key] = f"{mine}\n\n{value}"
        elif not mine or mine == "unknown":
            out[key] = value
    return out


@timeline.register_merge_step
def _merge_medical_files(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    kept = session.exec(select(MedicalFile).where(MedicalFile.person_id == survivor_id)).first()
    other = session.exec(select(MedicalFile).where(MedicalFile.person_id == merged_id)).first()
    if kept is None or other is None:
        return  # the registered column moves a lone file to the survivor
    mine, _ok = _load(session, None, kept)
    theirs, readable = _load(session, None, other)
    if readable:
        _store(session, kept, _combine(mine, theirs))
    session.delete(other)
    session.flush()


timeline.register_person_column(MedicalFile)  # after the step above, which first settles two files into one


# ---------------------------------------------------------------- consultation types
def consultation_types(session: Session, actor: Actor, *, include_archived: bool = False) -> list[ConsultationType]:
    """The organisation's types; the default list is made the first time any is asked for."""
    stmt = scoped(ConsultationType, actor, include_deleted=True)
    if session.exec(select(func.count()).select_from(stmt.subquery())).one() == 0:
        for i, label in enumerate(DEFAULT_TYPES):
            session.add(ConsultationType(org_id=actor.org_id, label=_(label), position=(i + 1) * 10))  # type: ignore[arg-type]
        session.flush()
    stmt = scoped(ConsultationType, actor)
    if not include_archived:
        stmt = stmt.where(col(ConsultationType.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(ConsultationType.archived_at).is_not(None), ConsultationType.position)))


def get_type(session: Session, actor: Actor, type_id: uuid.UUID) -> ConsultationType:
    actor.require("org.settings")
    return get_or_404(session, actor, ConsultationType, type_id)


def save_type(
    session: Session, actor: Actor, form: ConsultationTypeForm, kind: ConsultationType | None = None
) -> ConsultationType:
    actor.require("org.settings")
    if kind is None and form.id is not None and (existing := session.get(ConsultationType, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"label": _("This form was already used. Reload the page.")})
        return existing
    if kind is None:
        kind = ConsultationType(
            id=form.id or uuid.uuid4(), org_id=actor.org_id, label=form.label, position=form.position
        )  # type: ignore[arg-type]
        session.add(kind)
    else:
        check_version(kind, form.version)
        kind.label, kind.position = form.label, form.position
    session.flush()
    record(session, actor, "consultation_type.saved", entity_type="consultation_type", entity_id=kind.id)
    return kind


def set_type_archived(session: Session, actor: Actor, kind: ConsultationType, archived: bool) -> None:
    actor.require("org.settings")
    kind.archived_at = utcnow() if archived else None
    action = "consultation_type.archived" if archived else "consultation_type.restored"
    record(session, actor, action, entity_type="consultation_type", entity_id=kind.id)


# ---------------------------------------------------------------- consultations
@dataclass
class ConsultationRow:
    consultation: Consultation
    type_label: str
    author: str | None

    @property
    def status_label(self) -> str:
        return _(STATUSES[self.consultation.status])


def visible_consultations(stmt, actor: Actor):
    """Consultations this user may see: all but the private ones of other authors."""
    return stmt.where(or_(col(Consultation.private).is_(False), Consultation.author_id == actor.user_id))


def _type_labels(session: Session, actor: Actor) -> dict[uuid.UUID, str]:
    return {t.id: t.label for t in consultation_types(session, actor, include_archived=True)}


def consultations(
    session: Session, actor: Actor, person_id: uuid.UUID, limit: int = 500, before: datetime | None = None
) -> list[ConsultationRow]:
    require_read(actor)
    stmt = visible_consultations(scoped(Consultation, actor).where(Consultation.person_id == person_id), actor)
    stmt = timeline.older_than(stmt, Consultation.at, before)
    rows = list(session.exec(stmt.order_by(col(Consultation.at).desc()).limit(limit)))
    types = _type_labels(session, actor)
    names = user_names(session, {c.author_id for c in rows})
    return [ConsultationRow(c, types.get(c.type_id, ""), names.get(c.author_id) if c.author_id else None) for c in rows]


def get_consultation(session: Session, actor: Actor, person: Person, consultation_id: object) -> Consultation:
    """A consultation of this person that this user may see; another author's private one does not exist."""
    c = get_or_404(session, actor, Consultation, consultation_id)
    require_read(actor)
    if c.person_id != person.id or (c.private and c.author_id != actor.user_id):
        raise NotFound()
    return c


@dataclass
class ConsultationView:
    row: ConsultationRow
    care: list[str]
    vitals: list[tuple[str, str]]
    notes: str | None
    readable: bool


def _number(value: float) -> str:
    return f"{value:g}".replace(".", "," if i18n.get_lang() == "fr" else ".")


def consultation_view(session: Session, actor: Actor, c: Consultation, *, audit: bool = True) -> ConsultationView:
    """What a consultation page shows. Audited: every view of a consultation is (an export is audited as a
    whole instead)."""
    require_read(actor)
    data, readable = _load(session, actor, c)
    if audit:
        record(
            session,
            actor,
            "health.consultation_viewed",
            entity_type="person",
            entity_id=c.person_id,
            details={"consultation_id": str(c.id)},
        )
    care = [_(CARE[k]) for k in data.get("care", []) if k in CARE]
    if data.get("care_other"):
        care.append(data["care_other"])
    vitals = [(_(VITALS[k][0]), _number(v)) for k, v in data.get("vitals", {}).items() if k in VITALS]
    names = user_names(session, {c.author_id})
    row = ConsultationRow(
        c, _type_labels(session, actor).get(c.type_id, ""), names.get(c.author_id) if c.author_id else None
    )
    return ConsultationView(row, care, vitals, data.get("notes"), readable)


def consultation_values(session: Session, actor: Actor, c: Consultation | None) -> tuple[dict[str, Any], bool]:
    """The consultation form's values (a new one: a fresh client id, now, done), and whether it could be read."""
    if c is None:
        now = utcnow().astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
        types = consultation_types(session, actor)
        return {"id": uuid.uuid4(), "at": now, "status": "done", "type_id": types[0].id if types else None}, True
    data, readable = _load(session, actor, c)
    values: dict[str, Any] = {
        "version": c.version,
        "type_id": c.type_id,
        "at": c.at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
        "status": c.status,
        "private": c.private,
        "care": data.get("care", []),
        "care_other": data.get("care_other"),
        "notes": data.get("notes"),
        **data.get("vitals", {}),
    }
    return values, readable


def save_consultation(
    session: Session, actor: Actor, person: Person, form: ConsultationForm, c: Consultation | None = None
) -> Consultation:
    require_write(actor)
    if c is None and form.id is not None and (existing := session.get(Consultation, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"notes": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one consultation
    if c is not None:
        check_version(c, form.version)
    kind = session.exec(scoped(ConsultationType, actor).where(ConsultationType.id == form.type_id)).first()
    if kind is None or (kind.archived_at is not None and (c is None or c.type_id != kind.id)):
        raise FieldErrors({"type_id": _("Choose one of the options.")})
    data = {"care": form.care, "care_other": form.care_other, "vitals": form.vitals, "notes": form.notes}
    if c is None:
        c = Consultation(
            id=form.id or uuid.uuid4(),
            org_id=person.org_id,
            person_id=person.id,
            type_id=kind.id,
            at=form.at,
            status=form.status,
            private=form.private,
            author_id=actor.user_id,
            team_id=actor.team_id,
        )
        session.add(c)
        action = "health.consultation_created"
    else:
        c.type_id, c.at, c.status = kind.id, form.at, form.status
        if c.author_id == actor.user_id:  # only the author decides who else may see it
            c.private = form.private
        action = "health.consultation_updated"
    _store(session, c, {k: v for k, v in data.items() if v})
    session.flush()
    record(session, actor, action, entity_type="person", entity_id=person.id, details={"consultation_id": str(c.id)})
    return c


def delete_consultation(session: Session, actor: Actor, c: Consultation) -> None:
    require_write(actor)
    c.deleted_at = utcnow()
    record(
        session,
        actor,
        "health.consultation_deleted",
        entity_type="person",
        entity_id=c.person_id,
        details={"consultation_id": str(c.id)},
    )


# ---------------------------------------------------------------- treatments
@dataclass
class TreatmentRow:
    treatment: Treatment
    name: str
    dosage: str | None
    frequency: str | None
    notes: str | None
    readable: bool

    @property
    def current(self) -> bool:
        t = self.treatment
        today = utcnow().astimezone(TZ).date()
        return (t.start_on is None or t.start_on <= today) and (t.end_on is None or t.end_on >= today)


def _treatment_row(session: Session, actor: Actor, t: Treatment) -> TreatmentRow:
    data, readable = _load(session, actor, t)
    name = data.get("name") or (_("(unreadable)") if not readable else "")
    return TreatmentRow(t, name, data.get("dosage"), data.get("frequency"), data.get("notes"), readable)


def treatments(session: Session, actor: Actor, person_id: uuid.UUID) -> list[TreatmentRow]:
    require_read(actor)
    rows = session.exec(
        scoped(Treatment, actor)
        .where(Treatment.person_id == person_id)
        .order_by(col(Treatment.end_on).is_not(None), col(Treatment.start_on).desc(), col(Treatment.created_at).desc())
    )
    return [_treatment_row(session, actor, t) for t in rows]


def get_treatment(session: Session, actor: Actor, person: Person, treatment_id: object) -> Treatment:
    t = get_or_404(session, actor, Treatment, treatment_id)
    require_read(actor)
    if t.person_id != person.id:
        raise NotFound()
    return t


def treatment_values(session: Session, actor: Actor, t: Treatment | None) -> tuple[dict[str, Any], bool]:
    if t is None:
        return {"id": uuid.uuid4(), "start_on": utcnow().astimezone(TZ).date().isoformat()}, True
    data, readable = _load(session, actor, t)
    return {**data, "version": t.version, "start_on": t.start_on, "end_on": t.end_on}, readable


def save_treatment(
    session: Session, actor: Actor, person: Person, form: TreatmentForm, t: Treatment | None = None
) -> Treatment:
    require_write(actor)
    if t is None and form.id is not None and (existing := session.get(Treatment, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"name": _("This form was already used. Reload the page.")})
        return existing
    if t is not None:
        check_version(t, form.version)
    if t is None:
        t = Treatment(id=form.id or uuid.uuid4(), org_id=person.org_id, person_id=person.id, author_id=actor.user_id)
        session.add(t)
        action = "health.treatment_created"
    else:
        action = "health.treatment_updated"
    t.start_on, t.end_on = form.start_on, form.end_on
    data = {"name": form.name, "dosage": form.dosage, "frequency": form.frequency, "notes": form.notes}
    _store(session, t, {k: v for k, v in data.items() if v})
    session.flush()
    record(session, actor, action, entity_type="person", entity_id=person.id, details={"treatment_id": str(t.id)})
    return t


def delete_treatment(session: Session, actor: Actor, t: Treatment) -> None:
    require_write(actor)
    t.deleted_at = utcnow()
    record(
        session,
        actor,
        "health.treatment_deleted",
        entity_type="person",
        entity_id=t.person_id,
        details={"treatment_id": str(t.id)},
    )


# ---------------------------------------------------------------- the person's timeline (health roles only)
@timeline.register_timeline("health", "health.read")
def _health_entries(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    if not actor.can("health.read"):  # the timeline already asks; checked again here, where the data is read
        return []
    entries = [
        timeline.TimelineEntry(
            r.consultation.at,
            "consultation",
            _("Consultation: %(type)s, %(status)s", type=r.type_label, status=r.status_label.lower()),
            by=r.author,
            url=f"/persons/{person_id}/consultations/{r.consultation.id}",
        )
        for r in consultations(session, actor, person_id, limit=limit, before=before)
    ]
    for t in treatments(session, actor, person_id):
        at = (
            datetime.combine(t.treatment.start_on, time(12), TZ).astimezone(UTC)
            if t.treatment.start_on
            else t.treatment.created_at
        )
        entries.append(
            timeline.TimelineEntry(
                at, "treatment", _("Treatment started: %(name)s", name=t.name), url=f"/persons/{person_id}/health"
            )
        )
    return entries


def last_health_contact(session: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """The latest consultation done with each person: a contact for the retention period, kept out of the
    person's "last seen" (which every role sees)."""
    if not person_ids:
        return {}
    rows = session.exec(
        select(Consultation.person_id, func.max(Consultation.at))
        .where(col(Consultation.person_id).in_(person_ids), Consultation.status == "done")
        .where(col(Consultation.deleted_at).is_(None))
        .group_by(Consultation.person_id)
    ).all()
    return dict(rows)  # type: ignore[arg-type]
