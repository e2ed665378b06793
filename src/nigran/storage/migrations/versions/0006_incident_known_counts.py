"""incident cube: per measure, how many incidents give the figure (unknown is not zero)

Revision ID: 0006_incident_known_counts
Revises: 0004_dedup
Adds ``<measure>_known`` counters to ``incident_cube`` and rebuilds the cube from the incidents, so that a
sum over incidents that do not record a figure (UCDP gives no injured) reads as unknown rather than 0.
The rebuild SQL is written out here, not imported, so that this migration stays what it was when later
code changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_incident_known_counts"
down_revision: str | Sequence[str] | None = "0004_dedup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = (
    "killed",
    "victims_killed",
    "civilians_killed",
    "security_killed",
    "militants_killed",
    "injured",
    "hostages",
)
KNOWN = tuple(f"{m}_known" for m in MEASURES)


def upgrade() -> None:
    with op.batch_alter_table("incident_cube", schema=None) as batch_op:
        for column in KNOWN:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    _rebuild()


def downgrade() -> None:
    with op.batch_alter_table("incident_cube", schema=None) as batch_op:
        for column in KNOWN:
            batch_op.drop_column(column)


def _rebuild() -> None:
    """The cube is a derived cache: recompute every cell, now with the known counts."""
    op.execute("DELETE FROM incident_cube")
    counters = ("incidents", *MEASURES, *KNOWN)
    sums = ", ".join(
        ["count(*)"] + [f"coalesce(sum(i.{m}), 0)" for m in MEASURES] + [f"count(i.{m})" for m in MEASURES]
    )
    keys = {
        "type": ("coalesce(i.event_type, '')", ""),
        "district": ("coalesce(i.district_code, '')", ""),
        "actor": ("coalesce(a.code, '')", " LEFT JOIN actor a ON a.id = i.actor_id"),
    }
    for dim, (key, join) in keys.items():
        for month in ("i.month", "0"):
            group_month = "i.month, " if month == "i.month" else ""
            op.execute(
                "INSERT INTO incident_cube (dim, year, month, province_code, key, classification, "
                f"{', '.join(counters)}) "
                f"SELECT '{dim}', i.year, {month}, coalesce(i.province_code, ''), {key}, i.classification, "
                f"{sums} FROM incident i{join} WHERE i.duplicate_of_id IS NULL "
                f"GROUP BY i.year, {group_month}coalesce(i.province_code, ''), {key}, i.classification"
            )
