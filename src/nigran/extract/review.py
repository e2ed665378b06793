"""The analyst's decision on a candidate: accept (with edits) into the incident database, or reject.

Accepting makes the article a source of an incident: of the matched one (or the one the reviewer names with
``into``) as another :class:`IncidentSource` with its own figures, the incident's figures reconciled the way
de-duplication merges do (:func:`nigran.incidents.dedup.reconcile`: each the largest known, a blank never
erases a value); or of a new :class:`Incident` (``new=True``, or when nothing matches). The incident cube is
updated through :func:`nigran.incidents.cube.apply`, so analytics count it at once. Rejecting keeps the row
with the reviewer, the time and the reason, for evaluation. A decided candidate cannot be decided again
(:class:`IllegalTransition`). Every change is an ORM change of the reviewer's session, hence audited.

Levels: the candidate is as classified as its article. A new incident takes the article's level; a source
added to a less classified incident keeps the article's level and does not feed the incident's figures
(those readers could otherwise see a figure of an article hidden from them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.errors import IllegalTransition, NotFound
from nigran.core.numbers import NumberError, parse_count
from nigran.core.problems import InvalidInput, Problem
from nigran.extract import service
from nigran.extract.fields import COUNT_FIELDS, FIELDS
from nigran.extract.matching import ARTICLE_DATASET, Resolvers, best_match, parse_day, total_killed
from nigran.extract.models import Candidate
from nigran.extract.service import effective, get_candidate, require_reviewer
from nigran.incidents import cube, dedup
from nigran.incidents.dedup_models import IncidentMerge
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.mappings import EVENT_TYPES
from nigran.incidents.models import Incident, IncidentSource
from nigran.incidents.places import PlaceResolver
from nigran.storage.base import utcnow

TEXT_LIMITS = {"place": 300, "perpetrator": 300, "target": 120, "province": 200, "district": 200}
_YES = {"yes", "true", "1", "y"}
_NO = {"no", "false", "0", "n"}


@dataclass(frozen=True)
class Decision:
    candidate: Candidate
    incident: Incident | None
    created: bool  # a new incident (False: the article became another source of an existing one)


def _problem(name: str, message: str) -> Problem:
    return Problem(0, message, name)


def validate_edits(session: Session, edits: dict[str, Any] | None, base: dict[str, Any]) -> dict[str, Any]:
    """The edits, cleaned, or :class:`InvalidInput` with one problem per bad field (named as the field).

    Dates are ``YYYY-MM-DD``; ``event_type`` a taxonomy value; ``district``/``province`` must be known to the
    gazetteer (the district within the province, edited or not); counts whole numbers of zero or more;
    ``claimed`` yes or no. An empty value clears a field (unknown), never makes it 0."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for name, raw in (edits or {}).items():
        if name not in FIELDS:
            problems.append(_problem(str(name), f"not a field ({', '.join(FIELDS)})"))
            continue
        text = raw.strip() if isinstance(raw, str) else raw
        if text is None or text == "":
            if name in ("date", "event_type"):
                problems.append(_problem(name, "required: an incident has a date and a type"))
            else:
                clean[name] = None
            continue
        try:
            clean[name] = _clean_value(name, text)
        except ValueError as exc:
            problems.append(_problem(name, str(exc)))
    merged = {**base, **clean}
    if not problems and ("district" in clean or "province" in clean):
        problems += _check_place(session, merged)
    if problems:
        raise InvalidInput(problems)
    return clean


def _clean_value(name: str, value: Any) -> Any:
    if name == "date":
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        if not date(1947, 1, 1) <= day <= date.today():
            raise ValueError(f"{day.isoformat()} is not a plausible incident date (1947 to today)")
        return day.isoformat()
    if name == "event_type":
        if str(value) not in EVENT_TYPES:
            raise ValueError(f"{value!r} is not an event type ({', '.join(sorted(EVENT_TYPES))})")
        return str(value)
    if name in COUNT_FIELDS:
        try:
            return parse_count(value)
        except NumberError as exc:
            raise ValueError(str(exc)) from None
    if name == "claimed":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _YES | _NO:
            return word in _YES
        raise ValueError(f"{value!r} is not yes or no")
    text = " ".join(str(value).split())
    if len(text) > TEXT_LIMITS[name]:
        raise ValueError(f"longer than {TEXT_LIMITS[name]} characters")
    return text


