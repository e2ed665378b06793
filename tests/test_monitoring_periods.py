"""Periods match targets: a quarter's value is judged by how the indicator aggregates (flow, stock, rate)."""

from __future__ import annotations

import doctest
from datetime import date

import pytest
from sqlalchemy import select
from tests.helpers import ANALYST, REVIEWER, focal, load_fixture

from nigran.core.problems import InvalidInput
from nigran.monitoring import periods, service
from nigran.monitoring.scoring import score_framework
from nigran.policy import enums
from nigran.policy.models import Indicator
from nigran.policy.service import export_document
from nigran.policy.validate import validate_document

FW = "MON-P"
AS_OF = date(2026, 6, 30)


@pytest.fixture
def periods_db(db):  # type: ignore[no-untyped-def]
    load_fixture(db, "monitoring-periods.yaml")
    with db.session(ANALYST) as s:
        service.create_cycles(s, FW, years=[2025])
    return db


def _report(db, code: str, cycle: str, value: float) -> int:  # type: ignore[no-untyped-def]
    with db.session(focal(db, "KP")) as s:
        sub = service.submit(
            s, service.get_cycle(s, FW, cycle), None, service.ValueInput(code, value, evidence="r")
        )
        sub_id = sub.id
    with db.session(REVIEWER) as s:
        service.verify(s, sub_id)
    return sub_id


def _score(db, cycle: str, code: str):  # type: ignore[no-untyped-def]
    with db.session(ANALYST) as s:
        return score_framework(s, FW, cycle, as_of=AS_OF).find(code)


def test_145_deaths_in_one_quarter_is_not_an_annual_target_of_297_achieved(periods_db):
    _report(periods_db, "MON-P.FLOW", "2025-Q2", 145)
    for cycle in ("2025-Q2", "2025"):
        ind = _score(periods_db, cycle, "MON-P.FLOW")
        assert ind.aggregation == "flow"
        assert ind.expected == 297  # the year's target, not a point on the line to it
        assert ind.value == pytest.approx(145 * 365 / 91)  # a pace of 582 deaths a year
        assert (ind.score, ind.status) == (0.0, "off_track")  # worse than the baseline of 400
        assert "at this pace" in ind.basis and "91 of 365 days" in ind.basis


def test_a_years_quarters_add_up_to_the_year(periods_db):
    ids = [
        _report(periods_db, "MON-P.FLOW", q, v)
        for q, v in (("2025-Q1", 70), ("2025-Q2", 75), ("2025-Q3", 80), ("2025-Q4", 72))
    ]
    ind = _score(periods_db, "2025", "MON-P.FLOW")
    assert ind.value == 297 and (ind.score, ind.status) == (1.0, "achieved")
    assert ind.submission_ids == ids and "total 297 for the year" in ind.basis
    half = _score(periods_db, "2025-Q2", "MON-P.FLOW")  # Q1 + Q2 = 145 over 181 days
    assert half.value == pytest.approx(145 * 365 / 181) and half.submission_ids == ids[:2]


def test_a_years_own_value_wins_over_its_quarters(periods_db):
    _report(periods_db, "MON-P.FLOW", "2025-Q1", 200)
    annual = _report(periods_db, "MON-P.FLOW", "2025", 310)
    ind = _score(periods_db, "2025", "MON-P.FLOW")
    assert ind.value == 310 and ind.submission_ids == [annual]


def test_a_rate_is_averaged_over_the_days_it_covers_and_a_stock_is_its_latest_level(periods_db):
    _report(periods_db, "MON-P.RATE", "2025-Q1", 50)
    _report(periods_db, "MON-P.RATE", "2025-Q2", 60)
    _report(periods_db, "MON-P.STOCK", "2025-Q1", 120)
    _report(periods_db, "MON-P.STOCK", "2025-Q2", 150)
    rate = _score(periods_db, "2025-Q2", "MON-P.RATE")
    assert rate.aggregation == "rate" and rate.value == pytest.approx((50 * 90 + 60 * 91) / 181)
    stock = _score(periods_db, "2025-Q2", "MON-P.STOCK")
    assert (stock.aggregation, stock.value, stock.basis) == ("stock", 150, None)
    assert stock.expected == pytest.approx(100 + 100 * 181 / 365)  # the target in force on 30 June


def test_a_stated_aggregation_overrides_the_unit_and_survives_export(periods_db):
    _report(periods_db, "MON-P.STATED", "2025-Q2", 145)
    ind = _score(periods_db, "2025-Q2", "MON-P.STATED")
    assert ind.aggregation == "stock" and ind.value == 145  # the register said so: a level, scored as such
    with periods_db.session(ANALYST) as s:
        stated = s.scalar(select(Indicator).where(Indicator.code == "MON-P.STATED"))
        flow = s.scalar(select(Indicator).where(Indicator.code == "MON-P.FLOW"))
        assert (stated.aggregation, flow.aggregation, flow.aggregation_rule) == ("stock", None, "flow")
        doc = export_document(s, FW)
    indicators = doc["framework"]["sections"][0]["objectives"][0]["indicators"]
    assert [i.get("aggregation") for i in indicators] == [None, None, None, "stock"]


def test_an_unknown_aggregation_is_refused_with_its_line():
    from nigran.core.yamldoc import load_yaml

    text = (
        "format: nigran-framework/1\nframework:\n  code: X\n  title: X\n"
        "  period: {start: 2025-01-01, end: 2025-12-31}\n  sections:\n    - code: X.S\n      title: S\n"
        "      objectives:\n        - code: X.O\n          title: O\n          indicators:\n"
        "            - code: X.I\n              name: I\n              unit: deaths per year\n"
        "              aggregation: sum\n"
    )
    problems = validate_document(load_yaml(text), "x.yaml", set())
    assert any(
        p.line == 16 and "aggregation 'sum' is not one of flow, stock, rate" in p.message for p in problems
    )


def test_default_aggregation_follows_the_unit():
    assert enums.default_aggregation("operations per year") == "flow"  # 'operations' holds 'ratio'
    assert enums.default_aggregation("percent per year") == "rate"
    assert enums.default_aggregation("seminaries (cumulative)") == "stock"


def test_the_template_says_what_period_each_value_covers(periods_db):
    from nigran.monitoring.excel import IND_COLS, build_template

    with periods_db.session(focal(periods_db, "KP")) as s:
        wb = build_template(s, FW, "2025-Q2", "KP")
    ws = wb["Indicators"]
    col = IND_COLS.index("Value covers") + 1
    covers = {ws.cell(r, 1).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    assert covers["MON-P.FLOW"] == "2025-Q2: 1 Apr–30 Jun 2025, the quarter's total"
    assert covers["MON-P.STOCK"] == "2025-Q2: the level on 30 Jun 2025"
    assert covers["MON-P.RATE"] == "2025-Q2: 1 Apr–30 Jun 2025, the quarter's average"
    assert covers["MON-P.STATED"] == "2025-Q2: the level on 30 Jun 2025"


def test_periods_doctests():
    for module in (periods, enums):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


def test_refused_when_nothing_was_reported_this_year(periods_db):
    ind = _score(periods_db, "2025-Q2", "MON-P.FLOW")
    assert (ind.value, ind.status, ind.reason) == (None, "no_data", "no verified value")
    with pytest.raises(InvalidInput):
        _report(periods_db, "MON-P.FLOW", "2025-Q2", float("inf"))
