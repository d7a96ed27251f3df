"""needs: an index for the needs an organisation recorded in an interval, and the team's due-day index extended
so that the week view reads it in its own order

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-30 01:00:00

Indexes only: no data changes. Measured with bench/needs_week.py (400,000 needs, PostgreSQL): the daily report's
"needs recorded" went from a parallel seq scan of `needs` to one range of ix_needs_org_created; the week view
reads ix_need_teams_team_due in the page's order (due day, time, need) and stops at its limit.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_needs_org_created", "needs", ["org_id", "created_at"])
    op.drop_index("ix_need_teams_team_due", table_name="need_teams")
    op.create_index("ix_need_teams_team_due", "need_teams", ["team_id", "due_on", "due_time", "need_id"])


def downgrade() -> None:
    op.drop_index("ix_need_teams_team_due", table_name="need_teams")
    op.create_index("ix_need_teams_team_due", "need_teams", ["team_id", "due_on"])
    op.drop_index("ix_needs_org_created", table_name="needs")
