"""Rolling-origin evaluation of every model against every baseline, with no leakage.

Design: for each origin month *o* from January of ``start`` to December of ``end``, each model forecasts the
months *o*, *o + 1*, *o + 2* (horizons 1, 2, 3) from the months before *o* only; forecasts are scored against
what happened. Models that learn (``recent_average``'s dispersion, ``gbm``) are fitted once per origin-year
with cutoff January of that year, i.e. on months strictly before the year's first origin, and the fit serves
the year's twelve origins (the features of each origin still use every month before it): nothing at or
after an origin is ever read for its forecast (``tests/test_risk_backtest.py`` perturbs the future to check).

Reported per measure (incidents, fatalities), model and horizon: mean CRPS, mean ignorance (bits), mean 90%
interval score and the 90% interval's coverage, and for P(at least one fatal attack) — read from the
fatalities forecast as P(fatalities ≥ 1) — the Brier score and average precision; and CRPS skill against
every baseline, ``1 − CRPS(model) / CRPS(baseline)`` (positive: better than the baseline).

The chooser: each model's CRPS is divided by the mean CRPS of all models for the same measure and horizon,
and averaged over measures and horizons; the lowest wins. If that is a baseline, the output says plainly that
no model beats the baselines, and the forecasts use that baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem
from nigran.risk.baselines import BASELINES, MEASURES, Forecaster, baseline, series
from nigran.risk.model import GBM
from nigran.risk.panel import Panel, month_key, month_label
from nigran.risk.scoring import average_precision, brier, interval_score

MODELS = (*BASELINES, "gbm")
HORIZONS = (1, 2, 3)


def make(name: str) -> Forecaster:
    if name == "gbm":
        return GBM()
    if name in BASELINES:
        return baseline(name)
    raise InvalidInput([Problem(0, f"unknown model {name!r} (one of {', '.join(MODELS)})", "model")])


@dataclass
class _Acc:
    n: int = 0
    crps: float = 0.0
    ign: float = 0.0
    interval: float = 0.0
    covered: int = 0
    p_fatal: list[np.ndarray] = field(default_factory=list)
    fatal: list[np.ndarray] = field(default_factory=list)


@dataclass
class BacktestResult:
    unit: str
    start: int  # first origin (month key)
    end: int  # last origin with a scored forecast
    horizons: tuple[int, ...]
    rows: list[dict[str, Any]]
    chosen: str
    beats_baselines: bool
    message: str
    seconds: float
    origins: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "first_origin": month_label(self.start),
            "last_origin": month_label(self.end),
            "origins": self.origins,
            "horizons": list(self.horizons),
            "chosen_model": self.chosen,
            "model_beats_baselines": self.beats_baselines,
            "message": self.message,
            "seconds": round(self.seconds, 2),
            "rows": self.rows,
        }


def backtest(
    panel: Panel,
    start_year: int,
    end_year: int,
    horizons: tuple[int, ...] = HORIZONS,
    models: tuple[str, ...] = MODELS,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation over the origins of ``start_year``–``end_year`` (see the module's note)."""
    from threadpoolctl import threadpool_limits

    began = time.perf_counter()
    with threadpool_limits(limits=1, user_api="openmp"):  # see GBM.fit
        return _backtest(panel, start_year, end_year, horizons, models, progress, began)


