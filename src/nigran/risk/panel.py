"""The district-month and province-month panel the forecasts learn from.

One row per unit (every district of the administrative units, or every province, region and territory) and
one column per month, built from the de-duplicated incidents the session may see (``duplicate_of_id IS NULL``;
the guard filters what is above the reader's clearance). A month without incidents is a real 0. Fatalities
(``killed``, all deaths) are known only for incidents that give them: a month's total is the sum over those,
``killed_known`` says how many incidents gave one, and a month whose incidents give none is unknown (NaN),
never 0.

Districts that split or were renamed: incidents carry the gazetteer's current district codes (the importer
resolves former names and aliases such as "South Waziristan Agency" or "Lyallpur" and places events by their
coordinates), so a series continues under today's code. An incident coded only to a province, division or
region (e.g. "Karachi", "Azad Kashmir") counts in its province's series and in ``unplaced``, never in a
district. ``docs/forecasting.md`` lists the districts created during the panel's span, whose early months are
recorded under the district they were carved from.

Neighbours (spatial lags) come from the bundled 2019 district polygons: two polygons are adjacent when they
share a boundary vertex (the geoBoundaries build shares vertices exactly along common borders); a district
with no polygon of its own (created since 2019) takes its stand-in polygon's neighbours and is a neighbour of
the other districts drawn in the same polygon.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.errors import InvalidInput
from nigran.core.modules import optional_import
from nigran.core.problems import Problem
from nigran.geo.models import AdminUnit
from nigran.incidents.models import Incident

UNIT_KINDS = ("district", "province")
PROVINCE_LEVELS = ("province", "region", "territory")


def month_key(year: int, month: int) -> int:
    """A month as one integer (months since year 0), so that month arithmetic is subtraction."""
    return year * 12 + (month - 1)


def month_label(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


def parse_month(text: str, name: str = "month") -> int:
    """``YYYY-MM`` → month key; anything else is a problem naming ``name``."""
    value = (text or "").strip()
    try:
        year_s, month_s = value.split("-")
        year, month = int(year_s), int(month_s)
        if len(year_s) != 4 or not 1 <= month <= 12 or not 1900 <= year <= 2200:
            raise ValueError
    except ValueError:
        raise InvalidInput([Problem(0, f"{text!r} is not a month (YYYY-MM)", name)]) from None
    return month_key(year, month)


@dataclass
class Panel:
    """Counts per unit × month. Arrays are (units, months); ``months[j]`` is a month key."""

    unit_kind: str
    codes: list[str]
    names: dict[str, str]
    provinces: list[str]
    months: np.ndarray  # month keys, consecutive
    incidents: np.ndarray  # int
    fatalities: np.ndarray  # float, NaN when unknown
    killed_known: np.ndarray  # int: incidents giving a fatality figure
    fatal: np.ndarray  # int: incidents with at least one death (fatal attacks)
    actors: np.ndarray  # int: distinct known actors active
    neighbours: list[list[int]] = field(default_factory=list)
    unplaced: dict[int, int] = field(default_factory=dict)  # month key → incidents with no district
    covariates: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return int(self.months[0])

    @property
    def end(self) -> int:
        return int(self.months[-1])

    def index_of(self, code: str) -> int | None:
        return self._index().get(code)

    def _index(self) -> dict[str, int]:
        cached = getattr(self, "_idx", None)
        if cached is None:
            cached = {c: i for i, c in enumerate(self.codes)}
            self._idx = cached
        return cached

    def column(self, key: int) -> int:
        return key - self.start

    def known_share(self) -> np.ndarray:
        """Per unit-month, the share of incidents that give a fatality figure (NaN without incidents)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.incidents > 0, self.killed_known / np.maximum(self.incidents, 1), np.nan)

    def truncated(self, last: int) -> Panel:
        """The panel up to and including month ``last`` (a copy that knows nothing later)."""
        n = last - self.start + 1
        return Panel(
            self.unit_kind,
            self.codes,
            self.names,
            self.provinces,
            self.months[:n].copy(),
            self.incidents[:, :n].copy(),
            self.fatalities[:, :n].copy(),
            self.killed_known[:, :n].copy(),
            self.fatal[:, :n].copy(),
            self.actors[:, :n].copy(),
            self.neighbours,
            {k: v for k, v in self.unplaced.items() if k <= last},
            self.covariates,
        )


def _units(session: Session) -> tuple[list[AdminUnit], dict[int, AdminUnit]]:
    rows = list(session.scalars(select(AdminUnit).order_by(AdminUnit.code)))
    return rows, {u.id: u for u in rows}


def _province_of(unit: AdminUnit, by_id: dict[int, AdminUnit]) -> str | None:
    seen = 0
    current: AdminUnit | None = unit
    while current is not None and seen < 10:
        if current.level in PROVINCE_LEVELS:
            return current.code
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
        seen += 1
    return None


@cache
def polygon_adjacency() -> dict[str, frozenset[str]]:
    """Polygon code → codes of polygons sharing a boundary vertex (computed once from the bundled file)."""
    from nigran.geo import boundaries

    owners: dict[tuple[float, float], set[str]] = defaultdict(set)
    features = boundaries._raw("pak_adm2.geojson")["features"]
    for props, feature in zip(boundaries._polygons(), features, strict=True):
        for polygon in boundaries._rings(feature["geometry"]):
            for ring in polygon:
                for x, y in ring:
                    owners[(round(x, 4), round(y, 4))].add(props["code"])
    adjacent: dict[str, set[str]] = defaultdict(set)
    for codes in owners.values():
        if len(codes) > 1:
            for code in codes:
                adjacent[code] |= codes - {code}
    return {k: frozenset(v) for k, v in adjacent.items()}


