"""Offline sync: push a batch of changes made on a phone, pull what changed since a cursor.

Push
- Every change goes through the same service functions as the pages (permissions, isolation, encryption), each
  in its own savepoint: one rejected change (with a translated reason) never undoes the others, while a failure
  of the database itself fails the whole batch (nothing half-written; the phone resends it all).
- Creates are idempotent on the client id, which is the record's primary key. The answer to each accepted change
  is kept (SyncReceipt) with a hash of what was sent: the same change again gets the same answer ("duplicate"),
  the same id with other content is refused (422).
- An edit carries the version it was based on and the values it started from: fields nobody else changed are
  saved, a field someone else changed meanwhile to another value is a conflict returned with both values.
  Encounters, check-ins, observations and notes are append-only: only creates, so they never conflict.

Pull (the safe watermark)
Each change adds a SyncChange row in its own transaction (changelog.py). A bare "seq > cursor" would miss a row
whose transaction took its seq early but committed late. On PostgreSQL each row carries the id of the
transaction that wrote it, and a pull only returns rows whose transaction id is below the oldest transaction
still running in this database: every transaction of this database below that horizon has ended, so no row can
appear behind the cursor later. Rows are ordered by (txid, seq) and the cursor is the last (txid, seq) returned. The
transactions running in another database of the server are left out of the horizon (see HORIZON_SQL): they
never write here, and a long one (a pg_dump, a bench) would otherwise hold every pull back.
Chosen over xid8 columns on every table: one small table written by one listener covers every synced kind.
SQLite allows a single writer at a time, so commit order is seq order and every committed row may be returned
(txid is 0). Deletions come back as tombstones, and what is returned is cut to what the user may see.
"""

import dataclasses
import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from app.access import Actor, scoped
from app.admin.service import FieldErrors
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.field import checkins, encounters, observations
from app.field.forms import CheckinForm, EncounterForm, ObservationForm
from app.i18n import _
from app.models import (
    Checkin,
    Encounter,
    EncounterPerson,
    Observation,
    Person,
    PersonNote,
    PersonTeam,
    SyncChange,
    SyncReceipt,
)
from app.persons import service as persons
from app.persons.forms import NoteForm, PersonForm
from app.sync import changelog  # noqa: F401  (registers the change log listener)
from app.sync.schemas import Change, Result
from app.web import _is_list, validate_form

# Person fields an edit from a phone may carry (the others are edited on the person's page).
EDITABLE = ("alias", "gender", "birth_year", "nationality", "phone", "alert", "alert_reason", "description")
PULL_LIMIT = 500


def digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def key_id(org_id: uuid.UUID, key: str) -> uuid.UUID:
    """The receipt id of an Idempotency-Key (a free string, per organisation)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"parcours:{org_id}:{key}")


def find_receipt(session: Session, actor: Actor, receipt_id: uuid.UUID) -> SyncReceipt | None:
    found = session.get(SyncReceipt, receipt_id)
    return found if found is not None and found.org_id == actor.org_id else None


def keep_receipt(session: Session, actor: Actor, receipt_id: uuid.UUID, sent: str, result: dict) -> None:
    session.add(SyncReceipt(id=receipt_id, org_id=actor.org_id, user_id=actor.user_id, digest=sent, result=result))  # type: ignore[arg-type]


def purge_receipts(session: Session, org_id: uuid.UUID, before: datetime, *, dry_run: bool = False) -> int:
    """Delete the organisation's receipts older than `before` (the daily purge); returns how many (would) go."""
    old = (SyncReceipt.org_id == org_id, col(SyncReceipt.created_at) < before)
    if dry_run:
        return session.exec(select(func.count()).select_from(SyncReceipt).where(*old)).one()
    return session.exec(delete(SyncReceipt).where(*old)).rowcount or 0  # type: ignore[call-overload]


def compact_changes(session: Session, org_id: uuid.UUID, *, dry_run: bool = False) -> int:
    """Delete the organisation's change-log rows that a later row of the same record makes useless (the daily
    purge); returns how many (would) go. A pull answers with each changed record's current state, so the latest
    row of a record answers every cursor: a phone whose cursor is before it gets the record, one whose cursor is
    past it had already passed the older rows too. The log then holds one row per record (or tombstone) instead of
    one per change. Only committed rows are seen here; a row still being written is never touched."""
    latest_first = (col(SyncChange.txid).desc(), col(SyncChange.seq).desc())
    ranked = (
        select(
            SyncChange.seq,
            func.row_number()
            .over(partition_by=(SyncChange.entity, SyncChange.entity_id), order_by=latest_first)
            .label("rank"),
        )
        .where(SyncChange.org_id == org_id)
        .subquery()
    )
    stale = select(ranked.c.seq).where(ranked.c.rank > 1)
    if dry_run:
        return session.exec(select(func.count()).select_from(stale.subquery())).one()
    return session.exec(delete(SyncChange).where(col(SyncChange.seq).in_(stale))).rowcount or 0  # type: ignore[call-overload]


