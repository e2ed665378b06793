"""The monthly (or annual) security assessment under one counting definition, and the monitors' figures.

:func:`assess` reads the period's incidents through the caller's session (the guard removes what the
reader may not see, so a SECRET incident never counts for a public reader), sorts each into the
definition's categories, and sums. Every :class:`Fig` carries the incidents that add to it and how many of
its incidents give the figure at all: a sum over incidents none of which gives a toll is ``None``
(unknown), never 0. Functions flush but never commit.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.assessment import definitions
from nigran.assessment.definitions import CATEGORIES, Definition
from nigran.assessment.models import MonitorFigure
from nigran.core.errors import AccessDenied
from nigran.core.numbers import NumberError, parse_count
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, LineList, load_yaml_bytes
from nigran.incidents.models import Actor, Incident

#: The figures of a block, beside the count of incidents: deaths by who died, injured, kidnapped.
MEASURES = ("killed", "security_killed", "civilians_killed", "militants_killed", "injured", "hostages")
#: KP's merged districts appear as this region, apart from the rest of the province.
MERGED = "PK-KP-MERGED"
MERGED_NAME = "Khyber Pakhtunkhwa: merged districts (former FATA)"
KP_REST_NAME = "Khyber Pakhtunkhwa: rest of the province"
TOP = 10
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
SCOPES = ("counted", *CATEGORIES)
#: Measures a monitor figure may carry, and the aliases monitors use (→ measure, scope or None).
FIGURE_MEASURES = ("incidents", *MEASURES)
ALIASES: dict[str, tuple[str, str | None]] = {
    "attacks": ("incidents", "attacks"),
    "operations": ("incidents", "operations"),
    "actions": ("incidents", "operations"),
    "fatalities": ("killed", None),
    "deaths": ("killed", None),
    "kidnapped": ("hostages", None),
}


# ---- periods -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month (``2021-06``) or a year (``2024``)."""

    year: int
    month: int | None = None

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    @property
    def first(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def last(self) -> date:
        m = self.month or 12
        return date(self.year, m, calendar.monthrange(self.year, m)[1])

    def previous(self) -> Period:
        if self.month is None:
            return Period(self.year - 1)
        return Period(self.year, self.month - 1) if self.month > 1 else Period(self.year - 1, 12)

    def year_before(self) -> Period:
        return Period(self.year - 1, self.month)


def parse_period(text: str | None, field_name: str = "--month") -> Period:
    """``YYYY-MM`` (a month) or ``YYYY`` (a year), between 1900 and 2200; else a problem naming the field."""
    value = (text or "").strip()
    found = _MONTH.match(value) or _YEAR.match(value)
    if found:
        year = int(found.group(1))
        month = int(found.group(2)) if found.lastindex == 2 else None
        if 1900 <= year <= 2200 and (month is None or 1 <= month <= 12):
            return Period(year, month)
    raise InvalidInput([Problem(0, f"expected a month YYYY-MM or a year YYYY, not {text!r}", field_name)])


# ---- figures -----------------------------------------------------------------------------------------------


@dataclass
class Fig:
    """One figure: ``value`` (None when none of the ``of`` incidents gives it), for how many it is
    ``known``, and the ``ids`` of the incidents that add to it."""

    value: int | None
    known: int
    of: int
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "known": self.known, "of": self.of, "incident_ids": self.ids}


@dataclass
class Row:
    """The figures an incident contributes: what :func:`assess` reads for each incident."""

    id: int
    date: date
    province_code: str | None
    district_code: str | None
    district: str | None
    place: str | None
    event_type: str
    actor_kind: str | None
    actor: str | None
    classification: str
    figures: dict[str, int | None]
    category: str | None = None


@dataclass
class Block:
    """Figures over a set of incidents: how many, and each measure."""

    incidents: Fig
    measures: dict[str, Fig]

    def as_dict(self) -> dict[str, Any]:
        return {"incidents": self.incidents.as_dict(), **{m: f.as_dict() for m, f in self.measures.items()}}


