"""dedup: analysts' merge and keep-apart decisions on incidents

Revision ID: 0004_dedup
Revises: 0003_incidents
Written by hand from the models in nigran.incidents.dedup_models; the merge pointer itself
(incident.duplicate_of_id) belongs to the incidents migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nigran.access.classification

revision: str = "0004_dedup"
down_revision: str | Sequence[str] | None = "0003_incidents"
branch_labels: str | Sequence[str] | None = ("dedup",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("merged_by", sa.String(length=120), nullable=False),
        sa.Column("unmerged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unmerged_by", sa.String(length=120), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["incident.id"],
            name=op.f("fk_incident_merge_survivor_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_id"],
            ["incident.id"],
            name=op.f("fk_incident_merge_duplicate_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_merge")),
    )
    with op.batch_alter_table("incident_merge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_merge_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_merge_survivor_id"), ["survivor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_merge_duplicate_id"), ["duplicate_id"], unique=False)

    op.create_table(
        "incident_keep_apart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["incident.id"],
            name=op.f("fk_incident_keep_apart_first_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["incident.id"],
            name=op.f("fk_incident_keep_apart_second_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_keep_apart")),
        sa.UniqueConstraint("first_id", "second_id", name=op.f("uq_incident_keep_apart_first_id_second_id")),
    )
    with op.batch_alter_table("incident_keep_apart", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_keep_apart_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_keep_apart_first_id"), ["first_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_keep_apart_second_id"), ["second_id"], unique=False)


def downgrade() -> None:
    op.drop_table("incident_keep_apart")
    op.drop_table("incident_merge")
