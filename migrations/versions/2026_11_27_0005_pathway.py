"""The pathway: need categories and needs (with their persons, teams, categories and history), the directory of
structures and referral inboxes, referrals (sender side, receiver side and steps), stays and procedures.

New tables only, so no server defaults are needed for their NOT NULL columns. The partial unique indexes on
`stays` (one open stay per person, per structure room, per team room) use the same WHERE clause on SQLite and
PostgreSQL.

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "need_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("group_label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_need_categories_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_categories")),
    )
    with op.batch_alter_table("need_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_categories_org_id"), ["org_id"], unique=False)

    op.create_table(
        "needs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("assigned_to", sa.Uuid(), nullable=True),
        sa.Column("completed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Uuid(), nullable=True),
        sa.Column("repeat_every", sa.Integer(), nullable=True),
        sa.Column("repeat_unit", sa.String(length=8), nullable=True),
        sa.Column("repeat_until", sa.Date(), nullable=True),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"], name=op.f("fk_needs_assigned_to_users")),
        sa.ForeignKeyConstraint(["completed_by"], ["users.id"], name=op.f("fk_needs_completed_by_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_needs_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_needs_org_id_organisations")),
        sa.ForeignKeyConstraint(["previous_id"], ["needs.id"], name=op.f("fk_needs_previous_id_needs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_needs_previous_id")),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_assigned_to"), ["assigned_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_series_id"), ["series_id"], unique=False)

    op.create_table(
        "referral_inboxes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("closed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_referral_inboxes_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_referral_inboxes_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_inboxes")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_inboxes_code")),
        sa.UniqueConstraint("team_id", name=op.f("uq_referral_inboxes_team_id")),
    )
    with op.batch_alter_table("referral_inboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_inboxes_org_id"), ["org_id"], unique=False)

    op.create_table(
        "structures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("opening", sa.String(length=8), nullable=True),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("linked_team_id", sa.Uuid(), nullable=True),
        sa.Column("linked_org_id", sa.Uuid(), nullable=True),
        sa.Column("linked_label", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.ForeignKeyConstraint(
            ["linked_org_id"], ["organisations.id"], name=op.f("fk_structures_linked_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["linked_team_id"], ["teams.id"], name=op.f("fk_structures_linked_team_id_teams")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_structures_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structures")),
    )
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_structures_linked_team_id"), ["linked_team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_structures_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_structures_org_id_name", ["org_id", "name"], unique=False)

    op.create_table(
        "need_category_links",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["need_categories.id"], name=op.f("fk_need_category_links_category_id_need_categories")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_need_category_links_need_id_needs")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_need_category_links_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("need_id", "category_id", name=op.f("pk_need_category_links")),
    )
    with op.batch_alter_table("need_category_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_category_links_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_category_links_org_id"), ["org_id"], unique=False)

    op.create_table(
        "need_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_need_changes_need_id_needs")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_need_changes_org_id_organisations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_need_changes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_changes")),
    )
    with op.batch_alter_table("need_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_changes_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_changes_org_id"), ["org_id"], unique=False)

    op.create_table(
        "need_persons",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_need_persons_need_id_needs")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_need_persons_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_need_persons_person_id_persons")),
        sa.PrimaryKeyConstraint("need_id", "person_id", name=op.f("pk_need_persons")),
    )
    with op.batch_alter_table("need_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_persons_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_persons_person_id"), ["person_id"], unique=False)

    op.create_table(
        "need_teams",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("closed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_need_teams_need_id_needs")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_need_teams_org_id_organisations")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_need_teams_team_id_teams")),
        sa.PrimaryKeyConstraint("need_id", "team_id", name=op.f("pk_need_teams")),
    )
    with op.batch_alter_table("need_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_teams_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_need_teams_team_due", ["team_id", "due_on"], unique=False)
        batch_op.create_index("ix_need_teams_team_open_closed", ["team_id", "open", "closed_at"], unique=False)
        batch_op.create_index("ix_need_teams_team_open_due", ["team_id", "open", "due_on", "due_time"], unique=False)

    op.create_table(
        "procedures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_procedures_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_procedures_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_procedures_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedures_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_procedures_org_kind_started", ["org_id", "kind", "started_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_procedures_person_id"), ["person_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_by", sa.Uuid(), nullable=True),
        sa.Column("consent_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_scope", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("target_org_id", sa.Uuid(), nullable=True),
        sa.Column("target_team_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["consent_by"], ["users.id"], name=op.f("fk_referrals_consent_by_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_referrals_created_by_users")),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_referrals_need_id_needs")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_referrals_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_referrals_person_id_persons")),
        sa.ForeignKeyConstraint(["structure_id"], ["structures.id"], name=op.f("fk_referrals_structure_id_structures")),
        sa.ForeignKeyConstraint(
            ["target_org_id"], ["organisations.id"], name=op.f("fk_referrals_target_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["target_team_id"], ["teams.id"], name=op.f("fk_referrals_target_team_id_teams")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_referrals_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_org_team_status", ["org_id", "team_id", "status", "status_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_referrals_structure_status", ["structure_id", "status", "status_at"], unique=False)

    op.create_table(
        "incoming_referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("from_label", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_incoming_referrals_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_incoming_referrals_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_incoming_referrals_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_incoming_referrals_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_referrals")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_incoming_referrals_referral_id")),
    )
    with op.batch_alter_table("incoming_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_referrals_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_incoming_referrals_org_status", ["org_id", "status", "status_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incoming_referrals_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_incoming_referrals_team_status", ["team_id", "status", "status_at"], unique=False)

    op.create_table(
        "stays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("room", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("exit_to", sa.String(length=24), nullable=True),
        sa.Column("exit_kind", sa.String(length=16), nullable=True),
        sa.Column("exit_note", sa.Text(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_stays_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_stays_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_stays_person_id_persons")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_stays_referral_id_referrals")),
        sa.ForeignKeyConstraint(["structure_id"], ["structures.id"], name=op.f("fk_stays_structure_id_structures")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_stays_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stays")),
    )
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stays_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_stays_structure_open", ["structure_id", "exited_on"], unique=False)
        batch_op.create_index("ix_stays_team_open", ["team_id", "exited_on"], unique=False)
        batch_op.create_index(
            "uq_stays_open_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_stays_open_structure_room",
            ["structure_id", "room"],
            unique=True,
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_stays_open_team_room",
            ["team_id", "room"],
            unique=True,
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )

    op.create_table(
        "referral_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("incoming_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("by_label", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.ForeignKeyConstraint(
            ["incoming_id"], ["incoming_referrals.id"], name=op.f("fk_referral_steps_incoming_id_incoming_referrals")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_referral_steps_org_id_organisations")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_steps_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_referral_steps_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_steps")),
    )
    with op.batch_alter_table("referral_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_steps_incoming_id"), ["incoming_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_steps_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_steps_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_steps_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_steps_org_id"))
        batch_op.drop_index(batch_op.f("ix_referral_steps_incoming_id"))

    op.drop_table("referral_steps")
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stays_open_team_room",
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_stays_open_structure_room",
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_stays_open_person",
            sqlite_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("exited_on IS NULL AND deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_stays_team_open")
        batch_op.drop_index("ix_stays_structure_open")
        batch_op.drop_index(batch_op.f("ix_stays_person_id"))
        batch_op.drop_index(batch_op.f("ix_stays_org_id"))

    op.drop_table("stays")
    with op.batch_alter_table("incoming_referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_incoming_referrals_team_status")
        batch_op.drop_index(batch_op.f("ix_incoming_referrals_person_id"))
        batch_op.drop_index("ix_incoming_referrals_org_status")
        batch_op.drop_index(batch_op.f("ix_incoming_referrals_org_id"))

    op.drop_table("incoming_referrals")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_structure_status")
        batch_op.drop_index(batch_op.f("ix_referrals_person_id"))
        batch_op.drop_index("ix_referrals_org_team_status")
        batch_op.drop_index(batch_op.f("ix_referrals_org_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_need_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedures_person_id"))
        batch_op.drop_index("ix_procedures_org_kind_started")
        batch_op.drop_index(batch_op.f("ix_procedures_org_id"))

    op.drop_table("procedures")
    with op.batch_alter_table("need_teams", schema=None) as batch_op:
        batch_op.drop_index("ix_need_teams_team_open_due")
        batch_op.drop_index("ix_need_teams_team_open_closed")
        batch_op.drop_index("ix_need_teams_team_due")
        batch_op.drop_index(batch_op.f("ix_need_teams_org_id"))

    op.drop_table("need_teams")
    with op.batch_alter_table("need_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_persons_person_id"))
        batch_op.drop_index(batch_op.f("ix_need_persons_org_id"))

    op.drop_table("need_persons")
    with op.batch_alter_table("need_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_changes_org_id"))
        batch_op.drop_index(batch_op.f("ix_need_changes_need_id"))

    op.drop_table("need_changes")
    with op.batch_alter_table("need_category_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_category_links_org_id"))
        batch_op.drop_index(batch_op.f("ix_need_category_links_category_id"))

    op.drop_table("need_category_links")
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.drop_index("ix_structures_org_id_name")
        batch_op.drop_index(batch_op.f("ix_structures_org_id"))
        batch_op.drop_index(batch_op.f("ix_structures_linked_team_id"))

    op.drop_table("structures")
    with op.batch_alter_table("referral_inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_inboxes_org_id"))

    op.drop_table("referral_inboxes")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_series_id"))
        batch_op.drop_index(batch_op.f("ix_needs_org_id"))
        batch_op.drop_index(batch_op.f("ix_needs_assigned_to"))

    op.drop_table("needs")
    with op.batch_alter_table("need_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_categories_org_id"))

    op.drop_table("need_categories")
