"""The layered risk index per district, on 0–10 in the manner of INFORM.

Three dimensions, each the weighted arithmetic mean of its available components, every component first
transformed (log10 for skewed counts and densities) and min–max normalised to 0–10 between documented fixed
bounds (values beyond a bound are capped):

- threat: fatalities and incidents in the 12 months ending with the month (absolute and per 100,000
  people), escalation (the last 3 months against the 9 before) and, when the forecasting module has stored
  forecasts, the probability of at least one fatal attack next month;
- vulnerability: multidimensional poverty (2016, province or former FATA), population density, border
  district, merged district;
- lack of coping capacity: illiteracy (2018-19, province) and distance from the district headquarters to the
  provincial capital (access to provincial institutions). Too few district-level figures exist for this
  dimension; the output and ``docs/risk.md`` say so.

Risk is the geometric mean of the three dimensions (INFORM: risk = hazard^(1/3) × vulnerability^(1/3) × lack
of coping capacity^(1/3)). A component with no data is left out of its dimension's mean and counted as
missing; each district carries a reliability (share of components available, like INFORM's reliability
index) and the names of the missing ones. A dimension with no component at all makes the risk unknown.

Incidents are the survivors of de-duplication (``duplicate_of_id IS NULL``) the session may see, counted by
the district they are placed in; fatalities are the sum of known ``killed`` figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.errors import InvalidInput, NotFound
from nigran.core.modules import optional_import
from nigran.core.problems import Problem
from nigran.incidents.models import Incident
from nigran.risk import covariates

DIMENSIONS = ("threat", "vulnerability", "coping")
DIMENSION_LABELS = {"threat": "Threat", "vulnerability": "Vulnerability", "coping": "Lack of coping capacity"}
WINDOW_MONTHS = 12
RECENT_MONTHS = 3
#: INFORM's risk classes (upper bounds on 0–10): very low, low, medium, high, very high.
CLASS_BREAKS = (2.0, 3.5, 5.0, 6.5, 10.0)
CLASS_NAMES = ("Very low", "Low", "Medium", "High", "Very high")
ATTRIBUTION = "Incidents: as recorded in Nigran (demo: UCDP GED, CC BY 4.0). Covariates: see their sources."


def _log10p(x: float) -> float:
    return math.log10(1.0 + x)


def _identity(x: float) -> float:
    return x


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else float("-inf")


@dataclass(frozen=True)
class Spec:
    """One component: its dimension, how its raw value is transformed, and the bounds (in raw units) that
    map to 0 and 10 after the transform."""

    name: str
    dimension: str
    label: str
    unit: str
    transform: str  # "log10(1+x)" | "log10(x)" | "x" | "log2 ratio"
    low: float
    high: float
    weight: float = 1.0
    invert: bool = False  # literacy → illiteracy: 10 at low literacy

    def fn(self) -> Callable[[float], float]:
        return {"log10(1+x)": _log10p, "log10(x)": _log10, "x": _identity, "log2 ratio": _identity}[
            self.transform
        ]

    def score(self, raw: float | None) -> float | None:
        if raw is None:
            return None
        f = self.fn()
        lo, hi, v = f(self.low), f(self.high), f(raw)
        share = (v - lo) / (hi - lo)
        share = min(1.0, max(0.0, share))
        return round(10.0 * (1.0 - share if self.invert else share), 4)


SPECS: tuple[Spec, ...] = (
    Spec("fatalities_12m", "threat", "Fatalities, last 12 months", "deaths", "log10(1+x)", 0, 1000),
    Spec(
        "fatalities_per_100k",
        "threat",
        "Fatalities per 100,000 people, last 12 months",
        "per 100k",
        "log10(1+x)",
        0,
        100,
    ),
    Spec("incidents_12m", "threat", "Incidents, last 12 months", "incidents", "log10(1+x)", 0, 250),
    Spec(
        "escalation",
        "threat",
        "Escalation: log2 of (last-3-month rate + 1) / (previous-9-month rate + 1)",
        "log2 ratio",
        "log2 ratio",
        0,
        2,
    ),
    Spec(
        "forecast_p_fatal",
        "threat",
        "Forecast probability of a fatal attack next month",
        "probability",
        "x",
        0,
        1,
    ),
    Spec("mpi_headcount_pct", "vulnerability", "Multidimensional poverty headcount (2016)", "%", "x", 0, 100),
    Spec("density_per_km2", "vulnerability", "Population density", "persons per km²", "log10(x)", 10, 10000),
    Spec("border_any", "vulnerability", "Border district", "flag", "x", 0, 1),
    Spec("merged_district", "vulnerability", "Merged district (former FATA)", "flag", "x", 0, 1),
    Spec("literacy_pct", "coping", "Literacy, aged 10+ (2018-19), inverted", "%", "x", 0, 100, invert=True),
    Spec("distance_to_capital_km", "coping", "Distance to the provincial capital", "km", "x", 0, 600),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


@dataclass
class Component:
    name: str
    dimension: str
    label: str
    raw: float | None
    score: float | None
    weight: float
    unit: str
    transform: str
    bounds: tuple[float, float]
    source: dict[str, str] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dimension": self.dimension,
            "label": self.label,
            "raw": self.raw,
            "score": self.score,
            "weight": self.weight,
            "unit": self.unit,
            "transform": self.transform,
            "bounds": list(self.bounds),
            "source": self.source,
        }


@dataclass
class DistrictIndex:
    code: str
    name: str
    province: str
    components: list[Component]
    dimensions: dict[str, float | None]
    risk: float | None
    reliability: float
    missing: list[str]
    rank: int | None = None

    @property
    def risk_class(self) -> str | None:
        return class_name(self.risk)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "province": self.province,
            "rank": self.rank,
            "risk": self.risk,
            "risk_class": self.risk_class,
            **{d: self.dimensions.get(d) for d in DIMENSIONS},
            "reliability": self.reliability,
            "missing": self.missing,
            "components": [c.as_dict() for c in self.components],
        }


@dataclass
class IndexResult:
    month: str | None
    window: tuple[str, str] | None
    districts: list[DistrictIndex]
    notes: list[str] = field(default_factory=list)
    forecast_used: bool = False
    weights: dict[str, float] = field(default_factory=dict)
    aggregation: str = "geometric"
    #: the highest classification among the incidents counted (what a page of these figures shows)
    level: Classification | None = None

    def by_code(self) -> dict[str, DistrictIndex]:
        return {d.code: d for d in self.districts}

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "window": list(self.window) if self.window else None,
            "aggregation": self.aggregation,
            "forecast_used": self.forecast_used,
            "notes": self.notes,
            "bounds": {
                s.name: {
                    "dimension": s.dimension,
                    "transform": s.transform,
                    "low": s.low,
                    "high": s.high,
                    "weight": self.weights.get(s.name, s.weight),
                    "inverted": s.invert,
                }
                for s in SPECS
            },
            "attribution": ATTRIBUTION,
            "districts": [d.as_dict() for d in self.districts],
        }


def class_name(value: float | None) -> str | None:
    if value is None:
        return None
    for bound, name in zip(CLASS_BREAKS, CLASS_NAMES, strict=True):
        if value <= bound:
            return name
    return CLASS_NAMES[-1]


# -- months and violence ---------------------------------------------------------------------------------


def parse_month(text: str | None) -> tuple[int, int] | None:
    if text is None or text == "":
        return None
    parts = text.strip().split("-")
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and len(parts[0]) == 4:
        y, m = int(parts[0]), int(parts[1])
        if 1 <= m <= 12 and 1900 <= y <= 2200:
            return y, m
    raise InvalidInput([Problem(0, f"month must be YYYY-MM, not {text!r}", "month")])


def _shift(y: int, m: int, months: int) -> tuple[int, int]:
    i = y * 12 + (m - 1) + months
    return i // 12, i % 12 + 1


def latest_month(session: Session) -> tuple[int, int] | None:
    """The month of the latest surviving incident the session may see, placed in a district."""
    last = session.execute(
        select(func.max(Incident.date)).where(
            Incident.duplicate_of_id.is_(None), Incident.district_code.is_not(None)
        )
    ).scalar_one_or_none()
    return (last.year, last.month) if last else None


def window_level(session: Session, first: tuple[int, int], last: tuple[int, int]) -> Classification | None:
    """The highest classification among the surviving incidents of the months ``first``..``last``."""
    ny, nm = _shift(last[0], last[1], 1)
    found = session.execute(
        select(func.max(Incident.classification)).where(
            Incident.duplicate_of_id.is_(None),
            Incident.district_code.is_not(None),
            Incident.date >= date(first[0], first[1], 1),
            Incident.date < date(ny, nm, 1),
        )
    ).scalar_one_or_none()
    return Classification.parse(found) if found is not None else None


def monthly_violence(
    session: Session, first: tuple[int, int], last: tuple[int, int]
) -> dict[str, dict[tuple[int, int], tuple[int, int]]]:
    """``{district: {(year, month): (incidents, fatalities)}}`` over the months ``first``..``last``
    (survivors only; fatalities the sum of known ``killed``)."""
    start = date(first[0], first[1], 1)
    ny, nm = _shift(last[0], last[1], 1)
    end = date(ny, nm, 1)
    rows = session.execute(
        select(
            Incident.district_code,
            Incident.year,
            Incident.month,
            func.count(Incident.id),
            func.coalesce(func.sum(Incident.killed), 0),
        )
        .where(
            Incident.duplicate_of_id.is_(None),
            Incident.district_code.is_not(None),
            Incident.date >= start,
            Incident.date < end,
        )
        .group_by(Incident.district_code, Incident.year, Incident.month)
    ).all()
    out: dict[str, dict[tuple[int, int], tuple[int, int]]] = {}
    for code, y, m, n, killed in rows:
        out.setdefault(code, {})[(int(y), int(m))] = (int(n), int(killed))
    return out


def forecast_probabilities(
    session: Session, month: tuple[int, int] | None = None
) -> tuple[dict[str, float], str | None]:
    """``{district: p_fatal}`` at the nearest horizon from the forecasting module's stored forecasts made
    from data through ``month`` (a forecast row's ``target_month`` minus its ``horizon``; rows without a
    target month are taken as they are), and a note when there are none or the module is absent."""
    module = optional_import("nigran.risk.forecast")
    current = getattr(module, "current", None) if module else None
    if current is None:
        return {}, "forecasts: the forecasting module is not installed; threat has no forecast component"
    try:
        # in a savepoint: a failed query there must not abort this session's transaction (PostgreSQL)
        with session.begin_nested():
            rows = list(current(session, unit_kind="district") or [])
    except Exception as exc:  # another module's failure must not take the index down
        return {}, f"forecasts unavailable ({type(exc).__name__}); threat has no forecast component"
    best: dict[str, tuple[int, float]] = {}
    for row in rows:
        get = row.get if isinstance(row, Mapping) else (lambda k, r=row: getattr(r, k, None))
        code = get("unit_code") or get("code") or get("district_code") or get("unit")
        p = get("p_fatal")
        horizon = get("horizon") or 1
        if not isinstance(code, str) or p is None:
            continue
        try:
            p, horizon = float(p), int(horizon)
            target = get("target_month")
            if month is not None and target:
                made = _shift(*parse_month(str(target)), -horizon)  # type: ignore[misc]
                if made != month:
                    continue
        except (TypeError, ValueError, InvalidInput):
            continue
        if 0.0 <= p <= 1.0 and (code not in best or horizon < best[code][0]):
            best[code] = (horizon, p)
    if not best:
        when = f" from data through {month[0]:04d}-{month[1]:02d}" if month else ""
        return {}, f"forecasts: none stored{when}; threat has no forecast component"
    return {c: p for c, (_, p) in best.items()}, None


# -- computing -------------------------------------------------------------------------------------------


def raw_inputs(
    session: Session, month: tuple[int, int]
) -> tuple[dict[str, dict[str, float | None]], list[str], bool]:
    """Every district's raw component values for the 12 months ending with ``month``."""
    first = _shift(month[0], month[1], -(WINDOW_MONTHS - 1))
    violence = monthly_violence(session, first, month)
    probs, note = forecast_probabilities(session, month)
    notes = [note] if note else []
    cov = covariates.districts()
    recent = {_shift(month[0], month[1], -i) for i in range(RECENT_MONTHS)}
    out: dict[str, dict[str, float | None]] = {}
    for code, d in cov.items():
        months = violence.get(code, {})
        n = sum(v[0] for v in months.values())
        f = sum(v[1] for v in months.values())
        f_recent = sum(v[1] for k, v in months.items() if k in recent)
        f_before = f - f_recent
        rate_recent = f_recent / RECENT_MONTHS
        rate_before = f_before / (WINDOW_MONTHS - RECENT_MONTHS)
        pop = d.values["population"]
        values: dict[str, float | None] = {
            "fatalities_12m": float(f),
            "fatalities_per_100k": (f / pop * 100_000) if pop else None,
            "incidents_12m": float(n),
            "escalation": max(0.0, math.log2((rate_recent + 1.0) / (rate_before + 1.0))),
            "forecast_p_fatal": probs.get(code) if probs else None,
        }
        for name in (
            "mpi_headcount_pct",
            "density_per_km2",
            "border_any",
            "merged_district",
            "literacy_pct",
            "distance_to_capital_km",
        ):
            values[name] = d.values[name]
        out[code] = values
    return out, notes, bool(probs)


