"""The directory of structures: list and search, create and edit (with the link to a team in Parcours), archive,
CSV export and import (all lines or none), and the referral inboxes an organisation opens for its teams."""

import csv
import io
import secrets
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.errors import Invalid
from app.i18n import _
from app.models import ReferralInbox, Structure, Team, utcnow
from app.persons.codes import ALPHABET
from app.referrals import crossing
from app.structures.forms import OPENINGS, STRUCTURE_KINDS, StructureFilter, StructureForm
from app.web import no_nul, validate_form

PAGE_SIZE = 50
OPTIONS_LIMIT = 1000  # a directory is hundreds of structures; a select never holds more than this
CSV_COLUMNS = [
    "id",
    "name",
    "kind",
    "address",
    "latitude",
    "longitude",
    "phone",
    "opening",
    "hours",
    "places",
    "notes",
]
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_LINES = 5000


# ---------------------------------------------------------------- reading
def list_structures(session: Session, actor: Actor, filt: StructureFilter) -> tuple[list[Structure], bool]:
    actor.require("structures.read")
    stmt = scoped(Structure, actor)
    stmt = stmt.where(
        col(Structure.archived_at).is_not(None) if filt.archived else col(Structure.archived_at).is_(None)
    )
    if filt.kind:
        stmt = stmt.where(Structure.kind == filt.kind)
    if filt.q and filt.q.strip():
        stmt = stmt.where(func.lower(Structure.name).contains(filt.q.strip().lower()))
    rows = list(
        session.exec(
            stmt.order_by(func.lower(Structure.name), col(Structure.id))
            .offset((filt.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def options(session: Session, actor: Actor, kinds: tuple[str, ...] | None = None) -> list[Structure]:
    """Live structures for a select (referral and stay forms), by name."""
    stmt = scoped(Structure, actor).where(col(Structure.archived_at).is_(None))
    if kinds:
        stmt = stmt.where(col(Structure.kind).in_(kinds))
    return list(session.exec(stmt.order_by(func.lower(Structure.name)).limit(OPTIONS_LIMIT)))


def get_structure(session: Session, actor: Actor, structure_id: object) -> Structure:
    actor.require("structures.read")
    return get_or_404(session, actor, Structure, structure_id)


def get_for_write(session: Session, actor: Actor, structure_id: object) -> Structure:
    structure = get_or_404(session, actor, Structure, structure_id)
    actor.require("structures.manage")
    return structure


def require_live(structure: Structure) -> None:
    if structure.archived_at is not None:
        raise Invalid(_("%(name)s is archived: restore it in the directory first.", name=structure.name))


def kind_label(kind: str) -> str:
    return _(STRUCTURE_KINDS.get(kind, kind))


# ---------------------------------------------------------------- create and edit
def _apply_link(session: Session, actor: Actor, structure: Structure, form: StructureForm) -> None:
    if form.partner_code:
        partner = crossing.find_inbox(session, form.partner_code)
        if partner is None:
            raise FieldErrors(
                {"partner_code": _("No team receives referrals with this code. Check it with the other organisation.")}
            )
        structure.linked_team_id, structure.linked_org_id, structure.linked_label = (
            partner.team_id,
            partner.org_id,
            partner.label,
        )
    elif form.linked_team_id is not None:
        team = session.exec(
            scoped(Team, actor).where(Team.id == form.linked_team_id, col(Team.archived_at).is_(None))
        ).first()
        if team is None:
            raise FieldErrors({"linked_team_id": _("Choose one of the options.")})
        structure.linked_team_id, structure.linked_org_id, structure.linked_label = team.id, team.org_id, team.name
    elif form.unlink or structure.linked_org_id in (None, actor.org_id):
        structure.linked_team_id = structure.linked_org_id = structure.linked_label = None


def save_structure(
    session: Session, actor: Actor, form: StructureForm, structure: Structure | None = None, *, imported: bool = False
) -> Structure:
    """Create or update a structure. `imported`: names were already checked for the whole file, one audit event
    is written for the import."""
    actor.require("structures.manage")
    if structure is None and form.id is not None and (existing := session.get(Structure, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"name": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one structure
    if structure is not None:
        check_version(structure, form.version)
    same_name = (
        not imported
        and session.exec(
            scoped(Structure, actor)
            .where(func.lower(Structure.name) == form.name.lower())
            .where(Structure.id != (structure.id if structure else None))
        ).first()
    )
    if same_name:
        raise FieldErrors({"name": _("The directory already has a structure with this name.")})
    values = form.model_dump(exclude={"id", "version", "linked_team_id", "partner_code", "unlink"})
    if structure is None:
        structure = Structure(id=form.id or uuid.uuid4(), org_id=actor.org_id, **values)  # type: ignore[arg-type]
        session.add(structure)
        action = "structure.created"
    else:
        for key, value in values.items():
            setattr(structure, key, value)
        action = "structure.updated"
    _apply_link(session, actor, structure, form)
    session.flush()
    if not imported:
        record(session, actor, action, entity_type="structure", entity_id=structure.id)
    return structure


def form_values(structure: Structure | None, actor: Actor) -> dict:
    if structure is None:
        return {"id": uuid.uuid4()}
    values = structure.model_dump()
    if structure.linked_org_id != actor.org_id:
        values["linked_team_id"] = None
    return values


def set_archived(session: Session, actor: Actor, structure: Structure, archived: bool) -> None:
    actor.require("structures.manage")
    structure.archived_at = utcnow() if archived else None
    action = "structure.archived" if archived else "structure.restored"
    record(session, actor, action, entity_type="structure", entity_id=structure.id)


# ---------------------------------------------------------------- CSV
def export_csv(session: Session, actor: Actor) -> str:
    """Every live structure, `;`-separated (what a French spreadsheet opens), with the id that lets an edited
    file update the same structures when imported again."""
    actor.require("structures.read")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    stmt = scoped(Structure, actor).where(col(Structure.archived_at).is_(None)).order_by(func.lower(Structure.name))
    for s in session.exec(stmt.execution_options(yield_per=500)):
        writer.writerow(["" if getattr(s, c) is None else getattr(s, c) for c in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(_("This file is not a text (CSV) file."))


def _kind_value(raw: str) -> str:
    """A kind given as its code or as its label in either language ("CAARUD", "Rest area", "Espace de repos")."""
    text = " ".join(raw.split()).lower()
    for code, label in STRUCTURE_KINDS.items():
        if text in (code, label.lower(), _(label).lower()):
            return code
    return raw


def _opening_value(raw: str) -> str:
    text = raw.strip().lower()
    for code, label in OPENINGS.items():
        if text in (code, label.lower(), _(label).lower()):
            return code
    return raw


def _read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(data) > IMPORT_MAX_BYTES:
        raise Invalid(_("This file is too big: at most 2 MB."))
    text = no_nul(_decode(data))  # the names are looked up before the lines go through validate_form
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "kind" not in header:
        raise Invalid(_("The first line must name the columns, with at least “name” and “kind”."))
    reader.fieldnames = header
    rows = []
    for number, row in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS}
        if any(values.values()):  # blank lines are skipped
            rows.append((number, values))
        if len(rows) > IMPORT_MAX_LINES:
            raise Invalid(_("This file has too many lines: at most %(n)s.", n=IMPORT_MAX_LINES))
    return rows


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def import_csv(session: Session, actor: Actor, data: bytes) -> ImportReport:
    """Create or update structures from a CSV file (comma or semicolon). Every line is checked first; with any
    error nothing is imported and the report says which line is wrong and why."""
    actor.require("structures.manage")
    rows = _read_rows(data)
    ids = {i for _n, v in rows if (i := _uuid(v.get("id", "")))}
    names = {" ".join(v.get("name", "").split()).lower() for _n, v in rows}
    known = list(
        session.exec(
            scoped(Structure, actor).where(
                col(Structure.id).in_(ids) | func.lower(Structure.name).in_(names)  # only what the file names
            )
        )
    )
    by_id = {s.id: s for s in known}
    by_name = {s.name.lower(): s for s in known}
    report = ImportReport()
    planned: list[tuple[StructureForm, Structure | None]] = []
    seen_names: dict[str, int] = {}
    for number, values in rows:
        values["kind"] = _kind_value(values.get("kind", ""))
        values["opening"] = _opening_value(values.get("opening", ""))
        for key in ("latitude", "longitude"):
            values[key] = values.get(key, "").replace(",", ".")
        raw_id = values.pop("id", "")
        target = by_id.get(_uuid(raw_id)) if raw_id else None  # type: ignore[arg-type]
        if raw_id and target is None:
            report.errors.append((number, _("The id does not match a structure of your directory.")))
            continue
        result = validate_form(StructureForm, values)
        if not result.ok:
            name, message = next(iter(result.errors.items()))
            report.errors.append((number, message if name == "__all__" else f"{name}: {message}"))
            continue
        assert result.data is not None
        key = result.data.name.lower()
        if key in seen_names:
            report.errors.append((number, _("Same name as line %(n)s.", n=seen_names[key])))
            continue
        seen_names[key] = number
        other = by_name.get(key)
        if other is not None and other is not target:
            message = _(
                "A structure named “%(name)s” already exists: export the directory and import it again with "
                "its id to update it.",
                name=result.data.name,
            )
            report.errors.append((number, message))
            continue
        if target is not None and target.linked_org_id == actor.org_id:
            result.data.linked_team_id = target.linked_team_id  # an own-team link is kept
        planned.append((result.data, target))
    if report.errors:
        return report
    for form, target in planned:
        save_structure(session, actor, form, target, imported=True)
        if target is None:
            report.created += 1
        else:
            report.updated += 1
    details = {"created": report.created, "updated": report.updated}
    record(session, actor, "structure.imported", entity_type="structure", details=details)
    return report


# ---------------------------------------------------------------- referral inboxes
def inboxes(session: Session, actor: Actor) -> list[tuple[Team, ReferralInbox | None]]:
    actor.require("org.settings")
    teams = list(session.exec(scoped(Team, actor).where(col(Team.archived_at).is_(None)).order_by(Team.name)))
    rows = {r.team_id: r for r in session.exec(scoped(ReferralInbox, actor))}
    return [(t, rows.get(t.id)) for t in teams]


def _new_code(session: Session) -> str:
    for _attempt in range(20):
        code = "".join(secrets.choice(ALPHABET) for _ in range(crossing.CODE_LENGTH))
        if session.exec(select(ReferralInbox.id).where(ReferralInbox.code == code)).first() is None:
            return code
    raise RuntimeError("no free inbox code after 20 draws")


def set_inbox(session: Session, actor: Actor, team_id: uuid.UUID, is_open: bool) -> ReferralInbox | None:
    """Open (with a new code the first time) or close the team's door for other organisations' referrals."""
    actor.require("org.settings")
    team = get_or_404(session, actor, Team, team_id)
    inbox = session.exec(scoped(ReferralInbox, actor).where(ReferralInbox.team_id == team.id)).first()
    if is_open:
        if inbox is None:
            inbox = ReferralInbox(org_id=team.org_id, team_id=team.id, code=_new_code(session))
            session.add(inbox)
        inbox.closed_at = None
    elif inbox is not None and inbox.closed_at is None:
        inbox.closed_at = utcnow()
    session.flush()
    action = "referral_inbox.opened" if is_open else "referral_inbox.closed"
    record(session, actor, action, entity_type="team", entity_id=team.id)
    return inbox
