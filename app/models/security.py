"""Keys and second factors: organisation data keys (encryption at rest) and two-factor recovery codes."""

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from app.models.base import ts_field


class OrgKey(SQLModel, table=True):
    """An organisation's data key, wrapped by the master key (see app/crypto.py); never usable from a dump."""

    __tablename__ = "org_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    wrapped: bytes = Field(sa_type=LargeBinary, nullable=False)
    master_key_id: str = Field(max_length=16, nullable=False)
    created_at: datetime = ts_field()
    retired_at: datetime | None = ts_field(nullable=True)


class RecoveryCode(SQLModel, table=True):
    """Single-use codes for signing in when the authenticator app is lost; only their SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    code_hash: str = Field(max_length=64, nullable=False)
    created_at: datetime = ts_field()
    used_at: datetime | None = ts_field(nullable=True)
