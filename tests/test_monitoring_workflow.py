"""The submission workflow: every transition, refusals, history, roles, entity ownership and clearance."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from tests.helpers import ADMIN, ANALYST, PUBLIC, REVIEWER, focal
from tests.monitoring_support import FW, I1, I2, M1, SECRETISH, SYSTEM, report, setup_cycles

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.core.problems import InvalidInput
from nigran.monitoring import service, workflow
from nigran.monitoring.models import Obligation, Submission, SubmissionEvent
from nigran.monitoring.score_output import to_dict
from nigran.monitoring.scorecards import overdue_items, scorecard
from nigran.monitoring.scoring import score_framework


@pytest.fixture
def mon(db):  # type: ignore[no-untyped-def]
    setup_cycles(db)
    return db


def _sub(db, sub_id):  # type: ignore[no-untyped-def]
    with db.session(SYSTEM) as s:
        sub = s.get(Submission, sub_id)
        return (
            sub.state,
            sub.version,
            [(e.action, e.from_state, e.to_state, e.actor, e.value) for e in sub.events],
        )


def test_draft_submit_return_resubmit_verify_keeps_every_step(mon):
    kp = focal(mon, "KP")
    with mon.session(kp) as s:
        cycle = service.get_cycle(s, FW, "2024")
        sub = service.submit(s, cycle, None, service.ValueInput(I1, 50), draft=True)
        sub_id = sub.id
    with mon.session(kp) as s:
        service.transition(s, sub_id, "edit", changes=service.ValueInput(I1, 52, evidence="KP letter 1"))
    with mon.session(kp) as s:
        service.transition(s, sub_id, "submit")
    with mon.session(REVIEWER) as s:
        service.return_submission(s, sub_id, "figure disagrees with the annual report")
    with mon.session(kp) as s:
        service.resubmit(s, sub_id, service.ValueInput(I1, 55, evidence="KP annual report p. 12"))
    with mon.session(REVIEWER) as s:
        sub = service.verify(s, sub_id)
        assert (sub.verified_by, sub.value, sub.obligation.status) == ("reviewer", 55, "verified")
    state, version, events = _sub(mon, sub_id)
    assert state == "verified" and version == 6
    assert events == [
        ("draft", None, "draft", "focal-KP", 50),
        ("edit", "draft", "draft", "focal-KP", 52),
        ("submit", "draft", "submitted", "focal-KP", 52),
        ("return", "submitted", "returned", "reviewer", 52),
        ("resubmit", "returned", "resubmitted", "focal-KP", 55),
        ("verify", "resubmitted", "verified", "reviewer", 55),
    ]
    with mon.session(SYSTEM) as s:
        comment = s.scalar(select(SubmissionEvent.comment).where(SubmissionEvent.action == "return"))
    assert comment == "figure disagrees with the annual report"


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("submitted", "resubmit"),
        ("submitted", "edit"),
        ("verified", "verify"),
        ("verified", "return"),
        ("verified", "resubmit"),
        ("returned", "verify"),
        ("returned", "submit"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(mon, setup, action):
    sub_id = report(mon, "KP", I1, value=55, verify=setup != "submitted")
    if setup == "returned":
        sub_id = report(mon, "KP", M1, status="completed", verify=False)
        with mon.session(REVIEWER) as s:
            service.return_submission(s, sub_id, "no evidence")
    before = _sub(mon, sub_id)
    who = REVIEWER if action in ("verify", "return") else focal(mon, "KP")
    with pytest.raises(workflow.IllegalTransition, match="allowed from"), mon.session(who) as s:
        service.transition(s, sub_id, action, comment="x")
    assert _sub(mon, sub_id) == before


def test_return_needs_a_comment(mon):
    sub_id = report(mon, "KP", I1, value=55, verify=False)
    with pytest.raises(InvalidInput, match="comment"), mon.session(REVIEWER) as s:
        service.return_submission(s, sub_id, "  ")


def test_roles_focal_persons_cannot_verify_reviewers_cannot_submit_and_four_eyes(mon):
    sub_id = report(mon, "KP", I1, value=55, verify=False)
    with pytest.raises(AccessDenied, match="may not verify"), mon.session(focal(mon, "KP")) as s:
        service.verify(s, sub_id)
    with pytest.raises(AccessDenied, match="may not submit"), mon.session(REVIEWER) as s:
        service.submit(s, service.get_cycle(s, FW, "2024"), "MOI", service.ValueInput(I2, 900, evidence="x"))
    with pytest.raises(AccessDenied, match="may not submit"), mon.session(ANALYST) as s:  # docs/access.md
        service.submit(s, service.get_cycle(s, FW, "2024"), "MOI", service.ValueInput(I2, 900, evidence="x"))
    with pytest.raises(AccessDenied, match="may not verify"), mon.session(ANALYST) as s:
        service.verify(s, sub_id)
    with mon.session(ADMIN) as s:
        own_id = service.submit(
            s, service.get_cycle(s, FW, "2024"), "MOI", service.ValueInput(I2, 900, evidence="x")
        ).id
    with pytest.raises(AccessDenied, match="four eyes"), mon.session(ADMIN) as s:
        service.verify(s, own_id)


def test_four_eyes_cover_everyone_who_drafted_or_edited_not_only_the_last_submitter(mon):
    """An administrator drafts a value, KP's focal person sends it: the administrator may still not verify."""
    with mon.session(ADMIN) as s:
        draft = service.submit(
            s, service.get_cycle(s, FW, "2024"), "KP", service.ValueInput(I1, 55, evidence="x"), draft=True
        )
        sub_id = draft.id
    with mon.session(focal(mon, "KP")) as s:
        service.transition(s, sub_id, "submit")
    with mon.session(ADMIN) as s:
        assert service.get_submission(s, sub_id).submitted_by == "focal-KP"
    with pytest.raises(AccessDenied, match="drafted, submitted or edited"), mon.session(ADMIN) as s:
        service.verify(s, sub_id)
    with mon.session(REVIEWER) as s:
        assert service.verify(s, sub_id).state == "verified"


