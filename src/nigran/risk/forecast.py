"""Produce, store and read forecasts: every district and province, horizons 1–3, incidents and fatalities.

``run_forecast`` builds the panels from the incidents the session sees (up to one classification level),
backtests the models over the last years to choose the default (``backtest.choose``), fits every model on
all data through ``data_through`` and stores one :class:`ForecastRun` with a :class:`Forecast` row per unit,
measure, horizon and model. Runs are kept forever; ``score_stored`` scores the forecasts whose target months
have since been observed.

Public functions for other domains: :func:`current` (the latest run's forecasts by its chosen model) and
:func:`district_forecast` (one district's forecast, explanation and the incidents behind it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, InvalidInput, NotFound
from nigran.core.problems import Problem
from nigran.geo.models import AdminUnit
from nigran.incidents.models import Incident
from nigran.risk.backtest import HORIZONS, MODELS, BacktestResult, backtest, make
from nigran.risk.baselines import MEASURES
from nigran.risk.model import GBM
from nigran.risk.models import Forecast, ForecastRun
from nigran.risk.panel import Panel, build_panel, month_label, parse_month
from nigran.risk.scoring import QUANTILES, crps_from_quantiles, interval_score

if TYPE_CHECKING:
    from nigran.storage.db import Database

UNIT_KINDS = ("district", "province")
BACKTEST_YEARS = 3
Progress = Callable[[str, int, int], None]


def _q_key(q: float) -> str:
    return f"{q:g}"


def visible_level(session: Session, cap: Classification | None = None) -> Classification:
    """The highest classification among the incidents the session sees (capped): the run's level."""
    top = session.scalar(select(func.max(Incident.classification)).where(Incident.duplicate_of_id.is_(None)))
    level = Classification.parse(top) if top is not None else Classification.PUBLIC
    return min(level, cap) if cap is not None else level


def data_key(session: Session, level: Classification, through: int) -> str:
    """What a run is made from: the incidents at or below ``level``, their last change, the month."""
    stmt = select(func.count(Incident.id), func.max(Incident.updated_at), func.sum(Incident.killed)).where(
        Incident.classification <= level, Incident.duplicate_of_id.is_(None)
    )
    n, changed, killed = session.execute(stmt).one()
    text = f"{int(level)}|{month_label(through)}|{n}|{changed}|{killed}"
    return hashlib.sha256(text.encode()).hexdigest()[:32] + f"|{n}"