def _source(code: str, name: str, window: tuple[str, str]) -> dict[str, str]:
    if name in ("fatalities_12m", "incidents_12m", "escalation"):
        return {
            "id": "incidents",
            "title": f"Incidents recorded in Nigran, {window[0]} to {window[1]} (survivors of "
            "de-duplication)",
            "publisher": "Nigran incident database",
            "url": "/incidents",
            "licence": "as each incident's source (demo: UCDP GED, CC BY 4.0)",
            "accessed": window[1],
        }
    if name == "forecast_p_fatal":
        return {
            "id": "forecast",
            "title": "Stored district forecast (nearest horizon)",
            "publisher": "Nigran forecasts",
            "url": "/forecast",
            "licence": "project licence",
            "accessed": window[1],
        }
    if name == "fatalities_per_100k":
        pop = covariates.source(covariates.source_of(code, "population")) or {}
        return {
            "id": "incidents+" + str(pop.get("id", "")),
            "title": "Fatalities (Nigran incidents) ÷ population (" + str(pop.get("title", "unknown")) + ")",
            "publisher": str(pop.get("publisher", "")),
            "url": str(pop.get("url", "")),
            "licence": str(pop.get("licence", "")),
            "accessed": window[1],
        }
    return covariates.source(covariates.source_of(code, name)) or {}


