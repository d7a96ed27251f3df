"""persons: records, search names, teams, notes, history, active list, merges, links, places, documents,
custom fields

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:34:55.130895
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("in_indicators", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_custom_fields_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
    )
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_fields_org_id"), ["org_id"], unique=False)

    op.create_table(
        "exit_reasons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_exit_reasons_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_reasons")),
    )
    with op.batch_alter_table("exit_reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exit_reasons_org_id"), ["org_id"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("alias", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("other_aliases", sa.JSON(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("nationality", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("first_met_on", sa.Date(), nullable=True),
        sa.Column("street_since", sa.Date(), nullable=True),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("alert_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_contact_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_contact_by", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("delete_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_persons_created_by_users")),
        sa.ForeignKeyConstraint(["deleted_by"], ["users.id"], name=op.f("fk_persons_deleted_by_users")),
        sa.ForeignKeyConstraint(["last_contact_by"], ["users.id"], name=op.f("fk_persons_last_contact_by_users")),
        sa.ForeignKeyConstraint(["merged_into_id"], ["persons.id"], name=op.f("fk_persons_merged_into_id_persons")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_persons_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_persons_org_id_code")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_persons_org_id_last_contact_at", ["org_id", "last_contact_at"], unique=False)

    op.create_table(
        "person_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_changes_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_changes_person_id_persons")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_person_changes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_changes")),
    )
    with op.batch_alter_table("person_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_changes_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_changes_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("folder", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_person_documents_created_by_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_person_documents_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_documents_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_documents")),
    )
    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_documents_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_documents_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_exits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("reason_id", sa.Uuid(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("by_user", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["by_user"], ["users.id"], name=op.f("fk_person_exits_by_user_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_exits_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_exits_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["reason_id"], ["exit_reasons.id"], name=op.f("fk_person_exits_reason_id_exit_reasons")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_person_exits_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_exits")),
    )
    with op.batch_alter_table("person_exits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_exits_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_exits_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("relation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_person_links_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_links_org_id_organisations")),
        sa.ForeignKeyConstraint(["other_id"], ["persons.id"], name=op.f("fk_person_links_other_id_persons")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_links_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_links")),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_links_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_links_other_id"), ["other_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_links_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["merged_id"], ["persons.id"], name=op.f("fk_person_merges_merged_id_persons")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_merges_org_id_organisations")),
        sa.ForeignKeyConstraint(["survivor_id"], ["persons.id"], name=op.f("fk_person_merges_survivor_id_persons")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_person_merges_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_merges_merged_id"), ["merged_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_merges_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_merges_survivor_id"), ["survivor_id"], unique=False)

    op.create_table(
        "person_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("norm", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_names_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_names_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_names")),
    )
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_names_person_id"), ["person_id"], unique=False)
    # Search runs prefix lookups (LIKE 'abc%') on these two columns inside one organisation (see
    # app/persons/names.py). On PostgreSQL a b-tree serves a LIKE prefix only with the text_pattern_ops operator
    # class (or a "C" collation); SQLite runs the same lookup as a range on a plain index.
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_person_names_org_norm", "person_names", ["org_id", "norm"], postgresql_ops={"norm": "text_pattern_ops"}
        )
        op.create_index(
            "ix_person_names_org_key", "person_names", ["org_id", "key"], postgresql_ops={"key": "text_pattern_ops"}
        )
    else:
        op.create_index("ix_person_names_org_norm", "person_names", ["org_id", "norm"])
        op.create_index("ix_person_names_org_key", "person_names", ["org_id", "key"])

    op.create_table(
        "person_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("handled_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_person_notes_author_id_users")),
        sa.ForeignKeyConstraint(["handled_by"], ["users.id"], name=op.f("fk_person_notes_handled_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_notes_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_notes_person_id_persons")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_person_notes_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_notes")),
    )
    with op.batch_alter_table("person_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_notes_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_person_notes_org_urgent", ["org_id", "urgent", "handled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_notes_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_places",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_person_places_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_places_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_places_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_places")),
    )
    with op.batch_alter_table("person_places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_places_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_places_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_teams",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_person_teams_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_teams_person_id_persons")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_person_teams_team_id_teams")),
        sa.PrimaryKeyConstraint("person_id", "team_id", name=op.f("pk_person_teams")),
    )
    with op.batch_alter_table("person_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_teams_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_teams_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_teams_team_id"))
        batch_op.drop_index(batch_op.f("ix_person_teams_org_id"))

    op.drop_table("person_teams")
    with op.batch_alter_table("person_places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_places_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_places_org_id"))

    op.drop_table("person_places")
    with op.batch_alter_table("person_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_notes_person_id"))
        batch_op.drop_index("ix_person_notes_org_urgent")
        batch_op.drop_index(batch_op.f("ix_person_notes_org_id"))

    op.drop_table("person_notes")
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_names_person_id"))
        batch_op.drop_index("ix_person_names_org_norm")
        batch_op.drop_index("ix_person_names_org_key")

    op.drop_table("person_names")
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_person_merges_org_id"))
        batch_op.drop_index(batch_op.f("ix_person_merges_merged_id"))

    op.drop_table("person_merges")
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_links_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_links_other_id"))
        batch_op.drop_index(batch_op.f("ix_person_links_org_id"))

    op.drop_table("person_links")
    with op.batch_alter_table("person_exits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_exits_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_exits_org_id"))

    op.drop_table("person_exits")
    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_documents_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_documents_org_id"))

    op.drop_table("person_documents")
    with op.batch_alter_table("person_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_changes_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_changes_org_id"))

    op.drop_table("person_changes")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_org_id_last_contact_at")
        batch_op.drop_index(batch_op.f("ix_persons_org_id"))

    op.drop_table("persons")
    with op.batch_alter_table("exit_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_reasons_org_id"))

    op.drop_table("exit_reasons")
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_fields_org_id"))

    op.drop_table("custom_fields")
