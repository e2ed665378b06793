"""The audit chain's head: the newest entry's number and hash, to be recorded outside the database.

A verified chain proves that no entry was changed or removed *between* its first and last entries; it cannot
tell that the newest entries were cut off, since what remains is still a valid chain. Recording the head
somewhere else (a backup's manifest, the annual report, a signed file) closes that gap: a later chain must
still hold the recorded entry, with the recorded hash, and verify up to and past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from nigran.audit.models import AuditEntry
from nigran.audit.verify import verify_chain
from nigran.core.problems import InvalidInput, Problem


@dataclass(frozen=True)
class AuditHead:
    """The newest entry (``seq``, ``hash``, ``at``) and how many entries there are; all ``None``/0 for an
    empty trail."""

    seq: int | None
    hash: str | None
    at: datetime | None
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": None if self.at is None else self.at.isoformat(),
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "head") -> AuditHead:
        """Read a recorded head (as ``as_dict`` wrote it); anything else is a problem naming ``source``."""
        if not isinstance(data, dict):
            raise InvalidInput([Problem(0, "is not a recorded audit head (a JSON object)", source)])
        problems: list[Problem] = []
        seq, digest, count, at = data.get("seq"), data.get("hash"), data.get("count"), data.get("at")
        if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 1):
            problems.append(Problem(0, "field 'seq' must be a positive whole number or null", source))
        if digest is not None and (
            not isinstance(digest, str)
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            problems.append(Problem(0, "field 'hash' must be 64 lowercase hex digits or null", source))
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.append(Problem(0, "field 'count' must be a whole number, 0 or more", source))
        if (seq is None) != (digest is None):
            problems.append(Problem(0, "fields 'seq' and 'hash' are both set or both null", source))
        when: datetime | None = None
        if at is not None:
            try:
                when = datetime.fromisoformat(str(at))
            except ValueError:
                problems.append(Problem(0, "field 'at' is not an ISO date and time", source))
        if problems:
            raise InvalidInput(problems)
        return cls(seq, digest, when, count)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def read_head(conn: Connection) -> AuditHead:
    """The head as stored (no verification): read through Core, like the verifier, as the program."""
    table = AuditEntry.__table__
    count = conn.execute(select(func.count()).select_from(table)).scalar_one()
    row = conn.execute(
        select(table.c.seq, table.c.hash, table.c.at).order_by(table.c.seq.desc()).limit(1)
    ).first()
    if row is None:
        return AuditHead(None, None, None, int(count))
    return AuditHead(int(row.seq), row.hash, _utc(row.at), int(count))


@dataclass(frozen=True)
class HeadCheck:
    ok: bool
    reason: str | None = None


def check_against(conn: Connection, recorded: AuditHead) -> HeadCheck:
    """Does the chain verify, and does it still hold the recorded head (same number, same hash)?"""
    result = verify_chain(conn)
    if not result.ok:
        return HeadCheck(False, f"entry {result.broken_seq}: {result.reason}")
    if recorded.seq is None:
        return HeadCheck(True)
    table = AuditEntry.__table__
    digest = conn.execute(select(table.c.hash).where(table.c.seq == recorded.seq)).scalar_one_or_none()
    if digest is None:
        return HeadCheck(
            False,
            f"the recorded head, entry {recorded.seq}, is gone: the chain ends at entry "
            f"{result.entries} (its newest entries were removed)",
        )
    if digest != recorded.hash:
        return HeadCheck(False, f"entry {recorded.seq} no longer has the recorded hash")
    return HeadCheck(True)
