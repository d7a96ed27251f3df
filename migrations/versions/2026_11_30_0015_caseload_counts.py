"""caseload counts: need links carry their need's open flag and due day, and indexes for the referrals waiting and
the long stays of an organisation

The caseload summary counted "overdue needs" by reading every need link of the organisation's persons and then
each need (7,350 links and needs read for 1,001 persons at 100,000 persons, 14.6 ms of its 23.6 ms of SQL).
need_persons now carries a copy of the need's open flag (open and not deleted) and due day, kept by
app/needs/service.py as need_teams' copy is, and a partial index of the open links: the count reads those only.
"Referrals waiting" read the whole referrals table, "stays over 6 months" every open stay of every organisation.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STAY = sa.text("exited_on IS NULL AND deleted_at IS NULL")
OPEN_NEED_LINK = sa.text("open")


def upgrade() -> None:
    with op.batch_alter_table("need_persons") as batch:
        batch.add_column(sa.Column("open", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    # The copy, from the needs (a correlated update: the same statement on both databases).
    op.execute(
        "UPDATE need_persons SET "
        "open = (SELECT n.status IN ('todo', 'in_progress') AND n.deleted_at IS NULL FROM needs n "
        "WHERE n.id = need_persons.need_id), "
        "due_on = (SELECT n.due_on FROM needs n WHERE n.id = need_persons.need_id)"
    )
    with op.batch_alter_table("need_persons") as batch:
        batch.alter_column("open", server_default=None)
    op.create_index(
        "ix_need_persons_org_open",
        "need_persons",
        ["org_id", "person_id", "due_on"],
        sqlite_where=OPEN_NEED_LINK,
        postgresql_where=OPEN_NEED_LINK,
    )
    op.create_index("ix_referrals_org_status", "referrals", ["org_id", "status", "status_at"])
    op.create_index(
        "ix_stays_org_open", "stays", ["org_id", "entered_on"], sqlite_where=OPEN_STAY, postgresql_where=OPEN_STAY
    )


def downgrade() -> None:
    op.drop_index("ix_stays_org_open", table_name="stays")
    op.drop_index("ix_referrals_org_status", table_name="referrals")
    op.drop_index("ix_need_persons_org_open", table_name="need_persons")
    with op.batch_alter_table("need_persons") as batch:
        batch.drop_column("due_on")
        batch.drop_column("open")
