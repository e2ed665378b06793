"""The demo's reporting history: labelled illustrative, mixed, traceable, and built only once."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.helpers import ADMIN, PUBLIC
from tests.monitoring_support import SYSTEM

from nigran.monitoring.demo import seed_demo_submissions
from nigran.monitoring.models import Submission
from nigran.monitoring.scorecards import overdue_items
from nigran.monitoring.scoring import score_framework


def test_demo_submissions_give_a_plausible_mixed_picture(demo_db):
    with demo_db.session(ADMIN) as s:
        subs = s.scalars(select(Submission)).all()
        assert subs and all(x.illustrative and "DEMO" in (x.evidence or "") for x in subs)
        states = {x.state for x in subs}
        assert {"verified", "returned", "submitted"} <= states
        fs = score_framework(s, "NSP-2022", "2025")
        assert fs.score is not None and 0.05 < fs.share_objectives_achieved < 0.5  # type: ignore[operator]
        assert {"achieved", "on_track", "at_risk", "off_track"} <= {o.status for o in fs.objectives()}
        assert 0.5 < fs.completeness < 1 and 0.5 < fs.timeliness < 1  # type: ignore[operator]
        states_due = {i.state for i in overdue_items(s, "NSP-2022")}
        assert {"missing", "returned", "late"} <= states_due
        leaf = next(i for i in fs.indicators() if i.evidence and i.aggregation == "stock")
        assert s.get(Submission, leaf.submission_ids[0]).value == leaf.value
    with demo_db.session(PUBLIC) as s:
        public = score_framework(s, "NSP-2022", "2025")
        assert len(public.objectives()) < len(fs.objectives())


def test_seeding_again_adds_nothing(demo_db):
    with demo_db.session(SYSTEM) as s:
        before = s.scalar(select(func.count(Submission.id)))
        assert seed_demo_submissions(s) == 0
        assert s.scalar(select(func.count(Submission.id))) == before
