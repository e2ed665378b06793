"""De-duplication: propose pairs of incidents that may be one event, and record analysts' decisions.

Merging never deletes: the duplicate keeps its row, its sources and its own figures and points at the
survivor through ``Incident.duplicate_of_id``, so the group shows every source. Analytics count a group once
because they (and the cube) skip rows with ``duplicate_of_id`` set; every change here passes through
:func:`nigran.incidents.cube.apply` so the cube stays equal to a rebuild.

Merges keep what they know: the survivor's figures become the group's, each the largest figure any member
gives (a blank never erases a known value) unless the analyst took it from a chosen incident or source
(``take``). The survivor's own figures are kept on the merge row, so :func:`unmerge` restores them exactly.

Merges never cross down a level: the survivor is the group's least classified member, and only members of
its own level feed its figures. A less classified incident merged into a more classified one would vanish
from the figures of readers who may see it, and a more classified figure would change what they see; so
the first is refused (give the less classified incident first) and the second is never taken.

All reads go through the ORM, so the clearance filter applies: a reader is never offered, and cannot merge,
an incident above their clearance (it is "no incident N", exactly like a missing one); the decision rows
are classified at least as high as the incidents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import cube
from nigran.incidents.analytics import Filters
from nigran.incidents.dedup_models import IncidentKeepApart, IncidentMerge, _higher
from nigran.incidents.dedup_score import MIN_SCORE, Candidate, IncidentView, score_pair
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.models import MEASURES, Actor, Incident, IncidentSource
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


def _resolve(
    session: Session,
    province: str | None,
    district: str | None,
    event_types: Sequence[str],
    actor: str | None,
) -> Filters:
    """Codes, names and aliases through the one resolver of incident filters (unknown: closest matches)."""
    from nigran.incidents.filters import FilterText, resolve

    text = FilterText(province=province, district=district, event_types=tuple(event_types), actor=actor)
    return resolve(session, text)


def _pair_tests(session: Session, f: Filters) -> list[Callable[[IncidentView], bool]]:
    """One test per incident filter given; a pair matches a test when either of its incidents passes it.

    Two reports of one event often disagree on exactly these fields (UCDP's coarse ``clash`` against GTD's
    ``bombing``, an actor only one source names, a district only one source geocoded), so requiring both
    incidents to match would hide the duplicates an analyst filters for.
    """
    tests: list[Callable[[IncidentView], bool]] = []
    if f.district:
        tests.append(lambda v: v.district_code == f.district)
    if f.event_types:
        tests.append(lambda v: v.event_type in f.event_types)
    if f.actor:
        actor_id = session.scalar(select(Actor.id).where(Actor.code == f.actor))
        tests.append(lambda v: actor_id is not None and v.actor_id == actor_id)
    return tests


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
    district: str | None = None,
    event_types: Sequence[str] = (),
    actor: str | None = None,
    min_score: float = MIN_SCORE,
    same_dataset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Pairs that pass every hard test and score at least ``min_score``, best first.

    ``date_from``/``date_to`` and ``province`` choose the incidents compared; ``district``, ``event_types``
    and ``actor`` choose the pairs shown: one whose incidents between them match each (see
    :func:`_pair_tests`). Filters are codes, names or aliases; an unknown one is ``InvalidInput``.

    Incidents are compared only within a district and a one-day window (and, when one lacks a district,
    with the incidents of its province on those days), so the work grows with incidents per district-day,
    not with the square of the table.
    """
    f = _resolve(session, province, district, event_types, actor)
    tests = _pair_tests(session, f)
    views = _load_views(session, date_from, date_to, f.province)
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
        if not all(test(a) or test(b) for test in tests):
            return
        cand = score_pair(a, b, same_dataset=same_dataset)
        if cand is not None and cand.score >= min_score:
            found.append(cand)

    total = len(by_district) + 1
    for done, (code, block) in enumerate(by_district.items(), 1):
        if f.district and code != f.district:
            continue  # neither incident of a pair in another district can match it
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
    asked, seen = incident.id, {incident.id}
    while incident.duplicate_of_id is not None:
        above = session.get(Incident, incident.duplicate_of_id)
        if above is None:  # its group's survivor is hidden from this reader: name only what was asked
            raise NotFound(f"no incident {asked}")
        incident = above
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


