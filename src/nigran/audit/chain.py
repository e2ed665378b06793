"""The hash of an audit entry: what makes a silent edit or deletion of the trail detectable."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def _iso(at: datetime) -> str:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones in the server's zone: use naive UTC.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    table_name: str,
    record_id: str,
    classification: int,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [seq, _iso(at), actor, action, table_name, record_id, int(classification), before, after, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
