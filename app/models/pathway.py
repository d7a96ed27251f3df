"""The pathway: needs and requests, the directory of structures, referrals (and their incoming side in the
receiving organisation), accommodation stays and procedures started.

Free text about a person (a need's description, a referral's reason and outcome, a stay's exit reason, the
snapshot a receiving organisation gets) is stored encrypted (app/crypto.py); the columns hold ciphertexts."""

import uuid
from datetime import date, datetime, time

from sqlalchemy import JSON, Index, String, Text, text
from sqlmodel import Field, SQLModel

from app.models.base import OrgRecord, ts_field

OPEN_STAY = text("exited_on IS NULL AND deleted_at IS NULL")
OPEN_NEED_LINK = text("open")


# ---------------------------------------------------------------- needs
class NeedCategory(OrgRecord, table=True):
    """A kind of need, in an optional group ("Papers and rights"); each organisation edits its list (defaults
    are created on first use)."""

    __tablename__ = "need_categories"

    label: str = Field(max_length=120, nullable=False)
    group_label: str | None = Field(default=None, max_length=120)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class Need(OrgRecord, table=True):
    """Something a person asks for or a team must do. Persons, teams and categories are in link tables."""

    __tablename__ = "needs"
    __table_args__ = (
        # The needs an organisation recorded in an interval: the daily report's "needs recorded" of a working day
        # (then need_teams' primary key for the team), and the needs recorded after a past day that its "needs
        # overdue" must leave out. Without it both read the whole table (a parallel seq scan: 160-450 ms at
        # 400,000 needs; bench/needs_week.py).
        Index("ix_needs_org_created", "org_id", "created_at"),
    )

    description: str | None = Field(default=None, sa_type=Text)  # ciphertext
    # todo, in_progress, done, cancelled
    status: str = Field(default="todo", sa_type=String(16), nullable=False)
    urgent: bool = Field(default=False, nullable=False)
    due_on: date | None = Field(default=None)  # local (Paris) day
    due_time: time | None = Field(default=None)  # local time, optional
    assigned_to: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    completed_at: datetime | None = ts_field(nullable=True)
    completed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # Recurrence: completing an occurrence creates the next one (previous_id points back, once).
    repeat_every: int | None = Field(default=None)
    repeat_unit: str | None = Field(default=None, sa_type=String(8))  # day, week, month
    repeat_until: date | None = Field(default=None)
    series_id: uuid.UUID | None = Field(default=None, index=True)
    previous_id: uuid.UUID | None = Field(default=None, foreign_key="needs.id", unique=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class NeedPerson(SQLModel, table=True):
    """A need's person, with a copy of what the caseload counts on (open, due day; kept in step by
    app/needs/service.py), so that "overdue needs" and "no open need" read one index range, not every need."""

    __tablename__ = "need_persons"
    __table_args__ = (
        Index(
            "ix_need_persons_org_open",
            "org_id",
            "person_id",
            "due_on",
            sqlite_where=OPEN_NEED_LINK,
            postgresql_where=OPEN_NEED_LINK,
        ),
    )

    need_id: uuid.UUID = Field(foreign_key="needs.id", primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    open: bool = Field(default=True, nullable=False)
    due_on: date | None = Field(default=None)


class NeedCategoryLink(SQLModel, table=True):
    __tablename__ = "need_category_links"

    need_id: uuid.UUID = Field(foreign_key="needs.id", primary_key=True)
    category_id: uuid.UUID = Field(foreign_key="need_categories.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class NeedTeam(SQLModel, table=True):
    """A need assigned to a team, with a copy of what the team's lists filter and sort on (kept in step by
    app/needs/service.py), so that each list is one index range at any size."""

    __tablename__ = "need_teams"
    __table_args__ = (
        Index("ix_need_teams_team_open_due", "team_id", "open", "due_on", "due_time"),
        Index("ix_need_teams_team_open_closed", "team_id", "open", "closed_at"),
        # The week view: the team's needs by due day and time, the need as the last key, so the index is read in
        # the page's order and the scan stops at its limit (WEEK_LIMIT) however many needs the week holds.
        Index("ix_need_teams_team_due", "team_id", "due_on", "due_time", "need_id"),
    )

    need_id: uuid.UUID = Field(foreign_key="needs.id", primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    open: bool = Field(default=True, nullable=False)
    urgent: bool = Field(default=False, nullable=False)
    due_on: date | None = Field(default=None)
    due_time: time | None = Field(default=None)
    closed_at: datetime | None = ts_field(nullable=True)


class NeedChange(SQLModel, table=True):
    """One change of a need: who, when, which field, old -> new (never the description's text)."""

    __tablename__ = "need_changes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    need_id: uuid.UUID = Field(foreign_key="needs.id", index=True, nullable=False)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    at: datetime = ts_field()
    field: str = Field(max_length=32, nullable=False)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)


# ---------------------------------------------------------------- directory of structures
class Structure(OrgRecord, table=True):
    """A service in the organisation's directory. Archived, never deleted. `linked_team_id` ties it to a team
    that uses Parcours (of this organisation, or of another one through its referral inbox code)."""

    __tablename__ = "structures"
    __table_args__ = (Index("ix_structures_org_id_name", "org_id", "name"),)

    name: str = Field(max_length=200, nullable=False)
    kind: str = Field(sa_type=String(32), nullable=False)
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    phone: str | None = Field(default=None, max_length=40)
    opening: str | None = Field(default=None, sa_type=String(8))  # day, night, both
    hours: str | None = Field(default=None, max_length=300)
    places: int | None = Field(default=None)
    notes: str | None = Field(default=None, sa_type=Text)
    archived_at: datetime | None = ts_field(nullable=True)
    linked_team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id", index=True)
    linked_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
    # "Organisation · team", copied when the link is made: the other organisation is never read again.
    linked_label: str | None = Field(default=None, max_length=250)


class ReferralInbox(OrgRecord, table=True):
    """A team's door for referrals from other organisations: they link a structure to it with `code`."""

    __tablename__ = "referral_inboxes"

    team_id: uuid.UUID = Field(foreign_key="teams.id", unique=True, nullable=False)
    code: str = Field(max_length=16, unique=True, nullable=False)
    closed_at: datetime | None = ts_field(nullable=True)


# ---------------------------------------------------------------- referrals
class Referral(OrgRecord, table=True):
    """A person sent to a structure (for a need), by the sending organisation. When the structure is linked to a
    team in Parcours the receiving side is an IncomingReferral, written only by app/referrals/crossing.py."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_org_team_status", "org_id", "team_id", "status", "status_at"),
        Index("ix_referrals_structure_status", "structure_id", "status", "status_at"),
        Index("ix_referrals_org_status", "org_id", "status", "status_at"),  # the caseload's "referrals waiting"
    )

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    structure_id: uuid.UUID = Field(foreign_key="structures.id", nullable=False)
    need_id: uuid.UUID | None = Field(default=None, foreign_key="needs.id", index=True)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")  # the sending team
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    reason: str | None = Field(default=None, sa_type=Text)  # ciphertext
    shared: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    consent_given: bool = Field(default=False, nullable=False)
    consent_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    consent_at: datetime | None = ts_field(nullable=True)
    consent_scope: str | None = Field(default=None, max_length=300)
    status: str = Field(default="proposed", sa_type=String(16), nullable=False)
    status_at: datetime = ts_field()
    outcome: str | None = Field(default=None, sa_type=String(16))
    outcome_note: str | None = Field(default=None, sa_type=Text)  # ciphertext
    target_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
    target_team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")


class IncomingReferral(OrgRecord, table=True):
    """The receiving organisation's side of a referral: only the snapshot consented to at sending, its own
    person record once linked, and the status, which app/referrals/crossing.py mirrors to the sender."""

    __tablename__ = "incoming_referrals"
    __table_args__ = (
        Index("ix_incoming_referrals_org_status", "org_id", "status", "status_at"),
        Index("ix_incoming_referrals_team_status", "team_id", "status", "status_at"),
    )

    referral_id: uuid.UUID = Field(foreign_key="referrals.id", unique=True, nullable=False)
    team_id: uuid.UUID = Field(foreign_key="teams.id", nullable=False)
    from_label: str = Field(max_length=250, nullable=False)  # "Sending organisation · team"
    snapshot: str = Field(sa_type=Text, nullable=False)  # ciphertext of a JSON object
    status: str = Field(sa_type=String(16), nullable=False)
    status_at: datetime = ts_field()
    sent_at: datetime = ts_field()
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id", index=True)


class ReferralStep(SQLModel, table=True):
    """The date of each step of a referral, on one side (`referral_id` for the sender, `incoming_id` for the
    receiver). `by_label` names the other organisation when the step was taken there."""

    __tablename__ = "referral_steps"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referrals.id", index=True)
    incoming_id: uuid.UUID | None = Field(default=None, foreign_key="incoming_referrals.id", index=True)
    status: str = Field(sa_type=String(16), nullable=False)
    at: datetime = ts_field()
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    by_label: str | None = Field(default=None, max_length=250)


# ---------------------------------------------------------------- stays and procedures
class Stay(OrgRecord, table=True):
    """A person in an accommodation: a structure of the directory or an accommodation team, optionally a room
    or bed. At most one open stay per person and per room (partial unique indexes, checked first in the
    service with a clear message)."""

    __tablename__ = "stays"
    __table_args__ = (
        Index("ix_stays_structure_open", "structure_id", "exited_on"),
        Index("ix_stays_team_open", "team_id", "exited_on"),
        # The caseload's "stays over 6 months": the organisation's open stays by entry day.
        Index("ix_stays_org_open", "org_id", "entered_on", sqlite_where=OPEN_STAY, postgresql_where=OPEN_STAY),
        Index(
            "uq_stays_open_person",
            "person_id",
            unique=True,
            sqlite_where=OPEN_STAY,
            postgresql_where=OPEN_STAY,
        ),
        Index(
            "uq_stays_open_structure_room",
            "structure_id",
            "room",
            unique=True,
            sqlite_where=OPEN_STAY,
            postgresql_where=OPEN_STAY,
        ),
        Index(
            "uq_stays_open_team_room",
            "team_id",
            "room",
            unique=True,
            sqlite_where=OPEN_STAY,
            postgresql_where=OPEN_STAY,
        ),
    )

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    structure_id: uuid.UUID | None = Field(default=None, foreign_key="structures.id")
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    room: str | None = Field(default=None, max_length=60)
    entered_on: date = Field(nullable=False)
    exited_on: date | None = Field(default=None)
    exit_to: str | None = Field(default=None, sa_type=String(24))  # housing, street, ... (see stays/service.py)
    exit_kind: str | None = Field(default=None, sa_type=String(16))  # positive, negative, other
    exit_note: str | None = Field(default=None, sa_type=Text)  # ciphertext
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referrals.id")
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class Procedure(OrgRecord, table=True):
    """A procedure started for a person (domiciliation, ID papers, health insurance...), with its dates."""

    __tablename__ = "procedures"
    __table_args__ = (Index("ix_procedures_org_kind_started", "org_id", "kind", "started_on"),)

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    kind: str = Field(sa_type=String(24), nullable=False)
    started_on: date = Field(nullable=False)
    done_on: date | None = Field(default=None)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


__all__ = [
    "IncomingReferral",
    "Need",
    "NeedCategory",
    "NeedCategoryLink",
    "NeedChange",
    "NeedPerson",
    "NeedTeam",
    "Procedure",
    "Referral",
    "ReferralInbox",
    "ReferralStep",
    "Stay",
    "Structure",
]
