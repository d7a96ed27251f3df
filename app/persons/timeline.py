"""Extension points of the person page, so later domains add themselves without touching the person code.

* Timeline: each kind of record (notes and history here; encounters, check-ins, needs, referrals, stays later)
  registers a provider `fn(session, actor, person_id, before, limit) -> list[TimelineEntry]`, with the permission
  needed to see it: its newest entries older than `before` (None: from now), at least `limit` of them when there
  are. The page merges them, newest first, one page at a time (PAGE entries, then "older" pages by `before`).
* Summary counters: `register_counter("open_needs", fn)`; the summary card shows the sum (0 while none is
  registered).
* Presence: `register_presence(fn)` returns a short status ("checked in at Rosa since 14:02") or None; it is
  the one thing besides alias, code and alert that the reception role sees.
* Summary sections: `register_summary(name, permission)` on `fn(session, actor, person_id) -> SummarySection |
  None`: a short block on the person's main page (open needs, referrals in progress, the current stay...).
* Merge: `register_person_column(Model, "person_id")` (or `register_merge_step(fn)` for rows needing care)
  so a merge moves every linked row to the survivor. The same list tells the right to erasure and the retention
  purge (app/privacy/service.py) which rows hold a person.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, update

from app.access import Actor
from app.models import utcnow


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # a short identifier: "note", "change", "merge", "exit"... used as a CSS hook and for filters
    title: str  # translated, one line
    body: str | None = None
    by: str | None = None
    urgent: bool = False
    url: str | None = None


TimelineProvider = Callable[[Session, Actor, uuid.UUID, datetime | None, int], list[TimelineEntry]]
_TIMELINE: list[tuple[str, str | None, TimelineProvider]] = []
PAGE = 30  # entries a page of the timeline shows; older ones come a page at a time


def register_timeline(name: str, permission: str | None = None) -> Callable[[TimelineProvider], TimelineProvider]:
    def deco(fn: TimelineProvider) -> TimelineProvider:
        _TIMELINE[:] = [t for t in _TIMELINE if t[0] != name] + [(name, permission, fn)]
        return fn

    return deco


def older_than(stmt, column, before: datetime | None):
    """A provider's select cut to its entries older than `before` (the next page), or as it is (the first one)."""
    return stmt if before is None else stmt.where(column < before)


def timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, limit: int = 200, exclude: tuple[str, ...] = ()
) -> list[TimelineEntry]:
    """The newest `limit` entries (the export of a person's file asks for all of them)."""
    return page(session, actor, person_id, limit, exclude)[0]


