"""Organisations, teams, users, their sessions, sign-in throttling and the audit log."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from app.models.base import OrgRecord, SyncRecord, ts_field


class TeamKind(StrEnum):
    patrol = "patrol"
    metro_patrol = "metro_patrol"
    rest_area = "rest_area"
    reception = "reception"
    accommodation = "accommodation"
    coordination = "coordination"


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    worker = "worker"
    health = "health"
    reception = "reception"
    steering = "steering"


class Organisation(SyncRecord, table=True):
    __tablename__ = "organisations"

    name: str = Field(max_length=120, nullable=False)
    # Persons without any contact for this long are erased by `parcours retention purge` (CNIL reference for the
    # social and medico-social sector: 2 years after the last contact).
    retention_months: int = Field(default=24, nullable=False)
    # The admin agrees that steering accounts read this organisation's consolidated, anonymous indicators.
    share_with_steering: bool = Field(default=False, nullable=False)


class Team(OrgRecord, table=True):
    __tablename__ = "teams"

    name: str = Field(max_length=120, nullable=False)
    kind: str = Field(sa_type=String(32), nullable=False)
    capacity: int | None = Field(default=None)
    # Night teams: their working day runs from noon to noon, so a night shift is one day.
    noon_to_noon: bool = Field(default=False, nullable=False)
    archived_at: datetime | None = ts_field(nullable=True)


class User(SyncRecord, table=True):
    __tablename__ = "users"

    # Null only for steering accounts, which belong to no organisation.
    org_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id", index=True)
    email: str = Field(max_length=254, unique=True, nullable=False)
    name: str = Field(max_length=120, nullable=False)
    role: str = Field(sa_type=String(32), nullable=False)
    lang: str | None = Field(default=None, max_length=8)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True, nullable=False)
    last_login_at: datetime | None = ts_field(nullable=True)
    # Two-factor sign-in: the TOTP secret, encrypted with the master key (app/crypto.py: encrypt_system), and the
    # last time-step used, so that a code is accepted once only.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_enabled_at: datetime | None = ts_field(nullable=True)
    totp_last_step: int | None = Field(default=None)
    # An admin who is also a health professional sees health data (app/access.py HEALTH_GRANTS); set by another admin.
    health_access: bool = Field(default=False, nullable=False)


class TeamMembership(SQLModel, table=True):
    __tablename__ = "team_memberships"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", primary_key=True, index=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


class Invitation(SQLModel, table=True):
    """A one-time link an admin hands over so that a new user sets their own password."""

    __tablename__ = "invitations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    token_hash: str = Field(max_length=64, unique=True, nullable=False)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    used_at: datetime | None = ts_field(nullable=True)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    org_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id", index=True)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    created_at: datetime = ts_field()
    last_seen_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    revoked_at: datetime | None = ts_field(nullable=True)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)
    # Password accepted, second factor (or its enrolment) still to come: such a session opens nothing else.
    mfa_pending: bool = Field(default=False, nullable=False)
    mfa_failures: int = Field(default=0, nullable=False)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key (an account, an address, or both)."""

    __tablename__ = "login_throttles"

    key: str = Field(primary_key=True, max_length=320)
    failures: int = Field(default=0, nullable=False)
    last_failure_at: datetime = ts_field()


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when. Written only by app.audit.record(); never holds notes or aliases."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "org_id", "at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    team_id: uuid.UUID | None = Field(default=None)
    action: str = Field(max_length=64, nullable=False)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    at: datetime = ts_field()
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class OrgExport(OrgRecord, table=True):
    """A full export of the organisation's records that an admin started: written in the background to a .zip
    under EXPORTS_DIR (app/exports/service.py), downloadable once by that admin only, then deleted (or after
    EXPORT_HOURS). The row stays, for the audit: who exported what, when, with or without health data."""

    __tablename__ = "org_exports"

    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    # running, ready, failed, downloaded, expired
    status: str = Field(default="running", sa_type=String(16), nullable=False)
    health: bool = Field(default=False, nullable=False)  # the admin had health access: health tables included
    current_table: str | None = Field(default=None, max_length=60)  # the table being written
    done_rows: int = Field(default=0, nullable=False)
    total_rows: int = Field(default=0, nullable=False)
    size: int | None = Field(default=None)
    finished_at: datetime | None = ts_field(nullable=True)
