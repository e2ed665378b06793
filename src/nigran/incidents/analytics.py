"""Figures over incidents, always through guarded ORM queries, so clearance applies to every number.

Two engines answer the same questions: the pre-aggregated :class:`IncidentCube` when the question fits its
grain (whole months, province, one of type/district/actor), else the incident rows themselves. Both are
mapped classes, so the guard adds ``classification <= clearance`` beneath either.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, literal_column, select
from sqlalchemy.orm import Session

from nigran.core.problems import InvalidInput, Problem
from nigran.incidents.cube import YEAR
from nigran.incidents.models import Actor, Incident, IncidentCube

BY = ("year", "quarter", "month", "province", "district", "type", "actor")
COLUMNS = ("incidents", "killed", "victims_killed", "militants_killed", "injured", "hostages")
ALL_MEASURES = (*COLUMNS, "civilians_killed", "security_killed")
#: The measures that a source may not give (``incidents`` is always known).
FIGURES = ALL_MEASURES[1:]
TIME = ("year", "quarter", "month")
#: Groupings whose keys are codes that have a name (shown beside the code).
NAMED = ("province", "district", "actor")


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    province: str | None = None  # ISO code, e.g. PK-KP
    district: str | None = None
    event_types: tuple[str, ...] = ()
    actor: str | None = None  # registry code, e.g. TTP

    def year_aligned(self) -> bool:
        ok_from = self.date_from is None or (self.date_from.month, self.date_from.day) == (1, 1)
        return ok_from and (self.date_to is None or (self.date_to.month, self.date_to.day) == (12, 31))

    def month_aligned(self) -> bool:
        ok_from = self.date_from is None or self.date_from.day == 1
        ok_to = self.date_to is None or self.date_to.day == calendar.monthrange(*_ym(self.date_to))[1]
        return ok_from and ok_to


def _ym(d: date) -> tuple[int, int]:
    return d.year, d.month


def parse_period_bound(text: str | None, *, end: bool) -> date | None:
    """``2021``, ``2021-08`` or ``2021-08-15``; an end bound covers the whole year or month it names."""
    if not text:
        return None
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return date(parts[0], parts[1], last if end else 1)
    return date(parts[0], parts[1], parts[2])


@dataclass
class Row:
    """Figures of one group. A figure that no incident of the group gives is ``None`` (unknown), not 0;
    ``known`` says for how many of the group's incidents each figure is known."""

    key: tuple[Any, ...]
    label: str
    values: dict[str, int | None] = field(default_factory=dict)
    changes: dict[str, float | None] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    name: str | None = None

    def as_dict(self, by: str) -> dict[str, Any]:
        named = {"name": self.name} if by in NAMED else {}
        known = {f"{m}_known": n for m, n in self.known.items()}
        return {by: self.label, **named, **self.values, **known, **self.changes}


@dataclass(frozen=True)
class Total:
    """A figure summed over groups, with the number of incidents that give it."""

    measure: str
    value: int | None
    known: int
    incidents: int

    @property
    def complete(self) -> bool:
        return self.known == self.incidents


def totals(rows: list[Row]) -> list[Total]:
    """Each figure over all ``rows``: what a table's footer says ("injured: 12, known for 40 of 310")."""
    incidents = sum(r.values["incidents"] or 0 for r in rows)
    out = []
    for m in FIGURES:
        known = sum(r.known.get(m, 0) for r in rows)
        value = sum(r.values.get(m) or 0 for r in rows) if known else None
        out.append(Total(m, value, known, incidents))
    return out


def _dim(by: str) -> str:
    return {"district": "district", "actor": "actor"}.get(by, "type")


def can_use_cube(by: str, f: Filters) -> bool:
    dim = _dim(by)
    if not f.month_aligned() or f.district:
        return False
    if f.event_types and dim != "type":
        return False
    return not (f.actor and dim != "actor")


