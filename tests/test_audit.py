"""The audit trail records every change with before and after, and any tampering is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from tests.helpers import ADMIN, ANALYST, CANARIES, PUBLIC, load_fixture

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.audit import service as audit_service
from nigran.audit.chain import CURRENT_VERSION, HASHED_COLUMNS
from nigran.audit.models import AuditEntry
from nigran.audit.verify import verify_chain
from nigran.core.errors import InvalidInput
from nigran.policy.models import Indicator, Milestone


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


# --- metadata carries its record's level; who reads the trail; the hash covers every column ---------------

RESTRICTED_REVIEWER = Principal("rev-r", Role.REVIEWER, Classification.RESTRICTED)
SECRET_MILESTONE = "CANARY-FW.S1.O1.A1.M2"


def _declassify_secret_milestone(db) -> None:  # type: ignore[no-untyped-def]
    with db.session(ADMIN) as s:
        milestone = s.scalar(select(Milestone).where(Milestone.code == SECRET_MILESTONE))
        milestone.classification = Classification.PUBLIC
        milestone.title = "Milestone two"


def test_an_entry_of_a_declassified_record_keeps_its_old_level(db):
    load_fixture(db)
    _declassify_secret_milestone(db)
    update_entry = [e for e in _entries(db) if e.table_name == "milestone" and e.action == "update"][-1]
    assert update_entry.before["title"].endswith("CANARY-SECRET-MS")
    assert update_entry.classification == Classification.SECRET  # the before-image was SECRET
    with db.session(PUBLIC) as s:
        seen = s.scalars(select(AuditEntry)).all()
        assert seen and not any("CANARY-SECRET-MS" in str(e.before) for e in seen)
    with db.session(RESTRICTED_REVIEWER) as s:
        rows = audit_service.read_log(s, limit=10_000)
    assert rows and not any("CANARY-SECRET-MS" in str(r.before) for r in rows)
    with db.session(ADMIN) as s:
        rows = audit_service.read_log(s, limit=10_000, table_name="milestone")
    assert any("CANARY-SECRET-MS" in str(r.before) for r in rows)


def test_entries_written_before_the_rule_are_filtered_by_their_images(db):
    """An old entry that carries the record's newer, lower level is still hidden by its SECRET image."""
    load_fixture(db)
    _declassify_secret_milestone(db)
    seq = [e for e in _entries(db) if e.table_name == "milestone" and e.action == "update"][-1].seq
    with db.engine.begin() as conn:  # what the recorder wrote before: the record's current level
        conn.execute(update(AuditEntry.__table__).where(AuditEntry.seq == seq).values(classification=0))
    with db.session(RESTRICTED_REVIEWER) as s:
        rows = audit_service.read_log(s, limit=10_000)
    assert rows and seq not in {r.seq for r in rows}


def test_only_reviewers_and_administrators_read_the_trail(db):
    load_fixture(db)
    for who in (PUBLIC, ANALYST):
        with pytest.raises(AccessDenied), db.session(who) as s:
            audit_service.read_log(s)
    with db.session(RESTRICTED_REVIEWER) as s:
        assert len(audit_service.read_log(s, limit=3)) == 3
    with pytest.raises(InvalidInput), db.session(ADMIN) as s:
        audit_service.read_log(s, limit=0)


def test_chain_counts_are_shown_only_to_readers_of_every_entry(db):
    load_fixture(db)
    with db.engine.connect() as conn:
        total = verify_chain(conn).entries
        assert audit_service.chain_status(conn, ADMIN).entries == total
        for who in (PUBLIC, ANALYST, RESTRICTED_REVIEWER):
            status = audit_service.chain_status(conn, who)
            assert status.ok and (status.entries, status.head, status.broken_seq) == (None, None, None)
    with db.engine.begin() as conn:
        conn.execute(update(AuditEntry.__table__).where(AuditEntry.seq == 3).values(actor="nobody"))
    with db.engine.connect() as conn:
        assert audit_service.chain_status(conn, ADMIN).broken_seq == 3
        hidden = audit_service.chain_status(conn, PUBLIC)
        assert not hidden.ok and hidden.broken_seq is None and hidden.reason is None


def test_editing_the_note_of_an_entry_breaks_the_chain(db):
    load_fixture(db)
    with db.engine.begin() as conn:
        conn.execute(update(AuditEntry.__table__).where(AuditEntry.seq == 4).values(note="nothing to see"))
    with db.engine.connect() as conn:
        result = verify_chain(conn)
    assert not result.ok and result.broken_seq == 4 and "changed" in result.reason


def test_the_current_hash_covers_every_column_but_the_hash():
    columns = {c.name for c in AuditEntry.__table__.columns} - {"hash"}
    assert set(HASHED_COLUMNS[CURRENT_VERSION]) == columns, "a new audit column needs a new hash version"


def _legacy_hash(seq, at, actor, action, table, record, level, before, after, prev):  # type: ignore[no-untyped-def]
    """The hash as the recorder computed it before version 2, copied literally (``note`` left out)."""
    import hashlib
    import json

    payload = json.dumps(
        [
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            action,
            table,
            record,
            level,
            before,
            after,
            prev,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def test_entries_of_the_first_version_still_verify_and_versions_never_go_back(empty_db):
    from datetime import UTC, datetime

    from nigran.audit.chain import GENESIS

    at = datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    prev, rows = GENESIS, []
    for seq in (1, 2):
        digest = _legacy_hash(
            seq, at.replace(tzinfo=None), "admin", "insert", "t", str(seq), 0, None, {"a": 1}, prev
        )
        rows.append(
            dict(seq=seq, at=at, actor="admin", action="insert", table_name="t", record_id=str(seq),
                 classification=0, before=None, after={"a": 1}, prev_hash=prev, hash=digest)
        )  # fmt: skip
        prev = digest
    with empty_db.engine.begin() as conn:
        conn.execute(AuditEntry.__table__.insert(), rows)  # hash_version: the column's default, 1
    from nigran.access.service import add_user

    with empty_db.session(Principal.system()) as s:  # the recorder continues the chain with version 2
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
    with empty_db.engine.connect() as conn:
        result = verify_chain(conn)
        versions = [v for (v,) in conn.execute(select(AuditEntry.__table__.c.hash_version).order_by("seq"))]
    assert result.ok and result.entries == 3 and versions == [1, 1, 2]
    with empty_db.engine.begin() as conn:  # relabel the new entry as version 1 to take its note out
        conn.execute(update(AuditEntry.__table__).where(AuditEntry.seq == 3).values(hash_version=1))
    with empty_db.engine.connect() as conn:
        result = verify_chain(conn)
    assert not result.ok and result.broken_seq == 3
