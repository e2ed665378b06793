"""Predictive distributions and the scores the backtest reports, all from well-kept libraries.

A forecast for a set of units is a :class:`Predictive`: either an :class:`Ensemble` (a weighted set of
values: the zero and no-change baselines are one-member ensembles, conflictology the unit's own last 12
months) or a :class:`NegBin` (mean and dispersion: the recent average and the learned model).

Scores (lower is better unless said otherwise):

* CRPS: ``scoringrules.crps_ensemble`` (weighted, the default "qd" estimator, exact for an empirical
  distribution) or ``scoringrules.crps_negbinom`` (closed form); stored forecasts, which keep only
  quantiles, are scored later with ``scoringrules.crps_quantile``.
* Ignorance: the binned logarithmic score in bits, in the ViEWS manner — the predictive distribution is put
  into the bins 0, 1–2, 3–5, 6–10, 11–25, 26–50, 51–100, 101–250, 251–500, 501–1000, >1000, each bin gets one
  pseudo-count against an equivalent 1,000 samples (so that a point forecast that misses scores finitely),
  and the score of the observed bin's probability is ``scoringrules.log_score`` (natural log) / ln 2.
* 90% interval score and coverage: ``scoringrules.interval_score`` on the 5% and 95% quantiles (alpha 0.1).
* Brier score and average precision of P(at least one fatal attack): ``sklearn.metrics``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import scoringrules as sr
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
#: Lower edges of the ignorance bins (ViEWS): 0, 1–2, 3–5, 6–10, 11–25, 26–50, 51–100, 101–250, 251–500,
#: 501–1000, >1000.
BIN_EDGES = (0, 1, 3, 6, 11, 26, 51, 101, 251, 501, 1001)
PSEUDO_SAMPLES = 1000
MAX_SIZE = 1000.0  # a negative binomial with a larger size is a Poisson for every purpose here


class Predictive(ABC):
    """A predictive distribution per unit (vectorised over units)."""

    @abstractmethod
    def mean(self) -> np.ndarray:
        """Implemented by each distribution."""

    @abstractmethod
    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """Implemented by each distribution."""

    @abstractmethod
    def cdf(self, k: float) -> np.ndarray:
        """Implemented by each distribution."""

    @abstractmethod
    def crps(self, obs: np.ndarray) -> np.ndarray:
        """Implemented by each distribution."""

    def p_ge(self, k: int) -> np.ndarray:
        """P(value ≥ k) per unit."""
        return np.clip(1.0 - self.cdf(k - 1), 0.0, 1.0)

    def bin_probs(self) -> np.ndarray:
        """(units, bins): probability of each ignorance bin."""
        cdfs = [np.zeros_like(self.mean())] + [self.cdf(e - 1) for e in BIN_EDGES[1:]]
        cdfs.append(np.ones_like(self.mean()))
        stacked = np.stack(cdfs, axis=1)
        return np.clip(np.diff(stacked, axis=1), 0.0, 1.0)

    def ignorance(self, obs: np.ndarray) -> np.ndarray:
        probs = self.bin_probs()
        smoothed = (probs * PSEUDO_SAMPLES + 1.0) / (PSEUDO_SAMPLES + len(BIN_EDGES))
        which = np.searchsorted(np.asarray(BIN_EDGES), obs, side="right") - 1
        p = smoothed[np.arange(len(obs)), np.clip(which, 0, len(BIN_EDGES) - 1)]
        return np.asarray(sr.log_score(np.ones_like(p), p)) / math.log(2)

    def interval(self, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
        q = self.quantiles((alpha / 2, 1 - alpha / 2))
        return q[:, 0], q[:, 1]

    def take(self, rows: np.ndarray) -> Predictive:
        raise NotImplementedError


@dataclass
class Ensemble(Predictive):
    values: np.ndarray  # (units, members)
    weights: np.ndarray  # (units, members), rows sum to 1

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray | None = None) -> Ensemble:
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        if weights is None:
            weights = np.full(values.shape, 1.0 / values.shape[1])
        return cls(values, weights)

    def mean(self) -> np.ndarray:
        return (self.values * self.weights).sum(axis=1)

    def cdf(self, k: float) -> np.ndarray:
        return (self.weights * (self.values <= k)).sum(axis=1)

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        order = np.argsort(self.values, axis=1, kind="stable")
        v = np.take_along_axis(self.values, order, axis=1)
        cw = np.cumsum(np.take_along_axis(self.weights, order, axis=1), axis=1)
        out = np.empty((v.shape[0], len(qs)))
        for j, q in enumerate(qs):
            pos = (cw < q - 1e-12).sum(axis=1)
            out[:, j] = v[np.arange(v.shape[0]), np.minimum(pos, v.shape[1] - 1)]
        return out

    def crps(self, obs: np.ndarray) -> np.ndarray:
        if self.values.shape[1] == 1:
            return np.asarray(sr.crps_ensemble(obs, self.values))
        return np.asarray(sr.crps_ensemble(obs, self.values, ens_w=self.weights))

    def take(self, rows: np.ndarray) -> Ensemble:
        return Ensemble(self.values[rows], self.weights[rows])


@dataclass
class NegBin(Predictive):
    """Negative binomial with mean ``mu`` and size ``size`` (variance mu + mu²/size)."""

    mu: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, mu: np.ndarray, size: float | np.ndarray) -> NegBin:
        mu = np.maximum(np.asarray(mu, dtype=float), 1e-9)
        size_a = np.clip(np.broadcast_to(np.asarray(size, dtype=float), mu.shape), 1e-3, MAX_SIZE)
        return cls(mu, size_a.copy())

    @property
    def _p(self) -> np.ndarray:
        return self.size / (self.size + self.mu)

    def mean(self) -> np.ndarray:
        return self.mu

    def cdf(self, k: float) -> np.ndarray:
        if k < 0:
            return np.zeros_like(self.mu)
        return stats.nbinom.cdf(k, self.size, self._p)

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        return np.stack([stats.nbinom.ppf(q, self.size, self._p) for q in qs], axis=1)

    def crps(self, obs: np.ndarray) -> np.ndarray:
        return np.asarray(sr.crps_negbinom(obs, self.size, mu=self.mu))

    def logpmf(self, obs: np.ndarray) -> np.ndarray:
        return stats.nbinom.logpmf(obs, self.size, self._p)

    def take(self, rows: np.ndarray) -> NegBin:
        return NegBin(self.mu[rows], self.size[rows])


def fit_size(y: np.ndarray, mu: np.ndarray) -> float:
    """The negative binomial size that maximises the likelihood of ``y`` given means ``mu`` (calibration on
    out-of-sample residuals). Bounded to [0.01, MAX_SIZE]; with no data, MAX_SIZE (Poisson)."""
    from scipy.optimize import minimize_scalar

    ok = ~np.isnan(y) & ~np.isnan(mu)
    y, mu = y[ok], np.maximum(mu[ok], 1e-9)
    if len(y) == 0 or y.sum() == 0:
        return MAX_SIZE

    def nll(log_size: float) -> float:
        size = math.exp(log_size)
        return -float(stats.nbinom.logpmf(y, size, size / (size + mu)).sum())

    found = minimize_scalar(nll, bounds=(math.log(0.01), math.log(MAX_SIZE)), method="bounded")
    return float(math.exp(found.x))


def interval_score(obs: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    return np.asarray(sr.interval_score(obs, lower, upper, alpha))


def crps_from_quantiles(
    obs: np.ndarray, quantiles: np.ndarray, qs: tuple[float, ...] = QUANTILES
) -> np.ndarray:
    """CRPS approximated from stored quantiles (``scoringrules.crps_quantile``)."""
    return np.asarray(sr.crps_quantile(obs, quantiles, np.asarray(qs)))


def brier(outcome: np.ndarray, prob: np.ndarray) -> float | None:
    if len(outcome) == 0:
        return None
    return float(brier_score_loss(outcome.astype(int), np.clip(prob, 0.0, 1.0), pos_label=1))


def average_precision(outcome: np.ndarray, prob: np.ndarray) -> float | None:
    """None when there is no positive case (average precision is undefined then)."""
    if len(outcome) == 0 or not outcome.any():
        return None
    return float(average_precision_score(outcome.astype(int), prob))
