"""The risk index: normalisation, aggregation, missing data, clearance, duplicates, forecasts, sensitivity."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import InvalidInput, NotFound
from nigran.incidents.models import Incident
from nigran.risk import index as idx
from nigran.risk import sensitivity as sens
from nigran.storage.db import Database

DOC = Path(__file__).resolve().parents[1] / "docs" / "risk.md"


def test_scores_are_min_max_between_documented_bounds() -> None:
    spec = idx.SPEC_BY_NAME
    assert spec["fatalities_12m"].score(0) == 0 and spec["fatalities_12m"].score(1000) == 10
    assert spec["fatalities_12m"].score(5000) == 10  # capped
    assert spec["fatalities_12m"].score(31) == pytest.approx(10 * math.log10(32) / math.log10(1001), abs=1e-4)
    assert spec["literacy_pct"].score(40) == 6  # inverted: illiteracy
    assert spec["density_per_km2"].score(100) == pytest.approx(
        10 / 3, abs=1e-4
    )  # log10 between 10 and 10,000
    assert spec["border_any"].score(None) is None


def test_aggregation_geometric_missing_components_and_dimensions() -> None:
    scores = {s.name: None for s in idx.SPECS}
    scores.update(fatalities_12m=8.0, incidents_12m=4.0, mpi_headcount_pct=5.0, distance_to_capital_km=2.0)
    dims, risk = idx.aggregate(scores)
    assert dims == {"threat": 6.0, "vulnerability": 5.0, "coping": 2.0}  # means over the available only
    assert risk == pytest.approx((6.0 * 5.0 * 2.0) ** (1 / 3), abs=1e-4)
    _, arithmetic = idx.aggregate(scores, aggregation="arithmetic")
    assert arithmetic == pytest.approx(13 / 3, abs=1e-4)
    scores["distance_to_capital_km"] = None
    dims, risk = idx.aggregate(scores)
    assert dims["coping"] is None and risk is None  # a dimension with no data: risk unknown, never 0


def test_month_and_district_resolution() -> None:
    for bad in ("2021-13", "21-01", "last month"):
        with pytest.raises(InvalidInput):
            idx.parse_month(bad)
    assert idx.resolve_district("north waziristan") == "PK-KP-NWZ"
    assert idx.resolve_district("PK-KP-PSH") == "PK-KP-PSH"
    assert idx.resolve_district("Nawabshah") == "PK-SD-SBA"  # a former name
    for bad in ("Nowhere", "", "Kohistan"):  # Kohistan is the former name of three districts: ambiguous
        with pytest.raises(NotFound):
            idx.resolve_district(bad)


def test_demo_index(demo_db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(idx, "optional_import", lambda name: None)  # the worked example has no forecasts
    with demo_db.session(Principal.anonymous(), readonly=True) as s:
        result = idx.compute(s)
    assert result.month == "2021-12" and result.window == ("2021-01", "2021-12")
    assert len(result.districts) == 168 and result.level == Classification.PUBLIC
    ranked = [d for d in result.districts if d.rank is not None]
    assert [d.rank for d in ranked] == sorted(d.rank for d in ranked) and ranked[0].rank == 1
    assert all(0 <= d.risk <= 10 for d in ranked)
    assert any("coping" in n for n in result.notes)
    assert not result.forecast_used or "forecast_p_fatal" not in result.districts[0].missing
    nw = result.by_code()["PK-KP-NWZ"]
    comp = {c.name: c for c in nw.components}
    assert comp["fatalities_12m"].source["id"] == "incidents"
    assert comp["mpi_headcount_pct"].source["id"] == "mpi2016"
    # rows of "| component | raw | score |" in docs/risk.md's worked example match the code
    rows = re.findall(r"^\| `(\w+)` \| ([\d.—]+) \| ([\d.—]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    assert len(rows) == len(idx.SPECS)
    for name, raw, score in rows:
        c = comp[name]
        if raw == "—":
            assert c.raw is None and c.score is None
        else:
            assert c.raw == pytest.approx(float(raw), abs=1e-4) and c.score == pytest.approx(
                float(score), abs=1e-4
            )
    figures = dict(
        re.findall(r"^- (threat|vulnerability|coping|risk) = .*= \*\*([\d.]+)\*\*", DOC.read_text(), re.M)
    )
    assert float(figures["risk"]) == pytest.approx(nw.risk, abs=1e-4)
    for dim in idx.DIMENSIONS:
        assert float(figures[dim]) == pytest.approx(nw.dimensions[dim], abs=1e-4)
    assert f"rank {nw.rank} " in DOC.read_text()


def _add(s, code: str, day: date, killed: int, level: Classification = Classification.PUBLIC) -> Incident:  # type: ignore[no-untyped-def]
    row = Incident(
        date=day,
        year=day.year,
        month=day.month,
        district_code=code,
        event_type="bombing",
        killed=killed,
        classification=level,
    )
    s.add(row)
    s.flush()
    return row


def test_counts_respect_clearance_and_duplicates(db: Database) -> None:
    with db.session(Principal.system()) as s:
        _add(s, "PK-KP-PSH", date(2024, 3, 5), 4)
        kept = _add(s, "PK-KP-PSH", date(2024, 1, 9), 2)
        dup = _add(s, "PK-KP-PSH", date(2024, 1, 9), 2)
        dup.duplicate_of_id = kept.id
        _add(s, "PK-KP-PSH", date(2024, 2, 1), 50, Classification.SECRET)
        _add(s, "PK-KP-PSH", date(2022, 2, 1), 9)  # outside the window
    with db.session(Principal.anonymous(), readonly=True) as s:
        public = idx.compute(s, "2024-03").by_code()["PK-KP-PSH"]
        assert idx.compute(s).month == "2024-03"
    with db.session(Principal.system(), readonly=True) as s:
        full = idx.compute(s, "2024-03")
    raw = {c.name: c.raw for c in public.components}
    assert raw["fatalities_12m"] == 6 and raw["incidents_12m"] == 2  # SECRET row and duplicate not counted
    # escalation: last 3 months 6 fatalities (2/month) against 0 before: log2(3/1)
    assert raw["escalation"] == pytest.approx(math.log2(3), abs=1e-4)
    assert raw["fatalities_per_100k"] == pytest.approx(6 / 4_758_762 * 1e5, abs=1e-4)
    assert {c.name: c.raw for c in full.by_code()["PK-KP-PSH"].components}["fatalities_12m"] == 56
    assert full.level == Classification.SECRET
    assert not full.forecast_used and any(n.startswith("forecasts:") for n in full.notes)  # none stored
    # a district with no recorded violence: threat 0, so risk 0 (known), with its rank after the others
    quiet = full.by_code()["PK-PB-LHR"]
    assert quiet.dimensions["threat"] == 0 and quiet.risk == 0


def test_no_incidents_means_no_risk(empty_db: Database) -> None:
    with empty_db.session(Principal.system(), readonly=True) as s:
        result = idx.compute(s)
    assert result.month is None and all(d.risk is None for d in result.districts)
    assert "no incidents" in result.notes[0]


def test_a_window_beyond_the_data_says_so(db: Database) -> None:
    with db.session(Principal.system()) as s:
        _add(s, "PK-KP-PSH", date(2024, 3, 5), 1)
        later = idx.compute(s, "2026-01")
        assert any("after the latest recorded incident (2024-03)" in n for n in later.notes)
        assert any("no incidents are recorded in the window" in n for n in later.notes)
        assert all(d.risk == 0 for d in later.districts if d.risk is not None)
        assert not any("after the latest" in n for n in idx.compute(s, "2024-03").notes)


def test_forecast_probabilities_are_used_when_the_module_gives_them(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake = SimpleNamespace(
        current=lambda session, unit_kind: [
            {"unit_code": "PK-KP-PSH", "horizon": 2, "p_fatal": 0.9, "target_month": "2024-05"},
            {"unit_code": "PK-KP-PSH", "horizon": 1, "p_fatal": 0.4, "target_month": "2024-04"},
            {
                "unit_code": "PK-KP-KHB",
                "horizon": 1,
                "p_fatal": 0.8,
                "target_month": "2025-01",
            },  # another month
            SimpleNamespace(unit_code="PK-BA-QTA", horizon=1, p_fatal=1.7),  # impossible: ignored
        ]
    )
    monkeypatch.setattr(idx, "optional_import", lambda name: fake)
    with db.session(Principal.system()) as s:
        _add(s, "PK-KP-PSH", date(2024, 3, 5), 1)
        result = idx.compute(s, "2024-03")
    psh = {c.name: c for c in result.by_code()["PK-KP-PSH"].components}
    assert (
        result.forecast_used and psh["forecast_p_fatal"].raw == 0.4 and psh["forecast_p_fatal"].score == 4.0
    )
    assert "forecast_p_fatal" in result.by_code()["PK-BA-QTA"].missing
    assert "forecast_p_fatal" in result.by_code()["PK-KP-KHB"].missing  # made from data through 2024-12

    def broken(session, unit_kind):  # type: ignore[no-untyped-def]
        session.execute(text("SELECT * FROM no_such_forecast_table"))  # fails in the database itself

    monkeypatch.setattr(idx, "optional_import", lambda name: SimpleNamespace(current=broken))
    with db.session(Principal.system(), readonly=True) as s:
        result = idx.compute(s, "2024-03")
    assert not result.forecast_used and any("forecasts unavailable" in n for n in result.notes)
    assert result.by_code()["PK-KP-PSH"].risk is not None  # the session went on after the failed query


def test_sensitivity_on_demo(demo_db: Database) -> None:
    with demo_db.session(Principal.anonymous(), readonly=True) as s:
        check = sens.run(s)
        base = idx.compute(s)
    names = [v.name for v in check.variants]
    assert "arithmetic" in names and "threat-only" in names and len(names) == 2 * len(idx.SPECS) + 6 + 2
    positive = sum(1 for d in base.districts if d.risk)
    for v in check.variants:
        assert v.compared == positive
        assert v.spearman is None or -1 <= v.spearman <= 1
        assert v.max_shift is None or v.max_shift >= v.median_shift
    by = {v.name: v for v in check.variants}
    assert by["w:forecast_p_fatal+20%"].max_shift == 0  # no forecasts stored: the weight changes nothing
    assert len(check.baseline_top) >= 10


def test_window_level_is_none_without_rows(db: Database) -> None:
    with db.session(Principal.system(), readonly=True) as s:
        assert idx.window_level(s, (2020, 1), (2020, 12)) is None
        assert s.scalar(select(Incident.id).limit(1)) is None
