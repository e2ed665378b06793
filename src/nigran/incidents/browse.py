"""Reading incidents for the web explorer: filters as query parameters, pages of incidents, one incident with
its sources, points, monthly series and district values for a map.

Everything reads mapped classes through the caller's session, so the access guard filters every row and every
count: a reader never sees, counts or infers an incident above their clearance. Figures a source does not give
stay ``None`` (unknown), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import analytics
from nigran.incidents.analytics import Filters, _row_filters
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.filters import FilterText, resolve
from nigran.incidents.models import Actor, Incident, IncidentSource

#: How the filters are named in a web request (query parameters and form fields).
WEB_LABELS: Mapping[str, str] = {
    "date_from": "from",
    "date_to": "to",
    "province": "province",
    "district": "district",
    "event_types": "type",
    "actor": "actor",
}
#: The columns a list may be sorted by (``?sort=killed`` / ``?sort=-date``): an allow-list, nothing else.
SORTABLE: Mapping[str, Any] = {
    "id": Incident.id,
    "date": Incident.date,
    "province": Incident.province_code,
    "district": Incident.district_code,
    "type": Incident.event_type,
    "killed": Incident.killed,
    "injured": Incident.injured,
}
#: The measures a map or chart shows, by the name the web uses.
MAP_MEASURES: Mapping[str, str] = {"incidents": "incidents", "fatalities": "killed"}
#: The most points one map request returns (a browser draws this many circles comfortably).
MAX_POINTS = 5000
#: The largest export answered at once; a bigger one runs as a background job.
INLINE_EXPORT_MAX = 25_000


def web_filters(
    session: Session,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    province: str | None = None,
    district: str | None = None,
    types: tuple[str, ...] = (),
    actor: str | None = None,
) -> Filters:
    """The filters of a web request, resolved like the CLI's; an unknown value is :class:`InvalidInput`
    naming the parameter, with the closest matches (never an empty result)."""
    text = FilterText(
        date_from=_blank(date_from),
        date_to=_blank(date_to),
        province=_blank(province),
        district=_blank(district),
        event_types=tuple(t for t in (_blank(t) for t in types) if t),
        actor=_blank(actor),
    )
    return resolve(session, text, labels=WEB_LABELS)


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def filter_query(f: Filters) -> dict[str, Any]:
    """The query parameters that select ``f`` again (for links from a figure to its incidents)."""
    out: dict[str, Any] = {}
    if f.date_from:
        out["from"] = f.date_from.isoformat()
    if f.date_to:
        out["to"] = f.date_to.isoformat()
    for key in ("province", "district", "actor"):
        if getattr(f, key):
            out[key] = getattr(f, key)
    if f.event_types:
        out["type"] = list(f.event_types)
    return out


def may_change(principal: Principal) -> bool:
    """Whether the principal may import, merge or unmerge incidents (the guard's write roles)."""
    return principal.is_system or principal.role in Incident.__write_roles__


def require_change(principal: Principal, what: str) -> None:
    if not may_change(principal):
        raise AccessDenied(f"{principal.username or 'the public'} ({principal.role}) may not {what}")


def _statement(session: Session, f: Filters) -> Select[Any]:
    return _row_filters(session, select(Incident).where(Incident.duplicate_of_id.is_(None)), f)


def count(session: Session, f: Filters) -> int:
    stmt = _row_filters(session, select(func.count(Incident.id)).where(Incident.duplicate_of_id.is_(None)), f)
    return int(session.scalar(stmt) or 0)


@dataclass(frozen=True)
class IncidentPage:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "page": self.page, "per_page": self.per_page, "total": self.total}


def incident_page(
    session: Session, f: Filters, *, page: int = 1, per_page: int = 50, sort: str | None = None
) -> IncidentPage:
    """One page of the incidents ``f`` selects, sorted by an allowed column (unknown figures last)."""
    if not 1 <= per_page <= 500:
        raise InvalidInput([Problem(0, "must be between 1 and 500", "per_page")])
    if page < 1:
        raise InvalidInput([Problem(0, "must be 1 or more", "page")])
    order: list[Any] = [Incident.date.desc(), Incident.id.desc()]
    if sort:
        descending = sort.startswith("-")
        name = sort.lstrip("-+")
        if name not in SORTABLE:
            raise InvalidInput(
                [Problem(0, f"cannot sort by {name!r} (allowed: {', '.join(SORTABLE)})", "sort")]
            )
        column = SORTABLE[name]
        order = [(column.desc() if descending else column.asc()).nulls_last(), Incident.id.asc()]
    total = count(session, f)
    stmt = _statement(session, f).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    codes = actor_codes(session)
    items = [incident_dict(inc, codes) for inc in session.scalars(stmt)]
    return IncidentPage(items, page, per_page, total)


