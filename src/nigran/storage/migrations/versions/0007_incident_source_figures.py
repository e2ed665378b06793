"""incident sources keep their own figures; merges remember the survivor's figures and the analyst's choices

Revision ID: 0007_incident_source_figures
Revises: 0004_dedup
Each ``incident_source`` gets the casualty figures it gives, filled from its incident (until now a merge
never changed an incident's figures, so every incident's figures are its own sources'). ``incident_merge``
gets ``survivor_figures`` (what an unmerge restores) and ``taken`` (figures the analyst chose).
The field list is written out here, not imported, so that this migration stays what it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_incident_source_figures"
down_revision: str | Sequence[str] | None = "0004_dedup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = (
    "killed",
    "victims_killed",
    "civilians_killed",
    "security_killed",
    "militants_killed",
    "injured",
    "hostages",
)


def upgrade() -> None:
    with op.batch_alter_table("incident_source") as batch:
        for name in FIGURES:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
    with op.batch_alter_table("incident_merge") as batch:
        batch.add_column(sa.Column("survivor_figures", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("taken", sa.JSON(), nullable=True))
    sets = ", ".join(
        f"{f} = (SELECT i.{f} FROM incident i WHERE i.id = incident_source.incident_id)" for f in FIGURES
    )
    op.execute(f"UPDATE incident_source SET {sets}")


def downgrade() -> None:
    with op.batch_alter_table("incident_merge") as batch:
        batch.drop_column("taken")
        batch.drop_column("survivor_figures")
    with op.batch_alter_table("incident_source") as batch:
        for name in FIGURES:
            batch.drop_column(name)
