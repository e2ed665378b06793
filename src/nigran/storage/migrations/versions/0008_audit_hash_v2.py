"""audit hash v2: every column of an audit entry is hashed, the note included

Revision ID: 0008_audit_hash_v2
Revises: 0001_foundation
Entries already written keep version 1 (the server default), whose hash left out ``note``; the recorder
writes version 2 from now on (``nigran.audit.chain``). Existing entries are not re-hashed: that would be
the very rewrite of history the chain exists to expose.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_audit_hash_v2"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("audit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash_version", sa.SmallInteger(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("hash_version")