def _group_cols(model: Any, by: str, cube: bool) -> list[ColumnElement[Any]]:
    if by == "year":
        return [model.year]
    if by == "quarter":
        # literal constants: PostgreSQL must see one expression in SELECT and GROUP BY, not two parameters
        return [
            model.year,
            ((model.month + literal_column("2", Integer)) // literal_column("3", Integer)).label("q"),
        ]
    if by == "month":
        return [model.year, model.month]
    if by == "province":
        return [model.province_code]
    if cube:
        return [model.key]
    return [{"district": Incident.district_code, "type": Incident.event_type, "actor": Incident.actor_id}[by]]


def _label(by: str, key: tuple[Any, ...], actors: dict[Any, str]) -> str:
    if by == "year":
        return str(key[0])
    if by == "quarter":
        return f"{key[0]}-Q{int(key[1])}"
    if by == "month":
        return f"{key[0]}-{int(key[1]):02d}"
    if by == "actor":
        return actors.get(key[0], key[0]) or "unknown"
    return key[0] or "unknown"


def aggregate(session: Session, by: str, f: Filters = Filters(), *, engine: str = "auto") -> list[Row]:
    """Rows of figures per ``by`` value (time periods in order, other dimensions by incidents, most first)."""
    if by not in BY:
        raise InvalidInput([Problem(0, f"unknown grouping {by!r} (one of {', '.join(BY)})", "--by")])
    cube = engine == "cube" or (engine == "auto" and can_use_cube(by, f))
    if cube and not can_use_cube(by, f):
        raise ValueError("this question does not fit the cube's grain; use engine='rows'")
    if cube:
        m: Any = IncidentCube
        sums = (
            [func.sum(m.incidents)]
            + [func.sum(getattr(m, c)) for c in FIGURES]
            + [func.sum(getattr(m, f"{c}_known")) for c in FIGURES]
        )
        stmt = select(*_group_cols(m, by, True), *sums).where(m.dim == _dim(by))
        if by not in ("quarter", "month") and f.year_aligned():
            stmt = stmt.where(m.month == YEAR)  # the year-grain cells: twelve times fewer
            if f.date_from:
                stmt = stmt.where(m.year >= f.date_from.year)
            if f.date_to:
                stmt = stmt.where(m.year <= f.date_to.year)
        else:
            stmt = stmt.where(m.month != YEAR)
            if f.date_from:
                stmt = stmt.where(m.year * 100 + m.month >= f.date_from.year * 100 + f.date_from.month)
            if f.date_to:
                stmt = stmt.where(m.year * 100 + m.month <= f.date_to.year * 100 + f.date_to.month)
        if f.province:
            stmt = stmt.where(m.province_code == f.province)
        if f.event_types:
            stmt = stmt.where(m.key.in_(f.event_types))
        if f.actor:
            stmt = stmt.where(m.key == f.actor)
    else:
        m = Incident
        sums = (
            [func.count(m.id)]
            + [func.sum(getattr(m, c)) for c in FIGURES]
            + [func.count(getattr(m, c)) for c in FIGURES]
        )
        stmt = select(*_group_cols(m, by, False), *sums).where(m.duplicate_of_id.is_(None))
        stmt = _row_filters(session, stmt, f)
    keys = _group_cols(m, by, cube)
    stmt = stmt.group_by(*keys)
    actors = _actor_names(session, by_code=cube) if by == "actor" else {}
    names = _names(session, by)
    rows = []
    n = len(FIGURES)
    for record in session.execute(stmt):
        key = tuple(record[: len(keys)])
        counts = [int(v or 0) for v in record[len(keys) :]]
        if counts[0] == 0:
            continue  # a cube cell emptied by updates
        known = dict(zip(FIGURES, counts[1 + n :], strict=True))
        values: dict[str, int | None] = {"incidents": counts[0]}
        values.update({c: (v if known[c] else None) for c, v in zip(FIGURES, counts[1 : 1 + n], strict=True)})
        label = _label(by, key, actors)
        rows.append(Row(key, label, values, known=known, name=names.get(label)))
    if by in TIME:
        rows.sort(key=lambda r: tuple(int(k) for k in r.key))
    else:
        rows.sort(key=lambda r: (-(r.values["incidents"] or 0), -(r.values["killed"] or 0), r.label))
    return rows


def _names(session: Session, by: str) -> dict[str, str]:
    """Code → name for groupings by province, district or actor (a table shows both)."""
    if by == "actor":
        return {a.code: a.name for a in session.scalars(select(Actor))}
    if by in ("province", "district"):
        from nigran.geo.gazetteer import Gazetteer

        gz = Gazetteer.bundled()
        units = gz.provinces if by == "province" else {d.code: d for d in gz.districts}
        return {code: unit.name for code, unit in units.items()}
    return {}


def _row_filters(session: Session, stmt: Any, f: Filters) -> Any:
    if f.date_from:
        stmt = stmt.where(Incident.date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Incident.date <= f.date_to)
    if f.province:
        stmt = stmt.where(Incident.province_code == f.province)
    if f.district:
        stmt = stmt.where(Incident.district_code == f.district)
    if f.event_types:
        stmt = stmt.where(Incident.event_type.in_(f.event_types))
    if f.actor:
        actor_id = session.scalar(select(Actor.id).where(Actor.code == f.actor))
        stmt = stmt.where(Incident.actor_id == actor_id)
    return stmt


def _actor_names(session: Session, *, by_code: bool) -> dict[Any, str]:
    return {(a.code if by_code else a.id): a.code for a in session.scalars(select(Actor))}


def _shift(d: date | None, years: int) -> date | None:
    if d is None:
        return None
    return d.replace(year=d.year + years, day=min(d.day, calendar.monthrange(d.year + years, d.month)[1]))


def summary(session: Session, by: str, f: Filters = Filters(), *, engine: str = "auto") -> list[Row]:
    """:func:`aggregate` plus, for time groupings, % change of incidents and killed against the previous
    period and the same period a year before.

    The figures compared with are read over a window widened by a year, so a period cut by ``--from`` is
    compared with whole earlier periods; the rows themselves cover exactly the requested window.
    """
    rows = aggregate(session, by, f, engine=engine)
    if by not in TIME:
        return rows
    wide = (
        aggregate(session, by, replace(f, date_from=_shift(f.date_from, -1)), engine=engine)
        if f.date_from
        else rows
    )
    earlier = {_ordinal(r.key, by): r for r in wide}
    per_year = {"year": 1, "quarter": 4, "month": 12}[by]
    for r in rows:
        n = _ordinal(r.key, by)
        for name, back in (("prev", 1), ("last_year", per_year)):
            if by == "year" and name == "last_year":
                continue
            before = earlier.get(n - back)
            for measure in ("incidents", "killed"):
                r.changes[f"{measure}_vs_{name}"] = _pct(
                    r.values[measure], before.values[measure] if before else None
                )
    return rows


def _ordinal(key: tuple[Any, ...], by: str) -> int:
    if by == "year":
        return int(key[0])
    return int(key[0]) * (4 if by == "quarter" else 12) + int(key[1]) - 1


def _pct(now: int | None, before: int | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return round(100.0 * (now - before) / before, 1)


def top_districts(
    session: Session, f: Filters = Filters(), *, measure: str = "killed", n: int = 10
) -> list[Row]:
    """The ``n`` districts with the highest ``measure``; districts where it is unknown come last."""
    if measure not in ALL_MEASURES:
        raise InvalidInput(
            [Problem(0, f"unknown measure {measure!r} (one of {', '.join(ALL_MEASURES)})", "--measure")]
        )
    rows = aggregate(session, "district", f)
    rows = [r for r in rows if r.label != "unknown"]
    rows.sort(
        key=lambda r: (
            r.values[measure] is None,
            -(r.values[measure] or 0),
            -(r.values["incidents"] or 0),
            r.label,
        )
    )
    return rows[:n]


def incident_ids(session: Session, f: Filters) -> list[int]:
    """The incidents behind a figure: what a reader clicks through to."""
    stmt = _row_filters(session, select(Incident.id).where(Incident.duplicate_of_id.is_(None)), f)
    return list(session.scalars(stmt.order_by(Incident.id)))