def _check_place(session: Session, values: dict[str, Any]) -> list[Problem]:
    places = PlaceResolver(session)
    problems = []
    province, district = values.get("province"), values.get("district")
    if province and places.province(province) is None:
        problems.append(_problem("province", f"{province!r} is not a province the gazetteer knows"))
    elif district and places.resolve(province, district).district_code is None:
        where = f" in {province}" if province else ""
        problems.append(
            _problem("district", f"{district!r} is not a district the gazetteer knows{where} (or ambiguous)")
        )
    return problems


def _pending(session: Session, candidate_id: int) -> Candidate:
    cand = get_candidate(session, candidate_id)
    if cand.status != "pending":
        raise IllegalTransition(f"candidate {candidate_id} is already {cand.status}")
    return cand


def reject(session: Session, candidate_id: int, reason: str) -> Candidate:
    """Keep the candidate as rejected, with who, when and why."""
    who = require_reviewer(session, "review candidates")
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput([_problem("reason", "say why the candidate is rejected")])
    if len(reason) > 2000:
        raise InvalidInput([_problem("reason", "longer than 2000 characters")])
    cand = _pending(session, candidate_id)
    cand.status, cand.reviewed_by, cand.reviewed_at, cand.review_note = "rejected", who, utcnow(), reason
    session.flush()
    return cand


def accept(
    session: Session,
    candidate_id: int,
    edits: dict[str, Any] | None = None,
    note: str | None = None,
    *,
    new: bool = False,
    into: int | None = None,
) -> Decision:
    """Accept the candidate (with ``edits``) as a new incident or another source of a known one.

    Without ``new`` or ``into`` the candidate, as edited, is matched again as the reviewer sees the database;
    a match is taken as confirmed. ``into`` names the incident (its group's survivor receives the source)."""
    who = require_reviewer(session, "review candidates")
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Incident.__write_roles__:
        raise AccessDenied(
            f"{who} ({principal.role}) may not write incidents, so may not accept candidates (reject them, "
            "or ask an analyst)"
        )
    if new and into is not None:
        raise InvalidInput([_problem("--into", "give a new incident or an incident to add to, not both")])
    if note is not None and len(note) > 2000:
        raise InvalidInput([_problem("note", "longer than 2000 characters")])
    cand = _pending(session, candidate_id)
    before = effective(cand)
    clean = validate_edits(session, edits, before)
    values = {**before, **clean}
    missing = [
        _problem(f, "the extractor gave none: set it" if values.get(f) is None else "not valid: set it")
        for f in ("date", "event_type")
        if (parse_day(values.get(f)) is None if f == "date" else values.get(f) not in EVENT_TYPES)
    ]
    if missing:
        raise InvalidInput(missing)
    resolvers = Resolvers.for_session(session)
    target: Incident | None = None
    if into is not None:
        found = session.get(Incident, into)
        if found is None:
            raise NotFound(f"no incident {into}")
        target = dedup._root(session, found)
    elif not new:
        match = best_match(session, values, resolvers)
        if match is not None:
            target = dedup._root(session, session.get(Incident, match.incident_id))  # type: ignore[arg-type]
            cand.matched_incident_id, cand.match_score = match.incident_id, match.score
    if clean:
        cand.edited = {**(cand.edited or {}), **clean}
    source = _source(cand, values, edited=set(clean))
    if target is None:
        incident = _new_incident(session, cand, values, resolvers)
        incident.sources.append(source)
        session.add(incident)
        session.flush()
        cube.apply(session, added=[incident])
        created = True
    else:
        incident = target
        source.classification = max(_level(cand.classification), _level(incident.classification))
        incident.sources.append(source)
        session.flush()
        if _level(cand.classification) <= _level(incident.classification):
            _reconcile(session, incident, figures_of(values))
        created = False
    cand.status, cand.incident_id = "accepted", incident.id
    cand.reviewed_by, cand.reviewed_at, cand.review_note = who, utcnow(), (note or None)
    session.flush()
    return Decision(cand, incident, created)


