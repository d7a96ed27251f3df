"""Privacy: who looked at a person's sensitive data (the access log), the person's rights (export everything held
about them; erase them completely) and the organisation's retention period (the daily purge).

Erasure deletes every row holding the person: the columns registered for merges (app/persons/timeline.py
`register_person_column`) and, should a table forget to register, every foreign key to `persons`; rows that hang on
those rows, at any depth, go first. Document files are removed from disk once the transaction has committed. The
audit log keeps its events (they hold ids, never a name or a note), so who did what stays accountable."""

import calendar
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete
from sqlmodel import Session, SQLModel, col, select

from app.access import Actor
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.config import get_settings
from app.crypto import DecryptError, reveal
from app.errors import NotFound
from app.health import service as health
from app.i18n import _, lazy
from app.models import AuditEvent, Organisation, Person, PersonChange, PersonDocument, PersonNote, Team, User, utcnow
from app.persons import documents, timeline
from app.persons import service as persons
from app.persons.codes import clean_code
from app.privacy.forms import RetentionForm
from app.sync import service as sync

# A deleted person is erased for good this long after the deletion: time to notice and undo a mistake.
GRACE_DAYS = 30
# Reads shown on the person's page ("who looked at this file") and filtered in the audit log.
READ_ACTIONS = {
    "health.file_viewed": lazy("Medical file viewed"),
    "health.consultation_viewed": lazy("Consultation viewed"),
    "document.opened": lazy("Document opened"),
    "person.exported": lazy("Everything exported"),
}


# ---------------------------------------------------------------- who looked at the file
@dataclass
class Read:
    at: datetime
    who: str | None
    team: str | None
    what: str


def recent_reads(session: Session, actor: Actor, person: Person, limit: int = 15) -> list[Read]:
    actor.require("persons.access_log")
    rows = session.exec(
        select(AuditEvent, User.name, Team.name)
        .join(User, col(User.id) == col(AuditEvent.user_id), isouter=True)
        .join(Team, col(Team.id) == col(AuditEvent.team_id), isouter=True)
        .where(AuditEvent.org_id == actor.org_id, AuditEvent.entity_type == "person")
        .where(AuditEvent.entity_id == str(person.id), col(AuditEvent.action).in_(READ_ACTIONS))
        .order_by(col(AuditEvent.at).desc())
        .limit(limit)
    ).all()
    return [Read(e.at, who, team, _(READ_ACTIONS[e.action])) for e, who, team in rows]


def person_by_code(session: Session, actor: Actor, code: str) -> Person | None:
    """The person with this code in the actor's organisation, deleted or merged ones included (for the audit)."""
    clean = clean_code(code)
    if clean is None:
        return None
    return session.exec(select(Person).where(Person.org_id == actor.org_id, Person.code == clean)).first()


def codes_of(session: Session, actor: Actor, events: list[AuditEvent]) -> dict[str, str]:
    """entity_id -> personal code, for the audit events about persons."""
    ids = set()
    for e in events:
        if e.entity_type == "person" and e.entity_id:
            try:
                ids.add(uuid.UUID(e.entity_id))
            except ValueError:
                continue
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.code).where(Person.org_id == actor.org_id, col(Person.id).in_(ids)))
    return {str(pid): code for pid, code in rows}


# ---------------------------------------------------------------- right of access: export
@dataclass
class Export:
    person: Person
    texts: dict[str, str | None]
    teams: list[str]
    custom: list[tuple[str, str]]
    notes: list[tuple[PersonNote, str | None, str | None]]  # (note, text, author)
    changes: list[tuple[PersonChange, str, str | None, str | None, str | None]]  # (row, field, old, new, by)
    links: list[persons.LinkRow]
    places: list[str]
    documents: list[tuple[PersonDocument, str, str | None]]  # (document, name, folder)
    entries: list[timeline.TimelineEntry]  # every other kind of record, as on the person's page
    health: dict[str, Any] | None  # only for a reader with health access
    by: str
    at: datetime = field(default_factory=utcnow)


