"""indicators kept: sums per day and team (indicator_days, indicator_presence), months of each person
(indicator_person_activity), and triggers that mark what to recompute (indicator_marks, indicator_person_marks) at every write of a record

A year of indicators with the year before read 2 x 2 million encounter persons, 1.2 million material lines and a
million check-ins (4.4-5.6 s at 100,000 persons). The figures that add up are now kept per Paris day and team, and
the months in which each person was met or came, both recomputed from the records by app/indicators/rollup.py
for what the triggers marked. The triggers catch every write, the ORM's and bulk statements' alike (merges,
erasure, imports): a mark is the UTC date of the record's time (a check-in also marks its working day), with the
person for encounter persons and check-ins. PostgreSQL: one trigger per statement (transition tables), a function
per table; SQLite: per row. Also the open check-ins' index (their presence counts until now, so it is computed at each reading).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:40:00
"""
# ruff: noqa: S608  (the SQL below is built from the constants of this file only)

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> where its records' times are: (column, is a date, joined table through contact_id or None).
SOURCES = {
    "encounters": [("at", False, None)],
    "encounter_persons": [("at", False, None)],
    "encounter_materials": [("at", False, None)],
    "anonymous_contacts": [("at", False, None)],
    "anonymous_contact_materials": [("at", False, "anonymous_contacts")],
    "observations": [("at", False, None)],
    "rounds": [("started_at", False, None)],
    "checkins": [("day", True, None), ("arrived_at", False, None)],
}
PERSONS = {"encounter_persons": "at", "checkins": "day"}  # tables whose rows name a person: their months change


def _pg_function(table: str) -> str:
    """One function per table, with static statements (their plans are cached, unlike EXECUTE's), used by its three
    triggers: the transition tables are new_rows and old_rows."""
    new = " ".join(f"{mark.replace('%1$I', 'new_rows')};" for mark in _marks(table, pg=True))
    old = " ".join(f"{mark.replace('%1$I', 'old_rows')};" for mark in _marks(table, pg=True))
    return (
        f"CREATE FUNCTION indicator_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {new} END IF; "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {old} END IF; "
        "RETURN NULL; END $$"
    )


def _day(expr: str, is_date: bool, pg: bool) -> str:
    if is_date:
        return expr if pg else f"date({expr})"
    return f"({expr} AT TIME ZONE 'UTC')::date" if pg else f"date({expr})"


def _marks(table: str, pg: bool, row: str = "r") -> list[str]:
    """The statements a trigger runs: on PostgreSQL %1$I stands for the transition table (new_rows, old_rows); on
    SQLite `row` is NEW or OLD."""
    selects = []
    for column, is_date, joined in SOURCES[table]:
        if joined:
            source = (
                f"FROM %1$I r JOIN {joined} c ON c.id = r.contact_id"
                if pg
                else f"FROM {joined} c WHERE c.id = {row}.contact_id"
            )
            selects.append(f"SELECT c.org_id AS org, {_day('c.' + column, is_date, pg)} AS d {source}")
        else:
            r = "r" if pg else row
            selects.append(
                f"SELECT {r}.org_id AS org, {_day(f'{r}.{column}', is_date, pg)} AS d" + (" FROM %1$I r" if pg else "")
            )
    out = [
        f"INSERT INTO indicator_marks (org_id, day, claimed) SELECT DISTINCT org, d, false FROM ({' UNION ALL '.join(selects)}) m"
    ]
    if table in PERSONS:
        column = PERSONS[table]
        r = "r" if pg else row
        day = _day(f"{r}.{column}", column == "day", pg)
        out.append(
            f"INSERT INTO indicator_person_marks (org_id, person_id, day, claimed) SELECT DISTINCT {r}.org_id, "
            f"{r}.person_id, {day}, false" + (" FROM %1$I r" if pg else "") + f" WHERE {r}.person_id IS NOT NULL"
        )
    return out


def upgrade() -> None:
    op.create_table(
        "indicator_days",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("figure", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_indicator_days_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", "team_id", "figure", "day", "key", name=op.f("pk_indicator_days")),
    )
    op.create_table(
        "indicator_presence",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(f"s{h:02d}", sa.Integer(), nullable=False) for h in range(0, 24, 2)],
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_indicator_presence_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", "team_id", "day", name=op.f("pk_indicator_presence")),
    )
    op.create_table(
        "indicator_person_activity",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("era", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("met", sa.BigInteger(), nullable=False),
        sa.Column("came", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_indicator_person_activity_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_indicator_person_activity_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "team_id", "era", "person_id", name=op.f("pk_indicator_person_activity")),
    )
    for name in ("indicator_marks", "indicator_person_marks"):
        op.create_table(
            name,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
            sa.Column("org_id", sa.Uuid(), nullable=False),
            *([sa.Column("person_id", sa.Uuid(), nullable=False)] if name == "indicator_person_marks" else []),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("claimed", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        op.create_index(op.f(f"ix_{name}_org_id"), name, ["org_id"])
    op.create_table(
        "indicator_state",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("months_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_indicator_state_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_indicator_state")),
    )
    op.create_index("ix_indicator_days_org_day", "indicator_days", ["org_id", "day"])
    op.create_index("ix_indicator_presence_org_day", "indicator_presence", ["org_id", "day"])
    op.create_index("ix_indicator_person_activity_person", "indicator_person_activity", ["person_id"])
    open_checkin = sa.text("left_at IS NULL AND deleted_at IS NULL")
    op.create_index(
        "ix_checkins_org_open", "checkins", ["org_id", "day"], postgresql_where=open_checkin, sqlite_where=open_checkin
    )
    if op.get_context().dialect.name == "postgresql":
        for table in SOURCES:
            op.execute(_pg_function(table))
            for event, referencing in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                op.execute(
                    f"CREATE TRIGGER indicator_mark_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_{table}()"
                )
    else:
        for table in SOURCES:
            for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                body = " ".join(f"{mark};" for row in rows for mark in _marks(table, pg=False, row=row))
                op.execute(
                    f"CREATE TRIGGER indicator_mark_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"FOR EACH ROW BEGIN {body} END"
                )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in SOURCES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER indicator_mark_{event} ON {table}")
            op.execute(f"DROP FUNCTION indicator_mark_{table}()")
    else:
        for table in SOURCES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER indicator_mark_{table}_{event}")
    op.drop_index("ix_checkins_org_open", table_name="checkins")
    op.drop_index("ix_indicator_person_activity_person", table_name="indicator_person_activity")
    op.drop_index("ix_indicator_presence_org_day", table_name="indicator_presence")
    op.drop_index("ix_indicator_days_org_day", table_name="indicator_days")
    op.drop_table("indicator_state")
    for name in ("indicator_person_marks", "indicator_marks"):
        op.drop_index(op.f(f"ix_{name}_org_id"), table_name=name)
        op.drop_table(name)
    op.drop_table("indicator_person_activity")
    op.drop_table("indicator_presence")
    op.drop_table("indicator_days")