def district_neighbours(codes: list[str]) -> list[list[int]]:
    """For each district, the indexes of its neighbours among ``codes`` (see the module's note)."""
    from nigran.geo import boundaries

    index = {c: i for i, c in enumerate(codes)}
    polygon = {c: boundaries.district_polygon_of(c) for c in codes}
    members: dict[str, list[str]] = defaultdict(list)
    for code, poly in polygon.items():
        if poly is not None:
            members[poly].append(code)
    adjacency = polygon_adjacency()
    out = []
    for code in codes:
        poly = polygon[code]
        if poly is None:
            out.append([])
            continue
        near = {c for p in adjacency.get(poly, ()) for c in members.get(p, ())}
        near |= set(members.get(poly, ()))
        near.discard(code)
        out.append(sorted(index[c] for c in near))
    return out


def _covariates(codes: list[str]) -> dict[str, dict[str, float | None]]:
    module = optional_import("nigran.risk.covariates")
    hook = getattr(module, "for_units", None) if module is not None else None
    if hook is None:
        return {}
    try:
        found = hook(codes) or {}
    except Exception:  # covariates are optional features: a defect there must not stop the forecast
        return {}
    return {str(k): dict(v) for k, v in found.items() if isinstance(v, dict)}


def build_panel(
    session: Session,
    unit: str = "district",
    start: int | str | None = None,
    end: int | str | None = None,
    *,
    covariates: bool = True,
    level: Classification | None = None,
) -> Panel:
    """The panel of ``unit`` (district | province) from ``start`` to ``end`` (month keys or ``YYYY-MM``;
    default: the first and last month with an incident visible to the session). ``level`` further limits
    the incidents to those at or below it (the scheduled job builds one panel per level)."""
    if unit not in UNIT_KINDS:
        raise InvalidInput([Problem(0, f"unknown unit {unit!r} (one of {', '.join(UNIT_KINDS)})", "unit")])
    start_key = parse_month(start, "start") if isinstance(start, str) else start
    end_key = parse_month(end, "end") if isinstance(end, str) else end
    units, by_id = _units(session)
    if unit == "district":
        chosen = [u for u in units if u.level == "district"]
    else:
        chosen = [u for u in units if u.level in PROVINCE_LEVELS]
    codes = [u.code for u in chosen]
    names = {u.code: u.name for u in chosen}
    provinces = [_province_of(u, by_id) or "" for u in chosen]
    index = {c: i for i, c in enumerate(codes)}

    alive = Incident.duplicate_of_id.is_(None)
    if level is not None:
        alive = alive & (Incident.classification <= level)
    key_col = Incident.district_code if unit == "district" else Incident.province_code
    stmt = (
        select(
            key_col,
            Incident.year,
            Incident.month,
            func.count(Incident.id),
            func.sum(Incident.killed),
            func.count(Incident.killed),
            func.sum(case((Incident.killed > 0, 1), else_=0)),
            func.count(func.distinct(Incident.actor_id)),
        )
        .where(alive)
        .group_by(key_col, Incident.year, Incident.month)
    )
    rows = [(c, month_key(y, m), n, k, kk, f, a) for c, y, m, n, k, kk, f, a in session.execute(stmt)]
    if not rows and start_key is None and end_key is None:
        raise InvalidInput([Problem(0, "no incidents to build a panel from", "incidents")])
    lo = start_key if start_key is not None else min(r[1] for r in rows)
    hi = end_key if end_key is not None else max(r[1] for r in rows)
    if hi < lo:
        raise InvalidInput([Problem(0, f"end {month_label(hi)} is before start {month_label(lo)}", "end")])
    months = np.arange(lo, hi + 1)
    shape = (len(codes), len(months))
    incidents = np.zeros(shape, dtype=np.int64)
    killed = np.zeros(shape, dtype=np.float64)
    known = np.zeros(shape, dtype=np.int64)
    fatal = np.zeros(shape, dtype=np.int64)
    actors = np.zeros(shape, dtype=np.int64)
    unplaced: dict[int, int] = defaultdict(int)
    for code, key, n, k, kk, f, a in rows:
        if not lo <= key <= hi:
            continue
        i = index.get(code) if code is not None else None
        if i is None:
            unplaced[key] += int(n)
            continue
        j = key - lo
        incidents[i, j] += int(n)
        killed[i, j] += float(k or 0)
        known[i, j] += int(kk or 0)
        fatal[i, j] += int(f or 0)
        actors[i, j] += int(a or 0)
    fatalities = np.where((incidents > 0) & (known == 0), np.nan, killed)
    return Panel(
        unit_kind=unit,
        codes=codes,
        names=names,
        provinces=provinces,
        months=months,
        incidents=incidents,
        fatalities=fatalities,
        killed_known=known,
        fatal=fatal,
        actors=actors,
        neighbours=district_neighbours(codes) if unit == "district" else [[] for _ in codes],
        unplaced=dict(unplaced),
        covariates=_covariates(codes) if covariates else {},
    )