def test_a_focal_person_reports_only_for_their_own_entity(mon):
    kp = focal(mon, "KP")
    with pytest.raises(AccessDenied, match="own entity"), mon.session(kp) as s:
        service.submit(s, service.get_cycle(s, FW, "2024"), "MOI", service.ValueInput(I2, 900, evidence="x"))
    with pytest.raises(InvalidInput, match=r"not responsible for MON-T\.S1\.O1\.I2"), mon.session(kp) as s:
        service.submit(s, service.get_cycle(s, FW, "2024"), None, service.ValueInput(I2, 900, evidence="x"))
    sub_id = report(mon, "MOI", I2, value=900, verify=False)
    with pytest.raises(AccessDenied), mon.session(kp) as s:  # nor touch MOI's submission
        s.get(Submission, sub_id).note = "changed by KP"
        s.flush()
    assert _sub(mon, sub_id)[0] == "submitted"


def test_a_second_open_submission_for_the_same_item_is_refused_and_a_correction_supersedes(mon):
    first = report(mon, "KP", I1, value=55, verify=False)
    with (
        pytest.raises(workflow.IllegalTransition, match="already has submission"),
        mon.session(focal(mon, "KP")) as s,
    ):
        service.submit(s, service.get_cycle(s, FW, "2024"), None, service.ValueInput(I1, 56, evidence="x"))
    with mon.session(REVIEWER) as s:
        service.verify(s, first)
    second = report(mon, "KP", I1, value=57)
    with mon.session(SYSTEM) as s:
        old, new = s.get(Submission, first), s.get(Submission, second)
        assert (old.state, old.value, new.supersedes_id) == ("verified", 55, first)  # nothing overwritten
    with mon.session(ANALYST) as s:
        assert score_framework(s, FW, "2024").find(I1).value == 57  # type: ignore[union-attr]


def test_only_verified_values_count(mon):
    sub_id = report(mon, "KP", I1, value=55, verify=False)
    with mon.session(ANALYST) as s:
        assert score_framework(s, FW, "2024").find(I1).status == "no_data"  # type: ignore[union-attr]
    with mon.session(REVIEWER) as s:
        service.verify(s, sub_id)
    with mon.session(ANALYST) as s:
        node = score_framework(s, FW, "2024").find(I1)
        assert node.status == "on_track" and node.submission_ids == [sub_id]  # type: ignore[union-attr]


