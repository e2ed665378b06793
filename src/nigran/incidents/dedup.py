"""De-duplication: propose pairs of incidents that may be one event, and record analysts' decisions.

Merging never deletes: the duplicate keeps its row and its sources and points at the survivor through
``Incident.duplicate_of_id``, so the group shows every source and :func:`unmerge` restores the incidents
exactly. Analytics count a group once because they (and the cube) skip rows with ``duplicate_of_id`` set;
every change here passes through :func:`nigran.incidents.cube.apply` so the cube stays equal to a rebuild.

All reads go through the ORM, so the clearance filter applies: a reader is never offered, and cannot merge,
an incident above their clearance; the decision rows are classified at least as high as the incidents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import cube
from nigran.incidents.dedup_models import IncidentKeepApart, IncidentMerge, _higher
from nigran.incidents.dedup_score import MIN_SCORE, Candidate, IncidentView, score_pair
from nigran.incidents.models import MEASURES, Incident, IncidentSource
from nigran.storage.base import utcnow

__all__ = ["Candidate", "find_candidates", "group", "keep_apart", "merge", "unmerge"]

_VIEW_COLS = (
    Incident.id, Incident.date, Incident.event_type, Incident.province_code, Incident.district_code,
    Incident.lat, Incident.lon, Incident.place, Incident.killed, Incident.injured, Incident.actor_id,
)  # fmt: skip
_CUBE_FIELDS = (
    "event_type", "district_code", "province_code", "year", "month", "duplicate_of_id", "classification",
    "actor_id", *MEASURES,
)  # fmt: skip


def _invalid(message: str, field: str = "ids") -> InvalidInput:
    return InvalidInput([Problem(0, message, field)])


def _province_code(province: str | None) -> str | None:
    if not province:
        return None
    from nigran.geo.gazetteer import Gazetteer

    code = Gazetteer.bundled().normalise_province(province)
    if code is None:
        raise _invalid(f"unknown province {province!r}", "--province")
    return code


def _load_views(
    session: Session, date_from: date | None, date_to: date | None, province: str | None
) -> list[IncidentView]:
    conds: list[Any] = [Incident.duplicate_of_id.is_(None), Incident.date_precision == "day"]
    if date_from:
        conds.append(Incident.date >= date_from - timedelta(days=1))
    if date_to:
        conds.append(Incident.date <= date_to + timedelta(days=1))
    if province:
        conds.append(Incident.province_code == province)
    datasets: dict[int, set[str]] = defaultdict(set)
    stmt = select(IncidentSource.incident_id, IncidentSource.dataset).join(Incident).where(*conds)
    for incident_id, dataset in session.execute(stmt):
        datasets[incident_id].add(dataset)
    rows = session.execute(select(*_VIEW_COLS).where(*conds).order_by(Incident.date, Incident.id))
    return [IncidentView(*row, datasets=frozenset(datasets.get(row[0], ()))) for row in rows]


def _kept_apart(session: Session) -> set[tuple[int, int]]:
    return {
        (a, b) for a, b in session.execute(select(IncidentKeepApart.first_id, IncidentKeepApart.second_id))
    }


def find_candidates(
    session: Session,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    province: str | None = None,
    min_score: float = MIN_SCORE,
    same_dataset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Pairs that pass every hard test and score at least ``min_score``, best first.

    Incidents are compared only within a district and a one-day window (and, when one lacks a district,
    with the incidents of its province on those days), so the work grows with incidents per district-day,
    not with the square of the table.
    """
    views = _load_views(session, date_from, date_to, _province_code(province))
    skip = _kept_apart(session)
    by_district: dict[str, list[IncidentView]] = defaultdict(list)
    by_day: dict[date, list[IncidentView]] = defaultdict(list)
    for v in views:
        by_day[v.date].append(v)
        if v.district_code:
            by_district[v.district_code].append(v)
    pairs: set[tuple[int, int]] = set()
    found: list[Candidate] = []

    def consider(a: IncidentView, b: IncidentView) -> None:
        key = (min(a.id, b.id), max(a.id, b.id))
        if a.id == b.id or key in pairs or key in skip:
            return
        pairs.add(key)
        cand = score_pair(a, b, same_dataset=same_dataset)
        if cand is not None and cand.score >= min_score:
            found.append(cand)

    total = len(by_district) + 1
    for done, block in enumerate(by_district.values(), 1):
        start = 0
        for i, a in enumerate(block):  # block is sorted by date: a sliding window of one day
            while (a.date - block[start].date).days > 1:
                start += 1
            for b in block[start:i]:
                consider(a, b)
        if progress:
            progress(done, total)
    for a in views:
        if a.district_code is None and a.lat is not None:
            for day in (a.date - timedelta(days=1), a.date, a.date + timedelta(days=1)):
                for b in by_day.get(day, ()):
                    consider(a, b)
    if progress:
        progress(total, total)
    date_of = {v.id: v.date for v in views}

    def touches_range(c: Candidate) -> bool:
        # The window was widened by a day to catch pairs across its edges; keep pairs touching the range.
        days = (date_of[c.first_id], date_of[c.second_id])
        return any((not date_from or d >= date_from) and (not date_to or d <= date_to) for d in days)

    return sorted(filter(touches_range, found), key=lambda c: (-c.score, c.first_id, c.second_id))