# ---------------------------------------------------------------- push
def _form(model, values: dict):
    """The service's form from JSON or from a form captured on the phone (a list field may come as one value)."""
    for name, info in model.model_fields.items():
        if _is_list(info.annotation) and isinstance(values.get(name), str):
            values[name] = [values[name]]
    result = validate_form(model, values)
    if not result.ok:
        raise FieldErrors(result.errors)
    return result.data


def _raw(data: dict, prefix: str, given: dict | None) -> dict[str, str]:
    """Quantities of materials, given as {material id: n} or as the form's inputs (<prefix><material id>)."""
    raw = {f"{prefix}{k}": str(v) for k, v in (given or {}).items()}
    for key in [k for k in data if k.startswith(prefix)]:
        raw[key] = str(data.pop(key))
    return raw


def _survivor(session: Session, actor: Actor, person_id: Any) -> Any:
    """A person picked on the phone may have been merged meanwhile: the record goes to the survivor. An id that
    leads nowhere is left as it is (as text: JSON may carry any value), for the service to refuse it with its own
    message."""
    try:
        return str(persons.resolve(session, actor, person_id).id)
    except (NotFound, Forbidden, ValueError):
        return person_id if person_id is None or isinstance(person_id, str) else str(person_id)


def _create(session: Session, actor: Actor, change: Change) -> int:
    data, cid = dict(change.data), change.id
    if change.type == "encounter" and data.get("person_ids"):
        ids = data["person_ids"] if isinstance(data["person_ids"], list) else [data["person_ids"]]
        data["person_ids"] = list(dict.fromkeys(_survivor(session, actor, pid) for pid in ids))
    if change.type == "checkin" and data.get("person_id"):
        data["person_id"] = _survivor(session, actor, data["person_id"])
    if change.type == "person":
        return persons.create_person(session, actor, _form(PersonForm, {**data, "id": cid})).version
    if change.type == "encounter":
        raw = _raw(data, "m_", data.pop("materials", None))
        return encounters.record_encounter(session, actor, _form(EncounterForm, {**data, "id": cid}), raw).version
    if change.type == "checkin":
        return checkins.check_in(session, actor, _form(CheckinForm, {**data, "id": cid})).version
    if change.type == "observation":
        found, collected = data.pop("found", None) or {}, data.pop("collected", None) or {}
        raw = {
            **{f"found_{k}": str(v) for k, v in found.items()},
            **{f"collected_{k}": str(v) for k, v in collected.items()},
        }
        form = _form(ObservationForm, {**data, "id": cid})
        custom = {k: v if isinstance(v, list) else [str(v)] for k, v in data.items() if k.startswith("cf_")}
        return observations.record_observation(session, actor, form, raw, custom).version
    person = persons.resolve(session, actor, data.pop("person_id", None))  # a note
    return persons.add_note(session, actor, person, _form(NoteForm, {**data, "id": cid})).version


def _edit_person(session: Session, actor: Actor, change: Change) -> Result:
    """Merge an edit made on `base_version` field by field; conflicts come back with both values."""
    person = persons.get_for_write(session, actor, change.id)
    unknown = set(change.data) - set(EDITABLE)
    if unknown:
        raise FieldErrors({sorted(unknown)[0]: _("This field cannot be changed from the phone.")})
    values = persons.form_values(session, actor, person)
    same_version = change.base_version == person.version
    conflicts, merged = {}, {}
    for name, mine in change.data.items():
        now, before = persons.shown(values.get(name)), persons.shown(change.base.get(name))
        if same_version or now == before or now == persons.shown(mine):
            merged[name] = mine
        else:
            conflicts[name] = {"yours": mine, "theirs": values.get(name)}
    if merged:
        custom_raw = {k: [str(v)] for k, v in values.items() if k.startswith("cf_") and v not in (None, "")}
        form = _form(PersonForm, {**values, **merged, "version": person.version})
        persons.update_person(session, actor, person, form, custom_raw)
    if conflicts:
        return Result(
            id=change.id,
            status="conflict",
            version=person.version,
            message=_("Someone else changed this meanwhile: choose which value to keep."),
            conflicts=conflicts,
        )
    return Result(id=change.id, status="accepted", version=person.version)


