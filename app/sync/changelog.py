"""The change log: every insert, update or delete of a synced record adds a SyncChange row in the same
transaction, so a pull sees the change exactly when the record itself becomes visible (see service.pull).

Two listeners cover every way a record changes, so no call site has to remember it:
- `before_flush`: objects added, changed or deleted through the session (the usual path);
- `do_orm_execute`: bulk `update(...)`/`delete(...)` statements run through the session (merges moving rows to
  the survivor, erasure and the retention purge), ORM-enabled or plain Core. Before the statement runs, one
  INSERT ... SELECT logs every row its WHERE clause matches (the rows it is about to change or delete), so a pull
  returns the moved records, and tombstones for the deleted ones.
A change of an encounter's persons (rows of `encounter_persons`) is a change of the encounter: that is where the
phone reads them (`person_ids`)."""

from sqlalchemy import Table, event, insert, literal, select, text
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from app.models import Checkin, Encounter, EncounterPerson, Observation, Person, PersonNote, SyncChange

TRACKED = {Person: "person", Encounter: "encounter", Checkin: "checkin", Observation: "observation", PersonNote: "note"}
# table -> (entity, column holding that entity's id), for bulk statements
TRACKED_TABLES: dict[str, tuple[str, str]] = {
    model.__tablename__: (entity, "id")  # type: ignore[attr-defined]
    for model, entity in TRACKED.items()
}
TRACKED_TABLES[EncounterPerson.__tablename__] = ("encounter", "encounter_id")  # type: ignore[attr-defined]
# On PostgreSQL the writing transaction's id, the key of the pull watermark; SQLite has one writer: 0.
PG_TXID = text("pg_current_xact_id()::text::bigint")


def _txid(session):
    return PG_TXID if session.get_bind().dialect.name == "postgresql" else literal(0)


@event.listens_for(OrmSession, "before_flush")
def _log_changes(session, _ctx, _instances):
    changed: dict[tuple[str, object], object] = {}
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind not in TRACKED and kind is not EncounterPerson:
            continue
        if not (obj in session.new or obj in session.deleted or session.is_modified(obj)):
            continue
        if kind is EncounterPerson:
            changed.setdefault(("encounter", obj.encounter_id), obj.org_id)
        else:
            changed.setdefault((TRACKED[kind], obj.id), obj.org_id)
    if not changed:
        return
    # One INSERT for all of them, on the session's connection, in the flush's transaction (the ORM would send one
    # statement per row: txid is a SQL expression, which it cannot batch). An encounter logs itself and its persons.
    txid = _txid(session)
    rows = [{"org_id": org, "entity": entity, "entity_id": eid, "txid": txid} for (entity, eid), org in changed.items()]
    session.connection().execute(insert(SyncChange).values(rows))


@event.listens_for(OrmSession, "do_orm_execute")
def _log_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    stmt = state.statement
    table = getattr(stmt, "table", None)
    name = getattr(table, "name", None)
    if name not in TRACKED_TABLES:
        return
    entity, id_column = TRACKED_TABLES[name]
    assert isinstance(table, Table) or hasattr(table, "c")
    matched = select(table.c[id_column].label("entity_id"), table.c.org_id.label("org_id")).distinct()  # type: ignore[union-attr]
    if stmt.whereclause is not None:  # type: ignore[attr-defined]
        matched = matched.where(stmt.whereclause)  # type: ignore[attr-defined]
    rows = matched.subquery()
    log = insert(SyncChange).from_select(
        ["org_id", "entity", "entity_id", "txid"],
        select(rows.c.org_id, literal(entity), rows.c.entity_id, _txid(state.session)),
    )
    # On the session's own connection, in the same transaction: the log commits (or not) with the change.
    state.session.connection(bind_arguments=state.bind_arguments).execute(log)
