"""sync: the change log phones pull from (sync_changes) and the receipts of pushed changes (sync_receipts)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-27 03:46:30.862935
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_sync_changes_org_id_organisations")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_changes")),
    )
    op.create_index("ix_sync_changes_org_txid_seq", "sync_changes", ["org_id", "txid", "seq"])
    op.create_table(
        "sync_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_sync_receipts_org_id_organisations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sync_receipts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_receipts")),
    )
    op.create_index(op.f("ix_sync_receipts_org_id"), "sync_receipts", ["org_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_receipts_org_id"), table_name="sync_receipts")
    op.drop_table("sync_receipts")
    op.drop_index("ix_sync_changes_org_txid_seq", table_name="sync_changes")
    op.drop_table("sync_changes")
