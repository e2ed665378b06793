"""Who may read the audit trail and what they learn from it: the rules every front end shares.

The trail names records, people and values, and its sequence numbers count changes, so:

- only reviewers and administrators read entries, and only entries whose level (the highest of the
  entry's own level and of its before- and after-images) is within their clearance;
- anyone may ask whether the chain is intact, but the number of entries, the head hash and the position of
  a break are shown only to those who may see every entry (an audit reader cleared for the highest level),
  because a count or a position tells a lower reader how many changes they cannot see.

See docs/access.md, "What counts and ids reveal".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.access.principal import Principal, Role
from nigran.audit.models import AuditEntry
from nigran.audit.recorder import image_level
from nigran.audit.verify import verify_chain
from nigran.core.problems import InvalidInput, Problem

AUDIT_READERS = frozenset({Role.ADMINISTRATOR, Role.REVIEWER})
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class AuditRow:
    """One entry as a reader of the trail sees it."""

    seq: int
    at: datetime
    actor: str
    action: str
    table: str
    record: str
    level: Classification
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "table": self.table,
            "record": self.record,
            "classification": self.level.name,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }


@dataclass(frozen=True)
class ChainStatus:
    """The verdict on the chain; ``entries``, ``head``, ``broken_seq`` and ``reason`` are ``None`` for a
    reader who may not see every entry."""

    ok: bool
    entries: int | None = None
    head: str | None = None
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def detailed(self) -> bool:
        return self.entries is not None


def may_read_trail(who: Principal) -> bool:
    return who.is_system or who.role in AUDIT_READERS


def may_see_chain_details(who: Principal) -> bool:
    """Counts and positions reveal hidden entries unless the reader may see every entry."""
    return may_read_trail(who) and who.clearance >= max(Classification)


def entry_level(entry: AuditEntry) -> Classification:
    """The highest of the entry's level and its images' levels. Entries written before the recorder took
    the images into account may carry the record's newer, lower level: this catches them."""
    return max(
        Classification.parse(entry.classification), image_level(entry.before), image_level(entry.after)
    )


def _utc(at: datetime) -> datetime:
    """SQLite returns naive UTC, PostgreSQL the server's zone: every reader gets aware UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def read_log(session: Session, *, limit: int = 20, table_name: str | None = None) -> list[AuditRow]:
    """The latest ``limit`` entries the session's reader may see, newest first."""
    who = principal_of(session)
    if not may_read_trail(who):
        raise AccessDenied(f"only reviewers and administrators read the audit trail ({who.role.value})")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput([Problem(0, f"the limit is between 1 and {MAX_LIMIT}", "limit")])
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if table_name:
        query = query.where(AuditEntry.table_name == table_name.strip().lower())
    rows: list[AuditRow] = []
    for entry in session.scalars(query.execution_options(yield_per=500)):
        level = entry_level(entry)
        if not who.may_read(level):
            continue
        rows.append(
            AuditRow(
                entry.seq,
                _utc(entry.at),
                entry.actor,
                entry.action,
                entry.table_name,
                entry.record_id,
                level,
                entry.before,
                entry.after,
                entry.note,
            )
        )
        if len(rows) >= limit:
            break
    return rows


def chain_status(conn: Connection, who: Principal) -> ChainStatus:
    """Verify the whole chain (through ``conn``, a system connection: it checks rows, not what a user sees)
    and tell ``who`` as much as they may learn."""
    result = verify_chain(conn)
    if may_see_chain_details(who):
        return ChainStatus(result.ok, result.entries, result.head, result.broken_seq, result.reason)
    return ChainStatus(result.ok)
