"""Health data (medical files, consultations, treatments, consultation types), medical custom fields, the retention
period, admins' health access; free texts of persons and their documents encrypted at rest.

The data step encrypts what was written in clear before this revision (person notes; a person's phone, alert
reason, description and deletion reason; the history of changes; document names, folders and files) with each
organisation's data key, through app/crypto.py: the master key must be configured (MASTER_KEY or MASTER_KEY_FILE)
when upgrading a database that holds persons. Values already encrypted are left alone. The downgrade decrypts them.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its free-text columns encrypted from this revision on
TEXTS = {
    "person_notes": ["body"],
    "persons": ["phone", "alert_reason", "description", "delete_reason"],
    "person_changes": ["old", "new"],
    "person_documents": ["name", "folder"],
}
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "consultation_types",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_consultation_types_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_types")),
    )
    with op.batch_alter_table("consultation_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_types_org_id"), ["org_id"], unique=False)

    op.create_table(
        "consultations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("type_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_consultations_author_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_consultations_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_consultations_person_id_persons")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_consultations_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["type_id"], ["consultation_types.id"], name=op.f("fk_consultations_type_id_consultation_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultations_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultations_person_id"), ["person_id"], unique=False)

    op.create_table(
        "medical_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_medical_files_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_medical_files_person_id_persons")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_medical_files_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_files")),
        sa.UniqueConstraint("person_id", name=op.f("uq_medical_files_person_id")),
    )
    with op.batch_alter_table("medical_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medical_files_org_id"), ["org_id"], unique=False)

    op.create_table(
        "treatments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_treatments_author_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_treatments_org_id_organisations")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_treatments_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatments_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_treatments_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=16), nullable=False, server_default="person"))
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.alter_column("scope", server_default=None)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), nullable=False, server_default="24"))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("retention_months", server_default=None)

    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.VARCHAR(length=200), type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column("folder", existing_type=sa.VARCHAR(length=80), type_=sa.Text(), existing_nullable=True)

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.VARCHAR(length=40), type_=sa.Text(), existing_nullable=True)
        batch_op.alter_column(
            "alert_reason", existing_type=sa.VARCHAR(length=500), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "delete_reason", existing_type=sa.VARCHAR(length=500), type_=sa.Text(), existing_nullable=True
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_access", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("health_access", server_default=None)

    _rewrite(_encrypt_text, _encrypt_file)


def downgrade() -> None:
    _rewrite(_decrypt_text, _decrypt_file)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("health_access")

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column(
            "delete_reason", existing_type=sa.Text(), type_=sa.VARCHAR(length=500), existing_nullable=True
        )
        batch_op.alter_column(
            "alert_reason", existing_type=sa.Text(), type_=sa.VARCHAR(length=500), existing_nullable=True
        )
        batch_op.alter_column("phone", existing_type=sa.Text(), type_=sa.VARCHAR(length=40), existing_nullable=True)

    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.alter_column("folder", existing_type=sa.Text(), type_=sa.VARCHAR(length=80), existing_nullable=True)
        batch_op.alter_column("name", existing_type=sa.Text(), type_=sa.VARCHAR(length=200), existing_nullable=False)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("retention_months")

    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_column("scope")

    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatments_person_id"))
        batch_op.drop_index(batch_op.f("ix_treatments_org_id"))

    op.drop_table("treatments")
    with op.batch_alter_table("medical_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medical_files_org_id"))

    op.drop_table("medical_files")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultations_person_id"))
        batch_op.drop_index(batch_op.f("ix_consultations_org_id"))

    op.drop_table("consultations")
    with op.batch_alter_table("consultation_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_types_org_id"))

    op.drop_table("consultation_types")


# ---------------------------------------------------------------- data: encrypt (or, going down, decrypt) in place
def _encrypt_text(session, org_id, value: str, context: str) -> str:
    from app import crypto

    return value if value.startswith(crypto.PREFIX) else crypto.encrypt(session, org_id, value, context)


def _decrypt_text(session, org_id, value: str, context: str) -> str:
    from app import crypto

    return crypto.decrypt(session, org_id, value, context) if value.startswith(crypto.PREFIX) else value


def _encrypt_file(session, org_id, path: Path, context: str) -> None:
    from app import crypto

    with path.open("rb") as src:
        if src.read(len(crypto.FILE_MAGIC)) == crypto.FILE_MAGIC:
            return
        src.seek(0)
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as out:
            sealer = crypto.FileSealer(session, org_id, context, out)
            while chunk := src.read(crypto.FILE_CHUNK):
                sealer.write(chunk)
            sealer.close()
    tmp.replace(path)


def _decrypt_file(session, org_id, path: Path, context: str) -> None:
    from app import crypto

    with path.open("rb") as src:
        if src.read(len(crypto.FILE_MAGIC)) != crypto.FILE_MAGIC:
            return
        src.seek(0)
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as out:
            for chunk in crypto.open_file(session, org_id, context, src):
                out.write(chunk)
    tmp.replace(path)


def _rewrite(text: Callable, file: Callable) -> None:
    """Apply `text` to every value of TEXTS and `file` to every document file, in batches."""
    from sqlmodel import Session

    from app.config import get_settings
    from app.persons.documents import file_context

    bind = op.get_bind()
    session = Session(bind=bind)  # joins the migration's transaction; only flushed (new organisation keys)
    for name, columns in TEXTS.items():
        table = sa.table(
            name,
            sa.column("id", sa.Uuid()),
            sa.column("org_id", sa.Uuid()),
            *(sa.column(c, sa.Text()) for c in columns),
        )
        last = None
        while True:
            stmt = sa.select(table).order_by(table.c.id).limit(BATCH)
            if last is not None:
                stmt = stmt.where(table.c.id > last)
            rows = bind.execute(stmt).all()
            if not rows:
                break
            for row in rows:
                values = {}
                for c in columns:
                    value = getattr(row, c)
                    if value is not None:
                        values[c] = text(session, row.org_id, value, f"{name}.{c}:{row.id}")
                if any(values[c] != getattr(row, c) for c in values):
                    bind.execute(table.update().where(table.c.id == row.id).values(**values))
            last = rows[-1].id
    docs = sa.table(
        "person_documents",
        sa.column("id", sa.Uuid()),
        sa.column("org_id", sa.Uuid()),
        sa.column("storage_key", sa.Text()),
    )
    root = Path(get_settings().documents_dir)
    for row in bind.execute(sa.select(docs)).all():
        path = root / row.storage_key
        if path.is_file():
            file(session, row.org_id, path, file_context(row.id))
    session.flush()
