"""Scoring a pair of incidents as possible reports of the same event, with a reason for every criterion.

A pair is a candidate only if it passes every hard test (dates at most a day apart, same district or, where
one lacks a district, points close together, compatible types, casualty counts not contradicting each
other); the score then says how alike they are. Weights and thresholds are in one place, here, and
``docs/dedup.md`` explains them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from nigran.geo.geometry import haversine_km

WEIGHTS = {"date": 0.25, "place": 0.30, "type": 0.20, "casualties": 0.25}
MIN_SCORE = 0.6
NEAR_KM = 10.0  # same district and points this close: the same spot as far as the datasets can tell
NO_DISTRICT_KM = 25.0  # without a district on one side, points must be at least this close
CURATED = frozenset({"ucdp-ged", "acled", "gtd"})  # datasets that de-duplicate themselves

# Families of the taxonomy; "coarse" types are what datasets with a blunt taxonomy (UCDP's "state-based
# violence") record for events another dataset describes precisely.
FAMILIES = {
    "suicide_bombing": "explosive",
    "bombing": "explosive",
    "infrastructure_attack": "explosive",
    "armed_assault": "armed",
    "targeted_killing": "armed",
    "clash": "armed",
    "security_operation": "armed",
    "cross_border_attack": "armed",
    "kidnapping": "abduction",
    "hijacking": "abduction",
}
COARSE = frozenset({"clash", "armed_assault", "other"})


@dataclass(frozen=True)
class IncidentView:
    """What scoring needs of an incident, read once from the database (or built by hand in tests)."""

    id: int
    date: date
    event_type: str
    province_code: str | None = None
    district_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None
    killed: int | None = None
    injured: int | None = None
    actor_id: int | None = None
    datasets: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Criterion:
    name: str
    score: float
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.detail} ({self.score:.2f})"


@dataclass(frozen=True)
class Candidate:
    first_id: int
    second_id: int
    score: float
    criteria: tuple[Criterion, ...]

    @property
    def reasons(self) -> list[str]:
        return [str(c) for c in self.criteria]


def type_compatibility(a: str, b: str) -> float:
    """1 same type, 0.7 same family, 0.4 one side coarse, 0 incompatible (a bombing is not a kidnapping)."""
    if a == b:
        return 1.0
    fa, fb = FAMILIES.get(a), FAMILIES.get(b)
    if fa is not None and fa == fb and not (a in COARSE or b in COARSE):
        return 0.7
    if a in COARSE or b in COARSE:
        return 0.4
    return 0.0


def count_similarity(a: int | None, b: int | None) -> float | None:
    """None when either is unknown; 0 when the counts contradict each other (more than 2 apart and
    one less than half the other); otherwise 1 minus the relative difference."""
    if a is None or b is None:
        return None
    diff, high = abs(a - b), max(a, b)
    if diff > 2 and min(a, b) < high / 2:
        return 0.0
    return max(0.05, 1 - diff / (high + 2))


def _place(a: IncidentView, b: IncidentView) -> Criterion | None:
    distance = None
    if None not in (a.lat, a.lon, b.lat, b.lon):
        distance = haversine_km(a.lat, a.lon, b.lat, b.lon)  # type: ignore[arg-type]
    named = bool(a.place and b.place and fuzz.token_set_ratio(a.place.casefold(), b.place.casefold()) >= 85)
    if a.district_code and b.district_code:
        if a.district_code != b.district_code:
            return None
        if (distance is not None and distance <= NEAR_KM) or named:
            how = f"{distance:.0f} km apart" if distance is not None else f"places {a.place!r} ~ {b.place!r}"
            return Criterion("place", 1.0, f"same district {a.district_code}, {how}")
        if distance is not None and distance > 50:
            return Criterion(
                "place", 0.5, f"same district {a.district_code}, but points {distance:.0f} km apart"
            )
        return Criterion("place", 0.8, f"same district {a.district_code}")
    if a.province_code and b.province_code and a.province_code != b.province_code:
        return None
    if distance is not None and distance <= NO_DISTRICT_KM:
        return Criterion("place", 0.6, f"district unknown on one side; points {distance:.0f} km apart")
    return None


def score_pair(a: IncidentView, b: IncidentView, *, same_dataset: bool = False) -> Candidate | None:
    """A candidate with its explanation, or None when a hard test fails. Reasons read lower id first."""
    if a.id > b.id:
        a, b = b, a
    if not same_dataset and len(a.datasets) == 1 and a.datasets == b.datasets and a.datasets <= CURATED:
        return None
    days = abs((a.date - b.date).days)
    if days > 1:
        return None
    when = Criterion("date", 1.0 if days == 0 else 0.6, "same day" if days == 0 else "adjacent days")
    where = _place(a, b)
    if where is None:
        return None
    compat = type_compatibility(a.event_type, b.event_type)
    if compat == 0:
        return None
    what = Criterion(
        "type",
        compat,
        a.event_type if a.event_type == b.event_type else f"{a.event_type} vs {b.event_type} (compatible)",
    )
    killed, injured = count_similarity(a.killed, b.killed), count_similarity(a.injured, b.injured)
    if killed == 0 or (injured == 0 and killed is None):
        return None
    known = [s for s in (killed, injured) if s is not None]
    if known:
        weights = [0.7, 0.3] if len(known) == 2 else [1.0]
        value = sum(w * s for w, s in zip(weights, known, strict=True))
        parts = [f"killed {a.killed} vs {b.killed}"] if killed is not None else []
        parts += [f"injured {a.injured} vs {b.injured}"] if injured is not None else []
        toll = Criterion("casualties", value, ", ".join(parts))
    else:
        toll = Criterion("casualties", 0.5, "not known on one side")
    criteria = [when, where, what, toll]
    score = sum(WEIGHTS[c.name] * c.score for c in criteria)
    if a.actor_id and b.actor_id:
        if a.actor_id == b.actor_id:
            criteria.append(Criterion("actor", 0.05, "same actor"))
        else:
            criteria.append(Criterion("actor", -0.1, "different actors"))
        score += criteria[-1].score
    sources = " + ".join(sorted(a.datasets)) + " / " + " + ".join(sorted(b.datasets))
    criteria.append(Criterion("sources", 0.0, sources))
    return Candidate(a.id, b.id, round(min(score, 1.0), 3), tuple(criteria))
