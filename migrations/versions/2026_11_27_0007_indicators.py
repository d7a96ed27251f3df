"""indicators: organisations may share their indicators with steering accounts; indexes for period aggregates

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-27 03:45:48
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_with_steering", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Indicators over every team of an organisation read one index range per period.
    op.create_index("ix_checkins_org_day", "checkins", ["org_id", "day"])
    op.create_index("ix_encounters_org_at", "encounters", ["org_id", "at"])
    op.create_index("ix_persons_org_id_created_at", "persons", ["org_id", "created_at"])
    op.create_index("ix_rounds_org_started", "rounds", ["org_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_rounds_org_started", table_name="rounds")
    op.drop_index("ix_persons_org_id_created_at", table_name="persons")
    op.drop_index("ix_encounters_org_at", table_name="encounters")
    op.drop_index("ix_checkins_org_day", table_name="checkins")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("share_with_steering")