def aggregate(
    scores: Mapping[str, float | None],
    weights: Mapping[str, float] | None = None,
    dimension_weights: Mapping[str, float] | None = None,
    aggregation: str = "geometric",
) -> tuple[dict[str, float | None], float | None]:
    """Dimensions (weighted arithmetic means of available component scores) and the risk (weighted geometric
    mean of the dimensions — equal weights: the cube root of their product — or arithmetic)."""
    weights = weights or {}
    dims: dict[str, float | None] = {}
    for dim in DIMENSIONS:
        parts = [
            (scores[s.name], weights.get(s.name, s.weight))
            for s in SPECS
            if s.dimension == dim and scores.get(s.name) is not None and weights.get(s.name, s.weight) > 0
        ]
        total = sum(w for _, w in parts)
        dims[dim] = round(sum(v * w for v, w in parts) / total, 4) if parts and total > 0 else None
    if any(dims[d] is None for d in DIMENSIONS):
        return dims, None
    dw = {d: (dimension_weights or {}).get(d, 1.0) for d in DIMENSIONS}
    total = sum(dw.values())
    if aggregation == "arithmetic":
        risk = sum(dims[d] * dw[d] for d in DIMENSIONS) / total  # type: ignore[operator]
    else:
        risk = math.prod(dims[d] ** (dw[d] / total) for d in DIMENSIONS)  # type: ignore[operator]
    return dims, round(risk, 4)