def _writer(session: Session) -> str:
    """Refuse readers up front (the guard would refuse at flush too, after needless work)."""
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Incident.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not change incidents")
    return principal.username


def _get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:  # absent, or above the reader's clearance: the same answer for both
        raise NotFound(f"no incident {incident_id}")
    return incident


def _root(session: Session, incident: Incident) -> Incident:
    seen = {incident.id}
    while incident.duplicate_of_id is not None:
        incident = _get(session, incident.duplicate_of_id)
        if incident.id in seen:  # pragma: no cover - merge() never creates a cycle
            break
        seen.add(incident.id)
    return incident


def _members(session: Session, survivor: Incident) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.duplicate_of_id == survivor.id)))


def _snapshot(incident: Incident) -> SimpleNamespace:
    return SimpleNamespace(**{f: getattr(incident, f) for f in _CUBE_FIELDS})


def _view(session: Session, incident: Incident) -> IncidentView:
    datasets = frozenset(s.dataset for s in incident.sources)
    values = [getattr(incident, c.key) for c in _VIEW_COLS]
    return IncidentView(*values, datasets=datasets)


def _active_merges(session: Session, duplicate_id: int) -> list[IncidentMerge]:
    stmt = select(IncidentMerge).where(
        IncidentMerge.duplicate_id == duplicate_id, IncidentMerge.unmerged_at.is_(None)
    )
    return list(session.scalars(stmt))


def merge(session: Session, ids: Sequence[int], *, note: str | None = None) -> list[IncidentMerge]:
    """Merge the incidents (and the groups they belong to) into the first one's group."""
    if len(set(ids)) < 2:
        raise _invalid("give at least two different incident ids; the first is kept as the survivor")
    who = _writer(session)
    incidents = [_get(session, i) for i in ids]
    survivor = _root(session, incidents[0])
    made: list[IncidentMerge] = []
    for other in incidents[1:]:
        root = _root(session, other)
        if root.id == survivor.id:
            continue
        scored = score_pair(_view(session, survivor), _view(session, root), same_dataset=True)
        reasons = scored.reasons if scored else ["merged by an analyst; the pair fails the candidate tests"]
        reasons += [f"note: {note}"] if note else []
        for member in [root, *_members(session, root)]:
            before = _snapshot(member)
            for old in _active_merges(session, member.id):
                old.unmerged_at, old.unmerged_by = utcnow(), f"{who} (moved to group {survivor.id})"
            member.duplicate_of_id = survivor.id
            row = IncidentMerge(
                survivor_id=survivor.id, duplicate_id=member.id, score=scored.score if scored else None,
                reasons=reasons, merged_by=who, classification=_higher(survivor, member),
            )  # fmt: skip
            session.add(row)
            made.append(row)
            cube.apply(session, removed=[before], added=[member])  # type: ignore[list-item]
        _forget_keep_apart(session, survivor.id, root.id)
    session.flush()
    return made


