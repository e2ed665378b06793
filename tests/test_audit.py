"""The audit trail records every change with before and after, and any tampering is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from tests.helpers import ADMIN, ANALYST, CANARIES, PUBLIC, load_fixture

from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal
from nigran.audit.models import AuditEntry
from nigran.audit.verify import verify_chain
from nigran.policy.models import Indicator


def _entries(db) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_every_change_is_recorded_with_who_before_and_after(db):
    load_fixture(db)
    start = len(_entries(db))
    with db.session(ADMIN) as s:
        ind = s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1"))
        ind.unit = "per cent"
    new = _entries(db)[start:]
    assert len(new) == 1
    entry = new[0]
    assert (entry.actor, entry.action, entry.table_name) == ("admin", "update", "indicator")
    assert entry.before["unit"] == "percent" and entry.after["unit"] == "per cent"
    with db.session(ADMIN) as s:
        s.delete(s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")))
    deleted = [e for e in _entries(db) if e.action == "delete" and e.table_name == "indicator"]
    assert deleted and deleted[0].before["code"] == "CANARY-FW.S1.O1.I1" and deleted[0].after is None


def test_failed_transaction_leaves_no_audit_entry(db):
    load_fixture(db)
    start = len(_entries(db))
    with pytest.raises(RuntimeError), db.session(ADMIN) as s:
        s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")).unit = "changed"
        s.flush()
        raise RuntimeError("boom")
    assert len(_entries(db)) == start


def test_chain_verifies_and_detects_edits_and_deletions(db):
    load_fixture(db)
    with db.engine.connect() as conn:
        result = verify_chain(conn)
    assert result.ok and result.entries == len(_entries(db)) > 10
    with db.engine.begin() as conn:  # someone edits a past entry directly in the database
        conn.execute(update(AuditEntry.__table__).where(AuditEntry.seq == 5).values(actor="nobody"))
    with db.engine.connect() as conn:
        result = verify_chain(conn)
    assert not result.ok and result.broken_seq == 5 and "changed" in result.reason


def test_chain_detects_a_deleted_entry(db):
    load_fixture(db)
    with db.engine.begin() as conn:
        conn.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 7))
    with db.engine.connect() as conn:
        result = verify_chain(conn)
    assert not result.ok and result.broken_seq == 7 and "missing" in result.reason


def test_audit_log_hides_entries_about_records_above_clearance(db):
    load_fixture(db)
    with db.session(PUBLIC) as s:
        public = s.scalars(select(AuditEntry)).all()
    with db.session(ANALYST) as s:
        restricted = s.scalars(select(AuditEntry)).all()
    with db.session(ADMIN) as s:
        everything = s.scalars(select(AuditEntry)).all()
    assert len(public) < len(restricted) < len(everything)
    assert not any(canary in str(e.after) for e in public for canary in CANARIES)
    assert any("CANARY-SECRET-IND" in str(e.after) for e in everything)


def test_cascaded_orphan_deletes_are_checked_and_audited(db):
    """Removing a child from its parent's collection deletes it inside the flush: audited and guarded."""
    from nigran.policy.models import IndicatorTarget

    load_fixture(db)
    with db.session(ADMIN) as s:
        indicator = s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1"))
        indicator.targets.remove(indicator.targets[0])
    deleted = [e for e in _entries(db) if e.action == "delete" and e.table_name == "indicator_target"]
    assert len(deleted) == 1 and deleted[0].before["year"] == 2023 and deleted[0].actor == "admin"
    with pytest.raises(AccessDenied), db.session(PUBLIC) as s:
        indicator = s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1"))
        indicator_id = indicator.id
        indicator.targets.clear()
    with db.session(ADMIN) as s:
        assert (
            len(s.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator_id)).all())
            == 1
        )
