"""Scoring, checked against hand computation: YAML scenarios, doctests, and a whole framework end to end."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import pytest
import yaml
from tests.helpers import ANALYST, FIXTURES, PUBLIC
from tests.monitoring_support import BAND, FW, I1, I2, M1, M2, SECRETISH, report, setup_cycles

from nigran.monitoring import cycles, progress
from nigran.monitoring.scorecards import compare_cycles, overdue_items, scorecard
from nigran.monitoring.scoring import score_framework

SCENARIOS = yaml.safe_load((FIXTURES / "scoring-scenarios.yaml").read_text(encoding="utf-8"))
DOCS = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"


@pytest.mark.parametrize("case", SCENARIOS, ids=[c["name"] for c in SCENARIOS])
def test_indicator_scenarios(case):
    if case["direction"] == "maintain":
        score = progress.band_score(case["value"], *case["band"])
    else:
        base, when = case["baseline"]
        expected, _ = progress.expected_target(base, when, sorted(case["targets"].items()), case["at"])
        assert expected == pytest.approx(case["expected"], abs=1e-6)
        score = progress.progress(case["direction"], base, expected, case["value"])
    assert score == pytest.approx(case["score"], abs=1e-6)
    assert progress.status_for(score) == case["status"]


@pytest.mark.parametrize("module", [progress, cycles])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_methodology_worked_examples_run():
    result = doctest.testfile(str(DOCS), module_relative=False, globs={"date": date})
    assert result.attempted >= 5 and result.failed == 0


AS_OF = date(2025, 6, 30)  # the 2024 cycle's deadline (2025-03-01) has passed


@pytest.fixture
def scored(db):  # type: ignore[no-untyped-def]
    """MON-T with hand-checkable values: 2023 (one value); 2024 (nearly all, one late, one missing)."""
    setup_cycles(db)
    on_time, late = date(2025, 2, 15), date(2025, 3, 20)
    report(db, "KP", I1, value=45, cycle="2023", on=date(2024, 2, 1))
    ids = {
        I1: report(db, "KP", I1, value=55, on=on_time),
        I2: report(db, "MOI", I2, value=900, on=late),
        M1: report(db, "KP", M1, status="completed", on=on_time),
        M2: report(db, "KP", M2, status="in_progress", on=on_time),
        BAND: report(db, "NSD", BAND, value=3, on=on_time),
        SECRETISH: report(db, "MOI", SECRETISH, value=4, on=on_time),
    }  # NSD's no-target indicator is never reported: missing
    return db, ids


def test_framework_score_by_hand(scored):
    db, ids = scored
    with db.session(ANALYST) as s:
        fs = score_framework(s, FW, "2024", as_of=AS_OF)
    i1, i2, m1, m2 = (fs.find(c) for c in (I1, I2, M1, M2))
    assert (i1.score, i1.status, i1.expected, i1.submission_ids) == (0.75, "on_track", 60, [ids[I1]])
    assert (i2.score, i2.status) == (0.5, "at_risk")
    assert (m1.score, m1.weight, m2.score, m2.status) == (1.0, 0.5, 0.5, "on_track")
    o1 = fs.find("MON-T.S1.O1")
    assert o1.score == pytest.approx((0.75 + 0.5 + 0.5 * 1.0 + 0.5 * 0.5) / 3)  # 2/3
    assert (o1.status, o1.achieved) == ("at_risk", False)
    o2 = fs.find("MON-T.S1.O2")
    assert (o2.score, o2.achieved, o2.completeness) == (1.0, True, 0.5)  # band met; no-target has no value
    s1, s2 = fs.find("MON-T.S1"), fs.find("MON-T.S2")
    assert s1.score == pytest.approx((2 / 3 + 1.0) / 2)
    assert s2.score == pytest.approx(0.4) and s2.classification == "RESTRICTED"
    assert fs.score == pytest.approx((2 * (5 / 6) + 0.4) / 3)  # section weights 2 and 1
    assert (fs.objectives_achieved, fs.share_objectives_achieved) == (1, pytest.approx(1 / 3))
    assert fs.completeness == pytest.approx(6 / 7)
    assert fs.timeliness == pytest.approx(5 / 7)  # MOI's I2 late, NSD's no-target value missing
    assert fs.classification == "RESTRICTED"


def test_public_figures_come_from_public_records_alone(scored):
    db, _ = scored
    with db.session(PUBLIC) as s:
        fs = score_framework(s, FW, "2024", as_of=AS_OF)
    assert [sec.code for sec in fs.sections] == ["MON-T.S1"]
    assert fs.score == pytest.approx(5 / 6) and fs.share_objectives_achieved == pytest.approx(1 / 2)
    assert fs.timeliness == pytest.approx(4 / 6) and fs.classification == "PUBLIC"


def test_scorecards_by_entity_and_province(scored):
    db, _ = scored
    with db.session(ANALYST) as s:
        fs = score_framework(s, FW, "2024", as_of=AS_OF)
    entities = {r.code: r for r in scorecard(fs, "entity")}
    assert set(entities) == {"KP", "MOI", "NSD"}
    kp = entities["KP"]
    assert kp.score == pytest.approx((0.75 + 0.5 * 1.0 + 0.5 * 0.5) / 2) and kp.timeliness == 1.0
    assert entities["MOI"].timeliness == 0.5 and entities["NSD"].overdue == 1
    assert set(kp.drill) == {I1, M1, M2}
    provinces = scorecard(fs, "province")
    assert [(r.code, r.score) for r in provinces] == [("KP", kp.score)]  # federal entities belong to none
    sections = scorecard(fs, "section")
    assert [r.counts["achieved"] for r in sections] == [1, 0]


def test_change_since_the_last_cycle(scored):
    db, _ = scored
    with db.session(ANALYST) as s:
        cmp = compare_cycles(s, FW, "2024", as_of=AS_OF)
    assert cmp.previous is not None and cmp.previous.cycle.code == "2023"
    o1 = next(c for c in cmp.changes if c.code == "MON-T.S1.O1")
    assert o1.before == pytest.approx(0.375342, abs=1e-6)  # the interpolated 2023 expectation
    assert o1.after == pytest.approx(2 / 3) and o1.delta == pytest.approx(2 / 3 - 0.375342, abs=1e-6)
    assert cmp.share_achieved_change == pytest.approx(1 / 3)


def test_stale_values_count_as_no_data_but_completed_milestones_stay_completed(scored):
    db, _ = scored
    with db.session(ANALYST) as s:
        fs = score_framework(s, FW, "2025", as_of=AS_OF)  # a virtual cycle: nothing reported for 2025
    assert fs.cycle.id is None and fs.find(I1).status == "no_data"
    assert fs.find(M1).status == "achieved" and fs.find(M2).status == "no_data"
    assert fs.timeliness is None


def test_overdue_and_late_items(scored):
    db, ids = scored
    with db.session(ANALYST) as s:
        items = overdue_items(s, FW, AS_OF)
    got = {(i.entity, i.item_code, i.state, i.cycle) for i in items}
    assert ("NSD", "MON-T.S1.O2.I2", "missing", "2024") in got
    assert ("MOI", I2, "late", "2024") in got
    late = next(i for i in items if i.state == "late")
    assert late.days == 19 and late.submission_id == ids[I2]
    missing = next(i for i in items if i.state == "missing" and i.cycle == "2024")
    assert missing.days == (AS_OF - date(2025, 3, 1)).days and "Reminder to NSD" in missing.reminder


def test_the_structure_cache_forgets_a_register_change_in_the_same_transaction(scored):
    from sqlalchemy import select
    from tests.monitoring_support import SYSTEM

    from nigran.policy.models import Indicator

    db, _ = scored
    with db.session(SYSTEM) as s:
        assert score_framework(s, FW, "2024", as_of=AS_OF).find(I1).score == 0.75  # type: ignore[union-attr]
        s.scalar(select(Indicator).where(Indicator.code == I1)).baseline_value = 50
        s.flush()
        assert score_framework(s, FW, "2024", as_of=AS_OF).find(I1).score == 0.5  # type: ignore[union-attr]
