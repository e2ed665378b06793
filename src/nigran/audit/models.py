"""One row per changed record per transaction, chained by SHA-256 so that edits and deletions show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigran.access.guard import Classified
from nigran.storage.base import Base


class AuditEntry(Classified, Base):
    """Carries the highest level of the record it describes, before or after the change, so the guard hides
    entries a reader may not see (an entry about a declassified record stays at the record's old level).

    Rows are written by the recorder through Core, never through the ORM: no role may write them.
    """

    __tablename__ = "audit_entry"
    __write_roles__ = frozenset()

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(10))  # insert | update | delete
    table_name: Mapped[str] = mapped_column(String(80), index=True)
    record_id: Mapped[str] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Which columns the hash covers (``audit/chain.py``); entries written before version 2 are version 1.
    hash_version: Mapped[int] = mapped_column(SmallInteger, server_default="1")
