"""One resolver for incident filters, used by every command, by indicator queries and, later, the web API.

A filter names an actor, a province, a district or an event type the way people write them: a registry code
or any alias ("Pakistani Taliban" is TTP), an ISO code or a name ("KP", "Sindh"), in any case. Each is
resolved through the actor registry, the gazetteer or the taxonomy to the code the data holds, or refused
with the closest matches: a filter that silently matched nothing (or the "unknown actor" group) would give
an empty table or a wrong number without a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from nigran.core.problems import InvalidInput, Problem
from nigran.incidents.actors import norm, registry_names
from nigran.incidents.analytics import Filters, parse_period_bound
from nigran.incidents.mappings import EVENT_TYPES

#: How each filter is named to the user: options on the command line, keys in an indicator's query.
CLI_LABELS: Mapping[str, str] = {
    "date_from": "--from",
    "date_to": "--to",
    "province": "--province",
    "district": "--district",
    "event_types": "--type",
    "actor": "--actor",
}
QUERY_LABELS: Mapping[str, str] = {
    "date_from": "from",
    "date_to": "to",
    "province": "province",
    "district": "district",
    "event_types": "event_types",
    "actor": "actor",
}
#: Geocoding tiers that guess (a tehsil, a town, a misspelling); a filter accepts only names of the unit.
_GUESSES = frozenset({"tehsil", "place", "fuzzy"})


@dataclass(frozen=True)
class FilterText:
    """Filters as a person typed them, before resolution."""

    date_from: str | None = None
    date_to: str | None = None
    province: str | None = None
    district: str | None = None
    event_types: tuple[str, ...] = ()
    actor: str | None = None


class _Problems:
    """Collects every problem of one set of filters, so that all are reported at once."""

    def __init__(self, labels: Mapping[str, str], source: str) -> None:
        self.labels = labels
        self.source = source
        self.found: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        label = self.labels[field]
        if self.source:
            self.found.append(Problem(0, f"{label}: {message}", self.source))
        else:
            self.found.append(Problem(0, message, label))


def resolve(
    session: Session,
    text: FilterText,
    *,
    labels: Mapping[str, str] = CLI_LABELS,
    source: str = "",
    gazetteer: Any = None,
) -> Filters:
    """The :class:`Filters` that ``text`` means, or :class:`InvalidInput` with every problem found.

    ``labels`` name the fields in messages (options or query keys); ``source`` names where the text came from
    (an indicator), when it is not the command line.
    """
    problems = _Problems(labels, source)
    start = _period(text.date_from, "date_from", problems, end=False)
    end = _period(text.date_to, "date_to", problems, end=True)
    if start and end and start > end:
        problems.add("date_to", f"ends ({end.isoformat()}) before the start ({start.isoformat()})")
    gz = None
    if text.province or text.district:
        gz = gazetteer or _gazetteer()
    province = resolve_province(gz, text.province, problems) if text.province else None
    district = resolve_district(gz, text.district, province, problems) if text.district else None
    types = tuple(resolve_event_type(t, problems) or "" for t in text.event_types)
    actor = resolve_actor(session, text.actor, problems) if text.actor else None
    if problems.found:
        raise InvalidInput(problems.found)
    return Filters(
        date_from=start,
        date_to=end,
        province=province,
        district=district,
        event_types=tuple(dict.fromkeys(types)),
        actor=actor,
    )


def from_query(session: Session, query: Mapping[str, Any], *, source: str, **defaults: str | None) -> Filters:
    """The filters of an indicator's ``incident_query``; problems name the indicator (``source``)."""
    types = query.get("event_types") or ()
    if isinstance(types, str):
        types = (types,)
    return resolve(
        session,
        FilterText(
            date_from=_text(query.get("from")) or defaults.get("date_from"),
            date_to=_text(query.get("to")) or defaults.get("date_to"),
            province=_text(query.get("province")),
            district=_text(query.get("district")),
            event_types=tuple(str(t) for t in types),
            actor=_text(query.get("actor")),
        ),
        labels=QUERY_LABELS,
        source=source,
    )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _gazetteer() -> Any:
    from nigran.geo.gazetteer import Gazetteer

    return Gazetteer.bundled()


def _period(value: str | None, field: str, problems: _Problems, *, end: bool) -> date | None:
    try:
        return parse_period_bound(value.strip() if value else None, end=end)
    except (ValueError, TypeError):
        problems.add(field, f"{value!r} is not a period: write YYYY, YYYY-MM or YYYY-MM-DD")
        return None


def closest(query: str, choices: Mapping[str, str], *, limit: int = 3) -> list[str]:
    """The ``limit`` display names whose keys are nearest to ``query`` (rapidfuzz WRatio), best first."""
    if not choices:
        return []
    found = process.extract(query.casefold(), list(choices), scorer=fuzz.WRatio, limit=limit * 3)
    shown: list[str] = []
    for key, score, _ in found:
        label = choices[key]
        if score >= 50 and label not in shown:
            shown.append(label)
    return shown[:limit]


def _unknown(what: str, value: str, suggestions: Iterable[str]) -> str:
    near = list(suggestions)
    hint = f"; closest: {', '.join(near)}" if near else ""
    return f"unknown {what} {value!r}{hint}"


def resolve_province(gz: Any, value: str, problems: _Problems) -> str | None:
    code = gz.exact_province(value)
    if code is None:
        choices = {name.casefold(): f"{unit.name} ({code})" for code, unit in gz.provinces.items()
                   for name in (code, unit.name, *unit.aliases)}  # fmt: skip
        problems.add("province", _unknown("province", value, closest(value, choices)))
    return code


def resolve_district(gz: Any, value: str, province: str | None, problems: _Problems) -> str | None:
    unit = gz.units.get(value.strip().upper())
    if unit is not None and unit.level == "district":
        code = unit.code
    else:
        match = gz.resolve(value)
        if match is not None and match.candidates and province:  # "Khyber" in KP: the province decides
            match = gz.resolve(value, province) or match
        code = match.district_code if match is not None and match.method not in _GUESSES else None
        if match is not None and match.candidates:
            names = [f"{gz.units[c].name} ({c})" for c in match.candidates if c in gz.units]
            problems.add("district", f"{value!r} is ambiguous: it may be {', '.join(names)}")
            return None
        if match is not None and code is None and match.method == "province":
            problems.add("district", f"{value!r} is a province, not a district")
            return None
    if code is None:
        pool = [d for d in gz.districts if province is None or d.province_code == province]
        choices = {d.name.casefold(): f"{d.name} ({d.code})" for d in pool}
        problems.add("district", _unknown("district", value, closest(value, choices)))
        return None
    if province and gz.units[code].province_code != province:
        problems.add("district", f"{gz.units[code].name} ({code}) is not in {gz.province_name(province)}")
        return None
    return code


def resolve_event_type(value: str, problems: _Problems) -> str | None:
    key = re.sub(r"[\s\-]+", "_", value.strip().casefold())
    for candidate in (key, key.removesuffix("s"), key.removesuffix("es")):
        if candidate in EVENT_TYPES:
            return candidate
    choices = {t: t for t in sorted(EVENT_TYPES)}
    problems.add("event_types", _unknown("event type", value, closest(key, choices)))
    return None


def resolve_actor(session: Session, value: str, problems: _Problems) -> str | None:
    names = registry_names(session)
    found = names.get(norm(value))
    if found is not None:
        return found[0]
    choices = {key: f"{code} ({name})" for key, (code, name) in names.items()}
    problems.add("actor", _unknown("actor", value, closest(norm(value), choices)))
    return None