def test_validation_names_each_field(mon):
    with pytest.raises(InvalidInput) as caught, mon.session(focal(mon, "KP")) as s:
        cycle = service.get_cycle(s, FW, "2024")
        service.submit(
            s, cycle, None, service.ValueInput(I1, 140, period_end=cycle.period_end.replace(year=2025))
        )
    text = str(caught.value)
    for expected in (
        "value: 140 is out of range for percent: must be [0, 100]",
        "period: the period",
        "evidence: evidence is required",
    ):
        assert expected in text


CANARY_NOTE = "CANARY-MON-SUBMISSION-NOTE"
CANARY_VALUE = 4242.4242


def test_public_reader_never_sees_restricted_submissions_their_counts_or_their_values(mon):
    restricted = report(mon, "MOI", SECRETISH, value=CANARY_VALUE, note=CANARY_NOTE)
    public = report(mon, "KP", I1, value=55)
    # A PUBLIC indicator's value raised to RESTRICTED by its reporter is hidden from the public too.
    with mon.session(focal(mon, "MOI")) as s:
        data = service.ValueInput(
            I2, 900.5, evidence="MOI secret annex", note=CANARY_NOTE, classification=Classification.RESTRICTED
        )
        raised = service.submit(s, service.get_cycle(s, FW, "2024"), None, data).id
    with mon.session(REVIEWER) as s:
        service.verify(s, raised)
    with mon.session(PUBLIC) as s:
        assert s.get(Submission, restricted) is None and s.get(Submission, raised) is None
        assert s.get(Submission, public) is not None
        assert s.scalar(select(func.count(Submission.id))) == 1
        assert s.scalar(select(func.count(SubmissionEvent.id))) == 2
        assert all(o.classification == Classification.PUBLIC for o in s.scalars(select(Obligation)))
        fs = score_framework(s, FW, "2024")
        dumped = json.dumps(to_dict(fs), default=str)
        dumped += json.dumps(
            [r.__dict__ for by in ("section", "objective", "entity", "province") for r in scorecard(fs, by)],
            default=str,
        )
        dumped += json.dumps([i.__dict__ for i in overdue_items(s, FW)], default=str)
        assert fs.find(I2).status == "no_data"  # type: ignore[union-attr]
    for canary in (CANARY_NOTE, str(CANARY_VALUE), "900.5", "MON-T.S2", "CANARY-MON-RESTRICTED"):
        assert canary not in dumped
    with mon.session(ANALYST) as s:
        analyst_view = json.dumps(to_dict(score_framework(s, FW, "2024")), default=str)
    assert str(CANARY_VALUE) in analyst_view and "900.5" in analyst_view  # the check above can fail


def test_a_submission_is_never_less_classified_than_its_indicator(mon):
    sub_id = report(mon, "MOI", SECRETISH, value=3)
    with mon.session(SYSTEM) as s:
        assert s.get(Submission, sub_id).classification == Classification.RESTRICTED
    with pytest.raises(AccessDenied, match="never less classified"), mon.session(ANALYST) as s:
        s.get(Submission, sub_id).classification = Classification.PUBLIC
        s.flush()


def test_only_the_system_may_back_date_a_step(mon):
    with pytest.raises(AccessDenied, match="past date"), mon.session(focal(mon, "KP")) as s:
        from tests.monitoring_support import stamp

        cycle = service.get_cycle(s, FW, "2024")
        service.submit(s, cycle, None, service.ValueInput(I1, 5, evidence="x"), at=stamp(cycle.period_end))


def test_a_restricted_correction_hides_behind_the_public_value_for_the_public(mon):
    """The newest value is picked among the rows the reader may see, not among all rows."""
    report(mon, "KP", I1, value=50)
    with mon.session(focal(mon, "KP")) as s:
        data = service.ValueInput(
            I1, 58, evidence="restricted survey", classification=Classification.RESTRICTED
        )
        corrected = service.submit(s, service.get_cycle(s, FW, "2024"), None, data).id
    with mon.session(REVIEWER) as s:
        service.verify(s, corrected)
    with mon.session(PUBLIC) as s:
        public_view = score_framework(s, FW, "2024").find(I1)
    with mon.session(ANALYST) as s:
        cleared_view = score_framework(s, FW, "2024").find(I1)
    assert (public_view.value, public_view.score) == (50, 0.5)  # type: ignore[union-attr]
    assert (cleared_view.value, cleared_view.score) == (58, 0.9)  # type: ignore[union-attr]
    assert cleared_view.submission_ids == [corrected]  # type: ignore[union-attr]
