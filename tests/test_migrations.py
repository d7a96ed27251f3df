"""The migrations, applied from empty by the test set-up, build exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.cli import alembic_config


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models and migrations differ, write a migration: {diff}"


def test_migrations_form_one_line(engine):
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "several migration heads: set down_revision to the latest one"


def test_every_org_owned_table_has_an_indexed_org_id():
    for table in SQLModel.metadata.sorted_tables:
        if "org_id" in table.c and table.name not in ("users", "audit_events", "user_sessions"):
            col = table.c.org_id
            assert not col.nullable, f"{table.name}.org_id must not be null"
            indexed = any(idx.columns.values()[0] is col for idx in table.indexes) or col.primary_key
            assert indexed, f"{table.name}.org_id has no index starting with it"