def _predict_all(panel: Panel, horizons: tuple[int, ...], models: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every model's forecast for every unit from all of ``panel`` (origin: the month after its end)."""
    origin = panel.end + 1
    rows: list[dict[str, Any]] = []
    for name in models:
        f = make(name)
        if isinstance(f, GBM):
            f.horizons = horizons
        for m in MEASURES:
            f.fit(panel, m, origin)
            for h in horizons:
                pred = f.predict(panel, m, origin, h)
                qs = pred.quantiles(QUANTILES)
                means = pred.mean()
                p1 = pred.p_ge(1) if m == "fatalities" else None
                p10 = pred.p_ge(10) if m == "fatalities" else None
                why = f.explain(panel, m, origin, h) if isinstance(f, GBM) else None
                for i, code in enumerate(panel.codes):
                    rows.append({
                        "unit_kind": panel.unit_kind, "unit_code": code,
                        "target_month": month_label(origin - 1 + h), "horizon": h, "measure": m,
                        "model": name, "mean": round(float(means[i]), 4),
                        "quantiles": {_q_key(q): float(qs[i, j]) for j, q in enumerate(QUANTILES)},
                        "p_fatal": round(float(p1[i]), 4) if p1 is not None else None,
                        "p_ge10": round(float(p10[i]), 4) if p10 is not None else None,
                        "explanation": (why[i] or None) if why is not None else None,
                    })  # fmt: skip
    return rows


@dataclass
class RunOutcome:
    run: ForecastRun | None
    created: bool
    message: str


@dataclass
class Prepared:
    """A computed run, not yet stored: what :func:`store_run` writes (computing takes tens of seconds, so
    the schedule computes through a read-only session and writes in a short transaction; on SQLite a writer
    would otherwise hold the database's one write lock the whole time)."""

    level: Classification
    through: int
    key: str
    result: BacktestResult
    rows: list[dict[str, Any]]
    incidents_used: int
    made_by: str
    trigger: str


def run_forecast(
    session: Session,
    *,
    month: str | None = None,
    trigger: str = "cli",
    backtest_years: int = BACKTEST_YEARS,
    level: Classification | None = None,
    only_if_new: bool = False,
    progress: Progress | None = None,
) -> RunOutcome:
    """Make and store a forecast run from the data through ``month`` (``YYYY-MM``; default: the latest
    month with an incident). ``level`` caps the incidents used (default: the session's clearance); with
    ``only_if_new``, nothing is made when a run from the same data exists (the schedule's idempotence)."""
    prepared = prepare_run(
        session, month=month, trigger=trigger, backtest_years=backtest_years, level=level,
        only_if_new=only_if_new, progress=progress,
    )  # fmt: skip
    return prepared if isinstance(prepared, RunOutcome) else store_run(session, prepared)


def prepare_run(
    session: Session,
    *,
    month: str | None = None,
    trigger: str = "cli",
    backtest_years: int = BACKTEST_YEARS,
    level: Classification | None = None,
    only_if_new: bool = False,
    progress: Progress | None = None,
) -> Prepared | RunOutcome:
    """Compute a run (reads only); a :class:`RunOutcome` when ``only_if_new`` finds the data covered."""
    who = principal_of(session)
    if not who.is_system and who.role not in ForecastRun.__write_roles__:
        raise AccessDenied(f"{who.username} ({who.role}) may not make forecasts")
    if not 1 <= backtest_years <= 30:
        raise InvalidInput([Problem(0, "must be between 1 and 30", "--backtest-years")])
    cap = level if level is not None else (None if who.is_system else who.clearance)
    run_level = visible_level(session, cap)
    through = parse_month(month, "--month") if month else None
    district = build_panel(session, "district", level=run_level)
    if through is not None and through > district.end:
        last = month_label(district.end)
        raise InvalidInput([Problem(0, f"{month} is after the latest month with data ({last})", "--month")])
    if through is not None and through < district.start + 12:
        raise InvalidInput([Problem(0, f"{month}: a forecast needs a year of data before it", "--month")])
    if through is not None:
        district = district.truncated(through)
    through = district.end
    key = data_key(session, run_level, through)
    if only_if_new:
        existing = session.scalar(
            select(ForecastRun).where(ForecastRun.data_key == key).order_by(ForecastRun.id.desc()).limit(1)
        )
        if existing is not None:
            return RunOutcome(existing, False, f"forecast run {existing.id} already covers this data")
    province = build_panel(session, "province", start=district.start, end=through, level=run_level)
    end_year = through // 12  # origins after ``through`` have nothing to score and are skipped
    start_year = end_year - backtest_years + 1

    def step(label: str, done: int, total: int) -> None:
        if progress is not None:
            progress(label, done, total)

    result: BacktestResult = backtest(
        district, start_year, end_year, progress=lambda d, t: step("backtest", d, t)
    )
    step("forecasting", 0, 2)
    rows = _predict_all(district, HORIZONS, MODELS)
    step("forecasting", 1, 2)
    rows += _predict_all(province, HORIZONS, MODELS)
    step("forecasting", 2, 2)
    return Prepared(
        level=run_level, through=through, key=key, result=result, rows=rows,
        incidents_used=int(district.incidents.sum() + sum(district.unplaced.values())),
        made_by=who.username, trigger=trigger,
    )  # fmt: skip


def store_run(session: Session, prepared: Prepared) -> RunOutcome:
    """Write a computed run and its forecasts (flushes; the caller commits)."""
    run = ForecastRun(
        data_through=month_label(prepared.through),
        chosen_model=prepared.result.chosen,
        trigger=prepared.trigger,
        made_by=prepared.made_by,
        incidents_used=prepared.incidents_used,
        data_key=prepared.key,
        backtest=prepared.result.as_dict(),
        classification=prepared.level,
    )
    session.add(run)
    session.flush()
    rows = [{**r, "run_id": run.id, "classification": prepared.level} for r in prepared.rows]
    for chunk in range(0, len(rows), 2000):
        session.execute(insert(Forecast), rows[chunk : chunk + 2000])
    session.flush()
    message = f"forecast run {run.id}: data through {run.data_through}, {prepared.result.message}"
    return RunOutcome(run, True, message)


# ---- reading ------------------------------------------------------------------------------------------


def latest_run(session: Session) -> ForecastRun | None:
    """The newest run the session may see (the latest data; at equal data, the most informed level)."""
    return session.scalar(
        select(ForecastRun)
        .order_by(ForecastRun.data_through.desc(), ForecastRun.classification.desc(), ForecastRun.id.desc())
        .limit(1)
    )


def get_run(session: Session, run_id: int | None) -> ForecastRun:
    run = latest_run(session) if run_id is None else session.get(ForecastRun, run_id)
    if run is None:
        raise NotFound(
            "no forecast run" + (f" {run_id}" if run_id is not None else " yet: run `nigran forecast run`")
        )
    return run


def current(session: Session, unit_kind: str = "district", *, model: str | None = None) -> list[Forecast]:
    """The latest run's forecasts for every unit of ``unit_kind`` by its chosen model (or ``model``)."""
    if unit_kind not in UNIT_KINDS:
        raise InvalidInput([Problem(0, f"unknown unit {unit_kind!r} (district or province)", "unit")])
    run = latest_run(session)
    if run is None:
        return []
    return list(
        session.scalars(
            select(Forecast)
            .where(
                Forecast.run_id == run.id,
                Forecast.unit_kind == unit_kind,
                Forecast.model == (model or run.chosen_model),
            )
            .order_by(Forecast.unit_code, Forecast.measure, Forecast.horizon)
        )
    )


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


def resolve_unit(session: Session, text: str, kind: str = "district") -> AdminUnit:
    """A district (or province) by code, name, alias or former name; an unknown one is ``NotFound``."""
    wanted = _norm(text or "")
    levels = ("district",) if kind == "district" else ("province", "region", "territory")
    if not wanted or len(wanted) > 200:
        raise NotFound(f"no {kind} {text!r}")
    units = list(session.scalars(select(AdminUnit).where(AdminUnit.level.in_(levels))))
    for attr in ("code", "name"):
        for u in units:
            if _norm(getattr(u, attr)) == wanted:
                return u
    for u in units:
        if wanted in {_norm(a) for a in (u.aliases or []) + (u.former_names or [])}:
            return u
    raise NotFound(f"no {kind} {text!r}")


def recent_incidents(
    session: Session, code: str, through: str, months: int = 12, limit: int = 10
) -> list[dict[str, Any]]:
    """The district's incidents in the ``months`` months through ``through`` (most deaths first)."""
    end = parse_month(through)
    lo = end - months + 1
    stmt = (
        select(Incident)
        .where(
            Incident.district_code == code,
            Incident.duplicate_of_id.is_(None),
            (Incident.year * 12 + Incident.month - 1) >= lo,
            (Incident.year * 12 + Incident.month - 1) <= end,
        )
        .order_by(Incident.killed.desc().nulls_last(), Incident.date.desc(), Incident.id)
        .limit(limit)
    )
    return [
        {"id": i.id, "date": i.date.isoformat(), "event_type": i.event_type, "killed": i.killed,
         "injured": i.injured, "place": i.place}
        for i in session.scalars(stmt)
    ]  # fmt: skip


def monthly_series(session: Session, code: str, through: str, months: int = 36) -> list[dict[str, Any]]:
    """Incidents and fatalities per month for the last ``months`` months (fatalities None when unknown)."""
    end = parse_month(through)
    lo = end - months + 1
    key = Incident.year * 12 + Incident.month - 1
    stmt = (
        select(key, func.count(Incident.id), func.sum(Incident.killed), func.count(Incident.killed))
        .where(Incident.district_code == code, Incident.duplicate_of_id.is_(None), key >= lo, key <= end)
        .group_by(key)
    )
    found = {int(k): (int(n), s, int(c)) for k, n, s, c in session.execute(stmt)}
    out = []
    for k in range(lo, end + 1):
        n, s, c = found.get(k, (0, 0, 0))
        fatalities = int(s or 0) if (c > 0 or n == 0) else None
        out.append({"month": month_label(k), "incidents": n, "fatalities": fatalities, "fatalities_known": c})
    return out


def forecast_dict(f: Forecast) -> dict[str, Any]:
    return {
        "unit_kind": f.unit_kind, "unit_code": f.unit_code, "target_month": f.target_month,
        "horizon": f.horizon, "measure": f.measure, "model": f.model, "mean": f.mean,
        "quantiles": f.quantiles, "p_fatal": f.p_fatal, "p_ge10": f.p_ge10,
    }  # fmt: skip


def district_forecast(session: Session, code: str) -> dict[str, Any]:
    """One district's latest forecast (chosen model), the learned model's explanation, its recent series
    and incidents. ``NotFound`` for an unknown district or when there is no forecast yet."""
    unit = resolve_unit(session, code)
    run = get_run(session, None)
    rows = list(
        session.scalars(
            select(Forecast)
            .where(
                Forecast.run_id == run.id, Forecast.unit_kind == "district", Forecast.unit_code == unit.code
            )
            .order_by(Forecast.measure, Forecast.horizon, Forecast.model)
        )
    )
    chosen = [forecast_dict(f) for f in rows if f.model == run.chosen_model]
    explanation = [
        {"measure": f.measure, "horizon": f.horizon, "mean": f.mean, "contributions": f.explanation}
        for f in rows
        if f.model == "gbm" and f.explanation
    ]
    return {
        "district": {"code": unit.code, "name": unit.name, "name_ur": unit.name_ur},
        "run": run_dict(run),
        "forecasts": chosen,
        "all_models": [forecast_dict(f) for f in rows],
        "explanation": explanation,
        "series": monthly_series(session, unit.code, run.data_through),
        "recent_incidents": recent_incidents(session, unit.code, run.data_through),
    }


def run_dict(run: ForecastRun) -> dict[str, Any]:
    return {
        "id": run.id, "made_at": run.made_at.isoformat() if run.made_at else None,
        "data_through": run.data_through, "chosen_model": run.chosen_model, "trigger": run.trigger,
        "made_by": run.made_by, "incidents_used": run.incidents_used,
        "classification": Classification.parse(run.classification).name,
        "message": (run.backtest or {}).get("message"),
    }  # fmt: skip


# ---- scoring stored forecasts later ------------------------------------------------------------------


def score_stored(session: Session, run_id: int | None = None) -> list[dict[str, Any]]:
    """Score stored forecasts whose target month has since been observed: per run, model, measure and
    horizon the CRPS from the stored quantiles, the 90% interval's score and coverage, and the Brier score
    of P(fatal attack). Observations come from the panel the session sees now."""
    runs = (
        [get_run(session, run_id)]
        if run_id is not None
        else list(session.scalars(select(ForecastRun).order_by(ForecastRun.id)))
    )
    if not runs:
        raise NotFound("no forecast run yet: run `nigran forecast run`")
    panels: dict[str, Panel] = {}
    out: list[dict[str, Any]] = []
    for run in runs:
        forecasts = list(session.scalars(select(Forecast).where(Forecast.run_id == run.id)))
        groups: dict[tuple[str, str, str, int], list[Forecast]] = {}
        for f in forecasts:
            groups.setdefault((f.unit_kind, f.model, f.measure, f.horizon), []).append(f)
        for (kind, model, measure, h), items in sorted(groups.items()):
            if kind not in panels:
                panels[kind] = build_panel(session, kind, covariates=False)
            panel = panels[kind]
            target = parse_month(items[0].target_month)
            if target > panel.end or target < panel.start:
                continue
            col = panel.column(target)
            obs, qs, p, fatal = [], [], [], []
            for f in items:
                i = panel.index_of(f.unit_code)
                if i is None:
                    continue
                y = panel.incidents[i, col] if measure == "incidents" else panel.fatalities[i, col]
                if measure == "fatalities" and f.p_fatal is not None:
                    p.append(f.p_fatal)
                    fatal.append(panel.fatal[i, col] >= 1)
                if np.isnan(y):
                    continue
                obs.append(float(y))
                qs.append([f.quantiles.get(_q_key(q), np.nan) for q in QUANTILES])
            if not obs:
                continue
            y_a, q_a = np.asarray(obs), np.asarray(qs, dtype=float)
            lo, hi = q_a[:, 0], q_a[:, -1]
            from nigran.risk.scoring import brier

            out.append({
                "run": run.id, "made_at": run.made_at.isoformat() if run.made_at else None,
                "target_month": month_label(target), "unit_kind": kind, "model": model, "measure": measure,
                "horizon": h, "n": len(obs), "chosen": model == run.chosen_model,
                "crps": float(np.mean(crps_from_quantiles(y_a, q_a))),
                "interval90": float(np.mean(interval_score(y_a, lo, hi, 0.1))),
                "coverage90": float(np.mean((y_a >= lo) & (y_a <= hi))),
                "brier": brier(np.asarray(fatal), np.asarray(p)) if p else None,
            })  # fmt: skip
    return out


# ---- jobs: the schedule and after an import ---------------------------------------------------------


def _levels(session: Session) -> list[Classification]:
    found = session.scalars(select(Incident.classification).distinct())
    return sorted({Classification.parse(v) for v in found}) or [Classification.PUBLIC]


def refresh(db: Database, trigger: str = "schedule") -> str:
    """Make a run for each classification level present in the incidents, unless one from the same data
    exists (idempotent: safe to repeat, which the schedule does). Acts as the system; returns a log line."""
    system = Principal.system()
    with db.session(system, readonly=True) as session:
        levels = _levels(session)
        if session.scalar(select(func.count(Incident.id))) == 0:
            return "no incidents: no forecast"
    lines = []
    for level in levels:
        with db.session(system, readonly=True) as session:
            prepared = prepare_run(session, trigger=trigger, level=level, only_if_new=True)
        if isinstance(prepared, RunOutcome):
            lines.append(f"{level.name}: {prepared.message}")
            continue
        with db.session(system) as session:  # short: only the writes
            existing = session.scalar(select(ForecastRun.id).where(ForecastRun.data_key == prepared.key))
            if existing is not None:  # another worker stored the same data meanwhile
                lines.append(f"{level.name}: forecast run {existing} already covers this data")
                continue
            lines.append(f"{level.name}: {store_run(session, prepared).message}")
    return "; ".join(lines)


def after_import(db: Database) -> str:
    """Call after an incident import has committed: new data gets a forecast run (nothing if unchanged)."""
    return refresh(db, trigger="import")
