"""``/api/risk``: stored forecasts, one district's forecast and the backtest behind the chosen model, as JSON.

Every read goes through the request's guarded session: a reader sees only forecast runs at or below their
clearance (a run carries the highest level of the incidents it was made from). Signed-in users only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.risk import forecast as service
from nigran.web.deps import ReadSession, SignedIn

router = APIRouter(prefix="/risk", tags=["risk"])


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json")


@router.get("/forecasts")
def forecasts(
    who: SignedIn,
    session: ReadSession,
    unit: Annotated[str, Query(max_length=10, description="district or province")] = "district",
    model: Annotated[
        str | None, Query(max_length=20, description="a model (default: the run's chosen)")
    ] = None,
) -> Response:
    """The latest run's forecasts for every unit (the chosen model unless ``model`` is given)."""
    from nigran.risk.backtest import MODELS

    if model is not None and model not in MODELS:
        raise InvalidInput([Problem(0, f"unknown model {model!r} (one of {', '.join(MODELS)})", "model")])
    rows = service.current(session, unit, model=model)
    run = service.latest_run(session)
    return _json({
        "run": service.run_dict(run) if run is not None else None,
        "forecasts": [service.forecast_dict(f) for f in rows],
    })  # fmt: skip


@router.get("/districts/{district}/forecast")
def district_forecast(who: SignedIn, session: ReadSession, district: str) -> Response:
    """One district's forecast, explanation, recent series and incidents (404 for an unknown district)."""
    return _json(service.district_forecast(session, district[:200]))


@router.get("/districts/{district}/chart")
def district_chart(who: SignedIn, session: ReadSession, district: str) -> Response:
    """The fan chart's data (Chart.js): the last 36 months observed, then the forecast's quantile bands."""
    return _json(fan_chart(service.district_forecast(session, district[:200]), "fatalities"))


@router.get("/backtest")
def backtest(who: SignedIn, session: ReadSession) -> Response:
    """The backtest stored with the latest run: scores per model and horizon, skill against each baseline."""
    run = service.get_run(session, None)
    return _json({"run": service.run_dict(run), "backtest": run.backtest})


@router.get("/backtest/chart")
def backtest_chart(
    who: SignedIn,
    session: ReadSession,
    measure: Annotated[str, Query(max_length=12)] = "fatalities",
) -> Response:
    """Chart.js data: CRPS skill against the no-change baseline, per model (bars) and horizon (datasets)."""
    if measure not in ("incidents", "fatalities"):
        raise InvalidInput([Problem(0, f"unknown measure {measure!r} (incidents or fatalities)", "measure")])
    run = service.get_run(session, None)
    return _json(skill_chart(run.backtest or {}, measure))


def skill_chart(summary: dict[str, Any], measure: str) -> dict[str, Any]:
    rows = [r for r in summary.get("rows", []) if r["measure"] == measure]
    models = list(dict.fromkeys(r["model"] for r in rows))
    horizons = sorted({r["horizon"] for r in rows})
    datasets = []
    for h in horizons:
        by_model = {r["model"]: r for r in rows if r["horizon"] == h}
        data = [(by_model.get(m) or {}).get("skill", {}).get("no_change") for m in models]
        datasets.append({"label": f"h={h}", "data": data})
    return {"labels": models, "datasets": datasets}


def fan_chart(found: dict[str, Any], measure: str) -> dict[str, Any]:
    series = found["series"]
    ahead = sorted((f for f in found["forecasts"] if f["measure"] == measure), key=lambda f: f["horizon"])
    labels = [s["month"] for s in series] + [f["target_month"] for f in ahead]
    past: list[Any] = [s[measure] for s in series] + [None] * len(ahead)
    datasets = [{"label": f"{measure} (observed)", "data": past}]
    for q, name in (("0.05", "5%"), ("0.25", "25%"), ("0.5", "median"), ("0.75", "75%"), ("0.95", "95%")):
        values: list[Any] = [None] * (len(series) - 1) + [series[-1][measure] if series else None]
        values += [f["quantiles"].get(q) for f in ahead]
        datasets.append({"label": f"forecast {name}", "data": values})
    return {"labels": labels, "datasets": datasets}