def block(rows: list[Row], killed: str = "killed", *, covered: bool = True) -> Block:
    """Sums over ``rows``; ``killed`` is the definition's death toll (all deaths, or victims only). In a
    period that is not ``covered`` (no incident at all held for it) even the count is unknown."""
    ids = [r.id for r in rows]
    measures = {}
    for m in MEASURES:
        source = killed if m == "killed" else m
        given = [(r.id, r.figures[source]) for r in rows if r.figures[source] is not None]
        # no incident in a period Nigran holds incidents for: nothing happened, so 0; else unknown
        value = sum(v for _, v in given) if given else (0 if covered and not rows else None)
        measures[m] = Fig(value, len(given), len(rows), [i for i, v in given if v > 0])
    count = len(rows) if covered else None
    return Block(Fig(count, len(rows), len(rows), ids), measures)


@dataclass
class Change:
    measure: str
    now: int | None
    previous_period: str
    previous: int | None
    year_period: str | None
    year_before: int | None

    @staticmethod
    def diff(now: int | None, before: int | None) -> tuple[int | None, float | None]:
        if now is None or before is None:
            return None, None
        pct = round(100.0 * (now - before) / before, 1) if before else None
        return now - before, pct

    def as_dict(self) -> dict[str, Any]:
        d_prev, p_prev = self.diff(self.now, self.previous)
        out: dict[str, Any] = {
            "measure": self.measure,
            "now": self.now,
            "previous": {
                "period": self.previous_period,
                "value": self.previous,
                "change": d_prev,
                "pct": p_prev,
            },
        }
        if self.year_period is not None:
            d_year, p_year = self.diff(self.now, self.year_before)
            out["year_before"] = {
                "period": self.year_period,
                "value": self.year_before,
                "change": d_year,
                "pct": p_year,
            }
        return out


@dataclass
class RegionRow:
    code: str  # province code, MERGED, or "" for incidents without a province
    name: str
    total: Block
    attacks: int
    operations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.code or None,
            "name": self.name,
            "attacks": self.attacks,
            "operations": self.operations,
            **self.total.as_dict(),
        }


@dataclass
class Comparison:
    monitor: str
    period: str
    measure: str
    scope: str
    monitor_value: int
    nigran: Fig
    source: str
    figure_key: str

    def as_dict(self) -> dict[str, Any]:
        ours = self.nigran.value
        return {
            "monitor": self.monitor,
            "period": self.period,
            "measure": self.measure,
            "scope": self.scope,
            "monitor_value": self.monitor_value,
            "nigran": self.nigran.as_dict(),
            "difference": ours - self.monitor_value if ours is not None else None,
            "ratio": round(ours / self.monitor_value, 3) if ours is not None and self.monitor_value else None,
            "source": self.source,
            "figure": self.figure_key,
        }


@dataclass
class Assessment:
    period: Period
    definition: Definition
    total: Block
    categories: dict[str, Block]
    outside: Fig
    regions: list[RegionRow]
    suicide: Block
    deadliest: list[dict[str, Any]]
    changes: list[Change]
    districts: dict[str, int]
    comparisons: list[Comparison]
    highest: Classification | None
    #: False when the reader sees no incident at all in the period: then no figure is known, not even 0
    covered: bool = True

    def figures(self) -> dict[str, Fig]:
        """Every figure by a key a page can link to (``total.killed``, ``attacks.incidents``, …)."""
        out: dict[str, Fig] = {}

        def add(prefix: str, b: Block) -> None:
            out[f"{prefix}.incidents"] = b.incidents
            for m, f in b.measures.items():
                out[f"{prefix}.{m}"] = f

        add("total", self.total)
        for name, b in self.categories.items():
            add(name, b)
        add("suicide", self.suicide)
        for r in self.regions:
            add(f"region.{r.code or 'unknown'}", r.total)
        out["outside.incidents"] = self.outside
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "definition": self.definition.as_dict(),
            "total": self.total.as_dict(),
            "categories": {name: b.as_dict() for name, b in self.categories.items()},
            "outside_definition": self.outside.as_dict(),
            "regions": [r.as_dict() for r in self.regions],
            "suicide_attacks": self.suicide.as_dict(),
            "deadliest": self.deadliest,
            "changes": [c.as_dict() for c in self.changes],
            "districts": self.districts,
            "monitors": [c.as_dict() for c in self.comparisons],
            "highest_classification": self.highest.name if self.highest is not None else None,
            "covered": self.covered,
        }


# ---- reading -----------------------------------------------------------------------------------------------