def _level(value: Any) -> Classification:
    return Classification.parse(value)


def figures_of(values: dict[str, Any]) -> dict[str, int | None]:
    """The article's figures in the incident's terms; what it does not give stays unknown."""
    figs: dict[str, int | None] = dict.fromkeys(CASUALTY_FIELDS)
    for f in COUNT_FIELDS:
        figs[f] = values.get(f)
    figs["killed"] = total_killed(values)
    return figs


def _source(cand: Candidate, values: dict[str, Any], *, edited: set[str]) -> IncidentSource:
    art = cand.article
    text = art.text or ""
    fields = cand.fields or {}
    raw = {
        "candidate_id": cand.id,
        "article_id": art.id,
        "extractor": cand.extractor,
        "fields": values,
        "extracted": {f: fields.get(f) for f in FIELDS},
        "edited_fields": sorted(set(cand.edited or {}) | edited),
        "evidence": {f: list(s) for f in FIELDS if (s := service.span_of(fields, f, text)) is not None},
        "sentences": service.evidence_sentences(fields, text, skip=set(cand.edited or {}) | edited),
        "confidence": fields.get("confidence") or {},
    }
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return IncidentSource(
        dataset=ARTICLE_DATASET,
        source_id=f"article-{art.id}-{cand.ordinal}",
        url=art.url,
        title=art.title,
        published=art.published,
        raw=raw,
        row_hash=digest,
        classification=cand.classification,
        **figures_of(values),
    )


def _new_incident(
    session: Session, cand: Candidate, values: dict[str, Any], resolvers: Resolvers
) -> Incident:
    day = parse_day(values["date"])
    assert day is not None  # checked by accept
    place = resolvers.places.resolve(values.get("province"), values.get("district"))
    perpetrator = values.get("perpetrator")
    return Incident(
        date=day,
        date_precision="day",
        year=day.year,
        month=day.month,
        province_code=place.province_code,
        province=values.get("province"),
        district_code=place.district_code,
        district=values.get("district"),
        place=values.get("place"),
        event_type=values["event_type"],
        actor=None if not perpetrator or str(perpetrator).lower() == "unknown" else str(perpetrator)[:300],
        actor_id=resolvers.actor_id(perpetrator),
        claimed=values.get("claimed"),
        target_type=(values.get("target") or None) and str(values["target"])[:120],
        notes=f"From a news report (article {cand.article_id}), reviewed in the extraction queue.",
        classification=cand.classification,
        **figures_of(values),
    )


def _reconcile(session: Session, incident: Incident, figures: dict[str, int | None]) -> None:
    """Fold the article's figures into the incident's as a merge does (largest known; never erase)."""
    own = dedup._own_figures(session, incident)
    new_own = dedup.reconcile([own, figures])
    merges = list(
        session.scalars(
            select(IncidentMerge).where(
                IncidentMerge.survivor_id == incident.id, IncidentMerge.unmerged_at.is_(None)
            )
        )
    )
    if merges:  # a group's survivor: its own figures live on its merges, and the group is refigured
        for row in merges:
            if row.survivor_figures is not None:
                row.survivor_figures = dict(new_own)
        session.flush()
        dedup._refigure(session, incident, new_own)
        return
    before = dedup._snapshot(incident)
    for name, value in new_own.items():
        setattr(incident, name, value)
    cube.apply(session, removed=[before], added=[incident])  # type: ignore[list-item]
