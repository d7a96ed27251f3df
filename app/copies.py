"""The copies some link tables keep of their record, so that a list or an indicator reads one index range instead
of joining millions of rows (README, Indexes): an encounter's team, time and tombstone on its persons and
materials (written by app/field/encounters.py), a need's list columns on its teams and persons (`NEED_COPIES`,
written by `_sync_copies` in app/needs/service.py).

Each copy has one writer, and a copy that drifts from its record miscounts without a sound: a wrong "overdue
needs" on the caseload, a deleted encounter still counted by the indicators. `drifts` counts, per copy, the links
of an organisation that no longer agree with their record; `repair` rewrites them from the record, in one UPDATE
per copy. `parcours copies check` runs the first every day (cron, README); `parcours copies repair` the second."""

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import Session, col, select

from app.models import Encounter, EncounterMaterial, EncounterPerson, Need
from app.needs.service import NEED_COPIES


@dataclass(frozen=True)
class Copy:
    name: str  # the link table
    link: type
    record: type
    on: ColumnElement[bool]  # which record a link copies
    values: dict[str, ColumnElement]  # the link's column -> what it must hold, from the record


ENCOUNTER_COPY = {"team_id": col(Encounter.team_id), "at": col(Encounter.at), "deleted_at": col(Encounter.deleted_at)}
COPIES = (
    Copy(
        "encounter_persons",
        EncounterPerson,
        Encounter,
        col(EncounterPerson.encounter_id) == col(Encounter.id),
        ENCOUNTER_COPY,
    ),
    Copy(
        "encounter_materials",
        EncounterMaterial,
        Encounter,
        col(EncounterMaterial.encounter_id) == col(Encounter.id),
        ENCOUNTER_COPY,
    ),
    *(
        Copy(link.__tablename__, link, Need, col(link.need_id) == col(Need.id), values)  # type: ignore[attr-defined]
        for link, values in NEED_COPIES.items()
    ),
)


def _drifted(copy: Copy, org_id: uuid.UUID) -> ColumnElement[bool]:
    """The organisation's links of this copy that disagree with their record (joined on `copy.on`)."""
    link = copy.link.__table__  # type: ignore[attr-defined]
    differs = [link.c[name].is_distinct_from(value) for name, value in copy.values.items()]
    return and_(link.c.org_id == org_id, or_(*differs))


def drifts(session: Session, org_id: uuid.UUID) -> dict[str, int]:
    """The links of the organisation whose copy disagrees with their record, per copy (0 when in step)."""
    return {
        copy.name: session.exec(
            select(func.count()).select_from(copy.link).join(copy.record, copy.on).where(_drifted(copy, org_id))
        ).one()
        for copy in COPIES
    }


def repair(session: Session, org_id: uuid.UUID) -> dict[str, int]:
    """Rewrite every drifted copy of the organisation from its record; the links repaired, per copy. The kept
    indicator figures counted from the encounter copies follow by themselves: the triggers of revision 0014 mark
    the days of every link rewritten, and the next reading recomputes them (app/indicators/rollup.py)."""
    repaired = {}
    for copy in COPIES:
        link = copy.link.__table__  # type: ignore[attr-defined]
        result = session.execute(update(link).where(copy.on, _drifted(copy, org_id)).values(copy.values))
        repaired[copy.name] = result.rowcount
    session.expire_all()
    return repaired