def _rows(session: Session, period: Period, d: Definition, *, until: date | None = None) -> list[Row]:
    kinds = {a.id: (a.kind, a.code) for a in session.scalars(select(Actor))}
    cols = [getattr(Incident, m) for m in (*MEASURES, "victims_killed")]
    stmt = (
        select(
            Incident.id,
            Incident.date,
            Incident.province_code,
            Incident.district_code,
            Incident.district,
            Incident.place,
            Incident.event_type,
            Incident.actor_id,
            Incident.actor,
            Incident.classification,
            *cols,
        )
        .where(Incident.duplicate_of_id.is_(None))
        .where(Incident.date >= period.first, Incident.date <= (until or period.last))
        .order_by(Incident.date, Incident.id)
    )
    out = []
    for rec in session.execute(stmt):
        kind, code = kinds.get(rec.actor_id, (None, None)) if rec.actor_id is not None else (None, None)
        figures = {m: getattr(rec, m) for m in (*MEASURES, "victims_killed")}
        row = Row(
            rec.id,
            rec.date,
            rec.province_code,
            rec.district_code,
            rec.district,
            rec.place,
            rec.event_type,
            kind,
            code or rec.actor,
            Classification.parse(rec.classification).name,
            figures,
        )
        row.category = d.category_of(rec.event_type, kind)
        out.append(row)
    return out


def _counted(rows: list[Row], d: Definition) -> list[Row]:
    return [r for r in rows if r.category in d.counted]


def _region(r: Row) -> str:
    if r.district_code in definitions.merged_districts():
        return MERGED
    return r.province_code or ""


def _regions(rows: list[Row], d: Definition, *, covered: bool = True) -> list[RegionRow]:
    """Per province (KP's merged districts apart): the counted incidents' figures, and the attacks and
    operations of the region whether the definition counts them or shows them apart."""
    from nigran.geo.gazetteer import Gazetteer

    provinces = Gazetteer.bundled().provinces
    groups: dict[str, list[Row]] = {}
    for r in rows:
        if r.category is not None:
            groups.setdefault(_region(r), []).append(r)
    names = {code: unit.name for code, unit in provinces.items()}
    names.update({MERGED: MERGED_NAME, "PK-KP": KP_REST_NAME, "": "Province unknown"})
    always = ("PK-KP", MERGED, "PK-BA", "PK-PB", "PK-SD")  # the others appear when they have incidents
    order = [*always, *sorted(c for c in provinces if c not in always), ""]
    order += sorted(c for c in groups if c not in order)
    out = []
    for code in order:
        members = groups.get(code, [])
        if not members and code not in always:
            continue
        out.append(
            RegionRow(
                code,
                names.get(code, code),
                block(_counted(members, d), d.killed, covered=covered),
                sum(1 for r in members if r.category == "attacks"),
                sum(1 for r in members if r.category == "operations"),
            )
        )
    return out


def _deadliest(session: Session, rows: list[Row], d: Definition) -> list[dict[str, Any]]:
    ranked = sorted(
        (r for r in rows if r.figures[d.killed] is not None),
        key=lambda r: (-(r.figures[d.killed] or 0), -(r.figures["injured"] or 0), r.date, r.id),
    )[:TOP]
    if not ranked:
        return []
    from nigran.incidents.models import IncidentSource

    ids = [r.id for r in ranked]
    sources: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    stmt = select(IncidentSource).where(IncidentSource.incident_id.in_(ids)).order_by(IncidentSource.id)
    for s in session.scalars(stmt):
        sources[s.incident_id].append(
            {"dataset": s.dataset, "source_id": s.source_id, "url": s.url, "title": _short(s.title)}
        )
    return [
        {
            "id": r.id,
            "date": r.date.isoformat(),
            "province_code": r.province_code,
            "district_code": r.district_code,
            "district": r.district,
            "place": r.place,
            "event_type": r.event_type,
            "category": r.category,
            "actor": r.actor,
            **{m: r.figures[d.killed if m == "killed" else m] for m in MEASURES},
            "classification": r.classification,
            "url": f"/incidents/{r.id}",
            "sources": sources[r.id],
        }
        for r in ranked
    ]


def _short(text: str | None, limit: int = 160) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _change_values(rows: list[Row], d: Definition) -> dict[str, int | None]:
    """The figures compared over time; all unknown for a period with no incident held at all."""
    if not rows:
        return dict.fromkeys(("incidents", "attacks", "operations", "killed", "injured"))
    counted = _counted(rows, d)
    b = block(counted, d.killed, covered=True)
    return {
        "incidents": len(counted),
        "attacks": sum(1 for r in counted if r.category == "attacks"),
        "operations": sum(1 for r in counted if r.category == "operations"),
        "killed": b.measures["killed"].value,
        "injured": b.measures["injured"].value,
    }


