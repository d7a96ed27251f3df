"""field work: territories and places, materials and services catalogues, rounds and their members, encounters
(persons, materials, services), anonymous contacts, check-ins and day closures, observations, daily reports. Observation custom fields are custom_fields rows of scope "observation" (the scope
column comes with 0006).

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-27 03:04:52.939693
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0004"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_services",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_field_services_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_services")),
    )
    with op.batch_alter_table("field_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_services_org_id"), ["org_id"], unique=False)

    op.create_table(
        "materials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_materials_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
    )
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_materials_org_id"), ["org_id"], unique=False)

    op.create_table(
        "territories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_territories_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territories")),
    )
    with op.batch_alter_table("territories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_territories_org_id"), ["org_id"], unique=False)

    op.create_table(
        "daily_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("partners", sa.Text(), nullable=True),
        sa.Column("handover", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_daily_reports_author_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_daily_reports_org_id_organisations")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_daily_reports_team_id_teams")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_daily_reports_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_reports")),
        sa.UniqueConstraint("org_id", "team_id", "day", name=op.f("uq_daily_reports_org_id_team_id_day")),
    )
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daily_reports_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_daily_reports_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_daily_reports_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_daily_reports_updated_by"), ["updated_by"], unique=False)

    op.create_table(
        "day_closures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("checked_out", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_day_closures_closed_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_day_closures_org_id_organisations")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_day_closures_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_closures")),
    )
    with op.batch_alter_table("day_closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_closures_closed_by"), ["closed_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_day_closures_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_day_closures_org_team_day", ["org_id", "team_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_day_closures_team_id"), ["team_id"], unique=False)

    op.create_table(
        "places",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_places_org_id_organisations")),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], name=op.f("fk_places_territory_id_territories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_places_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("time_band", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("ended_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"], name=op.f("fk_rounds_ended_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_rounds_org_id_organisations")),
        sa.ForeignKeyConstraint(["started_by"], ["users.id"], name=op.f("fk_rounds_started_by_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_rounds_team_id_teams")),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], name=op.f("fk_rounds_territory_id_territories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rounds_ended_by"), ["ended_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_rounds_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_rounds_org_team_started", ["org_id", "team_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rounds_started_by"), ["started_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_rounds_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rounds_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "anonymous_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_anonymous_contacts_author_id_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_anonymous_contacts_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_anonymous_contacts_round_id_rounds")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_anonymous_contacts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_contacts")),
    )
    with op.batch_alter_table("anonymous_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anonymous_contacts_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_anonymous_contacts_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_anonymous_contacts_org_team_at", ["org_id", "team_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_anonymous_contacts_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_anonymous_contacts_team_id"), ["team_id"], unique=False)

    op.create_table(
        "checkins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("arrived_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closure_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("left_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_checkins_author_id_users")),
        sa.ForeignKeyConstraint(["closure_id"], ["day_closures.id"], name=op.f("fk_checkins_closure_id_day_closures")),
        sa.ForeignKeyConstraint(["left_by"], ["users.id"], name=op.f("fk_checkins_left_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_checkins_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_checkins_person_id_persons")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_checkins_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_closure_id"), ["closure_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_left_by"), ["left_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_checkins_org_team_day", ["org_id", "team_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_checkins_team_left", ["team_id", "left_at"], unique=False)

    op.create_table(
        "encounters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("place_id", sa.Uuid(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("health_care", sa.Text(), nullable=True),
        sa.Column("health_note", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_encounters_author_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_encounters_org_id_organisations")),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"], name=op.f("fk_encounters_place_id_places")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_encounters_round_id_rounds")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_encounters_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_encounters_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounters")),
    )
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounters_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounters_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_encounters_org_team_at", ["org_id", "team_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounters_place_id"), ["place_id"], unique=False)
        batch_op.create_index("ix_encounters_round", ["round_id", "deleted_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounters_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounters_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "observations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("others", sa.Integer(), nullable=False),
        sa.Column("atmosphere", sa.String(length=16), nullable=False),
        sa.Column("police", sa.String(length=16), nullable=False),
        sa.Column("incidents", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_observations_author_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_observations_org_id_organisations")),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"], name=op.f("fk_observations_place_id_places")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_observations_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_observations_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observations_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_observations_org_team_at", ["org_id", "team_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_place_id"), ["place_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "round_members",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_round_members_org_id_organisations")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_round_members_round_id_rounds")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_round_members_user_id_users")),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_round_members")),
    )
    with op.batch_alter_table("round_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_members_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "anonymous_contact_materials",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["anonymous_contacts.id"],
            name=op.f("fk_anonymous_contact_materials_contact_id_anonymous_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_anonymous_contact_materials_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_anonymous_contact_materials_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("contact_id", "material_id", name=op.f("pk_anonymous_contact_materials")),
    )
    with op.batch_alter_table("anonymous_contact_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anonymous_contact_materials_material_id"), ["material_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_anonymous_contact_materials_org_id"), ["org_id"], unique=False)

    op.create_table(
        "checkin_service_uses",
        sa.Column("checkin_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_checkin_service_uses_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_checkin_service_uses_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["field_services.id"], name=op.f("fk_checkin_service_uses_service_id_field_services")
        ),
        sa.PrimaryKeyConstraint("checkin_id", "service_id", name=op.f("pk_checkin_service_uses")),
    )
    with op.batch_alter_table("checkin_service_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_service_uses_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_service_uses_service_id"), ["service_id"], unique=False)

    op.create_table(
        "encounter_materials",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_encounter_materials_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_encounter_materials_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_encounter_materials_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("encounter_id", "material_id", name=op.f("pk_encounter_materials")),
    )
    with op.batch_alter_table("encounter_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounter_materials_material_id"), ["material_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounter_materials_org_id"), ["org_id"], unique=False)

    op.create_table(
        "encounter_persons",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("new", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_encounter_persons_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_encounter_persons_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_encounter_persons_person_id_persons")),
        sa.PrimaryKeyConstraint("encounter_id", "person_id", name=op.f("pk_encounter_persons")),
    )
    with op.batch_alter_table("encounter_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounter_persons_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounter_persons_person_id"), ["person_id"], unique=False)

    op.create_table(
        "encounter_services",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_encounter_services_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_encounter_services_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["field_services.id"], name=op.f("fk_encounter_services_service_id_field_services")
        ),
        sa.PrimaryKeyConstraint("encounter_id", "service_id", name=op.f("pk_encounter_services")),
    )
    with op.batch_alter_table("encounter_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounter_services_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounter_services_service_id"), ["service_id"], unique=False)

    op.create_table(
        "observation_materials",
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("collected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_observation_materials_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"], ["observations.id"], name=op.f("fk_observation_materials_observation_id_observations")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_observation_materials_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("observation_id", "material_id", name=op.f("pk_observation_materials")),
    )
    with op.batch_alter_table("observation_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observation_materials_material_id"), ["material_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_materials_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("observation_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_materials_org_id"))
        batch_op.drop_index(batch_op.f("ix_observation_materials_material_id"))

    op.drop_table("observation_materials")
    with op.batch_alter_table("encounter_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_services_service_id"))
        batch_op.drop_index(batch_op.f("ix_encounter_services_org_id"))

    op.drop_table("encounter_services")
    with op.batch_alter_table("encounter_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_persons_person_id"))
        batch_op.drop_index(batch_op.f("ix_encounter_persons_org_id"))

    op.drop_table("encounter_persons")
    with op.batch_alter_table("encounter_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_materials_org_id"))
        batch_op.drop_index(batch_op.f("ix_encounter_materials_material_id"))

    op.drop_table("encounter_materials")
    with op.batch_alter_table("checkin_service_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_service_uses_service_id"))
        batch_op.drop_index(batch_op.f("ix_checkin_service_uses_org_id"))

    op.drop_table("checkin_service_uses")
    with op.batch_alter_table("anonymous_contact_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anonymous_contact_materials_org_id"))
        batch_op.drop_index(batch_op.f("ix_anonymous_contact_materials_material_id"))

    op.drop_table("anonymous_contact_materials")
    with op.batch_alter_table("round_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_round_members_org_id"))

    op.drop_table("round_members")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observations_territory_id"))
        batch_op.drop_index(batch_op.f("ix_observations_team_id"))
        batch_op.drop_index(batch_op.f("ix_observations_place_id"))
        batch_op.drop_index("ix_observations_org_team_at")
        batch_op.drop_index(batch_op.f("ix_observations_org_id"))
        batch_op.drop_index(batch_op.f("ix_observations_author_id"))

    op.drop_table("observations")
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounters_territory_id"))
        batch_op.drop_index(batch_op.f("ix_encounters_team_id"))
        batch_op.drop_index("ix_encounters_round")
        batch_op.drop_index(batch_op.f("ix_encounters_place_id"))
        batch_op.drop_index("ix_encounters_org_team_at")
        batch_op.drop_index(batch_op.f("ix_encounters_org_id"))
        batch_op.drop_index(batch_op.f("ix_encounters_author_id"))

    op.drop_table("encounters")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_team_left")
        batch_op.drop_index(batch_op.f("ix_checkins_team_id"))
        batch_op.drop_index(batch_op.f("ix_checkins_person_id"))
        batch_op.drop_index("ix_checkins_org_team_day")
        batch_op.drop_index(batch_op.f("ix_checkins_org_id"))
        batch_op.drop_index(batch_op.f("ix_checkins_left_by"))
        batch_op.drop_index(batch_op.f("ix_checkins_closure_id"))
        batch_op.drop_index(batch_op.f("ix_checkins_author_id"))

    op.drop_table("checkins")
    with op.batch_alter_table("anonymous_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anonymous_contacts_team_id"))
        batch_op.drop_index(batch_op.f("ix_anonymous_contacts_round_id"))
        batch_op.drop_index("ix_anonymous_contacts_org_team_at")
        batch_op.drop_index(batch_op.f("ix_anonymous_contacts_org_id"))
        batch_op.drop_index(batch_op.f("ix_anonymous_contacts_author_id"))

    op.drop_table("anonymous_contacts")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rounds_territory_id"))
        batch_op.drop_index(batch_op.f("ix_rounds_team_id"))
        batch_op.drop_index(batch_op.f("ix_rounds_started_by"))
        batch_op.drop_index("ix_rounds_org_team_started")
        batch_op.drop_index(batch_op.f("ix_rounds_org_id"))
        batch_op.drop_index(batch_op.f("ix_rounds_ended_by"))

    op.drop_table("rounds")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_territory_id"))
        batch_op.drop_index(batch_op.f("ix_places_org_id"))

    op.drop_table("places")
    with op.batch_alter_table("day_closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_closures_team_id"))
        batch_op.drop_index("ix_day_closures_org_team_day")
        batch_op.drop_index(batch_op.f("ix_day_closures_org_id"))
        batch_op.drop_index(batch_op.f("ix_day_closures_closed_by"))

    op.drop_table("day_closures")
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_reports_updated_by"))
        batch_op.drop_index(batch_op.f("ix_daily_reports_team_id"))
        batch_op.drop_index(batch_op.f("ix_daily_reports_org_id"))
        batch_op.drop_index(batch_op.f("ix_daily_reports_author_id"))

    op.drop_table("daily_reports")
    with op.batch_alter_table("territories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_territories_org_id"))

    op.drop_table("territories")
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_materials_org_id"))

    op.drop_table("materials")
    with op.batch_alter_table("field_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_services_org_id"))

    op.drop_table("field_services")