def _forget_keep_apart(session: Session, a: int, b: int) -> None:
    """Merging a pair once kept apart is the analyst changing their mind; the old decision goes."""
    first, second = min(a, b), max(a, b)
    stmt = select(IncidentKeepApart).where(
        IncidentKeepApart.first_id == first, IncidentKeepApart.second_id == second
    )
    for row in session.scalars(stmt):
        session.delete(row)


def unmerge(session: Session, incident_id: int) -> list[int]:
    """Take a duplicate out of its group, or dissolve a survivor's whole group; returns the ids restored."""
    who = _writer(session)
    incident = _get(session, incident_id)
    targets = [incident] if incident.duplicate_of_id is not None else _members(session, incident)
    if not targets:
        raise _invalid(f"incident {incident_id} is not merged with any other", "id")
    for target in targets:
        before = _snapshot(target)
        target.duplicate_of_id = None
        for row in _active_merges(session, target.id):
            row.unmerged_at, row.unmerged_by = utcnow(), who
        cube.apply(session, removed=[before], added=[target])  # type: ignore[list-item]
    session.flush()
    return [t.id for t in targets]


def keep_apart(session: Session, a: int, b: int, *, note: str | None = None) -> IncidentKeepApart:
    """Remember that two incidents are distinct, so the pair is not proposed again."""
    if a == b:
        raise _invalid("give two different incident ids")
    who = _writer(session)
    first, second = _get(session, min(a, b)), _get(session, max(a, b))
    if _root(session, first).id == _root(session, second).id:
        raise _invalid(f"incidents {a} and {b} are merged; unmerge one of them first")
    stmt = select(IncidentKeepApart).where(
        IncidentKeepApart.first_id == first.id, IncidentKeepApart.second_id == second.id
    )
    existing = session.scalar(stmt)
    if existing is not None:
        return existing
    row = IncidentKeepApart(
        first_id=first.id, second_id=second.id, decided_by=who, note=note,
        classification=_higher(first, second),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def group(session: Session, incident_id: int) -> list[Incident]:
    """The survivor first, then its duplicates: every source of the group hangs off these."""
    survivor = _root(session, _get(session, incident_id))
    return [survivor, *sorted(_members(session, survivor), key=lambda i: i.id)]


def group_sources(session: Session, incident_id: int) -> list[IncidentSource]:
    return [s for incident in group(session, incident_id) for s in incident.sources]


def merged_pairs(session: Session, incident_ids: Iterable[int]) -> dict[int, int]:
    """For reports: which of these incidents are duplicates, and of which survivor."""
    ids = list(incident_ids)
    stmt = select(Incident.id, Incident.duplicate_of_id).where(
        Incident.id.in_(ids), Incident.duplicate_of_id.is_not(None)
    )
    return {i: s for i, s in session.execute(stmt)}


def decisions(session: Session, incident_id: int) -> list[IncidentMerge | IncidentKeepApart]:
    """Every merge and keep-apart decision touching an incident, oldest first (for ``show``)."""
    merges = session.scalars(
        select(IncidentMerge).where(
            or_(IncidentMerge.survivor_id == incident_id, IncidentMerge.duplicate_id == incident_id)
        )
    )
    kept = session.scalars(
        select(IncidentKeepApart).where(
            or_(IncidentKeepApart.first_id == incident_id, IncidentKeepApart.second_id == incident_id)
        )
    )
    return sorted([*merges, *kept], key=lambda r: (r.created_at, r.id))