def page(
    session: Session,
    actor: Actor,
    person_id: uuid.UUID,
    limit: int = PAGE,
    exclude: tuple[str, ...] = (),
    before: datetime | None = None,
) -> tuple[list[TimelineEntry], datetime | None]:
    """The newest `limit` entries older than `before`, and the `before` of the next page (None: nothing older).
    Every provider is asked for `limit` + 1 entries, so the merged page is exact whatever their mix; entries sharing
    the instant of the first one left out wait for the next page with it (`before` is strict)."""
    entries: list[TimelineEntry] = []
    for name, permission, fn in _TIMELINE:
        if name in exclude:
            continue
        if permission is None or actor.can(permission):
            entries.extend(
                e for e in fn(session, actor, person_id, before, limit + 1) if before is None or e.at < before
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    if len(entries) <= limit:
        return entries, None
    cut = entries[limit].at
    page = [e for e in entries[:limit] if e.at > cut] or entries[:limit]
    return page, page[-1].at


@dataclass
class SummaryItem:
    text: str
    url: str | None = None
    meta: str | None = None  # a second, muted line
    urgent: bool = False


@dataclass
class SummarySection:
    name: str  # a short identifier, used as a CSS hook
    title: str  # translated
    items: list[SummaryItem] = field(default_factory=list)
    empty: str | None = None  # shown when there is no item
    actions: list[tuple[str, str]] = field(default_factory=list)  # (translated label, url)


SummaryProvider = Callable[[Session, Actor, uuid.UUID], SummarySection | None]
_SUMMARY: list[tuple[str, str | None, SummaryProvider]] = []


def register_summary(name: str, permission: str | None = None) -> Callable[[SummaryProvider], SummaryProvider]:
    def deco(fn: SummaryProvider) -> SummaryProvider:
        _SUMMARY[:] = [t for t in _SUMMARY if t[0] != name] + [(name, permission, fn)]
        return fn

    return deco


def summary_sections(session: Session, actor: Actor, person_id: uuid.UUID) -> list[SummarySection]:
    sections = []
    for _name, permission, fn in _SUMMARY:
        if permission is None or actor.can(permission):
            section = fn(session, actor, person_id)
            if section is not None:
                sections.append(section)
    return sections


# Erasure: records that exist only because of the persons being erased (an encounter or a need whose every person
# goes), returned as (table, where clause) so that app/privacy deletes them, with their own rows, before the
# persons' links disappear. Without this the record (and its note about the person) would stay behind, orphaned.
EraseDependents = Callable[[Session, set[uuid.UUID]], list[tuple[Any, Any]]]
_ERASE_DEPENDENTS: list[EraseDependents] = []


def register_erase_dependents(fn: EraseDependents) -> EraseDependents:
    if fn not in _ERASE_DEPENDENTS:
        _ERASE_DEPENDENTS.append(fn)
    return fn


def erase_dependents() -> list[EraseDependents]:
    return list(_ERASE_DEPENDENTS)


Counter = Callable[[Session, Actor, uuid.UUID], int]
_COUNTERS: dict[str, list[Counter]] = {}


def register_counter(name: str, fn: Counter) -> None:
    _COUNTERS.setdefault(name, []).append(fn)


def count(session: Session, actor: Actor, person_id: uuid.UUID, name: str) -> int:
    return sum(fn(session, actor, person_id) for fn in _COUNTERS.get(name, []))


Presence = Callable[[Session, Actor, uuid.UUID], str | None]
_PRESENCE: list[Presence] = []


def register_presence(fn: Presence) -> None:
    _PRESENCE.append(fn)


def presence(session: Session, actor: Actor, person_id: uuid.UUID) -> str | None:
    for fn in _PRESENCE:
        status = fn(session, actor, person_id)
        if status:
            return status
    return None


MergeStep = Callable[[Session, uuid.UUID, uuid.UUID], None]
_MERGE_STEPS: list[MergeStep] = []


def register_merge_step(fn: MergeStep) -> MergeStep:
    """fn(session, survivor_id, merged_id) moves what needs care (uniqueness, pairs) to the survivor."""
    _MERGE_STEPS.append(fn)
    return fn


_PERSON_COLUMNS: list[tuple[type, str]] = []


def person_columns() -> list[tuple[type, str]]:
    """Every (model, column) registered as pointing at a person."""
    return list(_PERSON_COLUMNS)


def register_person_column(model: type, column: str = "person_id") -> None:
    """Rows of `model` whose `column` points at a person follow that person into a merge (and are erased with
    them)."""
    if (model, column) not in _PERSON_COLUMNS:
        _PERSON_COLUMNS.append((model, column))

    def step(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
        values: dict = {column: survivor_id}
        if hasattr(model, "version"):  # a synced record that moves is a changed record: phones must fetch it
            values.update(version=model.version + 1, updated_at=utcnow())  # type: ignore[attr-defined]
        stmt = update(model).where(col(getattr(model, column)) == merged_id).values(values)
        session.exec(stmt.execution_options(synchronize_session="fetch"))  # type: ignore[call-overload]

    step.__name__ = f"move_{getattr(model, '__tablename__', model.__name__)}_{column}"
    _MERGE_STEPS.append(step)


def merge_steps() -> list[MergeStep]:
    return list(_MERGE_STEPS)
