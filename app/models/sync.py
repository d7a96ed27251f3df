"""What offline sync keeps: the change log phones pull from, and the receipt of every change a phone pushed."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from app.models.base import ts_field


class SyncChange(SQLModel, table=True):
    """One row per change of a synced record (written in the same transaction by app/sync/changelog.py).

    `seq` orders rows of one writer; `txid` is the PostgreSQL transaction id that wrote the row (0 on SQLite,
    which has a single writer so commit order is seq order). See app/sync/service.py for the watermark."""

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_org_txid_seq", "org_id", "txid", "seq"),)

    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    txid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    org_id: uuid.UUID = Field(foreign_key="organisations.id", nullable=False)
    entity: str = Field(max_length=20, nullable=False)
    entity_id: uuid.UUID = Field(nullable=False)


class SyncReceipt(SQLModel, table=True):
    """The answer given to one pushed change (or one Idempotency-Key), kept so a replay gets the same answer:
    `digest` is the hash of what was sent; the same key with other content is refused."""

    __tablename__ = "sync_receipts"

    id: uuid.UUID = Field(primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisations.id", index=True, nullable=False)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    digest: str = Field(max_length=64, nullable=False)
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = ts_field()