def _level(incident: Incident) -> Classification:
    return Classification.parse(incident.classification)


def figures_of(obj: Incident | IncidentSource) -> dict[str, int | None]:
    return {f: getattr(obj, f) for f in CASUALTY_FIELDS}


def reconcile(
    figures: Iterable[Mapping[str, int | None]], taken: Mapping[str, int | None] | None = None
) -> dict[str, int | None]:
    """The group's figures: each the largest known one (a blank never erases a value), unless taken.

    >>> got = reconcile([{"killed": 3, "injured": None}, {"killed": 2, "injured": 130}], {"killed": 2})
    >>> got["killed"], got["injured"], got["hostages"]
    (2, 130, None)
    """
    rows = list(figures)
    out: dict[str, int | None] = {}
    for f in CASUALTY_FIELDS:
        known = [r[f] for r in rows if r.get(f) is not None]
        out[f] = taken[f] if taken and f in taken else max(known, default=None)  # type: ignore[type-var]
    return out


def _own_figures(session: Session, survivor: Incident) -> dict[str, int | None]:
    """The survivor's figures before its group changed them (its earliest active merge keeps them)."""
    stmt = (
        select(IncidentMerge)
        .where(IncidentMerge.survivor_id == survivor.id, IncidentMerge.unmerged_at.is_(None))
        .order_by(IncidentMerge.id)
    )
    for row in session.scalars(stmt):
        if row.survivor_figures is not None:
            return {f: row.survivor_figures.get(f) for f in CASUALTY_FIELDS}
    return figures_of(survivor)


def _parse_take(take: Mapping[str, str] | None) -> dict[str, str]:
    problems = [
        Problem(0, f"{f!r} is not a figure ({', '.join(CASUALTY_FIELDS)})", "--take")
        for f in (take or {})
        if f not in CASUALTY_FIELDS
    ]
    if problems:
        raise InvalidInput(problems)
    return {f: str(ref).strip() for f, ref in (take or {}).items()}


def _taken_value(
    survivor: Incident, own: Mapping[str, int | None], members: list[Incident], field: str, ref: str
) -> tuple[bool, int | None]:
    """(found, value) of ``field`` from ``ref``: an incident id of the group or ``DATASET:SOURCE_ID`` of one
    of its sources, at the survivor's level or below (a more classified figure would reach its readers)."""
    level = _level(survivor)
    for inc in (survivor, *members):
        if _level(inc) > level:
            continue
        if ref == str(inc.id):
            return True, own[field] if inc is survivor else getattr(inc, field)
        for src in inc.sources:
            if ref == f"{src.dataset}:{src.source_id}" and Classification.parse(src.classification) <= level:
                return True, getattr(src, field)
    return False, None


def _refigure(session: Session, survivor: Incident, own: Mapping[str, int | None]) -> None:
    """Set the survivor's figures from its own, its same-level members' and the analysts' choices."""
    members = _members(session, survivor)
    same = [m for m in members if _level(m) <= _level(survivor)]
    taken: dict[str, int | None] = {}
    stmt = (
        select(IncidentMerge)
        .where(IncidentMerge.survivor_id == survivor.id, IncidentMerge.unmerged_at.is_(None))
        .order_by(IncidentMerge.id)
    )
    for row in session.scalars(stmt):  # later choices win
        for field, ref in (row.taken or {}).items():
            found, value = _taken_value(survivor, own, same, field, ref)
            if found:
                taken[field] = value
    before = _snapshot(survivor)
    for field, value in reconcile([own, *(figures_of(m) for m in same)], taken).items():
        setattr(survivor, field, value)
    cube.apply(session, removed=[before], added=[survivor])  # type: ignore[list-item]