def actor_codes(session: Session) -> dict[int, str]:
    return {a.id: a.code for a in session.scalars(select(Actor))}


def incident_dict(inc: Incident, codes: Mapping[int, str]) -> dict[str, Any]:
    return {
        "id": inc.id,
        "date": inc.date.isoformat(),
        "date_precision": inc.date_precision,
        "province_code": inc.province_code,
        "province": inc.province,
        "district_code": inc.district_code,
        "district": inc.district,
        "place": inc.place,
        "lat": inc.lat,
        "lon": inc.lon,
        "event_type": inc.event_type,
        "actor": inc.actor,
        "actor_code": codes.get(inc.actor_id) if inc.actor_id else None,
        "claimed": inc.claimed,
        **{m: getattr(inc, m) for m in CASUALTY_FIELDS},
        "classification": Classification.parse(inc.classification).name,
        "duplicate_of_id": inc.duplicate_of_id,
    }


@dataclass
class IncidentDetail:
    """An incident as its page shows it: itself, the group it belongs to, every source with its own
    figures and raw row, and the decisions taken on it."""

    incident: Incident
    survivor: Incident
    members: list[Incident]
    sources: list[IncidentSource]
    decisions: list[Any] = field(default_factory=list)
    actor_code: str | None = None

    @property
    def level(self) -> Classification:
        levels = [Classification.parse(i.classification) for i in self.members]
        levels += [Classification.parse(s.classification) for s in self.sources]
        return max(levels, default=Classification.PUBLIC)

    def as_dict(self, codes: Mapping[int, str]) -> dict[str, Any]:
        return {
            **incident_dict(self.incident, codes),
            "group": [m.id for m in self.members],
            "survivor_id": self.survivor.id,
            "sources": [source_dict(s) for s in self.sources],
            "decisions": [decision_dict(d) for d in self.decisions],
        }


def source_dict(s: IncidentSource) -> dict[str, Any]:
    return {
        "id": s.id,
        "incident_id": s.incident_id,
        "dataset": s.dataset,
        "dataset_version": s.dataset_version,
        "source_id": s.source_id,
        "url": s.url,
        "title": s.title,
        "published": s.published.isoformat() if s.published else None,
        "figures": {m: getattr(s, m) for m in CASUALTY_FIELDS},
        "raw": s.raw,
        "classification": Classification.parse(s.classification).name,
    }


def decision_dict(d: Any) -> dict[str, Any]:
    from nigran.incidents.dedup_models import IncidentMerge

    if isinstance(d, IncidentMerge):
        return {
            "kind": "merge",
            "survivor_id": d.survivor_id,
            "duplicate_id": d.duplicate_id,
            "score": d.score,
            "by": d.merged_by,
            "unmerged_by": d.unmerged_by,
            "taken": d.taken,
        }
    return {"kind": "keep_apart", "first_id": d.first_id, "second_id": d.second_id, "by": d.decided_by}


def detail(session: Session, incident_id: int) -> IncidentDetail:
    """The incident if the reader may see it (else :class:`NotFound`: hidden and absent look alike)."""
    from nigran.incidents import dedup

    stmt = select(Incident).where(Incident.id == incident_id).options(selectinload(Incident.sources))
    incident = session.scalar(stmt)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    members = dedup.group(session, incident_id)
    sources = [s for m in members for s in m.sources]
    codes = actor_codes(session)
    return IncidentDetail(
        incident=incident,
        survivor=members[0],
        members=members,
        sources=sources,
        decisions=list(dedup.decisions(session, incident_id)),
        actor_code=codes.get(incident.actor_id) if incident.actor_id else None,
    )


def points(session: Session, f: Filters, *, limit: int = MAX_POINTS) -> dict[str, Any]:
    """The located incidents ``f`` selects as GeoJSON points (most recent first, at most ``limit``)."""
    stmt = (
        _row_filters(
            session,
            select(
                Incident.id,
                Incident.date,
                Incident.event_type,
                Incident.lat,
                Incident.lon,
                Incident.place,
                Incident.district,
                Incident.killed,
            ).where(Incident.duplicate_of_id.is_(None), Incident.lat.is_not(None), Incident.lon.is_not(None)),
            f,
        )
        .order_by(Incident.date.desc(), Incident.id.desc())
        .limit(limit + 1)
    )
    rows = session.execute(stmt).all()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "id": r.id,
                "date": r.date.isoformat(),
                "type": r.event_type,
                "name": f"{r.date.isoformat()} {r.place or r.district or ''}".strip(),
                "killed": r.killed,
                "url": f"/incidents/{r.id}",
            },
        }
        for r in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


