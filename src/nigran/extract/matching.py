"""Matching a candidate against the incident database with the de-duplication rules.

A candidate is scored against every incident the session may see on the same or an adjacent day, in the same
province, by :func:`nigran.incidents.dedup_score.score_pair` — the very function that proposes duplicate
pairs — so "this article reports a known incident" means exactly what "these two records are one event"
means to de-duplication (same/near date, same district, compatible type, figures that do not contradict).
The incidents are read by :func:`nigran.incidents.dedup._load_views`, through the guarded session: an
incident above the reader's clearance is never offered as a match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from nigran.incidents import dedup
from nigran.incidents.actors import ActorMatcher
from nigran.incidents.dedup_score import MIN_SCORE, IncidentView, score_pair
from nigran.incidents.places import PlaceResolver

#: The dataset name article sources carry (``IncidentSource.dataset``), which de-duplication sees too.
ARTICLE_DATASET = "article"


@dataclass(frozen=True)
class Match:
    incident_id: int
    score: float
    reasons: tuple[str, ...]


@dataclass
class Resolvers:
    """The gazetteer and the actor registry, built once per batch (both cache their answers)."""

    places: PlaceResolver
    actors: ActorMatcher | None
    #: incidents by (day, province) for a batch that writes no incidents (extraction); None: read each time
    views: dict[tuple[date, str | None], list[IncidentView]] | None = None

    @classmethod
    def for_session(cls, session: Session, *, load_actors: bool = False, cache: bool = False) -> Resolvers:
        from sqlalchemy import select

        from nigran.incidents.models import Actor

        has_actors = session.scalar(select(Actor.id).limit(1)) is not None
        actors = ActorMatcher.from_session(session) if (has_actors or load_actors) else None
        return cls(PlaceResolver(session), actors, {} if cache else None)

    def actor_id(self, name: str | None) -> int | None:
        if not name or self.actors is None or name.strip().lower() == "unknown":
            return None
        found = self.actors.match(name)
        return found[0] if found else None


def parse_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def total_killed(values: dict[str, Any]) -> int | None:
    """All deaths, attackers included, from what is known (the importer's rule): unknown when neither is."""
    vic, mil = values.get("victims_killed"), values.get("militants_killed")
    if vic is None and mil is None:
        return None
    return (vic or 0) + (mil or 0)


def view_of(values: dict[str, Any], resolvers: Resolvers) -> IncidentView | None:
    """What scoring needs of a candidate's values; None when it has no usable date or type."""
    day = parse_day(values.get("date"))
    if day is None or not values.get("event_type"):
        return None
    place = resolvers.places.resolve(values.get("province"), values.get("district"))
    return IncidentView(
        id=0,  # not an incident yet; every real id is above it
        date=day,
        event_type=str(values["event_type"]),
        province_code=place.province_code,
        district_code=place.district_code,
        place=values.get("place"),
        killed=total_killed(values),
        injured=values.get("injured"),
        actor_id=resolvers.actor_id(values.get("perpetrator")),
        datasets=frozenset({ARTICLE_DATASET}),
    )


def _views(session: Session, resolvers: Resolvers, day: date, province: str | None) -> list[IncidentView]:
    if resolvers.views is None:
        return dedup._load_views(session, day, day, province)
    key = (day, province)
    if key not in resolvers.views:
        resolvers.views[key] = dedup._load_views(session, day, day, province)
    return resolvers.views[key]


def best_match(
    session: Session, values: dict[str, Any], resolvers: Resolvers, *, min_score: float = MIN_SCORE
) -> Match | None:
    """The visible incident this candidate most likely reports, if any scores at least ``min_score``."""
    view = view_of(values, resolvers)
    if view is None or (view.province_code is None and view.district_code is None):
        return None  # without a place, de-duplication has nothing to compare (its hard test)
    found: Match | None = None
    for other in _views(session, resolvers, view.date, view.province_code):
        if view.district_code and other.district_code and other.district_code != view.district_code:
            continue
        scored = score_pair(view, other, same_dataset=True)
        if scored is None or scored.score < min_score:
            continue
        if found is None or scored.score > found.score:
            found = Match(other.id, scored.score, tuple(scored.reasons))
    return found