def _backtest(
    panel: Panel,
    start_year: int,
    end_year: int,
    horizons: tuple[int, ...],
    models: tuple[str, ...],
    progress: Callable[[int, int], None] | None,
    began: float,
) -> BacktestResult:
    first = max(month_key(start_year, 1), panel.start + 12)
    last = min(month_key(end_year, 12), panel.end)
    if end_year < start_year or last < first:
        message = (
            f"no origin to evaluate: the panel covers {month_label(panel.start)}–{month_label(panel.end)} "
            "and the backtest needs a year of data before its first origin"
        )
        raise InvalidInput([Problem(0, message, "--start")])
    forecasters = {name: make(name) for name in models}
    if "gbm" in forecasters:
        forecasters["gbm"].horizons = tuple(horizons)  # type: ignore[attr-defined]
    acc = {(m, name, h): _Acc() for m in MEASURES for name in models for h in horizons}
    origins = list(range(first, last + 1))
    total = len(origins)
    fitted_for: int | None = None
    last_scored = first
    for done, origin in enumerate(origins):
        cutoff = month_key(origin // 12, 1)
        if cutoff != fitted_for:
            for f in forecasters.values():
                for m in MEASURES:
                    f.fit(panel, m, max(cutoff, panel.start + 12))
            fitted_for = cutoff
        for h in horizons:
            target = origin - 1 + h
            if target > panel.end:
                continue
            last_scored = max(last_scored, origin)
            col = panel.column(target)
            fatal = panel.fatal[:, col] >= 1
            for m in MEASURES:
                obs = series(panel, m)[:, col]
                ok = ~np.isnan(obs)
                for name, f in forecasters.items():
                    pred = f.predict(panel, m, origin, h)
                    a = acc[(m, name, h)]
                    if m == "fatalities":
                        a.p_fatal.append(pred.p_ge(1))
                        a.fatal.append(fatal)
                    if not ok.any():
                        continue
                    p, y = pred.take(ok), obs[ok]
                    lo, hi = p.interval(0.1)
                    a.n += int(ok.sum())
                    a.crps += float(np.sum(p.crps(y)))
                    a.ign += float(np.sum(p.ignorance(y)))
                    a.interval += float(np.sum(interval_score(y, lo, hi, 0.1)))
                    a.covered += int(np.sum((y >= lo) & (y <= hi)))
        if progress is not None:
            progress(done + 1, total)
    rows = _rows(acc, models, horizons)
    chosen, beats, message = choose(rows, models)
    return BacktestResult(
        panel.unit_kind, first, last_scored, tuple(horizons), rows, chosen, beats, message,
        time.perf_counter() - began, total,
    )  # fmt: skip


def _rows(
    acc: dict[tuple[str, str, int], _Acc], models: tuple[str, ...], horizons: tuple[int, ...]
) -> list[dict[str, Any]]:
    rows = []
    for m in MEASURES:
        for h in horizons:
            for name in models:
                a = acc[(m, name, h)]
                row: dict[str, Any] = {"measure": m, "model": name, "horizon": h, "n": a.n}
                row["crps"] = a.crps / a.n if a.n else None
                row["ignorance"] = a.ign / a.n if a.n else None
                row["interval90"] = a.interval / a.n if a.n else None
                row["coverage90"] = a.covered / a.n if a.n else None
                if a.p_fatal:
                    p, y = np.concatenate(a.p_fatal), np.concatenate(a.fatal)
                    row["brier"], row["ap"] = brier(y, p), average_precision(y, p)
                else:
                    row["brier"] = row["ap"] = None
                rows.append(row)
    index = {(r["measure"], r["model"], r["horizon"]): r for r in rows}
    for r in rows:
        r["skill"] = {}
        for b in BASELINES:
            ref = index.get((r["measure"], b, r["horizon"]))
            if ref is None or r["model"] == b:
                continue
            ok = ref["crps"] is not None and r["crps"] is not None and ref["crps"] > 0
            r["skill"][b] = 1.0 - r["crps"] / ref["crps"] if ok else None
    return rows


def choose(rows: list[dict[str, Any]], models: tuple[str, ...]) -> tuple[str, bool, str]:
    """The model with the lowest CRPS relative to the mean of all models, averaged over measures and
    horizons; whether it is a learned model; and the sentence that says so."""
    by_cell: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        if r["crps"] is not None:
            by_cell.setdefault((r["measure"], r["horizon"]), []).append(r)
    relative: dict[str, list[float]] = {name: [] for name in models}
    for cell in by_cell.values():
        mean = float(np.mean([r["crps"] for r in cell]))
        if mean <= 0:
            continue
        for r in cell:
            relative[r["model"]].append(r["crps"] / mean)
    scored = {name: float(np.mean(v)) for name, v in relative.items() if v}
    if not scored:
        best = "no_change" if "no_change" in models else models[0]
        return best, False, f"nothing could be scored; the default forecast is {best}"
    best = min(scored, key=lambda k: (scored[k], k))
    learned = [m for m in models if m not in BASELINES]
    if best not in BASELINES:
        return best, True, f"{best} beats every baseline on CRPS (mean over measures and horizons)"
    if learned:
        return (
            best,
            False,
            (
                f"No model beats the baselines: {', '.join(learned)} scores worse than {best}, "
                f"so the default forecast is the best baseline, {best}."
            ),
        )
    return best, False, f"the best baseline is {best}"