def assess(session: Session, period: Period | str, definition: Definition | str) -> Assessment:
    """The assessment of ``period`` (a month ``YYYY-MM`` or a year ``YYYY``) under ``definition``."""
    p = parse_period(period) if isinstance(period, str) else period
    d = definitions.get(definition) if isinstance(definition, str) else definition
    rows = _rows(session, p, d)
    covered = bool(rows)
    counted = _counted(rows, d)
    categories = {
        name: block([r for r in rows if r.category == name], d.killed, covered=covered)
        for name, _ in d.categories
    }
    outside = [r.id for r in rows if r.category is None]
    suicide = [r for r in counted if r.event_type == "suicide_bombing"]
    districts: dict[str, int] = {}
    for r in counted:
        if r.district_code:
            districts[r.district_code] = districts.get(r.district_code, 0) + 1
    now = _change_values(rows, d)
    prev_p, year_p = p.previous(), (p.year_before() if p.month else None)
    prev = _change_values(_rows(session, prev_p, d), d)
    year = _change_values(_rows(session, year_p, d), d) if year_p else {}
    changes = [
        Change(m, now[m], prev_p.label, prev[m], year_p.label if year_p else None, year.get(m))
        for m in ("incidents", "attacks", "operations", "killed", "injured")
        if m not in ("attacks", "operations") or m in d.counted
    ]
    levels = [Classification.parse(r.classification) for r in rows]
    result = Assessment(
        period=p,
        definition=d,
        total=block(counted, d.killed, covered=covered),
        categories=categories,
        outside=Fig(len(outside) if covered else None, len(outside), len(outside), outside),
        regions=_regions(rows, d, covered=covered),
        suicide=block(suicide, d.killed, covered=covered),
        deadliest=_deadliest(session, counted, d),
        changes=changes,
        districts=dict(sorted(districts.items())),
        comparisons=[],
        highest=max(levels) if levels else None,
        covered=covered,
    )
    result.comparisons = _comparisons(session, result)
    return result


def _comparisons(session: Session, a: Assessment) -> list[Comparison]:
    stmt = (
        select(MonitorFigure)
        .where(MonitorFigure.period == a.period.label, MonitorFigure.definition == a.definition.code)
        .order_by(MonitorFigure.monitor, MonitorFigure.scope, MonitorFigure.measure, MonitorFigure.id)
    )
    out = []
    for mf in session.scalars(stmt):
        b = a.total if mf.scope == "counted" else a.categories.get(mf.scope)
        if b is None:
            continue
        fig = b.incidents if mf.measure == "incidents" else b.measures.get(mf.measure)
        if fig is None:
            continue
        key = f"{'total' if mf.scope == 'counted' else mf.scope}.{mf.measure}"
        out.append(Comparison(mf.monitor, mf.period, mf.measure, mf.scope, mf.value, fig, mf.source, key))
    return out


def figure_ids(a: Assessment, key: str) -> list[int]:
    """The incidents behind the figure ``key`` (see :meth:`Assessment.figures`)."""
    from nigran.core.errors import NotFound

    found = a.figures().get(key)
    if found is None:
        raise NotFound(f"the assessment of {a.period.label} has no figure {key!r}")
    return found.ids


def district_values(a: Assessment) -> dict[str, Any]:
    """The counted incidents per district as the incidents map draws them (``choropleth_values``): 0 for a
    district without incidents, districts the boundaries cannot draw listed apart under ``unmapped``."""
    from nigran.geo import boundaries

    drawable = {c: v for c, v in a.districts.items() if boundaries.district_polygon_of(c) is not None}
    every = {c: 0 for row in boundaries.shapes().values() for c in row.districts}
    found = boundaries.choropleth_values({**every, **drawable})
    return {
        "measure": "incidents",
        "breaks": found["breaks"],
        "polygons": found["polygons"],
        "unmapped": {c: v for c, v in a.districts.items() if c not in drawable},
    }


