"""The backtest never reads a month at or after its origin: perturbing the future changes no forecast."""

from __future__ import annotations

import numpy as np
import pytest

from nigran.risk.backtest import MODELS, backtest, make
from nigran.risk.panel import Panel, month_key

START = month_key(2010, 1)


def synthetic(months: int = 96, units: int = 24, seed: int = 3) -> Panel:
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 2.0, size=(units, 1)) * (1 + 0.5 * np.sin(np.arange(months) / 7.0))
    inc = rng.poisson(rate)
    fat = rng.poisson(inc * 1.5).astype(float)
    fat[rng.random(fat.shape) < 0.03] = np.nan
    neighbours = [[(i - 1) % units, (i + 1) % units] for i in range(units)]
    return Panel(
        "district", [f"D{i:02d}" for i in range(units)], {}, [f"P{i % 3}" for i in range(units)],
        np.arange(START, START + months), inc, fat, (inc > 0).astype(np.int64), (fat > 0).astype(np.int64),
        rng.poisson(1.0, inc.shape), neighbours,
    )  # fmt: skip


def perturbed(panel: Panel, from_month: int, seed: int = 9) -> Panel:
    rng = np.random.default_rng(seed)
    col = panel.column(from_month)
    out = panel.truncated(panel.end)  # a copy
    out.incidents[:, col:] = rng.poisson(20, out.incidents[:, col:].shape)
    out.fatalities[:, col:] = rng.poisson(50, out.fatalities[:, col:].shape)
    out.fatal[:, col:] = 1
    out.actors[:, col:] = 7
    return out


@pytest.mark.parametrize("name", MODELS)
def test_no_forecast_reads_the_future(name: str) -> None:
    panel = synthetic()
    cutoff = month_key(2016, 1)
    origin = month_key(2016, 5)  # data through April; the fit used months before January
    future = perturbed(panel, origin)
    for measure in ("incidents", "fatalities"):
        a, b = make(name), make(name)
        a.fit(panel, measure, cutoff)
        b.fit(future, measure, cutoff)
        for h in (1, 2, 3):
            pa, pb = a.predict(panel, measure, origin, h), b.predict(future, measure, origin, h)
            assert np.allclose(pa.mean(), pb.mean()), (name, measure, h)
            assert np.allclose(pa.quantiles(), pb.quantiles()), (name, measure, h)
    # and the fit itself reads nothing from the cutoff on
    c, d = make(name), make(name)
    c.fit(panel, "fatalities", cutoff)
    d.fit(perturbed(panel, cutoff), "fatalities", cutoff)
    assert np.allclose(c.predict(panel, "fatalities", cutoff, 1).mean(),
                       d.predict(panel, "fatalities", cutoff, 1).mean())  # fmt: skip


def test_backtest_scores_are_unchanged_by_months_after_its_last_target() -> None:
    panel = synthetic()
    last_target = month_key(2016, 12)
    a = backtest(panel.truncated(last_target), 2016, 2016, (1, 2))
    b = backtest(perturbed(panel, last_target + 1).truncated(last_target), 2016, 2016, (1, 2))
    assert a.rows == b.rows
    full = backtest(perturbed(panel, last_target + 1), 2016, 2016, (1, 2))  # later origins are not scored
    same = [r for r in full.rows if r["horizon"] == 1]
    assert [r["crps"] for r in same] == [r["crps"] for r in a.rows if r["horizon"] == 1]
    assert a.origins == 12 and {
        r["n"] for r in a.rows if r["horizon"] == 1 and r["measure"] == "incidents"
    } == {288}
    crps = {(r["measure"], r["model"], r["horizon"]): r["crps"] for r in a.rows}
    assert all(v is not None and v >= 0 for v in crps.values())
    gbm = next(r for r in a.rows if r["model"] == "gbm" and r["measure"] == "incidents" and r["horizon"] == 1)
    assert gbm["skill"]["zero"] == pytest.approx(1 - gbm["crps"] / crps[("incidents", "zero", 1)])
    assert 0.0 <= gbm["coverage90"] <= 1.0 and a.chosen in MODELS
