"""Persons followed under the alias they chose, and what hangs on them: search names, teams, notes, change
history, active-list exits, merges, family links, places, documents, and the organisation's custom fields.

See app/persons/names.py for how `person_names` makes search instant at 100,000 persons per organisation."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import OrgRecord, ts_field


class Person(OrgRecord, table=True):
    __tablename__ = "persons"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        # Lists default to active persons sorted by last contact: one index range, newest first.
        Index("ix_persons_org_id_last_contact_at", "org_id", "last_contact_at"),
        # New persons of a period (indicators).
        Index("ix_persons_org_id_created_at", "org_id", "created_at"),
    )

    alias: str = Field(max_length=120, nullable=False)
    other_aliases: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # Short, unambiguous to read aloud (see app/persons/codes.py), unique in the organisation.
    code: str = Field(max_length=8, nullable=False)
    gender: str | None = Field(default=None, max_length=60)
    birth_year: int | None = Field(default=None)
    languages: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    nationality: str | None = Field(default=None, max_length=80)
    # Encrypted at rest (app/crypto.py): phone, alert_reason, description, delete_reason. Aliases and the code stay
    # in clear so that search works.
    phone: str | None = Field(default=None, sa_type=Text)
    first_met_on: date | None = Field(default=None)
    street_since: date | None = Field(default=None)
    alert: bool = Field(default=False, nullable=False)
    alert_reason: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    # Custom field values keyed by CustomField.id (as text): a configuration change never loses a value.
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    # On the organisation's active list; team-only exits live in person_exits.
    active: bool = Field(default=True, nullable=False)
    # Updated by every later kind of contact (encounters, check-ins...); creation counts as the first one.
    last_contact_at: datetime = ts_field()
    last_contact_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id")
    deleted_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    delete_reason: str | None = Field(default=None, sa_type=Text)


class PersonName(SQLModel, table=True):
    """Search keys of a person's aliases (derived data, rebuilt on every change). See app/persons/names.py."""

    __tablename__ = "person_names"
    __table_args__ = (
        # Prefix lookups (LIKE 'abc%') inside one organisation. On PostgreSQL the text_pattern_ops operator class
        # lets a LIKE prefix use the index whatever the database collation; SQLite uses a range on the same index.
        Index("ix_person_names_org_norm", "org_id", "norm", postgresql_ops={"norm": "text_pattern_ops"}),
        Index("ix_person_names_org_key", "org_id", "key", postgresql_ops={"key": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", nullable=False)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    norm: str = Field(max_length=120, nullable=False)
    key: str = Field(max_length=120, nullable=False)
    primary: bool = Field(default=False, nullable=False)


class PersonTeam(SQLModel, table=True):
    __tablename__ = "person_teams"

    person_id: uuid.UUID = Field(foreign_key="persons.id", primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class PersonNote(OrgRecord, table=True):
    __tablename__ = "person_notes"
    __table_args__ = (Index("ix_person_notes_org_urgent", "org_id", "urgent", "handled_at"),)

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    body: str = Field(sa_type=Text, nullable=False)  # encrypted at rest
    urgent: bool = Field(default=False, nullable=False)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    handled_at: datetime | None = ts_field(nullable=True)
    handled_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class PersonChange(SQLModel, table=True):
    """One field change of a person: who, when, old -> new (values as shown to users, encrypted at rest)."""

    __tablename__ = "person_changes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    at: datetime = ts_field()
    # "created", "updated", "merged", "left", "returned", "deleted"
    kind: str = Field(sa_type=String(16), nullable=False)
    field: str | None = Field(default=None, max_length=64)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)


class ExitReason(OrgRecord, table=True):
    """Why a person leaves the active list: a list each organisation edits (defaults created on first use)."""

    __tablename__ = "exit_reasons"

    label: str = Field(max_length=120, nullable=False)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class PersonExit(OrgRecord, table=True):
    """A person out of the active list, for the whole organisation (team_id null) or one team; open until
    `returned_on` is set."""

    __tablename__ = "person_exits"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    reason_id: uuid.UUID | None = Field(default=None, foreign_key="exit_reasons.id")
    left_on: date = Field(nullable=False)
    returned_on: date | None = Field(default=None)
    by_user: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class PersonMerge(SQLModel, table=True):
    """A merge: `merged_id` now lives on in `survivor_id`; `choices` says whose value each field kept."""

    __tablename__ = "person_merges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    survivor_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    merged_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    at: datetime = ts_field()
    choices: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)


class PersonLink(OrgRecord, table=True):
    """A family or group tie between two persons, described in words ("brother", "same squat")."""

    __tablename__ = "person_links"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    other_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    relation: str = Field(max_length=120, nullable=False)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class PersonPlace(OrgRecord, table=True):
    """A place the person frequents (free text now; linked to territories once they exist)."""

    __tablename__ = "person_places"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    name: str = Field(max_length=120, nullable=False)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class PersonDocument(OrgRecord, table=True):
    """A file or photo kept outside the database, under Settings.documents_dir / `storage_key`."""

    __tablename__ = "person_documents"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    # The name and folder are encrypted at rest, and so is the file itself (see app/persons/documents.py).
    name: str = Field(sa_type=Text, nullable=False)
    folder: str | None = Field(default=None, sa_type=Text)
    content_type: str = Field(max_length=100, nullable=False)
    size: int = Field(nullable=False)
    storage_key: str = Field(max_length=200, nullable=False)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class CustomField(OrgRecord, table=True):
    """A field an organisation adds to its records. `scope` says which: "person" (values in Person.custom),
    "observation" (values in Observation.custom) or "medical" (values encrypted in MedicalFile.content, seen by
    health roles only). Chosen once at creation. Archiving hides a field; its values stay."""

    __tablename__ = "custom_fields"

    scope: str = Field(default="person", sa_type=String(16), nullable=False)  # "person", "observation", "medical"

    label: str = Field(max_length=120, nullable=False)
    # text, long_text, number, date, boolean, choice, multi_choice
    kind: str = Field(sa_type=String(16), nullable=False)
    options: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    required: bool = Field(default=False, nullable=False)
    # Team ids (as text) the field is enabled for; empty means every team.
    team_ids: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    in_indicators: bool = Field(default=False, nullable=False)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)
