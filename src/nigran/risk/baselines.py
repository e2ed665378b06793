"""The baselines every model must beat before it is shown as better (ViEWS' lesson: they are not straw men).

Each forecaster has ``fit(panel, measure, cutoff)`` (may use only months before ``cutoff``) and
``predict(panel, measure, origin, horizon)`` (uses only months before ``origin``: the forecast is made with
data through ``origin - 1`` for the month ``origin - 1 + horizon``). The baselines ignore the horizon.

* ``zero``: nothing happens (a point mass at 0).
* ``no_change``: last month again (a point mass at the last observed value).
* ``recent_average``: a negative binomial around the mean of the last 6 months, its dispersion fitted by
  maximum likelihood on the same rule's one-step forecasts over the 5 years before the cutoff.
* ``conflictology``: the unit's own last 12 months, resampled (each month one equally likely outcome).

Unknown fatalities (a month whose incidents give no figure) are never read as 0: ``no_change`` uses the
latest month with a known figure, the averages and conflictology leave unknown months out; only a unit that
never had a known figure falls back to 0 (and says so in ``docs/forecasting.md``).
"""

from __future__ import annotations

import numpy as np

from nigran.risk.panel import Panel
from nigran.risk.scoring import Ensemble, NegBin, Predictive, fit_size

MEASURES = ("incidents", "fatalities")
BASELINES = ("zero", "no_change", "recent_average", "conflictology")


def series(panel: Panel, measure: str) -> np.ndarray:
    """(units, months) float array of a measure; fatalities NaN where unknown."""
    if measure == "incidents":
        return panel.incidents.astype(float)
    if measure == "fatalities":
        return panel.fatalities
    raise ValueError(f"unknown measure {measure!r}")


def last_known(history: np.ndarray) -> np.ndarray:
    """Per unit, the latest non-NaN value of ``history`` (units, months); 0 when there is none."""
    if history.shape[1] == 0:
        return np.zeros(history.shape[0])
    idx = np.where(~np.isnan(history), np.arange(history.shape[1]), -1)
    last = np.maximum.accumulate(idx, axis=1)[:, -1]
    values = history[np.arange(history.shape[0]), np.maximum(last, 0)]
    return np.where(last >= 0, values, 0.0)


class Forecaster:
    name = ""

    def fit(self, panel: Panel, measure: str, cutoff: int) -> None:
        """Learn what needs learning from months before ``cutoff``."""

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        raise NotImplementedError

    @staticmethod
    def history(panel: Panel, measure: str, origin: int) -> np.ndarray:
        return series(panel, measure)[:, : panel.column(origin)]


class Zero(Forecaster):
    name = "zero"

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        return Ensemble.of(np.zeros(len(panel.codes)))


class NoChange(Forecaster):
    name = "no_change"

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        return Ensemble.of(last_known(self.history(panel, measure, origin)))


def _recent_mean(history: np.ndarray, k: int) -> np.ndarray:
    window = history[:, -k:]
    known = ~np.isnan(window)
    total = np.where(known, window, 0.0).sum(axis=1)
    n = known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), last_known(history))


class RecentAverage(Forecaster):
    name = "recent_average"
    window = 6
    calibration_months = 60

    def __init__(self) -> None:
        self.size: dict[str, float] = {}

    def fit(self, panel: Panel, measure: str, cutoff: int) -> None:
        y = series(panel, measure)
        end = panel.column(cutoff)
        begin = max(self.window, end - self.calibration_months)
        obs, mus = [], []
        for t in range(begin, end):
            obs.append(y[:, t])
            mus.append(_recent_mean(y[:, :t], self.window))
        if obs:
            self.size[measure] = fit_size(np.concatenate(obs), np.concatenate(mus))
        else:
            self.size[measure] = 1000.0

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        mu = _recent_mean(self.history(panel, measure, origin), self.window)
        return NegBin.of(mu, self.size.get(measure, 1000.0))


class Conflictology(Forecaster):
    name = "conflictology"
    window = 12

    def predict(self, panel: Panel, measure: str, origin: int, horizon: int) -> Predictive:
        history = self.history(panel, measure, origin)
        window = history[:, -self.window :]
        if window.shape[1] == 0:
            return Ensemble.of(np.zeros(len(panel.codes)))
        known = ~np.isnan(window)
        weights = known.astype(float)
        values = np.where(known, window, 0.0)
        none = weights.sum(axis=1) == 0
        if none.any():  # no known month in the window: the latest known value stands in
            values[none, 0] = last_known(history[none])
            weights[none, 0] = 1.0
        return Ensemble(values, weights / weights.sum(axis=1, keepdims=True))


def baseline(name: str) -> Forecaster:
    return {"zero": Zero, "no_change": NoChange, "recent_average": RecentAverage,
            "conflictology": Conflictology}[name]()  # fmt: skip