def export(session: Session, actor: Actor, person: Person, fmt: str) -> Export:
    """Everything held about the person that this admin may read, in one document. Audited."""
    actor.require("persons.export")
    view = persons.view(session, actor, person)
    assert isinstance(view, persons.FullView)
    notes = list(
        session.exec(
            select(PersonNote)
            .where(PersonNote.person_id == person.id, PersonNote.org_id == actor.org_id)
            .order_by(col(PersonNote.created_at))
        )
    )
    changes = list(
        session.exec(
            select(PersonChange)
            .where(PersonChange.person_id == person.id, PersonChange.org_id == actor.org_id)
            .order_by(col(PersonChange.at))
        )
    )
    names = persons.user_names(session, {n.author_id for n in notes} | {c.user_id for c in changes})
    docs = list(
        session.exec(
            select(PersonDocument)
            .where(PersonDocument.person_id == person.id, PersonDocument.org_id == actor.org_id)
            .where(col(PersonDocument.deleted_at).is_(None))
            .order_by(col(PersonDocument.created_at))
        )
    )
    labels = {f"cf:{f.id}": f.label for f in persons.fields.list_fields(session, actor, include_archived=True)}
    health_part = None
    if actor.can("health.read"):
        health_part = {
            "file": health.file_view(session, actor, person, audit=False),
            "consultations": [
                health.consultation_view(session, actor, r.consultation, audit=False)
                for r in health.consultations(session, actor, person.id)
            ],
            "treatments": health.treatments(session, actor, person.id),
        }
    record(
        session,
        actor,
        "person.exported",
        entity_type="person",
        entity_id=person.id,
        details={"format": fmt, "health": health_part is not None},
    )
    return Export(
        person=person,
        texts=view.texts,
        teams=[t.name for t in view.teams],
        custom=view.custom,
        notes=[(n, reveal(session, n, "body", actor), names.get(n.author_id) if n.author_id else None) for n in notes],
        changes=[
            (
                c,
                persons.field_label(c.field, labels),
                reveal(session, c, "old", actor),
                reveal(session, c, "new", actor),
                names.get(c.user_id) if c.user_id else None,
            )
            for c in changes
        ],
        links=persons.links(session, actor, person),
        places=[p.name for p in persons.places(session, actor, person)],
        documents=[(d, reveal(session, d, "name", actor) or "", reveal(session, d, "folder", actor)) for d in docs],
        entries=timeline.timeline(
            session, actor, person.id, limit=100_000, exclude=("persons.notes", "persons.history", "health")
        ),
        health=health_part,
        by=actor.name,
    )


def document_entry_name(index: int, name: str) -> str:
    """A document's name inside the export archive: numbered (two documents may share a name), no folders."""
    safe = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\<>:"|?*').strip() or "document"
    return f"documents/{index:02d}-{safe}"


