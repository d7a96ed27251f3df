"""encounter_persons: an index from the person, (person_id, at) INCLUDE (team_id) WHERE deleted_at IS NULL

"Distinct persons met in a period" scanned every live encounter person of the period (2 million in a year at
100,000 persons) and hashed them down to the persons met, once per figure. With this index it is asked from the
persons: for each person of the organisation, is there one live encounter in the period (by these teams)? One
short index probe per person (index only: team_id is carried in the leaf), no hash of 2 million rows.
Measured with bench/indicators.py (see the README's index table).

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_encounter_persons_person_at",
        "encounter_persons",
        ["person_id", "at"],
        postgresql_include=["org_id", "team_id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_encounter_persons_person_at", table_name="encounter_persons")
