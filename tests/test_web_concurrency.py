"""Many submissions and verifications at once through the web API, on PostgreSQL: no update is lost.

Focal persons of four entities submit all their values at the same moment (one thread and one client each,
authenticated by API token), then three reviewers race to verify every submission at once. Afterwards the
database must agree with what the API answered: every submission the API accepted exists once; each one was
verified by exactly one reviewer (who got 200; the others 409, never a 5xx); the submission, its obligation,
its workflow history and the audit trail all name that reviewer; and the audit chain still verifies.

SQLite serialises writers, so the race this checks does not arise there (``tests/test_monitoring_concurrency
.py`` covers its queueing); the test runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web_support import app_for

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.audit.models import AuditEntry
from nigran.audit.verify import verify_chain
from nigran.monitoring.models import Obligation, Submission, SubmissionEvent
from nigran.storage.db import Database

FW = "RACE-FW"
ENTITIES = ("MOI", "KP", "PB", "SD")
PER_ENTITY = 6
REVIEWERS = ("rev-1", "rev-2", "rev-3")


def _document() -> dict[str, Any]:
    indicators = [
        {
            "code": f"{FW}.S1.O1.I{n}",
            "name": f"Race indicator {n}",
            "unit": "count",
            "direction": "increase",
            "baseline": {"value": 0, "date": date(2023, 12, 31)},
            "targets": {2025: 100},
            "responsible": [{"entity": ENTITIES[n % len(ENTITIES)], "role": "lead"}],
        }
        for n in range(len(ENTITIES) * PER_ENTITY)
    ]
    return {
        "framework": {
            "code": FW,
            "title": "Concurrency test framework",
            "period": {"start": date(2024, 1, 1), "end": date(2026, 12, 31)},
            "sections": [
                {
                    "code": f"{FW}.S1",
                    "title": "Section",
                    "objectives": [{"code": f"{FW}.S1.O1", "title": "Objective", "indicators": indicators}],
                }
            ],
        }
    }


def _setup(db: Database, store: Any) -> dict[str, str]:
    """The framework, cycle 2025, one focal person per entity and three reviewers; their API tokens."""
    from nigran.access.service import add_user
    from nigran.monitoring import service as mon
    from nigran.policy.service import load_document

    users: dict[str, int] = {}
    with db.session(Principal.system()) as s:
        fw = load_document(s, _document(), "race")
        mon.generate_obligations(s, fw, mon.create_cycle(s, FW, "2025"))
        for entity in ENTITIES:
            name = f"focal-{entity.lower()}"
            users[name] = add_user(
                s, name, role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code=entity
            ).id
        for name in REVIEWERS:
            users[name] = add_user(s, name, role=Role.REVIEWER, clearance=Classification.SECRET).id
    return {name: store.create_token(user_id, "race") for name, user_id in users.items()}


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # reported by the assertions, with the others
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.mark.slow
def test_concurrent_submissions_and_verifications_lose_no_update(db: Database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the concurrent race needs PostgreSQL")
    app = app_for(db)
    tokens = _setup(db, app.state.auth)

    def client(user: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.headers["Authorization"] = f"Bearer {tokens[user]}"
        return c

    # 1. every focal person submits all their entity's values at once, each value in its own request
    def submit_all(entity: str) -> list[tuple[int, dict[str, Any], float]]:
        c, out = client(f"focal-{entity.lower()}"), []
        for n in range(ENTITIES.index(entity), len(ENTITIES) * PER_ENTITY, len(ENTITIES)):
            body = {"framework": FW, "cycle": "2025", "item": f"{FW}.S1.O1.I{n}", "value": n + 1}
            r = c.post("/api/submissions", json=body | {"evidence": f"race evidence {n}"})
            out.append((r.status_code, r.json() if r.status_code < 500 else {"text": r.text}, n + 1.0))
        return out

    submitted = _race([lambda e=e: submit_all(e) for e in ENTITIES])
    answers = [a for result in submitted for a in (result if isinstance(result, list) else [(0, result, 0)])]
    assert all(status == 201 for status, _, _ in answers), [a for a in answers if a[0] != 201]
    sent = {int(body["id"]): value for _, body, value in answers}
    ids = sorted(sent)
    assert len(set(ids)) == len(ENTITIES) * PER_ENTITY

    # 2. three reviewers verify every submission at the same moment
    def verify(reviewer: str, sub_id: int, c: TestClient) -> tuple[str, int, int]:
        return reviewer, sub_id, c.post(f"/api/submissions/{sub_id}/verify", json={}).status_code

    clients = {name: client(name) for name in REVIEWERS}
    jobs = [lambda r=r, i=i: verify(r, i, clients[r]) for i in ids for r in REVIEWERS]
    outcomes = [o for chunk in range(0, len(jobs), 12) for o in _race(jobs[chunk : chunk + 12])]
    assert all(isinstance(o, tuple) for o in outcomes), [o for o in outcomes if not isinstance(o, tuple)]
    statuses = Counter(status for _, _, status in outcomes)
    assert set(statuses) <= {200, 409}, f"verifications answered {dict(statuses)}: only 200 and 409 are right"
    winner: dict[int, str] = {}
    for reviewer, sub_id, status in outcomes:
        if status == 200:
            assert sub_id not in winner, f"submission {sub_id} verified twice ({winner[sub_id]}, {reviewer})"
            winner[sub_id] = reviewer
    assert sorted(winner) == ids, "some submissions were verified by nobody"

    # 3. the database agrees with the answers, and so does the audit trail
    with db.session(Principal.system(), readonly=True) as s:
        subs = {sub.id: sub for sub in s.scalars(select(Submission).where(Submission.id.in_(ids)))}
        for sub_id, reviewer in winner.items():
            sub = subs[sub_id]
            assert (sub.state, sub.verified_by, sub.value) == ("verified", reviewer, sent[sub_id]), sub_id
            verifies = [
                e.actor
                for e in s.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == sub_id))
                if e.action == "verify"
            ]
            assert verifies == [reviewer], (sub_id, verifies)
        obligations = s.scalars(
            select(Obligation).where(Obligation.id.in_({x.obligation_id for x in subs.values()}))
        )
        assert {o.status for o in obligations} == {"verified"}
        trail = s.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "submission", AuditEntry.action == "update")
        )
        audited = Counter(
            (int(e.record_id), e.actor) for e in trail if (e.after or {}).get("state") == "verified"
        )
        assert audited == Counter(winner.items()), "the audit trail disagrees with the verifications"
        assert verify_chain(s.connection()).ok
