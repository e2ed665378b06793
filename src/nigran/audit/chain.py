"""The hash of an audit entry: what makes a silent edit or deletion of the trail detectable.

The hash is versioned, and each entry records the version it was written with (``hash_version``), so that
entries written before a column joined the hash still verify while every new entry covers every column:

- version 1 (entries written before migration ``0008_audit_hash_v2``): every column but ``note``;
- version 2: every column of the entry except the hash itself, the version included.

A chain never goes back to an older version (the verifier refuses it), so relabelling a new entry as
version 1 to take ``note`` out of its hash is detected like any other edit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
CURRENT_VERSION = 2

#: The columns each version covers, in payload order (``at`` as ISO text, ``classification`` as a number).
HASHED_COLUMNS: dict[int, tuple[str, ...]] = {
    1: (
        "seq",
        "at",
        "actor",
        "action",
        "table_name",
        "record_id",
        "classification",
        "before",
        "after",
        "prev_hash",
    ),
    2: (
        "hash_version",
        "seq",
        "at",
        "actor",
        "action",
        "table_name",
        "record_id",
        "classification",
        "before",
        "after",
        "note",
        "prev_hash",
    ),
}


def _iso(at: datetime) -> str:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones in the server's zone: use naive UTC.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _value(column: str, value: Any) -> Any:
    if column == "at":
        return _iso(value)
    if column in ("classification", "hash_version", "seq"):
        return int(value)
    return value


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the columns of ``entry``'s ``hash_version`` (absent: version 1, the original rule)."""
    version = int(entry.get("hash_version") or 1)
    columns = HASHED_COLUMNS.get(version)
    if columns is None:
        raise ValueError(f"unknown audit hash version {version}")
    payload = json.dumps(
        [_value(c, entry.get(c)) for c in columns],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