def rank(districts: list[DistrictIndex]) -> None:
    """Rank 1 = highest risk; equal risks share the better rank; unknown risk has no rank."""
    ordered = sorted((d for d in districts if d.risk is not None), key=lambda d: -d.risk)  # type: ignore[operator]
    previous, current = None, 0
    for i, d in enumerate(ordered, start=1):
        if d.risk != previous:
            current, previous = i, d.risk
        d.rank = current


def build(
    raw: Mapping[str, Mapping[str, float | None]],
    window: tuple[str, str],
    weights: Mapping[str, float] | None = None,
    dimension_weights: Mapping[str, float] | None = None,
    aggregation: str = "geometric",
) -> list[DistrictIndex]:
    cov = covariates.districts()
    out = []
    for code, values in raw.items():
        comps = []
        for s in SPECS:
            r = values.get(s.name)
            w = (weights or {}).get(s.name, s.weight)
            comps.append(
                Component(
                    s.name,
                    s.dimension,
                    s.label,
                    None if r is None else round(float(r), 4),
                    s.score(r),
                    w,
                    s.unit,
                    s.transform,
                    (s.low, s.high),
                    _source(code, s.name, window) if r is not None else None,
                )
            )
        scores = {c.name: c.score for c in comps}
        dims, risk = aggregate(scores, weights, dimension_weights, aggregation)
        missing = [c.name for c in comps if c.score is None]
        d = cov[code]
        out.append(
            DistrictIndex(
                code,
                d.name,
                d.province,
                comps,
                dims,
                risk,
                round((len(comps) - len(missing)) / len(comps), 4),
                missing,
            )
        )
    out.sort(key=lambda x: (x.risk is None, -(x.risk or 0.0), x.code))
    rank(out)
    return out


