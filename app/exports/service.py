"""The full export of an organisation's records, for its admins: a .zip of one CSV per table, decrypted, written
in the background so that no request waits for it.

- Only what the exporting admin may read leaves: the health tables (medical files, consultations, treatments,
  consultation types, medical fields) and the health part of encounters only with health access
  (app/access.py: "health.read"), and never another author's private consultation. Secrets never leave (password
  hashes, second-factor secrets, keys, sessions, sync bookkeeping).
- Rows are read with server-side cursors (yield_per) and written to the zip as they come: never a whole table in
  memory. Progress (table, rows written of rows to write) is committed every few thousand rows and shown on a
  polled page.
- The file lives under EXPORTS_DIR, is downloadable once by the admin who started it, and is deleted once
  downloaded or EXPORT_HOURS after it was ready. Starting and downloading are audited."""

import csv
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlmodel import Session, SQLModel, col

from app.access import Actor, get_or_404
from app.audit.service import record
from app.config import get_settings
from app.crypto import ENCRYPTED_COLUMNS, DecryptError, decrypt
from app.errors import Invalid, NotFound
from app.field import encounters
from app.health import service as health_service
from app.i18n import _
from app.models import OrgExport, utcnow

log = logging.getLogger(__name__)

# The tables exported, in this order (parents before the rows that point at them).
TABLES = (
    "organisations",
    "teams",
    "users",
    "team_memberships",
    "territories",
    "places",
    "materials",
    "field_services",
    "custom_fields",
    "exit_reasons",
    "persons",
    "person_names",
    "person_teams",
    "person_notes",
    "person_changes",
    "person_exits",
    "person_merges",
    "person_links",
    "person_places",
    "person_documents",
    "rounds",
    "round_members",
    "encounters",
    "encounter_persons",
    "encounter_materials",
    "encounter_services",
    "anonymous_contacts",
    "anonymous_contact_materials",
    "checkins",
    "checkin_service_uses",
    "day_closures",
    "observations",
    "observation_materials",
    "daily_reports",
    "need_categories",
    "needs",
    "need_persons",
    "need_category_links",
    "need_teams",
    "need_changes",
    "structures",
    "referral_inboxes",
    "referrals",
    "incoming_referrals",
    "referral_steps",
    "stays",
    "procedures",
    "consultation_types",
    "medical_files",
    "consultations",
    "treatments",
)
HEALTH_TABLES = frozenset({"consultation_types", "medical_files", "consultations", "treatments"})
# Columns that never leave, whoever exports.
SECRET_COLUMNS = {"users": {"password_hash", "totp_secret", "totp_last_step"}}
# Columns that are health data: left empty for an exporter without health access.
HEALTH_COLUMNS = {"encounters": set(encounters.HEALTH_COLUMNS)}
PROGRESS_EVERY = 5000


def status_labels() -> dict[str, str]:
    return {
        "running": _("being written"),
        "ready": _("ready to download"),
        "failed": _("failed"),
        "downloaded": _("downloaded and deleted"),
        "expired": _("deleted, not downloaded"),
    }


def hours() -> int:
    return get_settings().export_hours


