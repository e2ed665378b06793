"""incidents: actors, import batches, incidents, their sources and the analytic cube

Revision ID: 0003_incidents
Revises: 0001_foundation
Written from autogenerate output, pruned to the incident tables only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nigran.access.classification

revision: str = "0003_incidents"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("incidents",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor")),
        sa.UniqueConstraint("code", name=op.f("uq_actor_code")),
    )
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_classification"), ["classification"], unique=False)

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=20), nullable=False),
        sa.Column("dataset_version", sa.String(length=40), nullable=True),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batch_classification"), ["classification"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_batch_file_sha256"), ["file_sha256"], unique=False)

    op.create_table(
        "incident_cube",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("killed", sa.Integer(), nullable=False),
        sa.Column("victims_killed", sa.Integer(), nullable=False),
        sa.Column("civilians_killed", sa.Integer(), nullable=False),
        sa.Column("security_killed", sa.Integer(), nullable=False),
        sa.Column("militants_killed", sa.Integer(), nullable=False),
        sa.Column("injured", sa.Integer(), nullable=False),
        sa.Column("hostages", sa.Integer(), nullable=False),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_cube")),
        sa.UniqueConstraint(
            "dim", "year", "month", "province_code", "key", "classification", name="uq_incident_cube_cell"
        ),
    )
    with op.batch_alter_table("incident_cube", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_cube_classification"), ["classification"], unique=False)
        batch_op.create_index("ix_incident_cube_dim_province", ["dim", "province_code"], unique=False)

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_end", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=20), nullable=True),
        sa.Column("province", sa.String(length=200), nullable=True),
        sa.Column("district_code", sa.String(length=40), nullable=True),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("geo_precision", sa.String(length=12), nullable=True),
        sa.Column("event_type", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("claimed", sa.Boolean(), nullable=True),
        sa.Column("target_type", sa.String(length=120), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("victims_killed", sa.Integer(), nullable=True),
        sa.Column("civilians_killed", sa.Integer(), nullable=True),
        sa.Column("security_killed", sa.Integer(), nullable=True),
        sa.Column("militants_killed", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("hostages", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("import_line", sa.Integer(), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"], name=op.f("fk_incident_actor_id_actor")),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["incident.id"], name=op.f("fk_incident_duplicate_of_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batch.id"], name=op.f("fk_incident_import_batch_id_import_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_classification"), ["classification"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_district_code"), ["district_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_duplicate_of_id"), ["duplicate_of_id"], unique=False)
        batch_op.create_index("ix_incident_batch_line", ["import_batch_id", "import_line"], unique=False)
        batch_op.create_index("ix_incident_province_year", ["province_code", "year"], unique=False)

    op.create_table(
        "incident_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=120), nullable=False),
        sa.Column("dataset_version", sa.String(length=40), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("classification", nigran.access.classification.ClassificationType(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_incident_source_import_batch_id_import_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_source_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_source")),
        sa.UniqueConstraint("dataset", "source_id", name=op.f("uq_incident_source_dataset_source_id")),
    )
    with op.batch_alter_table("incident_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_source_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_source_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    for table in ("incident_source", "incident", "incident_cube", "import_batch", "actor"):
        op.drop_table(table)
