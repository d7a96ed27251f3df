"""Field work: territories and their places, the materials and services catalogues, patrol rounds, encounters,
anonymous contacts, rest-area check-ins and day closures, observations and daily team reports.

Lists filter on (org_id, team_id, time) and sort on the time, so each such list has that composite index; every
foreign key is indexed too (merges, timelines and deletes look rows up by it). Line tables (persons, materials
and services of a record) have no life of their own: they change with their parent, whose version is bumped."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import OrgRecord, UTCDateTime, ts_field


class Territory(OrgRecord, table=True):
    """A sector the teams work in (Stalingrad, Jardin d'Éole, a metro line). Archived, never deleted."""

    __tablename__ = "territories"

    name: str = Field(max_length=120, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    # Free words the organisation uses: "street", "park", "metro", "squat"...
    kinds: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class Place(OrgRecord, table=True):
    """A place people frequent, inside a territory (a square, a metro exit, a bridge)."""

    __tablename__ = "places"

    territory_id: uuid.UUID = Field(foreign_key="territories.id", index=True, nullable=False)
    name: str = Field(max_length=120, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class Material(OrgRecord, table=True):
    """A harm-reduction supply the organisation hands out, counted per unit. Archived when no longer given."""

    __tablename__ = "materials"

    label: str = Field(max_length=120, nullable=False)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class FieldService(OrgRecord, table=True):
    """Something done for a person: in an encounter (care, listening, orientation...) or during a check-in
    (rest, shower, laundry, meal...); `scope` says which list it belongs to."""

    __tablename__ = "field_services"

    scope: str = Field(sa_type=String(16), nullable=False)  # "encounter" or "checkin"
    label: str = Field(max_length=120, nullable=False)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class Round(OrgRecord, table=True):
    """A team out on a shift (maraude): several encounters and anonymous contacts happen during it."""

    __tablename__ = "rounds"
    __table_args__ = (
        Index("ix_rounds_org_team_started", "org_id", "team_id", "started_at"),
        Index("ix_rounds_org_started", "org_id", "started_at"),
    )

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    kind: str = Field(sa_type=String(16), nullable=False)  # foot, bus, metro
    territory_id: uuid.UUID | None = Field(default=None, foreign_key="territories.id", index=True)
    started_at: datetime = ts_field()
    ended_at: datetime | None = ts_field(nullable=True)
    # day, evening, night or weekend, from the start in Paris time (app/field/days.py): what indicators group by.
    time_band: str = Field(sa_type=String(16), nullable=False)
    started_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    ended_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class RoundMember(SQLModel, table=True):
    __tablename__ = "round_members"

    round_id: uuid.UUID = Field(foreign_key="rounds.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class Encounter(OrgRecord, table=True):
    """One contact with one or several persons, during a round or not, with what was given or done.

    `note`, `health_care` and `health_note` hold ciphertexts (app/crypto.py); the health part is read and
    written only by roles with the health permissions (filtered in app/field/encounters.py)."""

    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_org_team_at", "org_id", "team_id", "at"),
        # A round's counts (encounters, distinct persons) read this index only, at any volume.
        Index("ix_encounters_round", "round_id", "deleted_at", "id"),
        # Indicators over every team of the organisation: one index range per period.
        Index("ix_encounters_org_at", "org_id", "at"),
    )

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    round_id: uuid.UUID | None = Field(default=None, foreign_key="rounds.id")
    at: datetime = ts_field()
    territory_id: uuid.UUID | None = Field(default=None, foreign_key="territories.id", index=True)
    place_id: uuid.UUID | None = Field(default=None, foreign_key="places.id", index=True)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    accuracy_m: int | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=Text)
    health_care: str | None = Field(default=None, sa_type=Text)
    health_note: str | None = Field(default=None, sa_type=Text)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


OPEN_CHECKIN = text("left_at IS NULL AND deleted_at IS NULL")
# Live rows only (encounter persons and materials): a deleted encounter leaves every figure.
LIVE_ENCOUNTER_PERSON = text("deleted_at IS NULL")


class EncounterPerson(SQLModel, table=True):
    """A person met in an encounter. `team_id`, `at` and `deleted_at` are copies of the encounter's, written with
    it (app/field/encounters.py: record_encounter, delete_encounter; the only writers, sync included) so that
    "distinct persons met by these teams in this period" reads one index of this table instead of joining 2
    million encounters (revision 0009 filled them for the rows written before)."""

    __tablename__ = "encounter_persons"
    __table_args__ = (
        # Indicators and their drill-down over every team: persons met in a period, index only (org, at, person).
        Index(
            "ix_encounter_persons_org_at",
            "org_id",
            "at",
            "person_id",
            sqlite_where=LIVE_ENCOUNTER_PERSON,
            postgresql_where=LIVE_ENCOUNTER_PERSON,
        ),
        # The same for a set of teams: one range per team, index only.
        Index(
            "ix_encounter_persons_org_team_at",
            "org_id",
            "team_id",
            "at",
            "person_id",
            sqlite_where=LIVE_ENCOUNTER_PERSON,
            postgresql_where=LIVE_ENCOUNTER_PERSON,
        ),
        # Indicators: "was this person met in the period (by these teams)?", one short probe per person of the
        # organisation instead of hashing every encounter person of the period (2 million in a year) down to the
        # persons met; team_id in the leaf keeps it index only (revision 0013, bench/indicators.py).
        Index(
            "ix_encounter_persons_person_at",
            "person_id",
            "at",
            postgresql_include=["org_id", "team_id"],
            sqlite_where=LIVE_ENCOUNTER_PERSON,
            postgresql_where=LIVE_ENCOUNTER_PERSON,
        ),
    )

    encounter_id: uuid.UUID = Field(foreign_key="encounters.id", primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    # The person was created on the spot by this encounter.
    new: bool = Field(default=False, nullable=False)
    # Copies of the encounter's team, time and tombstone (no foreign key: encounters.team_id has it).
    team_id: uuid.UUID = Field(nullable=False)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    deleted_at: datetime | None = ts_field(nullable=True)


class EncounterMaterial(SQLModel, table=True):
    """Material given in an encounter. `team_id`, `at` and `deleted_at` are copies of the encounter's, as on
    EncounterPerson (same writers), so that "materials given by these teams in this period" reads one index."""

    __tablename__ = "encounter_materials"
    __table_args__ = (
        # Indicators: units given per material over a period, every team or some, index only.
        Index(
            "ix_encounter_materials_org_at",
            "org_id",
            "at",
            "material_id",
            "quantity",
            sqlite_where=LIVE_ENCOUNTER_PERSON,
            postgresql_where=LIVE_ENCOUNTER_PERSON,
        ),
        Index(
            "ix_encounter_materials_org_team_at",
            "org_id",
            "team_id",
            "at",
            "material_id",
            "quantity",
            sqlite_where=LIVE_ENCOUNTER_PERSON,
            postgresql_where=LIVE_ENCOUNTER_PERSON,
        ),
    )

    encounter_id: uuid.UUID = Field(foreign_key="encounters.id", primary_key=True)
    material_id: uuid.UUID = Field(foreign_key="materials.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    quantity: int = Field(nullable=False)
    # Copies of the encounter's team, time and tombstone.
    team_id: uuid.UUID = Field(nullable=False)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    deleted_at: datetime | None = ts_field(nullable=True)


class EncounterService(SQLModel, table=True):
    __tablename__ = "encounter_services"

    encounter_id: uuid.UUID = Field(foreign_key="encounters.id", primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="field_services.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class AnonymousContact(OrgRecord, table=True):
    """People met during a round but not identified: how many, and the materials given to them."""

    __tablename__ = "anonymous_contacts"
    __table_args__ = (Index("ix_anonymous_contacts_org_team_at", "org_id", "team_id", "at"),)

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    round_id: uuid.UUID = Field(foreign_key="rounds.id", index=True, nullable=False)
    at: datetime = ts_field()
    people: int = Field(nullable=False)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class AnonymousMaterial(SQLModel, table=True):
    __tablename__ = "anonymous_contact_materials"

    contact_id: uuid.UUID = Field(foreign_key="anonymous_contacts.id", primary_key=True)
    material_id: uuid.UUID = Field(foreign_key="materials.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    quantity: int = Field(nullable=False)


class DayClosure(OrgRecord, table=True):
    """A rest area's day closed: whoever was still checked in was checked out by it (Checkin.closure_id)."""

    __tablename__ = "day_closures"
    __table_args__ = (Index("ix_day_closures_org_team_day", "org_id", "team_id", "day"),)

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    day: date = Field(nullable=False)
    closed_at: datetime = ts_field()
    closed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    checked_out: int = Field(default=0, nullable=False)


class Checkin(OrgRecord, table=True):
    """A visit to a rest area or reception (passage), named or anonymous (person_id null). Open while
    `left_at` is null. `day` is the team's working day of the arrival (noon to noon for night teams)."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_org_team_day", "org_id", "team_id", "day"),
        Index("ix_checkins_org_day", "org_id", "day"),
        # Who is present now: the open check-ins of a team.
        Index("ix_checkins_team_left", "team_id", "left_at"),
        # The indicators' presence of the visits not checked out (counted until now, app/indicators/rollup.py).
        Index(
            "ix_checkins_org_open",
            "org_id",
            "day",
            sqlite_where=OPEN_CHECKIN,
            postgresql_where=OPEN_CHECKIN,
        ),
    )

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id", index=True)
    day: date = Field(nullable=False)
    arrived_at: datetime = ts_field()
    left_at: datetime | None = ts_field(nullable=True)
    closure_id: uuid.UUID | None = Field(default=None, foreign_key="day_closures.id", index=True)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    left_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class CheckinServiceUse(SQLModel, table=True):
    __tablename__ = "checkin_service_uses"

    checkin_id: uuid.UUID = Field(foreign_key="checkins.id", primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="field_services.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class Observation(OrgRecord, table=True):
    """What a team saw in a territory: people by gender, atmosphere, police, material found or collected,
    incidents, a note, and the organisation's custom observation fields (values keyed by CustomField id)."""

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_org_team_at", "org_id", "team_id", "at"),)

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    territory_id: uuid.UUID = Field(foreign_key="territories.id", index=True, nullable=False)
    place_id: uuid.UUID | None = Field(default=None, foreign_key="places.id", index=True)
    at: datetime = ts_field()
    women: int = Field(default=0, nullable=False)
    men: int = Field(default=0, nullable=False)
    others: int = Field(default=0, nullable=False)  # other or not known
    atmosphere: str = Field(sa_type=String(16), nullable=False)  # calm, tense, violent
    police: str = Field(sa_type=String(16), nullable=False)  # none, passing, present, operation
    incidents: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class ObservationMaterial(SQLModel, table=True):
    __tablename__ = "observation_materials"

    observation_id: uuid.UUID = Field(foreign_key="observations.id", primary_key=True)
    material_id: uuid.UUID = Field(foreign_key="materials.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    found: int = Field(default=0, nullable=False)
    collected: int = Field(default=0, nullable=False)


class DailyReport(OrgRecord, table=True):
    """A team's own words on its working day; the figures are computed from the records (app/field/report.py)."""

    __tablename__ = "daily_reports"
    __table_args__ = (UniqueConstraint("org_id", "team_id", "day"),)

    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, nullable=False)
    day: date = Field(nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    partners: str | None = Field(default=None, sa_type=Text)
    # Shown on the team's home page during the next working day.
    handover: str | None = Field(default=None, sa_type=Text)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