def _dir() -> Path:
    path = Path(get_settings().exports_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(export: OrgExport) -> Path:
    return _dir() / f"{export.org_id}-{export.id.hex}.zip"


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _rows_of(table: Table, org_id: uuid.UUID, actor: Actor, health: bool):
    """The select of the organisation's rows of `table` that the exporter may read."""
    key = table.c.id if table.name == "organisations" else table.c.org_id
    stmt = select(table).where(key == org_id)
    if table.name == "consultations":  # another author's private consultation is theirs alone
        stmt = health_service.visible_consultations(stmt, actor)
    if table.name == "custom_fields" and not health:
        stmt = stmt.where(table.c.scope != "medical")
    return stmt


def tables_for(health: bool) -> list[str]:
    return [t for t in TABLES if health or t not in HEALTH_TABLES]


# ---------------------------------------------------------------- the admin's side
def start(session: Session, actor: Actor) -> OrgExport:
    """A new export of the actor's organisation, to be written by `run` (in the background). Audited. One running
    export per admin at a time."""
    actor.require("org.export")
    purge_expired(session, actor.org_id)
    running = session.execute(
        select(func.count())
        .select_from(OrgExport)
        .where(OrgExport.org_id == actor.org_id, OrgExport.user_id == actor.user_id, OrgExport.status == "running")
    ).scalar_one()
    if running:
        raise Invalid(_("An export you started is still being written: wait for it to finish."))
    export = OrgExport(org_id=actor.org_id, user_id=actor.user_id, health=actor.can("health.read"))
    session.add(export)
    session.flush()
    record(
        session,
        actor,
        "export.organisation",
        entity_type="org_export",
        entity_id=export.id,
        details={"health": export.health},
    )
    return export


def mine(session: Session, actor: Actor, limit: int = 10) -> list[OrgExport]:
    """The actor's recent exports, newest first (expired files are removed on the way)."""
    actor.require("org.export")
    purge_expired(session, actor.org_id)
    return list(
        session.exec(
            select(OrgExport)
            .where(OrgExport.org_id == actor.org_id, OrgExport.user_id == actor.user_id)
            .order_by(col(OrgExport.created_at).desc())
            .limit(limit)
        ).scalars()
    )


def get(session: Session, actor: Actor, export_id: object) -> OrgExport:
    """One of the actor's own exports: another admin's (or another organisation's) does not exist."""
    actor.require("org.export")
    export = get_or_404(session, actor, OrgExport, export_id)
    if export.user_id != actor.user_id:
        raise NotFound()
    return export


def download(session: Session, actor: Actor, export_id: object) -> tuple[OrgExport, Iterator[bytes]]:
    """The finished file, once: it is deleted when sent (or at its expiry). Audited."""
    export = get(session, actor, export_id)
    path = path_of(export)
    if export.status != "ready" or not path.exists():
        raise NotFound()
    export.status = "downloaded"
    record(session, actor, "export.organisation_downloaded", entity_type="org_export", entity_id=export.id)
    session.flush()

    def stream() -> Iterator[bytes]:
        try:
            with path.open("rb") as f:
                while chunk := f.read(64 * 1024):
                    yield chunk
        finally:
            path.unlink(missing_ok=True)

    return export, stream()


def purge_expired(session: Session, org_id: uuid.UUID | None) -> int:
    """Delete the files of the organisation's exports ready for longer than EXPORT_HOURS, and of exports that
    failed. How many were removed."""
    limit = utcnow() - timedelta(hours=get_settings().export_hours)
    stale = session.exec(
        select(OrgExport).where(
            OrgExport.org_id == org_id,
            or_(
                (OrgExport.status == "ready") & (col(OrgExport.finished_at) < limit),
                (OrgExport.status == "running") & (col(OrgExport.updated_at) < limit),  # its worker died
            ),
        )
    ).scalars()
    n = 0
    for export in stale:
        path_of(export).unlink(missing_ok=True)
        path_of(export).with_suffix(".part").unlink(missing_ok=True)
        export.status = "expired" if export.status == "ready" else "failed"
        n += 1
    session.flush()
    return n


# ---------------------------------------------------------------- the background writer
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encrypted() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for model, column in ENCRYPTED_COLUMNS:
        out.setdefault(model.__tablename__, set()).add(column)  # type: ignore[attr-defined]
    return out


def write_table(
    session: Session, actor: Actor, name: str, org_id: uuid.UUID, health: bool, out, tick: Callable[[int], None]
) -> int:
    """Write the table's rows as CSV to the binary stream `out`, decrypting what is encrypted; how many rows."""
    table = _table(name)
    hidden = SECRET_COLUMNS.get(name, set()) | (set() if health else HEALTH_COLUMNS.get(name, set()))
    columns = [c.name for c in table.columns if c.name not in hidden]
    sealed = _encrypted().get(name, set())
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    stmt = _rows_of(table, org_id, actor, health).order_by(*table.primary_key.columns)
    n = 0
    unreadable = str(_("This text cannot be read: the stored data is damaged."))
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        m = row._mapping
        cells = []
        for c in columns:
            value = m[c]
            if c in sealed and value is not None:
                try:
                    value = decrypt(session, m["org_id"], value, f"{name}.{c}:{m['id']}")
                except DecryptError:
                    value = unreadable
            cells.append(_cell(value))
        writer.writerow(cells)
        n += 1
        if n % PROGRESS_EVERY == 0:
            tick(PROGRESS_EVERY)
    text.flush()
    text.detach()
    tick(n % PROGRESS_EVERY)
    return n


def run(export_id: uuid.UUID, actor: Actor, factory: Callable[[], Any]) -> None:
    """Write the export (in a background task): counts first (for the progress), then each table into the zip
    through a .part file renamed when complete. A failure marks the export failed and removes the file."""
    with factory() as progress:
        export = progress.get(OrgExport, export_id)
        if export is None or export.status != "running":
            return
        part = path_of(export).with_suffix(".part")
        names = tables_for(export.health)
        try:
            with factory() as reader:
                if reader.get_bind().dialect.name == "postgresql" and not reader.in_transaction():
                    # One snapshot for every table: the rows of the zip agree with each other.
                    reader.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                export.total_rows = sum(
                    reader.execute(
                        select(func.count()).select_from(
                            _rows_of(_table(n), export.org_id, actor, export.health).subquery()
                        )
                    ).scalar_one()
                    for n in names
                )
                progress.commit()

                def tick(rows: int) -> None:
                    export.done_rows += rows
                    progress.commit()

                with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
                    for name in names:
                        export.current_table = name
                        progress.commit()
                        with zf.open(f"{name}.csv", "w", force_zip64=True) as out:
                            write_table(reader, actor, name, export.org_id, export.health, out, tick)
            part.rename(path_of(export))
            export.status, export.current_table, export.finished_at = "ready", None, utcnow()
            export.size = path_of(export).stat().st_size
            progress.commit()
        except Exception:
            log.exception("organisation export %s failed", export_id)
            part.unlink(missing_ok=True)
            progress.rollback()
            export = progress.get(OrgExport, export_id)
            if export is not None:
                export.status, export.finished_at = "failed", utcnow()
                progress.commit()
