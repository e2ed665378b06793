"""assessment: the monitors' published figures (reference series beside the monthly assessment)

Revision ID: 0012_assessment
Revises: 0011_news
Written from the model in nigran.assessment.models (autogenerate's output, reviewed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nigran.access.classification

revision: str = "0012_assessment"
down_revision: str | Sequence[str] | None = "0011_news"
branch_labels: str | Sequence[str] | None = ("assessment",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("measure", sa.String(length=30), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("definition", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_figure")),
        sa.UniqueConstraint(
            "monitor", "period", "measure", "scope", "definition", name=op.f("uq_monitor_figure")
        ),
    )
    with op.batch_alter_table("monitor_figure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitor_figure_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_monitor_figure_monitor"), ["monitor"], unique=False)
        batch_op.create_index(batch_op.f("ix_monitor_figure_period"), ["period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitor_figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitor_figure_period"))
        batch_op.drop_index(batch_op.f("ix_monitor_figure_monitor"))
        batch_op.drop_index(batch_op.f("ix_monitor_figure_classification"))

    op.drop_table("monitor_figure")
