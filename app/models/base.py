"""Shared column types, the constraint naming convention and the sync-ready mixin every record uses."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Set before the first table is declared, so every constraint gets a stable, predictable name in migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on both databases (SQLite stores no offset, so it is added back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_field(nullable: bool = False, **kw):
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, **kw)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kw)


class SyncRecord(SQLModel):
    """A record a phone may create offline: client-supplied UUID key, version, timestamps and tombstone."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()
    deleted_at: datetime | None = ts_field(nullable=True)


class OrgRecord(SyncRecord):
    """A SyncRecord owned by one organisation: `org_id` is what access.scoped() filters on."""

    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)


@event.listens_for(OrmSession, "before_flush")
def _bump_versions(session, _ctx, _instances):
    """Every change to a synced record bumps its version and updated_at: the one place that does it."""
    now = utcnow()
    for obj in session.dirty:
        if isinstance(obj, SyncRecord) and session.is_modified(obj, include_collections=False):
            obj.version = (obj.version or 0) + 1
            obj.updated_at = now
