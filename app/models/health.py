"""Health data, seen only by health roles (and admins who are also health professionals): one medical file per
person, consultations and treatments. Every medical content is one JSON document encrypted at rest in `content`
(app/crypto.py); only what lists need to sort and count (dates, type, status) is kept in clear."""

import uuid
from datetime import date, datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import OrgRecord, UTCDateTime, ts_field


class ConsultationType(OrgRecord, table=True):
    """Nurse, doctor, psychologist, psychiatrist... a list each organisation edits (defaults made on first use)."""

    __tablename__ = "consultation_types"

    label: str = Field(max_length=120, nullable=False)
    position: int = Field(default=0, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class MedicalFile(OrgRecord, table=True):
    """A person's medical file: insurance, usual care structures, consumption, vulnerabilities, history and the
    organisation's medical fields, as one encrypted JSON document (see app/health/service.py FILE_KEYS)."""

    __tablename__ = "medical_files"
    __table_args__ = (UniqueConstraint("person_id"),)

    person_id: uuid.UUID = Field(foreign_key="persons.id", nullable=False)
    content: str | None = Field(default=None, sa_type=Text)
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class Consultation(OrgRecord, table=True):
    """A consultation: care given, vital signs and notes are in the encrypted `content`. A private one is seen
    by its author only."""

    __tablename__ = "consultations"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    type_id: uuid.UUID = Field(foreign_key="consultation_types.id", nullable=False)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # planned, done, cancelled
    status: str = Field(sa_type=String(16), nullable=False)
    private: bool = Field(default=False, nullable=False)
    content: str | None = Field(default=None, sa_type=Text)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")


class Treatment(OrgRecord, table=True):
    """A treatment: its name, dosage, frequency and notes are in the encrypted `content`."""

    __tablename__ = "treatments"

    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True, nullable=False)
    content: str | None = Field(default=None, sa_type=Text)
    start_on: date | None = Field(default=None)
    end_on: date | None = Field(default=None)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