def series(session: Session, f: Filters) -> dict[str, Any]:
    """Incidents and deaths by month, every month of the span present (a month without incidents is 0; a
    month whose incidents give no death toll is ``None``), in the chart contract's shape."""
    rows = analytics.summary(session, "month", f)
    by_month = {(int(r.key[0]), int(r.key[1])): r for r in rows}
    labels: list[str] = []
    incidents: list[int | None] = []
    killed: list[int | None] = []
    known: list[int] = []
    if by_month:
        (y, m), last = min(by_month), max(by_month)
        if f.date_from:
            y, m = min((y, m), (f.date_from.year, f.date_from.month))
        end = last if not f.date_to else max(last, (f.date_to.year, f.date_to.month))
        while (y, m) <= end:
            row = by_month.get((y, m))
            labels.append(f"{y}-{m:02d}")
            incidents.append(row.values["incidents"] if row else 0)
            killed.append(row.values["killed"] if row else 0)
            known.append(row.known.get("killed", 0) if row else 0)
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return {
        "labels": labels,
        "datasets": [
            {"label": "Incidents", "data": incidents},
            {"label": "Killed", "data": killed, "known": known},
        ],
    }


def district_values(session: Session, f: Filters, measure: str) -> dict[str, int | None]:
    """Per district code, the figure :func:`analytics.summary` gives (incidents, or deaths — ``None`` where no
    incident of the district gives a death toll); incidents without a district are left out."""
    if measure not in MAP_MEASURES:
        raise InvalidInput(
            [Problem(0, f"unknown measure {measure!r} (one of {', '.join(MAP_MEASURES)})", "measure")]
        )
    column = MAP_MEASURES[measure]
    rows = analytics.summary(session, "district", f)
    return {str(r.key[0]): r.values[column] for r in rows if r.key[0]}


def choropleth(session: Session, f: Filters, measure: str) -> dict[str, Any]:
    """The district polygons' values of ``measure`` over the incidents ``f`` selects, without geometry (see
    :func:`nigran.geo.boundaries.choropleth_values`; the map joins them by code with ``/api/geo/districts``):
    a polygon's value is the sum of :func:`district_values` over the districts it draws (0 where none has
    incidents, ``None`` where incidents give no death toll). Districts the boundaries cannot draw are listed
    under ``unmapped`` with their values rather than dropped silently."""
    from nigran.geo import boundaries

    values = district_values(session, f, measure)
    drawable = {c: v for c, v in values.items() if boundaries.district_polygon_of(c) is not None}
    # a district without incidents has none and no deaths among them: 0, not unknown (grey)
    every = {c: 0 for row in boundaries.shapes().values() for c in row.districts}
    found = boundaries.choropleth_values({**every, **drawable})
    return {
        "measure": measure,
        "breaks": found["breaks"],
        "polygons": found["polygons"],
        "unmapped": {c: v for c, v in values.items() if c not in drawable},
    }


def max_level(session: Session, f: Filters) -> Classification | None:
    """The highest classification among the incidents ``f`` selects (what a page of their figures shows),
    or None when there are none."""
    stmt = _row_filters(
        session, select(func.max(Incident.classification)).where(Incident.duplicate_of_id.is_(None)), f
    )
    found = session.scalar(stmt)
    return Classification.parse(found) if found is not None else None


def incidents_by_ids(session: Session, ids: list[int], *, limit: int = 500) -> list[dict[str, Any]]:
    """The incidents among ``ids`` the reader may see, in date order (the ones behind a figure)."""
    wanted = sorted(set(ids))[:limit]
    if not wanted:
        return []
    stmt = select(Incident).where(Incident.id.in_(wanted)).order_by(Incident.date, Incident.id)
    codes = actor_codes(session)
    return [incident_dict(inc, codes) for inc in session.scalars(stmt)]


def latest_month(session: Session) -> str | None:
    """``YYYY-MM`` of the most recent incident the reader may see (a page's default period)."""
    last = session.scalar(select(func.max(Incident.date)).where(Incident.duplicate_of_id.is_(None)))
    return f"{last.year}-{last.month:02d}" if last is not None else None