def _as_actor(actor: Actor, team_id: uuid.UUID | None) -> Actor:
    """The team the change was made with (the session may have been renewed since, with no team picked)."""
    if team_id is not None and team_id in actor.team_ids:
        return dataclasses.replace(actor, team_id=team_id)
    return actor


def apply_change(session: Session, actor: Actor, change: Change) -> Result:
    """One change, accepted or rejected on its own (its own savepoint)."""
    receipt_id = change.change_id or change.id
    sent = digest(change.model_dump(mode="json", exclude={"change_id"}))
    if (receipt := find_receipt(session, actor, receipt_id)) is not None:
        if receipt.digest != sent:
            return Result(
                id=change.id,
                status="rejected",
                code=422,
                message=_("This id was already used for something else. Start the form again."),
            )
        return Result(**{**receipt.result, "status": "duplicate"})
    try:
        with session.begin_nested():
            acting = _as_actor(actor, change.team_id)
            if change.op == "update":
                result = _edit_person(session, acting, change)
            else:
                result = Result(id=change.id, status="accepted", version=_create(session, acting, change))
            if result.status == "accepted":
                keep_receipt(session, actor, receipt_id, sent, result.model_dump(mode="json"))
                session.flush()
            return result
    except FieldErrors as exc:
        message = next(iter(exc.errors.values()), str(exc))
        return Result(id=change.id, status="rejected", code=422, message=message, errors=exc.errors)
    except ValidationError:
        return Result(id=change.id, status="rejected", code=422, message=_("Check the values entered."))
    except Forbidden as exc:
        return Result(id=change.id, status="rejected", code=403, message=exc.message)
    except NotFound as exc:
        return Result(id=change.id, status="rejected", code=422, message=exc.message)
    except Conflict as exc:
        return Result(id=change.id, status="rejected", code=409, message=exc.message)
    except IntegrityError:  # the same record written at this very moment by another request (a form's retry)
        return Result(id=change.id, status="rejected", code=409, message=_("Try again in a moment."))
    except AppError as exc:
        return Result(id=change.id, status="rejected", code=422, message=exc.message)


def push(session: Session, actor: Actor, changes: list[Change]) -> list[Result]:
    return [apply_change(session, actor, change) for change in changes]


# ---------------------------------------------------------------- pull
def parse_cursor(cursor: str | None) -> tuple[int, int]:
    try:
        txid, seq = (int(x) for x in (cursor or "0.0").split("."))
    except ValueError:
        txid = seq = -1
    if not (0 <= txid < 2**63 and 0 <= seq < 2**63):  # what the database's bigint columns can hold
        raise FieldErrors({"cursor": _("This cursor is not valid: pull again from the start.")})
    return txid, seq


# The oldest transaction still running that may write this database's change log: the in-progress ids of the
# snapshot, except those pg_stat_activity shows running in another database of the cluster (a transaction never
# changes database, so they never write here). A long transaction elsewhere (a bench, a pg_dump of another base)
# no longer holds pulls back; one in this database still does, as it must. Ids whose backend is not shown
# (committed meanwhile, prepared transactions, no right to see them) are kept: held back, never skipped.
HORIZON_SQL = text(
    """
    with snap as (select pg_current_snapshot() as s),
    elsewhere as (
        select backend_xid::text::bigint as x from pg_stat_activity
        where backend_xid is not null and datname is distinct from current_database()
    )
    select coalesce(
        (select min(x::text::bigint) from snap, pg_snapshot_xip(snap.s) as x
         where (x::text::bigint % 4294967296) not in (select x from elsewhere)),
        (select pg_snapshot_xmax(s)::text::bigint from snap)
    )
    """
)


def _horizon(session: Session) -> int | None:
    """The transaction ids below which no transaction may still write the change log (PostgreSQL); None: no
    limit (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.exec(HORIZON_SQL).one()[0]  # type: ignore[call-overload]


def _own_txid(session: Session) -> int | None:
    """This transaction's own id when it wrote something: a writer sees its own changes."""
    row = session.exec(text("select pg_current_xact_id_if_assigned()::text::bigint")).one()  # type: ignore[call-overload]
    return row[0]


