"""encounter persons carry their encounter's team, time and tombstone, indexed for the indicators; org_exports

"Distinct persons met by these teams in this period" joined 2 million encounters to 2 million encounter persons
(11 s for a year at 100,000 persons on PostgreSQL); with the encounter's team, time and tombstone copied onto
encounter_persons it reads one partial index, (org, at, person) or (org, team, at, person), and nothing else.
The same for encounter_materials (units given per material: 4 s of joining encounters before).
The copies are filled here from the encounters for the rows written before (app/field/encounters.py writes them
from now on).

org_exports: the full exports of an organisation's records that admins start (written in the background).

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30 00:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "org_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("health", sa.Boolean(), nullable=False),
        sa.Column("current_table", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("finished_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_org_exports_org_id_organisations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_org_exports_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_exports")),
    )
    op.create_index(op.f("ix_org_exports_org_id"), "org_exports", ["org_id"], unique=False)
    op.create_index(op.f("ix_org_exports_user_id"), "org_exports", ["user_id"], unique=False)
    for table in ("encounter_persons", "encounter_materials"):
        _copy_encounter_columns(table)
    for name, columns in (
        ("ix_encounter_persons_org_at", ["org_id", "at", "person_id"]),
        ("ix_encounter_persons_org_team_at", ["org_id", "team_id", "at", "person_id"]),
    ):
        op.create_index(name, "encounter_persons", columns, sqlite_where=LIVE, postgresql_where=LIVE)
    for name, columns in (
        ("ix_encounter_materials_org_at", ["org_id", "at", "material_id", "quantity"]),
        ("ix_encounter_materials_org_team_at", ["org_id", "team_id", "at", "material_id", "quantity"]),
    ):
        op.create_index(name, "encounter_materials", columns, sqlite_where=LIVE, postgresql_where=LIVE)


def _copy_encounter_columns(table: str) -> None:
    """Add team_id, at and deleted_at to `table` and fill them from each row's encounter."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE {table} AS x SET team_id = e.team_id, at = e.at, deleted_at = e.deleted_at "  # noqa: S608
            "FROM encounters AS e WHERE e.id = x.encounter_id"
        )
    else:
        op.execute(
            f"UPDATE {table} SET "  # noqa: S608
            f"team_id = (SELECT e.team_id FROM encounters e WHERE e.id = {table}.encounter_id), "
            f"at = (SELECT e.at FROM encounters e WHERE e.id = {table}.encounter_id), "
            f"deleted_at = (SELECT e.deleted_at FROM encounters e WHERE e.id = {table}.encounter_id)"
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("team_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("at", existing_type=app.models.base.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_org_exports_user_id"), table_name="org_exports")
    op.drop_index(op.f("ix_org_exports_org_id"), table_name="org_exports")
    op.drop_table("org_exports")
    op.drop_index("ix_encounter_materials_org_team_at", table_name="encounter_materials")
    op.drop_index("ix_encounter_materials_org_at", table_name="encounter_materials")
    op.drop_index("ix_encounter_persons_org_team_at", table_name="encounter_persons")
    op.drop_index("ix_encounter_persons_org_at", table_name="encounter_persons")
    for table in ("encounter_materials", "encounter_persons"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("deleted_at")
            batch_op.drop_column("at")
            batch_op.drop_column("team_id")
