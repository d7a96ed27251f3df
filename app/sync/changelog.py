"""The change log: every insert, update or delete of a synced record adds a SyncChange row in the same
transaction, so a pull sees the change exactly when the record itself becomes visible (see service.pull)."""

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession

from app.models import Checkin, Encounter, Observation, Person, PersonNote, SyncChange

TRACKED = {Person: "person", Encounter: "encounter", Checkin: "checkin", Observation: "observation", PersonNote: "note"}
# On PostgreSQL the writing transaction's id, the key of the pull watermark; SQLite has one writer: 0.
PG_TXID = text("pg_current_xact_id()::text::bigint")


@event.listens_for(OrmSession, "before_flush")
def _log_changes(session, _ctx, _instances):
    changed = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if type(obj) in TRACKED and (obj in session.new or obj in session.deleted or session.is_modified(obj))
    ]
    if not changed:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    for obj in changed:
        session.add(
            SyncChange(org_id=obj.org_id, entity=TRACKED[type(obj)], entity_id=obj.id, txid=PG_TXID if postgres else 0)
        )