def pull(session: Session, actor: Actor, cursor: str | None, limit: int = PULL_LIMIT) -> dict:
    persons.require_read(actor)
    after = parse_cursor(cursor)
    stmt = select(SyncChange.txid, SyncChange.seq, SyncChange.entity, SyncChange.entity_id).where(
        SyncChange.org_id == actor.org_id, tuple_(SyncChange.txid, SyncChange.seq) > after
    )
    horizon = _horizon(session)
    if horizon is not None:
        own = _own_txid(session)
        stmt = stmt.where((col(SyncChange.txid) < horizon) | (col(SyncChange.txid) == own))
    rows = session.exec(stmt.order_by(col(SyncChange.txid), col(SyncChange.seq)).limit(limit)).all()
    last = f"{rows[-1][0]}.{rows[-1][1]}" if rows else f"{after[0]}.{after[1]}"
    wanted: dict[tuple[str, uuid.UUID], None] = {(entity, eid): None for _t, _s, entity, eid in rows}
    return {"changes": records(session, actor, list(wanted)), "cursor": last, "more": len(rows) == limit}


MODELS = {"person": Person, "encounter": Encounter, "checkin": Checkin, "observation": Observation, "note": PersonNote}


def _visible(actor: Actor, entity: str) -> bool:
    return {
        "person": persons.can_read(actor),
        "encounter": actor.can("field.read"),
        "checkin": _can(checkins.require, actor),
        "observation": actor.can("field.read"),
        "note": actor.can("notes.read"),
    }[entity]


def _can(check, actor: Actor) -> bool:
    try:
        check(actor)
    except Forbidden:
        return False
    return True


def records(session: Session, actor: Actor, keys: list[tuple[str, uuid.UUID]]) -> list[dict]:
    """The records as this actor may see them, in the order of the change log; deleted ones as tombstones."""
    by_type: dict[str, list[uuid.UUID]] = {}
    for entity, eid in keys:
        if _visible(actor, entity):
            by_type.setdefault(entity, []).append(eid)
    loaded: dict[uuid.UUID, Any] = {}
    for entity, ids in by_type.items():
        model = MODELS[entity]
        for obj in session.exec(scoped(model, actor, include_deleted=True).where(col(model.id).in_(ids))):
            loaded[obj.id] = obj
    enc_persons: dict[uuid.UUID, list[str]] = {}
    if by_type.get("encounter"):
        for enc_id, pid in session.exec(
            select(EncounterPerson.encounter_id, EncounterPerson.person_id).where(
                col(EncounterPerson.encounter_id).in_(by_type["encounter"])
            )
        ):
            enc_persons.setdefault(enc_id, []).append(str(pid))
    out = []
    for entity, eid in keys:
        if entity not in by_type:
            continue
        obj = loaded.get(eid)
        if obj is None or obj.deleted_at is not None:
            out.append({"type": entity, "id": str(eid), "deleted": True})
            continue
        out.append(
            {
                "type": entity,
                "id": str(eid),
                "version": obj.version,
                "deleted": False,
                "data": _data(session, actor, entity, obj, enc_persons),
            }
        )
    return out


def _data(session: Session, actor: Actor, entity: str, obj, enc_persons) -> dict:
    if entity == "person":
        return {"alias": obj.alias, "code": obj.code, "alert": obj.alert}
    if entity == "note":
        return {"person_id": str(obj.person_id), "urgent": obj.urgent, "body": encounters._read(session, obj, "body")}
    if entity == "checkin":
        return {
            "team_id": str(obj.team_id),
            "person_id": str(obj.person_id) if obj.person_id else None,
            "arrived_at": obj.arrived_at.isoformat(),
            "left_at": obj.left_at.isoformat() if obj.left_at else None,
        }
    if entity == "observation":
        return {
            "team_id": str(obj.team_id),
            "territory_id": str(obj.territory_id),
            "at": obj.at.isoformat(),
            "women": obj.women,
            "men": obj.men,
            "others": obj.others,
            "atmosphere": obj.atmosphere,
            "police": obj.police,
        }
    data = {"team_id": str(obj.team_id), "at": obj.at.isoformat(), "person_ids": sorted(enc_persons.get(obj.id, []))}
    if actor.can("notes.read"):
        data["note"] = encounters._read(session, obj, "note")
    if actor.can("health.read"):
        data["health_care"] = encounters._read(session, obj, "health_care")
        data["health_note"] = encounters._read(session, obj, "health_note")
    return data


def team_persons(session: Session, actor: Actor) -> list[dict]:
    """The active persons of the team picked today, aliases and codes only: what a phone keeps for picking."""
    persons.require_read(actor)
    if actor.team_id is None:
        return []
    rows = session.exec(
        select(Person.id, Person.alias, Person.code)
        .join(PersonTeam, col(PersonTeam.person_id) == col(Person.id))
        .where(Person.org_id == actor.org_id, PersonTeam.team_id == actor.team_id, col(Person.deleted_at).is_(None))
        .where(col(Person.active).is_(True))
        .order_by(Person.alias)
        .limit(2000)
    ).all()
    return [{"id": str(pid), "alias": alias, "code": code} for pid, alias, code in rows]