def merge(
    session: Session,
    ids: Sequence[int],
    *,
    note: str | None = None,
    take: Mapping[str, str] | None = None,
) -> list[IncidentMerge]:
    """Merge the incidents (and the groups they belong to) into the first one's group.

    ``take``: figure → the incident id or ``DATASET:SOURCE_ID`` (of the group) to take it from; every other
    figure is the largest any same-level member gives."""
    if len(set(ids)) < 2:
        raise _invalid("give at least two different incident ids; the first is kept as the survivor")
    who = _writer(session)
    chosen = _parse_take(take)
    incidents = [_get(session, i) for i in ids]
    survivor = _root(session, incidents[0])
    roots = [_root(session, other) for other in incidents[1:]]
    for root in roots:
        for member in [root, *_members(session, root)]:
            if root.id != survivor.id and _level(member) < _level(survivor):
                raise _invalid(
                    f"incident {member.id} is less classified than incident {survivor.id}: merged into it, "
                    "it would drop out of the figures of readers who may see it; give it first, to survive"
                )
    own = _own_figures(session, survivor)
    made: list[IncidentMerge] = []
    for root in roots:
        if root.id == survivor.id:
            continue
        scored = score_pair(_view(session, survivor), _view(session, root), same_dataset=True)
        reasons = scored.reasons if scored else ["merged by an analyst; the pair fails the candidate tests"]
        reasons += [f"note: {note}"] if note else []
        root_own = _own_figures(session, root)  # a survivor joining another group keeps only its own figures
        for member in [root, *_members(session, root)]:
            before = _snapshot(member)
            for old in _active_merges(session, member.id):
                old.unmerged_at, old.unmerged_by = utcnow(), f"{who} (moved to group {survivor.id})"
            if member is root:
                for field, value in root_own.items():
                    setattr(member, field, value)
            member.duplicate_of_id = survivor.id
            row = IncidentMerge(
                survivor_id=survivor.id, duplicate_id=member.id, score=scored.score if scored else None,
                reasons=reasons, merged_by=who, classification=_higher(survivor, member),
                survivor_figures=dict(own), taken=dict(chosen) or None,
            )  # fmt: skip
            session.add(row)
            made.append(row)
            cube.apply(session, removed=[before], added=[member])  # type: ignore[list-item]
        _forget_keep_apart(session, survivor.id, root.id)
    session.flush()
    if chosen:
        _check_taken(session, survivor, own, chosen)
    _refigure(session, survivor, own)
    session.flush()
    return made


def _check_taken(
    session: Session, survivor: Incident, own: Mapping[str, int | None], chosen: dict[str, str]
) -> None:
    same = [m for m in _members(session, survivor) if _level(m) <= _level(survivor)]
    problems = [
        Problem(
            0,
            f"{field}={ref}: no incident or source {ref} of incident {survivor.id}'s group at its level",
            "--take",
        )
        for field, ref in chosen.items()
        if not _taken_value(survivor, own, same, field, ref)[0]
    ]
    if problems:
        raise InvalidInput(problems)


def _forget_keep_apart(session: Session, a: int, b: int) -> None:
    """Merging a pair once kept apart is the analyst changing their mind; the old decision goes."""
    first, second = min(a, b), max(a, b)
    stmt = select(IncidentKeepApart).where(
        IncidentKeepApart.first_id == first, IncidentKeepApart.second_id == second
    )
    for row in session.scalars(stmt):
        session.delete(row)


def unmerge(session: Session, incident_id: int) -> list[int]:
    """Take a duplicate out of its group, or dissolve a survivor's whole group; returns the ids restored.

    Every incident leaves with its own figures; a survivor that keeps members gets its figures reconciled
    again from those that remain."""
    who = _writer(session)
    incident = _get(session, incident_id)
    if incident.duplicate_of_id is not None:
        survivor = session.get(Incident, incident.duplicate_of_id)
        targets = [incident]
    else:
        survivor, targets = incident, _members(session, incident)
    if not targets:
        raise _invalid(f"incident {incident_id} is not merged with any other", "id")
    own = _own_figures(session, survivor) if survivor is not None else None
    for target in targets:
        before = _snapshot(target)
        target.duplicate_of_id = None
        for row in _active_merges(session, target.id):
            row.unmerged_at, row.unmerged_by = utcnow(), who
        cube.apply(session, removed=[before], added=[target])  # type: ignore[list-item]
    session.flush()
    if survivor is not None and own is not None:
        if _members(session, survivor):
            _refigure(session, survivor, own)
        else:
            before = _snapshot(survivor)
            for field, value in own.items():
                setattr(survivor, field, value)
            cube.apply(session, removed=[before], added=[survivor])  # type: ignore[list-item]
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
