"""Walks the audit chain and names the first entry whose content, order or link does not hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from nigran.audit.chain import GENESIS, HASHED_COLUMNS, entry_hash
from nigran.audit.models import AuditEntry


@dataclass
class VerifyResult:
    entries: int
    head: str
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(conn: Connection) -> VerifyResult:
    """Recompute every hash in order. Reads through Core on purpose: it checks rows, not what a user sees."""
    expected_seq, prev, count, version = 1, GENESIS, 0, 1
    table = AuditEntry.__table__
    for row in conn.execute(select(table).order_by(table.c.seq)).mappings():
        count += 1
        if row["seq"] != expected_seq:
            return VerifyResult(
                count, prev, expected_seq, f"entry {expected_seq} is missing (next is {row['seq']})"
            )
        if row["prev_hash"] != prev:
            return VerifyResult(count, prev, row["seq"], "its link to the previous entry does not match")
        row_version = int(row["hash_version"] or 1)
        if row_version not in HASHED_COLUMNS:
            return VerifyResult(count, prev, row["seq"], f"its hash version {row_version} is unknown")
        if row_version < version:
            return VerifyResult(count, prev, row["seq"], "its hash version is older than the entry before it")
        version = row_version
        digest = entry_hash(row)
        if digest != row["hash"]:
            return VerifyResult(count, prev, row["seq"], "its content was changed after it was written")
        prev = digest
        expected_seq += 1
    return VerifyResult(count, prev)