def compute(session: Session, month: str | None = None) -> IndexResult:
    """The index for every district, for the 12 months ending with ``month`` (YYYY-MM; default the month of
    the latest incident)."""
    chosen = parse_month(month) or latest_month(session)
    if chosen is None:
        notes = ["no incidents are recorded: the threat dimension cannot be computed, so no risk is shown"]
        cov = covariates.districts()
        districts = [
            DistrictIndex(c, d.name, d.province, [], {k: None for k in DIMENSIONS}, None, 0.0, [])
            for c, d in cov.items()
        ]
        return IndexResult(None, None, districts, notes, False, {s.name: s.weight for s in SPECS})
    first = _shift(chosen[0], chosen[1], -(WINDOW_MONTHS - 1))
    window = (f"{first[0]:04d}-{first[1]:02d}", f"{chosen[0]:04d}-{chosen[1]:02d}")
    raw, notes, used = raw_inputs(session, chosen)
    latest = latest_month(session)
    if latest is not None and chosen > latest:
        notes.append(
            f"the window ends after the latest recorded incident ({latest[0]:04d}-{latest[1]:02d}): "
            "later months count as no violence, which may only mean no data yet"
        )
    if all(not (v.get("incidents_12m") or 0) for v in raw.values()):
        notes.append("no incidents are recorded in the window: threat is 0, so risk is 0, in every district")
    notes.append(
        "lack of coping capacity has little district-level data: illiteracy is the province's figure and the "
        "distance to the provincial capital is a proxy for access; read that dimension with care"
    )
    districts = build(raw, window)
    weights = {s.name: s.weight for s in SPECS}
    level = window_level(session, first, chosen)
    return IndexResult(window[1], window, districts, notes, used, weights, level=level)


def resolve_district(text: str) -> str:
    """A district's code from its code, name, alias or former name (case-insensitive); ``NotFound`` else."""
    key = (text or "").strip().casefold()
    if key:
        from nigran.geo.gazetteer import Gazetteer

        units = Gazetteer.bundled().districts
        exact = [u.code for u in units if key in (u.code.casefold(), u.name.casefold())]
        if exact:
            return exact[0]
        other = {
            u.code for u in units if any(key == n.casefold() for n in (*u.aliases, *u.former_names) if n)
        }
        if len(other) == 1:
            return other.pop()
    raise NotFound(f"no district {text!r}")


def district_components(session: Session, code: str, month: str | None = None) -> DistrictIndex:
    """One district's index with every component, its raw input and source (code or name accepted)."""
    result = compute(session, month)
    found = result.by_code().get(resolve_district(code))
    if found is None:  # pragma: no cover — every gazetteer district is in the covariates
        raise NotFound(f"no district {code!r}")
    return found
