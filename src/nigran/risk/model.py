"""The learned model ``gbm``: histogram gradient boosting with Poisson loss, one per measure and horizon.

Features of unit *i* at month *t* (the last month of data; the target is month *t + h*), all computed from
months ≤ *t* only (causal rolling windows over cumulative sums), grouped for the explanation:

* ``own history``: the measure at lags 1, 2, 3, 6, 12, its 3-, 6- and 12-month means, the trend (3-month
  mean − 12-month mean) and the months since the unit's last incident;
* ``other measure``: the other measure's lag 1 and 3- and 12-month means, and fatal attacks' 3-month mean;
* ``neighbours``: the mean over adjacent districts (shared polygon border, see :mod:`nigran.risk.panel`) of
  the measure's and of incidents' 3- and 12-month means;
* ``province``: the province's total of the measure and of incidents, 3-month mean;
* ``actors``: distinct known actors active last month and their 3-month mean;
* ``season``: the target's calendar month;
* ``covariates``: each value ``nigran.risk.covariates.for_units`` gives (when that module exists).

Training (no leakage): for a cutoff month *c*, rows whose target month is before *c*, from the last
``train_years`` (8) years, leaving out units with no incident in that window; the targets are capped at the
95th percentile of the positive training values (``cap_quantile``) so that a few extreme months do not
dominate. Calibration: the model is fitted on rows whose target is before *c − 12*; the last 12 months before
*c* are predicted out of sample and the negative binomial size is fitted on them by maximum likelihood
(``scoring.fit_size``). The predictive distribution is NB(mean = the model's prediction, size). The backtest
fits once per origin-year (cutoff = January) and uses that fit for the year's twelve origins, whose features
still use every month before each origin.

Explanation: for a unit's forecast, each feature group's contribution is the prediction with every feature
minus the prediction with that group's features set to their training medians (a simple ablation; the
contributions need not add up to the difference from a reference forecast, since trees interact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from nigran.risk.baselines import Forecaster, series
from nigran.risk.panel import Panel
from nigran.risk.scoring import NegBin, Predictive, fit_size

GROUPS = ("own history", "other measure", "neighbours", "province", "actors", "season", "covariates")


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """Value k months before (k=0: the month itself); NaN before the start."""
    if k == 0:
        return x.copy()
    out = np.full_like(x, np.nan, dtype=float)
    out[:, k:] = x[:, :-k]
    return out


def _roll(x: np.ndarray, w: int) -> np.ndarray:
    """Causal mean over the w months ending at t, ignoring NaN (NaN when none known)."""
    known = ~np.isnan(x)
    c = np.cumsum(np.where(known, x, 0.0), axis=1)
    n = np.cumsum(known, axis=1).astype(float)
    c = np.concatenate([np.zeros((x.shape[0], 1)), c], axis=1)
    n = np.concatenate([np.zeros((x.shape[0], 1)), n], axis=1)
    t = np.arange(x.shape[1]) + 1
    lo = np.maximum(t - w, 0)
    total = c[:, t] - c[:, lo]
    count = n[:, t] - n[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _months_since(incidents: np.ndarray, cap: int = 120) -> np.ndarray:
    t = np.arange(incidents.shape[1])
    last = np.maximum.accumulate(np.where(incidents > 0, t, -(10**6)), axis=1)
    return np.minimum(t - last, cap).astype(float)


def _spatial(panel: Panel) -> np.ndarray:
    n = len(panel.codes)
    w = np.zeros((n, n))
    for i, near in enumerate(panel.neighbours):
        if near:
            w[i, near] = 1.0 / len(near)
    return w


def _province_matrix(panel: Panel) -> np.ndarray:
    prov = np.asarray(panel.provinces)
    return (prov[:, None] == prov[None, :]).astype(float)


@dataclass
class Features:
    names: list[str]
    groups: list[str]
    values: np.ndarray  # (units, months, features) without the season column


def features(panel: Panel, measure: str) -> Features:
    """Every feature for every unit-month (cached on the panel per measure)."""
    cache = panel.__dict__.setdefault("_feature_cache", {})
    if measure in cache:
        return cache[measure]
    y = series(panel, measure)
    other = series(panel, "fatalities" if measure == "incidents" else "incidents")
    inc = panel.incidents.astype(float)
    cols: list[tuple[str, str, np.ndarray]] = []
    for k in (1, 2, 3, 6, 12):
        cols.append((f"lag{k}", "own history", _shift(y, k - 1)))
    r3, r12 = _roll(y, 3), _roll(y, 12)
    cols += [
        ("mean3", "own history", r3),
        ("mean6", "own history", _roll(y, 6)),
        ("mean12", "own history", r12),
    ]
    cols.append(("trend", "own history", r3 - r12))
    cols.append(("months_since_incident", "own history", _months_since(panel.incidents)))
    cols += [
        ("other_lag1", "other measure", _shift(other, 0)),
        ("other_mean3", "other measure", _roll(other, 3)),
        ("other_mean12", "other measure", _roll(other, 12)),
        ("fatal_attacks_mean3", "other measure", _roll(panel.fatal.astype(float), 3)),
    ]
    if panel.unit_kind == "district":
        w = _spatial(panel)
        for name, x in (("neighbours_mean3", r3), ("neighbours_mean12", r12),
                        ("neighbours_incidents_mean3", _roll(inc, 3)),
                        ("neighbours_incidents_mean12", _roll(inc, 12))):  # fmt: skip
            cols.append((name, "neighbours", np.einsum("ij,jt->it", w, np.nan_to_num(x))))
        p = _province_matrix(panel)
        cols.append(("province_mean3", "province", p @ np.nan_to_num(r3)))
        cols.append(("province_incidents_mean3", "province", p @ np.nan_to_num(_roll(inc, 3))))
    cols.append(("actors_lag1", "actors", panel.actors.astype(float)))
    cols.append(("actors_mean3", "actors", _roll(panel.actors.astype(float), 3)))
    names = sorted({n for v in panel.covariates.values() for n in v})
    for name in names:
        vals = np.array([_num(panel.covariates.get(c, {}).get(name)) for c in panel.codes])
        cols.append((f"cov_{name}", "covariates", np.repeat(vals[:, None], len(panel.months), axis=1)))
    found = Features([c[0] for c in cols], [c[1] for c in cols], np.stack([c[2] for c in cols], axis=2))
    cache[measure] = found
    return found


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


class GBM(Forecaster):
    name = "gbm"
    train_years = 8
    #: Training targets are capped at this quantile of the positive training values: a few months with
    #: hundreds of deaths (the 2014 operations) otherwise pull a district's mean far above any recent month.
    cap_quantile: float | None = 0.95
    calibration_months = 12

    def __init__(self, **params: Any) -> None:
        self.params = {"loss": "poisson", "max_iter": 60, "learning_rate": 0.1, "max_bins": 63,
                       "max_leaf_nodes": 15, "min_samples_leaf": 40, "l2_regularization": 1.0,
                       "early_stopping": False, "random_state": 0, **params}  # fmt: skip
        self.fitted: dict[tuple[str, int], tuple[HistGradientBoostingRegressor, float, np.ndarray]] = {}
        self.horizons: tuple[int, ...] = (1, 2, 3)

    def _design(self, panel: Panel, measure: str, cols: np.ndarray, horizon: int) -> np.ndarray:
        f = features(panel, measure).values[:, cols, :]  # (units, rows, features)
        season = ((panel.months[cols] + horizon) % 12 + 1).astype(float)
        season = np.broadcast_to(season[None, :, None], (f.shape[0], len(cols), 1))
        return np.concatenate([f, season], axis=2).reshape(-1, f.shape[2] + 1)

    def fit(self, panel: Panel, measure: str, cutoff: int) -> None:
        # One OpenMP thread: on a shared 2-core machine OpenMP's busy-waiting threads made a fit 20× slower.
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit(panel, measure, cutoff)

    def _fit(self, panel: Panel, measure: str, cutoff: int) -> None:
        y = series(panel, measure)
        end = panel.column(cutoff)  # target columns < end
        first = max(11, end - self.train_years * 12)
        # Units with no incident in the training window carry no signal and are half the rows: left out of
        # training (their forecast is the same model's at their all-quiet features).
        active = panel.incidents[:, first:end].sum(axis=1) > 0
        for h in self.horizons:
            split = end - self.calibration_months
            fit_cols = np.arange(first, max(first, split - h))
            cal_cols = np.arange(max(first, split - h), max(first, end - h))
            if len(fit_cols) == 0:
                self.fitted.pop((measure, h), None)
                continue
            model = HistGradientBoostingRegressor(**self.params)
            x_fit = self._design(panel, measure, fit_cols, h)
            y_fit = y[:, fit_cols + h].reshape(-1)
            ok = ~np.isnan(y_fit) & np.repeat(active, len(fit_cols))
            if not (y_fit[ok] > 0).any():
                self.fitted.pop((measure, h), None)
                continue
            target = y_fit[ok]
            if self.cap_quantile is not None and (target > 0).sum() >= 50:
                target = np.minimum(target, np.quantile(target[target > 0], self.cap_quantile))
            model.fit(x_fit[ok], target)
            size = 1000.0
            if len(cal_cols):
                x_cal = self._design(panel, measure, cal_cols, h)
                y_cal = y[:, cal_cols + h].reshape(-1)
                size = fit_size(y_cal, model.predict(x_cal))
            reference = np.nanmedian(x_fit[ok], axis=0)
            self.fitted[(measure, h)] = (model, size, np.nan_to_num(reference))

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        entry = self.fitted.get((measure, horizon))
        t = panel.column(origin) - 1
        if entry is None or t < 0:
            return NegBin.of(np.zeros(len(panel.codes)), 1000.0)
        model, size, _ = entry
        x = self._design(panel, measure, np.array([t]), horizon)
        return NegBin.of(model.predict(x), size)

    def explain(self, panel: Panel, measure: str, origin: int, horizon: int) -> list[dict[str, Any]]:
        """Per unit, each feature group's contribution to the predicted mean (see the module's note)."""
        entry = self.fitted.get((measure, horizon))
        t = panel.column(origin) - 1
        if entry is None or t < 0:
            return [{} for _ in panel.codes]
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._explain(panel, measure, t, horizon, entry)

    def _explain(self, panel: Panel, measure: str, t: int, horizon: int, entry: Any) -> list[dict[str, Any]]:
        model, _, reference = entry
        x = self._design(panel, measure, np.array([t]), horizon)
        full = model.predict(x)
        groups = [*features(panel, measure).groups, "season"]
        out: list[dict[str, Any]] = [{} for _ in panel.codes]
        for group in dict.fromkeys(groups):
            idx = [j for j, g in enumerate(groups) if g == group]
            x_ref = x.copy()
            x_ref[:, idx] = reference[idx]
            delta = full - model.predict(x_ref)
            for i in range(len(panel.codes)):
                out[i][group] = round(float(delta[i]), 3)
        return out