def monthly_series(session: Session, end: Period, d: Definition, months: int = 12) -> dict[str, Any]:
    """The counted attacks, operations and deaths of the ``months`` months to ``end`` (a chart's data)."""
    last = end if end.month else Period(end.year, 12)
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    periods.reverse()
    held = _rows(session, periods[0], d, until=periods[-1].last)
    by: dict[str, list[Row]] = {p.label: [] for p in periods}
    for r in held:
        by[f"{r.date.year}-{r.date.month:02d}"].append(r)
    series: dict[str, list[int | None]] = {"attacks": [], "operations": [], "killed": []}
    for members in by.values():
        if not members:  # no incident held at all for the month: unknown, drawn as a gap
            for values in series.values():
                values.append(None)
            continue
        counted = _counted(members, d)
        series["attacks"].append(sum(1 for r in counted if r.category == "attacks"))
        series["operations"].append(sum(1 for r in counted if r.category == "operations"))
        series["killed"].append(block(counted, d.killed).measures["killed"].value)
    datasets = [{"label": "Attacks", "data": series["attacks"]}]
    if "operations" in d.counted:
        datasets.append({"label": "Operations", "data": series["operations"]})
    datasets.append({"label": "Killed", "data": series["killed"]})
    return {"labels": list(by), "datasets": datasets}


# ---- monitors' reference series ----------------------------------------------------------------------------


def _canonical(measure: str, scope: str | None) -> tuple[str, str]:
    m = measure.strip().casefold()
    alias_scope = None
    if m in ALIASES:
        m, alias_scope = ALIASES[m]
    given = (scope or "").strip().casefold() or None
    return m, (alias_scope if given in (None, "counted") and alias_scope else given or "counted")