def export_zip(session: Session, data: Export, html: str) -> Iterator[bytes]:
    """A .zip with the export page (index.html) and every document, decrypted. Built in a temporary file (in
    memory while small), then streamed."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 (closed by the generator)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", html)
        for i, (doc, name, _folder) in enumerate(data.documents, start=1):
            entry = document_entry_name(i, name)
            try:
                content = documents.decrypted(session, doc)
            except (DecryptError, NotFound):
                zf.writestr(entry + ".txt", _("This file cannot be read: the stored file is damaged or missing."))
                continue
            with zf.open(entry, "w") as out:
                for chunk in content:
                    out.write(chunk)
    spool.seek(0)

    def stream() -> Iterator[bytes]:
        try:
            while chunk := spool.read(64 * 1024):
                yield chunk
        finally:
            spool.close()

    return stream()


# ---------------------------------------------------------------- right to erasure, and the purge
@dataclass
class Erasure:
    persons: int = 0
    rows: int = 0
    files: int = 0


def _delete(session: Session, table: Table, where) -> int:
    """Delete the rows of `table` matching `where`, after the rows of every table that points at them."""
    count = 0
    for child in SQLModel.metadata.sorted_tables:
        if child is table:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is table:
                count += _delete(session, child, fk.parent.in_(select(fk.column).where(where)))
    return count + (session.execute(delete(table).where(where)).rowcount or 0)  # type: ignore[attr-defined]


def _person_columns() -> list:
    """Every column that holds a person: the merge registry first, then any foreign key to persons it lacks."""
    persons_table = Person.__table__  # type: ignore[attr-defined]
    found = {}
    for model, name in timeline.person_columns():
        column = model.__table__.c[name]
        found[(column.table.name, name)] = column
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is persons_table and table is not persons_table:
                found.setdefault((table.name, fk.parent.name), fk.parent)
    return list(found.values())


def erase(session: Session, org_id: uuid.UUID, person_ids: list[uuid.UUID]) -> Erasure:
    """Erase these persons of the organisation completely, with the records merged into them. The caller checks
    the permission and writes the audit event."""
    ids = set(session.exec(select(Person.id).where(Person.org_id == org_id, col(Person.id).in_(person_ids))))
    if not ids:
        return Erasure()
    frontier = set(ids)
    while frontier:  # records merged into these ones (their old codes, their first aliases)
        frontier = set(session.exec(select(Person.id).where(col(Person.merged_into_id).in_(frontier)))) - ids
        ids |= frontier
    session.flush()
    paths = [
        documents.stored_path(d)
        for d in session.exec(select(PersonDocument).where(col(PersonDocument.person_id).in_(ids)))
    ]
    rows = sum(
        _delete(session, table, where) for fn in timeline.erase_dependents() for table, where in fn(session, ids)
    )
    rows += sum(_delete(session, column.table, column.in_(ids)) for column in _person_columns())
    persons_table = Person.__table__  # type: ignore[attr-defined]
    rows += _delete(session, persons_table, persons_table.c.id.in_(ids))
    documents.remove_after_commit(session, paths)
    return Erasure(persons=len(ids), rows=rows, files=len(paths))


def erase_person(session: Session, actor: Actor, person: Person, typed_code: str) -> Erasure:
    """The person's right to erasure (admins): everything about them goes, for good. The admin types the
    person's code to confirm."""
    actor.require("persons.erase")
    if clean_code(typed_code) != person.code:
        raise FieldErrors({"code": _("Type the code shown above to confirm.")})
    assert actor.org_id is not None
    result = erase(session, actor.org_id, [person.id])
    record(
        session,
        actor,
        "person.erased",
        entity_type="person",
        entity_id=person.id,
        details={"reason": "request", "rows": result.rows, "files": result.files},
    )
    return result


def months_before(when: datetime, months: int) -> datetime:
    year, month = divmod(when.month - 1 - months, 12)
    year, month = when.year + year, month + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass
class OrgPurge:
    org_id: uuid.UUID
    org: str
    retention_months: int
    expired: list[uuid.UUID] = field(default_factory=list)  # no contact for longer than the retention period
    deleted: list[uuid.UUID] = field(default_factory=list)  # deleted more than GRACE_DAYS ago
    removed_documents: list[uuid.UUID] = field(default_factory=list)  # removed from a record GRACE_DAYS ago
    receipts: int = 0  # answers kept for changes pushed by phones, older than SYNC_RECEIPT_DAYS
    changes: int = 0  # rows of the sync change log that a later row of the same record made useless
    erased: Erasure = field(default_factory=Erasure)


