"""Writes audit entries inside the same transaction as the change they describe.

Hooking ``after_flush`` means no service can forget to audit: whatever an ORM session writes is recorded,
with the values before and after, and rolls back with it if the transaction fails.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session, object_session

from nigran.access.classification import Classification
from nigran.access.guard import GuardedSession, principal_of
from nigran.audit.chain import CURRENT_VERSION, GENESIS, entry_hash
from nigran.audit.models import AuditEntry
from nigran.storage.base import Base, utcnow

#: Tables whose rows are not audited: the trail itself, and derived caches that are rebuilt from audited data.
SKIP_TABLES = {"audit_entry", "alembic_version"}
DELETED_KEY = "nigran.audit.deleted"
#: Columns whose values are secrets (password hashes): the trail records that they changed, never the value,
#: since audit readers must not be handed material for an offline password attack. A short fingerprint of
#: the stored value stands in, so that a change still shows as a change.
REDACTED_COLUMNS = frozenset({"password_hash", "token_hash"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name if isinstance(value, Classification) else value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):  # file contents (job artifacts): the trail proves which bytes, not a copy
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))  # nested values: make them plain JSON once
    return str(value)


def _snapshot(obj: Any, *, before: bool) -> dict[str, Any]:
    state = inspect(obj)
    if not before:  # the row as flushed: read the loaded values directly, no attribute history needed
        values = state.dict
        return _redact({key: _jsonable(values.get(key)) for key in _column_keys(state.mapper)})
    out: dict[str, Any] = {}
    for key in _column_keys(state.mapper):
        hist = state.attrs[key].history
        if hist.deleted:
            value = hist.deleted[0]
        elif hist.unchanged:
            value = hist.unchanged[0]
        elif hist.added:
            value = None  # was unset before this change
        else:
            value = getattr(obj, key)
        out[key] = _jsonable(value)
    return _redact(out)


def _redact(image: dict[str, Any]) -> dict[str, Any]:
    for key in REDACTED_COLUMNS & image.keys():
        if image[key] is not None:
            image[key] = "redacted:" + hashlib.sha256(str(image[key]).encode()).hexdigest()[:8]
    return image


_COLUMN_KEYS: dict[Any, tuple[str, ...]] = {}


def _column_keys(mapper: Any) -> tuple[str, ...]:
    keys = _COLUMN_KEYS.get(mapper)
    if keys is None:
        keys = _COLUMN_KEYS[mapper] = tuple(attr.key for attr in mapper.column_attrs)
    return keys


def _record_id(obj: Any) -> str:
    state = inspect(obj)
    key = state.mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in key)


def _changes(session: Session) -> list[tuple[str, Any, dict[str, Any] | None, dict[str, Any] | None]]:
    rows = []
    for obj in session.new:
        rows.append(("insert", obj, None, _snapshot(obj, before=False)))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            before, after = _snapshot(obj, before=True), _snapshot(obj, before=False)
            if before != after:
                rows.append(("update", obj, before, after))
    for obj, before in session.info.pop(DELETED_KEY, []):
        rows.append(("delete", obj, before, None))
    return [r for r in rows if r[1].__table__.name not in SKIP_TABLES]


def image_level(image: dict[str, Any] | None) -> Classification:
    """The level a before- or after-image records; one that cannot be read counts as the highest."""
    value = (image or {}).get("classification")
    try:
        return Classification.parse(value) if value is not None else Classification.PUBLIC
    except ValueError:
        return max(Classification)


def entry_level(obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> Classification:
    """An entry is as classified as the most classified image it holds: declassifying a SECRET record
    leaves its before-image SECRET, so the entry stays SECRET for every reader."""
    current = Classification.parse(getattr(obj, "classification", None) or Classification.PUBLIC)
    return max(current, image_level(before), image_level(after))


def _after_flush(session: Session, flush_context: object) -> None:
    changes = _changes(session)
    if not changes:
        return
    principal = principal_of(session)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Serialise writers on the chain's head; SQLite already serialises with BEGIN IMMEDIATE.
        conn.execute(text("SELECT pg_advisory_xact_lock(7426)"))
    last = conn.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    now = utcnow()
    rows = []
    for action, obj, before, after in changes:
        seq += 1
        fields = dict(
            hash_version=CURRENT_VERSION,
            seq=seq,
            at=now,
            actor=principal.username,
            action=action,
            table_name=obj.__table__.name,
            record_id=_record_id(obj),
            classification=int(entry_level(obj, before, after)),
            before=before,
            after=after,
            note=None,
            prev_hash=prev,
        )
        digest = entry_hash(fields)
        rows.append({**fields, "hash": digest})
        prev = digest
    conn.execute(insert(AuditEntry), rows)


def _capture_delete(mapper: Any, connection: Any, target: Any) -> None:
    """Every deleted row, cascaded orphans included, as it was just before the delete."""
    session = object_session(target)
    if session is not None and target.__table__.name not in SKIP_TABLES:
        session.info.setdefault(DELETED_KEY, []).append((target, _snapshot(target, before=True)))


def _forget_deletes(session: Session) -> None:
    session.info.pop(DELETED_KEY, None)


event.listen(GuardedSession, "after_flush", _after_flush)
event.listen(GuardedSession, "after_rollback", _forget_deletes)
event.listen(Base, "before_delete", _capture_delete, propagate=True)
