"""Baselines, the learned model's distribution, the scores (through the libraries), the chooser, and stored
forecasts: made, read back within clearance, repeated idempotently, and scored once their months are known."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest
import scoringrules as sr
from sqlalchemy import func, select
from tests.test_risk_panel import PESHAWAR, incident

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, InvalidInput, NotFound
from nigran.risk import forecast as service
from nigran.risk.backtest import MODELS, choose
from nigran.risk.baselines import Conflictology, NoChange, RecentAverage, Zero
from nigran.risk.models import Forecast, ForecastRun
from nigran.risk.panel import Panel, month_key
from nigran.risk.scoring import Ensemble, NegBin, fit_size
from nigran.storage.db import Database

START = month_key(2020, 1)
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)


def tiny(incidents: list[list[int]], fatalities: list[list[float]] | None = None) -> Panel:
    inc = np.asarray(incidents, dtype=np.int64)
    fat = np.asarray(fatalities if fatalities is not None else incidents, dtype=float)
    n, t = inc.shape
    return Panel(
        "district", [f"D{i}" for i in range(n)], {}, ["P"] * n, np.arange(START, START + t), inc, fat,
        (inc > 0).astype(np.int64), (fat > 0).astype(np.int64), np.zeros_like(inc), [[] for _ in range(n)],
    )  # fmt: skip


def test_baselines_give_their_exact_values() -> None:
    series = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], [0] * 13 + [5]]
    fat = [[float(v) for v in series[0]], [0.0] * 12 + [4.0, math.nan]]
    panel = tiny(series, fat)
    origin = START + 14  # data through the 14th month
    assert Zero().predict(panel, "incidents", origin, 1).mean().tolist() == [0, 0]
    assert NoChange().predict(panel, "incidents", origin, 2).mean().tolist() == [14, 5]
    # last month's fatalities unknown in unit 1: no-change uses the latest known month (4), never 0
    assert NoChange().predict(panel, "fatalities", origin, 1).mean().tolist() == [14, 4]
    recent = RecentAverage()
    recent.fit(panel, "incidents", origin)
    pred = recent.predict(panel, "incidents", origin, 1)
    assert isinstance(pred, NegBin)
    assert pred.mean().tolist() == pytest.approx([np.mean([9, 10, 11, 12, 13, 14]), 5 / 6])
    conf = Conflictology().predict(panel, "incidents", origin, 3)
    assert sorted(conf.values[0].tolist()) == list(range(3, 15))  # the last twelve months, equally likely
    assert conf.p_ge(5).tolist() == pytest.approx([10 / 12, 1 / 12])
    conf_f = Conflictology().predict(panel, "fatalities", origin, 1)  # the unknown month is left out
    assert conf_f.weights[1].sum() == pytest.approx(1) and conf_f.p_ge(4)[1] == pytest.approx(1 / 11)


def test_scores_come_from_the_libraries() -> None:
    obs = np.array([0.0, 3.0])
    point = Ensemble.of(np.array([0.0, 1.0]))
    assert point.crps(obs).tolist() == pytest.approx([0.0, 2.0])  # CRPS of a point forecast is |error|
    nb = NegBin.of(np.array([2.0, 2.0]), 1.5)
    assert nb.crps(obs) == pytest.approx(sr.crps_negbinom(obs, 1.5, mu=np.array([2.0, 2.0])))
    # ignorance: bins 0 | 1-2 | 3-5 …; the point forecast at 1 misses bin 3-5: only the pseudo-count is left
    assert point.ignorance(obs)[1] == pytest.approx(-math.log2(1 / 1011))
    assert point.ignorance(obs)[0] == pytest.approx(-math.log2(1001 / 1011))
    lo, hi = nb.interval(0.1)
    assert (lo[0], hi[0]) == (0, nb.quantiles((0.95,))[0, 0])
    # the size fitted to over-dispersed counts is small, to Poisson counts large
    rng = np.random.default_rng(1)
    mu = np.full(4000, 3.0)
    assert fit_size(rng.negative_binomial(0.5, 0.5 / 3.5, 4000).astype(float), mu) < 1.0
    assert fit_size(rng.poisson(3.0, 4000).astype(float), mu) > 20


def _row(measure: str, model: str, h: int, crps: float) -> dict:
    return {"measure": measure, "model": model, "horizon": h, "crps": crps}


def test_the_chooser_picks_the_best_baseline_when_the_model_is_worse() -> None:
    models = ("zero", "no_change", "recent_average", "conflictology", "gbm")
    worse = [_row(m, name, h, c) for m in ("incidents", "fatalities") for h in (1, 2)
             for name, c in zip(models, (1.0, 1.2, 0.9, 0.8, 0.85), strict=True)]  # fmt: skip
    chosen, beats, message = choose(worse, models)
    assert (chosen, beats) == ("conflictology", False)
    assert "No model beats the baselines" in message and "conflictology" in message
    better = [dict(r, crps=0.5) if r["model"] == "gbm" else r for r in worse]
    assert choose(better, models)[:2] == ("gbm", True)


def _seed(db: Database, months: int = 40) -> None:
    rng = np.random.default_rng(7)
    with db.session(Principal.system()) as s:
        for k in range(months):
            y, m = divmod(month_key(2018, 1) + k, 12)
            for code in (PESHAWAR, "PK-KP-KHB", "PK-KP-NWZ"):
                for _ in range(int(rng.poisson(2.0))):
                    incident(s, date(y, m + 1, 10), code, killed=int(rng.poisson(1.5)))


def test_forecasts_are_stored_read_within_clearance_and_scored_later(db: Database) -> None:
    _seed(db, months=36)
    with db.session(Principal.system()) as s:
        incident(s, date(2020, 12, 3), "PK-BA-QTA", province="PK-BA", killed=4, level=Classification.SECRET)
    with db.session(ANALYST) as s:  # the analyst's run sees up to RESTRICTED: the SECRET incident is left out
        made = service.run_forecast(s, month="2020-12", backtest_years=1).run
        assert made is not None and made.data_through == "2020-12"
        assert Classification.parse(made.classification) == Classification.PUBLIC
        run_id = made.id
    with db.session(Principal.anonymous(), readonly=True) as s:
        rows = service.current(s, "district")
        assert {f.horizon for f in rows} == {1, 2, 3} and len({f.unit_code for f in rows}) == 168
        run = service.latest_run(s)
        assert run.id == run_id and run.chosen_model in MODELS
        assert "rows" in run.backtest and run.backtest["message"]
        fat = [f for f in rows if f.unit_code == PESHAWAR and f.measure == "fatalities"]
        assert [f.target_month for f in fat] == ["2021-01", "2021-02", "2021-03"]
        q = fat[0].quantiles
        assert q["0.05"] <= q["0.5"] <= q["0.95"] and 0 <= fat[0].p_ge10 <= fat[0].p_fatal <= 1
        assert len(service.current(s, "province")) > 0
        found = service.district_forecast(s, "peshawar")  # by name, any case
        assert found["district"]["code"] == PESHAWAR and found["recent_incidents"]
        assert found["series"][-1]["month"] == "2020-12"
        assert {e["measure"] for e in found["explanation"]} == {"incidents", "fatalities"}
        with pytest.raises(NotFound):
            service.district_forecast(s, "Atlantis")
        assert service.score_stored(s) == []  # nothing observed after 2020-12 yet
    with db.session(Principal.system()) as s:  # time passes: January 2021 happens
        incident(s, date(2021, 1, 15), PESHAWAR, killed=12)
    with db.session(ANALYST, readonly=True) as s:
        scored = service.score_stored(s, run_id)
    jan = [r for r in scored if r["target_month"] == "2021-01"]
    assert jan and {r["model"] for r in jan} >= {"zero", "gbm"} and all(r["horizon"] == 1 for r in jan)
    zero = next(
        r
        for r in jan
        if r["model"] == "zero" and r["measure"] == "fatalities" and r["unit_kind"] == "district"
    )
    assert zero["crps"] > 0 and zero["brier"] == pytest.approx(1 / 168)  # one fatal district, forecast 0
    json.dumps(scored)


def test_refresh_is_idempotent_and_levels_are_kept_apart(db: Database) -> None:
    _seed(db, months=30)
    with db.session(Principal.system()) as s:
        incident(s, date(2020, 6, 3), "PK-BA-QTA", province="PK-BA", killed=4, level=Classification.SECRET)
    first = service.refresh(db)
    assert "PUBLIC" in first and "SECRET" in first
    again = service.after_import(db)
    assert "already covers" in again
    from nigran.jobs.schedules import SCHEDULES
    from nigran.jobs.tasks import TASKS

    assert TASKS["forecast.run"].writes and "already covers" in SCHEDULES["forecast.refresh"].run(db)
    with db.session(Principal.system(), readonly=True) as s:
        check = TASKS["forecast.run"].check
        assert check(s, {"month": "2020-06", "backtest_years": "2"}, ANALYST)[0] == {
            "month": "2020-06", "backtest_years": 2}  # fmt: skip
        with pytest.raises(AccessDenied):
            check(s, {}, Principal.anonymous())
        with pytest.raises(InvalidInput):
            check(s, {"month": "June"}, ANALYST)
    with db.session(Principal.system(), readonly=True) as s:
        assert s.scalar(select(func.count(ForecastRun.id))) == 2
    with db.session(Principal.anonymous(), readonly=True) as s:
        run = service.latest_run(s)
        assert Classification.parse(run.classification) == Classification.PUBLIC
        hidden = s.scalar(select(func.count(Forecast.id)).where(Forecast.classification > 0))
        assert hidden == 0
    with db.session(Principal("boss", Role.ADMINISTRATOR, Classification.SECRET), readonly=True) as s:
        assert Classification.parse(service.latest_run(s).classification) == Classification.SECRET


def test_readers_may_not_make_forecasts(db: Database) -> None:
    _seed(db, months=14)
    with db.session(Principal.anonymous()) as s, pytest.raises(AccessDenied):
        service.run_forecast(s)
