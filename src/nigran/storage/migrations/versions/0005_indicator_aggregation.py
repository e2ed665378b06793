"""indicator.aggregation: how an indicator's values add up over time (flow, stock or rate)

Empty for existing indicators: scoring then derives the aggregation from the unit (see
``nigran.policy.enums.default_aggregation``), so existing databases keep working without a data migration.

Revision ID: 0005_indicator_aggregation
Revises: 0002_monitoring
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_indicator_aggregation"
down_revision: str | Sequence[str] | None = "0002_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicator") as batch:
        batch.add_column(sa.Column("aggregation", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("aggregation")