def check_figure(data: dict[str, Any], line: int, name: str) -> tuple[dict[str, Any], list[Problem]]:
    """A monitor figure from a mapping (YAML item, CSV row, CLI options), checked; the problems otherwise."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}

    def text(key: str, limit: int, required: bool = True) -> str | None:
        value = data.get(key)
        value = "" if value is None else str(value).strip()
        if not value:
            if required:
                problems.append(Problem(line, f"{key} is required", name))
            return None
        if len(value) > limit:
            problems.append(Problem(line, f"{key} is longer than {limit} characters", name))
        return value

    out["monitor"] = text("monitor", 40)
    period = text("period", 7)
    if period is not None:
        try:
            out["period"] = parse_period(period).label
        except InvalidInput:
            problems.append(Problem(line, f"period must be YYYY-MM or YYYY, not {period!r}", name))
    measure = text("measure", 30)
    scope = text("scope", 12, required=False)
    if measure is not None:
        m, s = _canonical(measure, scope)
        if m not in FIGURE_MEASURES:
            allowed = ", ".join((*FIGURE_MEASURES, *ALIASES))
            problems.append(Problem(line, f"unknown measure {measure!r} (one of {allowed})", name))
        if s not in SCOPES:
            problems.append(Problem(line, f"unknown scope {scope!r} (one of {', '.join(SCOPES)})", name))
        implied = ALIASES.get(measure.strip().casefold(), ("", None))[1]
        if implied and s != implied:
            problems.append(Problem(line, f"measure {measure!r} is a count of {implied}, not {s}", name))
        out["measure"], out["scope"] = m, s
    definition = text("definition", 20)
    if definition is not None:
        if definition.casefold() not in definitions.bundled():
            known = ", ".join(definitions.bundled())
            problems.append(Problem(line, f"unknown definition {definition!r} (one of {known})", name))
        out["definition"] = definition.casefold()
    if data.get("value") is None or str(data.get("value")).strip() == "":
        problems.append(Problem(line, "value is required", name))
    else:
        try:
            out["value"] = parse_count(data["value"])
        except NumberError as exc:
            problems.append(Problem(line, f"value: {exc}", name))
    out["source"] = text("source", 2000)
    out["notes"] = text("notes", 2000, required=False)
    level = data.get("classification") or "PUBLIC"
    try:
        out["classification"] = Classification.parse(str(level))
    except ValueError as exc:
        problems.append(Problem(line, str(exc), name))
    return out, problems


def add_figure(session: Session, data: dict[str, Any], *, name: str = "figure") -> tuple[MonitorFigure, bool]:
    """Add a figure, or update the one already held for the same monitor, period, measure, scope and
    definition; returns it and whether it was new."""
    clean, problems = check_figure(data, 0, name)
    if problems:
        raise InvalidInput(problems)
    return _upsert(session, clean)


def _upsert(session: Session, clean: dict[str, Any]) -> tuple[MonitorFigure, bool]:
    keys = ("monitor", "period", "measure", "scope", "definition")
    found = session.scalar(
        select(MonitorFigure).where(*(getattr(MonitorFigure, k) == clean[k] for k in keys))
    )
    if found is None:
        found = MonitorFigure(**clean)
        session.add(found)
        session.flush()
        return found, True
    for k in ("value", "source", "notes", "classification"):
        setattr(found, k, clean[k])
    session.flush()
    return found, False


def _yaml_items(data: bytes, name: str) -> list[tuple[int, dict[str, Any]]]:
    doc = load_yaml_bytes(data, name)
    items = doc.get("figures") if isinstance(doc, LineDict) else doc
    if not isinstance(items, LineList):
        raise InvalidInput([Problem(1, "expected 'figures:' with a list of figures", name)])
    out: list[tuple[int, dict[str, Any]]] = []
    problems = []
    for i, item in enumerate(items):
        line = items.item_lines[i]
        if not isinstance(item, LineDict):
            problems.append(Problem(line, "a figure must be a mapping", name))
            continue
        values = item.get("values")
        base = {k: v for k, v in item.items() if k != "values"}
        if values is None:
            out.append((line, base))
        elif not isinstance(values, LineDict) or not values:
            problems.append(Problem(item.line_of("values"), "values must map measures to numbers", name))
        else:
            out.extend((values.line_of(m), {**base, "measure": m, "value": v}) for m, v in values.items())
    if problems:
        raise InvalidInput(problems)
    return out


def _csv_items(data: bytes, name: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([Problem(0, "not UTF-8 text; save the file as UTF-8", name)]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    required = {"monitor", "period", "measure", "value", "definition", "source"}
    missing = sorted(required - set(reader.fieldnames or []))
    if missing:
        raise InvalidInput([Problem(1, f"missing column(s): {', '.join(missing)}", name)])
    return [(reader.line_num, dict(row)) for row in reader]


def load_figures(session: Session, data: bytes, name: str) -> tuple[int, int]:
    """Load monitor figures from YAML or CSV (by the name's suffix); every problem with its line, and
    nothing written if there is one. Returns (added, updated). Who may not write figures is refused before
    anything is read, even when the file would change nothing."""
    who = principal_of(session)
    if not who.is_system and who.role not in MonitorFigure.__write_roles__:
        raise AccessDenied(f"{who.username} ({who.role}) may not write monitor figures")
    items = _csv_items(data, name) if name.lower().endswith(".csv") else _yaml_items(data, name)
    checked, problems = [], []
    for line, item in items:
        clean, found = check_figure(item, line, name)
        problems.extend(found)
        checked.append(clean)
    if not items:
        problems.append(Problem(0, "no figures", name))
    if problems:
        raise InvalidInput(problems)
    added = updated = 0
    for clean in checked:
        _, new = _upsert(session, clean)
        added += new
        updated += not new
    return added, updated


def load_bundled_figures(session: Session) -> tuple[int, int]:
    """The published 2024 totals bundled with Nigran (``data/assessment/monitors_2024.yaml``)."""
    from nigran.core.paths import data_path

    return load_figures(
        session, data_path("assessment", "monitors_2024.yaml").read_bytes(), "monitors_2024.yaml"
    )


def list_figures(
    session: Session, *, monitor: str | None = None, period: str | None = None, definition: str | None = None
) -> list[MonitorFigure]:
    stmt = select(MonitorFigure)
    if monitor:
        stmt = stmt.where(MonitorFigure.monitor == monitor.strip())
    if period:
        stmt = stmt.where(MonitorFigure.period == parse_period(period, "--period").label)
    if definition:
        stmt = stmt.where(MonitorFigure.definition == definitions.get(definition).code)
    order = (MonitorFigure.period, MonitorFigure.monitor, MonitorFigure.scope, MonitorFigure.measure)
    return list(session.scalars(stmt.order_by(*order)))


def figure_dict(mf: MonitorFigure) -> dict[str, Any]:
    return {
        "id": mf.id,
        "monitor": mf.monitor,
        "period": mf.period,
        "measure": mf.measure,
        "scope": mf.scope,
        "value": mf.value,
        "definition": mf.definition,
        "source": mf.source,
        "notes": mf.notes,
        "classification": Classification.parse(mf.classification).name,
    }


__all__ = ["Assessment", "Fig", "Period", "assess", "parse_period"]
