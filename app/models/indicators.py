"""What the indicators keep so that a year answers in well under a second: sums per day and team, and who was met
or came in which months, always recomputed from the records (app/indicators/rollup.py), never written by hand.

What to recompute is told by triggers on the records' tables (revision 0014): every insert, change or deletion, by
the ORM or a bulk statement, leaves a mark of its day (and of its person, for encounter persons and check-ins)."""

import uuid
from datetime import date

from sqlalchemy import BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

ALL_TEAMS = uuid.UUID(int=0)  # team_id of the rows that sum every team of the organisation


class IndicatorDay(SQLModel, table=True):
    """One additive figure of one Paris day for one team (or ALL_TEAMS): encounters, anonymous contacts (people),
    materials given (key: the material), observations, rounds (key: the time band), check-ins, seconds of
    presence at a rest area of the visits checked out (key: the 2-hour band)."""

    __tablename__ = "indicator_days"
    # Recomputing days: their rows, every team (the primary key serves the readings: a team's or all teams' sums).
    __table_args__ = (Index("ix_indicator_days_org_day", "org_id", "day"),)

    org_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    figure: str = Field(max_length=20, primary_key=True)
    day: date = Field(primary_key=True)
    key: str = Field(default="", max_length=40, primary_key=True)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class IndicatorPresence(SQLModel, table=True):
    """Seconds of presence at a rest area of one team on one Paris day, per 2-hour band of the day (s00: 0-2 h...),
    of the visits checked out (those still open count until now: computed at each reading)."""

    __tablename__ = "indicator_presence"
    __table_args__ = (Index("ix_indicator_presence_org_day", "org_id", "day"),)  # recomputing days

    org_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    s00: int = Field(default=0, nullable=False)
    s02: int = Field(default=0, nullable=False)
    s04: int = Field(default=0, nullable=False)
    s06: int = Field(default=0, nullable=False)
    s08: int = Field(default=0, nullable=False)
    s10: int = Field(default=0, nullable=False)
    s12: int = Field(default=0, nullable=False)
    s14: int = Field(default=0, nullable=False)
    s16: int = Field(default=0, nullable=False)
    s18: int = Field(default=0, nullable=False)
    s20: int = Field(default=0, nullable=False)
    s22: int = Field(default=0, nullable=False)


ERA_MONTHS = 60  # the months of a person's activity row: 5 years, one bit each (a 64-bit integer)


class IndicatorPersonActivity(SQLModel, table=True):
    """The months of a 5-year era (bit n for the era's month n, Paris) in which a person was met in a live encounter
    (`met`) or checked in (`came`) by a team (or ALL_TEAMS), up to the current month. "Distinct persons met in
    a year" reads one row per person instead of 2 million encounters. An erased person's rows go with them."""

    __tablename__ = "indicator_person_activity"
    # Recomputing a person's months, and deleting them with the person (the foreign key's ON DELETE CASCADE).
    __table_args__ = (Index("ix_indicator_person_activity_person", "person_id"),)

    org_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    era: int = Field(primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", primary_key=True, ondelete="CASCADE")
    met: int = Field(sa_column=Column(BigInteger, nullable=False))
    came: int = Field(sa_column=Column(BigInteger, nullable=False))


class IndicatorMark(SQLModel, table=True):
    """A day (UTC date of a record's time) whose figures must be recomputed, written by the triggers only.
    `claimed`: taken by the recomputation running (deleted when it commits)."""

    __tablename__ = "indicator_marks"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    org_id: uuid.UUID = Field(index=True, nullable=False)
    day: date = Field(nullable=False)
    claimed: bool = Field(default=False, nullable=False)


class IndicatorPersonMark(SQLModel, table=True):
    """A person whose months must be recomputed (an encounter or a check-in of theirs written), by the triggers."""

    __tablename__ = "indicator_person_marks"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    org_id: uuid.UUID = Field(index=True, nullable=False)
    person_id: uuid.UUID = Field(nullable=False)
    day: date = Field(nullable=False)
    claimed: bool = Field(default=False, nullable=False)


class IndicatorState(SQLModel, table=True):
    """An organisation's kept figures exist (built once from every record), and months are kept up to
    `months_until` (the last day of the current month when they were last brought up to date)."""

    __tablename__ = "indicator_state"

    org_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True)
    months_until: date = Field(nullable=False)
