"""Concurrent submissions and verifications never lose an update, on SQLite and PostgreSQL.

SQLite serialises writers (``BEGIN IMMEDIATE``), PostgreSQL lets transactions interleave and relies on the
version columns; both must end with exactly one winner and the loser told so, never a silent overwrite.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from tests.helpers import REVIEWER, focal
from tests.monitoring_support import FW, I1, SECOND_REVIEWER, SYSTEM, report, setup_cycles

from nigran.monitoring import service, workflow
from nigran.monitoring.models import Obligation, Submission


@pytest.fixture
def mon(db):  # type: ignore[no-untyped-def]
    setup_cycles(db, ("2024",))
    return db


def _race(n: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``work(i)`` in ``n`` threads released together; return each result or exception."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the loser's refusal is the result we inspect
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_verify_and_return_have_exactly_one_winner(mon):
    sub_id = report(mon, "KP", I1, value=55, verify=False)

    def act(i: int) -> str:
        with mon.session(REVIEWER if i % 2 == 0 else SECOND_REVIEWER) as s:
            if i % 2 == 0:
                return service.verify(s, sub_id).state
            return service.return_submission(s, sub_id, f"return from thread {i}").state

    results = _race(4, act)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(e, workflow.IllegalTransition | workflow.Conflict) for e in losers), losers
    with mon.session(SYSTEM) as s:
        sub = s.get(Submission, sub_id)
        decisions = [e.action for e in sub.events if e.action in ("verify", "return")]
        assert decisions == [winners[0].replace("verified", "verify").replace("returned", "return")]
        assert sub.version == 2 and sub.obligation.status == sub.state


def test_concurrent_first_submissions_for_one_obligation_create_exactly_one(mon):
    kp = focal(mon, "KP")

    def act(i: int) -> int:
        with mon.session(kp) as s:
            cycle = service.get_cycle(s, FW, "2024")
            return service.submit(s, cycle, None, service.ValueInput(I1, 50 + i, evidence=f"thread {i}")).id

    results = _race(4, act)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | workflow.IllegalTransition | workflow.Conflict) for r in results), results
    with mon.session(SYSTEM) as s:
        subs = s.scalars(select(Submission).where(Submission.indicator.has(code=I1))).all()
        ob = s.scalar(select(Obligation).where(Obligation.indicator.has(code=I1)))
        assert len(subs) == 1 and ob.status == "submitted" and ob.version == 2


def test_a_stale_form_is_refused_by_its_version(mon):
    """The reviewer read version 1 (a web form, a printed list); someone verified meanwhile."""
    sub_id = report(mon, "KP", I1, value=55, verify=False)
    with mon.session(REVIEWER) as s:
        seen = service.get_submission(s, sub_id).version
    with mon.session(SECOND_REVIEWER) as s:
        service.return_submission(s, sub_id, "check the source", expected_version=seen)
    with pytest.raises(workflow.Conflict, match="changed since you read it"), mon.session(REVIEWER) as s:
        service.verify(s, sub_id, expected_version=seen)
    with mon.session(SYSTEM) as s:
        assert s.get(Submission, sub_id).state == "returned"


def test_interleaved_transactions_collide_on_the_version_column(mon):
    """Two open transactions read the same row; the second write finds the version moved and is refused."""
    if mon.dialect == "sqlite":
        pytest.skip(
            "SQLite serialises writers with BEGIN IMMEDIATE: two write transactions cannot interleave"
        )
    sub_id = report(mon, "KP", I1, value=55, verify=False)
    with pytest.raises(workflow.Conflict):  # noqa: SIM117  (the nesting is the point of the test)
        with mon.session(REVIEWER) as first, mon.session(SECOND_REVIEWER) as second:
            a = service.get_submission(first, sub_id)
            b = service.get_submission(second, sub_id)
            assert a.version == b.version == 1
            service.verify(first, sub_id)
            first.commit()
            service.return_submission(second, sub_id, "too late: already verified by the other reviewer")
    with mon.session(SYSTEM) as s:
        sub = s.get(Submission, sub_id)
        assert (sub.state, sub.version, [e.action for e in sub.events]) == (
            "verified",
            2,
            ["submit", "verify"],
        )