def _plan(session: Session, org: Organisation, now: datetime) -> OrgPurge:
    plan = OrgPurge(org.id, org.name, org.retention_months)
    cutoff = months_before(now, org.retention_months)
    old = list(
        session.exec(
            select(Person.id).where(
                Person.org_id == org.id, col(Person.deleted_at).is_(None), Person.last_contact_at < cutoff
            )
        )
    )
    seen_in_care = health.last_health_contact(session, old)
    plan.expired = [pid for pid in old if pid not in seen_in_care or seen_in_care[pid] < cutoff]
    grace = now - timedelta(days=GRACE_DAYS)
    plan.deleted = list(
        session.exec(
            select(Person.id).where(
                Person.org_id == org.id, col(Person.merged_into_id).is_(None), col(Person.deleted_at) < grace
            )
        )
    )
    plan.removed_documents = list(
        session.exec(
            select(PersonDocument.id).where(PersonDocument.org_id == org.id, col(PersonDocument.deleted_at) < grace)
        )
    )
    return plan


def purge(
    session: Session, *, now: datetime | None = None, dry_run: bool = False, org_id: uuid.UUID | None = None
) -> list[OrgPurge]:
    """Apply every organisation's retention period: erase the persons without contact for longer than it (a
    consultation done counts as a contact), the persons deleted more than GRACE_DAYS ago, and the documents
    removed as long ago; delete the sync receipts older than SYNC_RECEIPT_DAYS and the change-log rows a later
    one of the same record made useless. With `dry_run`, only say what would go. Each erasure is audited."""
    now = now or utcnow()
    stmt = select(Organisation).where(col(Organisation.deleted_at).is_(None)).order_by(Organisation.name)
    if org_id is not None:
        stmt = stmt.where(Organisation.id == org_id)
    report = []
    for org in session.exec(stmt).all():
        plan = _plan(session, org, now)
        report.append(plan)
        receipts_before = now - timedelta(days=get_settings().sync_receipt_days)
        plan.receipts = sync.purge_receipts(session, org.id, receipts_before, dry_run=dry_run)
        plan.changes = sync.compact_changes(session, org.id, dry_run=dry_run)
        if dry_run:
            continue
        for reason, ids in (("retention", plan.expired), ("deleted", plan.deleted)):
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                done = erase(session, org.id, batch)
                plan.erased.persons += done.persons
                plan.erased.rows += done.rows
                plan.erased.files += done.files
                for pid in batch:
                    record(
                        session,
                        None,
                        "person.erased",
                        org_id=org.id,
                        entity_type="person",
                        entity_id=pid,
                        details={"reason": reason},
                    )
        if plan.removed_documents:
            table = PersonDocument.__table__  # type: ignore[attr-defined]
            docs = session.exec(select(PersonDocument).where(col(PersonDocument.id).in_(plan.removed_documents)))
            paths = [documents.stored_path(d) for d in docs]
            plan.erased.rows += _delete(session, table, table.c.id.in_(plan.removed_documents))
            plan.erased.files += len(paths)
            documents.remove_after_commit(session, paths)
        if plan.expired or plan.deleted or plan.removed_documents:
            record(
                session,
                None,
                "retention.purged",
                org_id=org.id,
                entity_type="organisation",
                entity_id=org.id,
                details={
                    "expired": len(plan.expired),
                    "deleted": len(plan.deleted),
                    "documents": len(plan.removed_documents),
                    "rows": plan.erased.rows,
                    "sync_receipts": plan.receipts,
                },
            )
    return report


# ---------------------------------------------------------------- the organisation's retention period
def organisation(session: Session, actor: Actor) -> Organisation:
    actor.require("org.settings")
    org = session.get(Organisation, actor.org_id)
    assert org is not None
    return org


def save_retention(session: Session, actor: Actor, form: RetentionForm) -> Organisation:
    org = organisation(session, actor)
    check_version(org, form.version)
    if org.retention_months != form.retention_months:
        before = org.retention_months
        org.retention_months = form.retention_months
        record(
            session,
            actor,
            "org.retention_changed",
            entity_type="organisation",
            entity_id=org.id,
            details={"from": before, "to": form.retention_months},
        )
    session.flush()
    return org
