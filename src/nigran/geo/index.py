"""The name index behind the gazetteer: one lookup table per tier, and fuzzy matching as the last resort.

Entries carry a rank inside their tier (0: current name or alias, 1: former name, 2: a division standing
for its districts) so that "Chitral", an alias of Lower Chitral and the former name of both Chitral
districts, resolves to Lower Chitral while "Kohistan", only a former name, stays ambiguous.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from nigran.geo import aliases
from nigran.geo.geometry import haversine_km
from nigran.geo.text import abbreviations, normalise, skeleton

if TYPE_CHECKING:
    from nigran.geo.gazetteer import Gazetteer

# Fuzzy matching: (minimum length of the name's skeleton, Indel edits allowed), a substitution being two
# edits. District and tehsil names of 5+ letters tolerate one wrong letter, of 10+ two; village names need
# 7+ letters for one. Shorter names are matched exactly or not at all ("Kabul" must not become "Kabal").
EDIT_BUDGET = ((5, 2), (10, 4))
EDIT_BUDGET_PLACES = ((7, 2), (12, 3))
PROVINCE_FUZZY_CUTOFF = 86.0
PLACE_NEAR_KM = 40.0
# A place named like a district but farther than this from its headquarters is a namesake, not an anchor.
ANCHOR_MAX_KM = 80.0


@dataclass(frozen=True)
class Entry:
    code: str
    rank: int
    method: str
    confidence: float


class NameIndex:
    def __init__(self) -> None:
        self.exact: dict[str, list[Entry]] = defaultdict(list)
        self.variant: dict[str, list[Entry]] = defaultdict(list)
        self.tehsil: dict[str, list[Entry]] = defaultdict(list)
        self.place: dict[str, list[Entry]] = defaultdict(list)
        self.foreign = frozenset(skeleton(n) for n in aliases.FOREIGN_NAMES)
        self._fuzzy: list[
            tuple[dict[str, list[str]], dict[str, list[Entry]], tuple[tuple[int, int], ...]]
        ] = []

    def add(
        self, table: dict[str, list[Entry]], name: str | None, entry: Entry, *, variants: bool = True
    ) -> None:
        if not name or not str(name).strip():
            return
        name = str(name)
        key = normalise(name)
        if key and entry not in table[key]:
            table[key].append(entry)
        if variants:
            skel = skeleton(name)
            target = self.variant if table is self.exact else table
            variant_entry = Entry(
                entry.code,
                entry.rank,
                "variant" if table is self.exact else entry.method,
                round(entry.confidence * 0.95, 3),
            )
            if skel and variant_entry not in target[skel]:
                target[skel].append(variant_entry)

    def freeze(self) -> None:
        """Fuzzy matching runs over the keys of every tier, bucketed by first letter and by last two letters
        (a query is compared with both buckets), so a query meets a few hundred keys rather than thousands.
        A misspelling in both the first and the last letters is not found; names of villages must match
        more closely than district and tehsil names."""
        self._fuzzy = []
        for tables, budget in (
            ((self.variant, self.tehsil), EDIT_BUDGET),
            ((self.place,), EDIT_BUDGET_PLACES),
        ):
            merged: dict[str, list[Entry]] = {}
            for table in tables:
                for key, entries in table.items():
                    if len(key) >= 4 and key not in merged:
                        merged[key] = list(entries)
            buckets: dict[str, list[str]] = defaultdict(list)
            for key in merged:
                buckets["^" + key[0]].append(key)
                buckets["$" + key[-2:]].append(key)
            self._fuzzy.append((dict(buckets), merged, budget))

    def tiers(self, name: str) -> Iterator[list[Entry]]:
        key, skel = normalise(name), skeleton(name)
        yield self.exact.get(key, [])
        yield self.variant.get(skel, [])
        yield self.tehsil.get(key, []) or self.tehsil.get(skel, [])
        yield self.place.get(key, []) or self.place.get(skel, [])
        yield self.fuzzy(skel)

    def fuzzy(self, skel: str) -> list[Entry]:
        """Keys within an edit budget that grows with the length of the name (a substitution costs 2)."""
        if skel in self.foreign:
            return []
        for buckets, entries, budget in self._fuzzy:
            allowed = max((edits for length, edits in budget if len(skel) >= length), default=0)
            if not allowed:
                continue
            hits: dict[str, float] = {}
            for bucket in ("^" + skel[0], "$" + skel[-2:]):
                for key, dist, _ in process.extract(
                    skel, buckets.get(bucket, ()), scorer=Indel.distance, score_cutoff=allowed, limit=8
                ):
                    hits[key] = dist
            if not hits:
                continue
            best = min(hits.values())
            return [
                Entry(
                    e.code, e.rank, "fuzzy", round(e.confidence * 0.8 * (1 - d / (len(skel) + len(key))), 3)
                )
                for key, d in hits.items()
                if d == best
                for e in entries[key]
            ]
        return []

    @staticmethod
    def fuzzy_province(key: str, province_keys: dict[str, str]) -> str | None:
        if len(key) < 4:
            return None
        hit = process.extractOne(
            key, list(province_keys), scorer=fuzz.ratio, score_cutoff=PROVINCE_FUZZY_CUTOFF
        )
        return province_keys[hit[0]] if hit else None


def build_index(gz: Gazetteer, *, with_places: bool = True) -> NameIndex:
    index = NameIndex()
    for unit in gz.units.values():
        if unit.level == "district":
            for name in (unit.name, *unit.aliases):
                index.add(
                    index.exact, name, Entry(unit.code, 0, "name" if name == unit.name else "alias", 1.0)
                )
                for abbr in abbreviations(name):
                    index.add(index.exact, abbr, Entry(unit.code, 0, "alias", 0.95))
            index.add(index.exact, unit.name_ur, Entry(unit.code, 0, "urdu", 1.0), variants=False)
            for former in unit.former_names:
                index.add(index.exact, former, Entry(unit.code, 1, "former_name", 0.9))
        elif unit.level in ("province", "region", "territory"):
            for name in (unit.name, *unit.aliases, *unit.former_names):
                index.add(index.exact, name, Entry(unit.code, 0, "province", 1.0))
            index.add(index.exact, unit.name_ur, Entry(unit.code, 0, "province", 1.0), variants=False)
        elif unit.level == "division":
            members = [d.code for d in gz.districts if d.parent == unit.code]
            for name in (unit.name, *unit.aliases, unit.name.removesuffix(" Division")):
                for code in members:
                    index.add(index.exact, name, Entry(code, 2, "division", 0.5))
    for name, code in aliases.EXTRA_PROVINCE_NAMES.items():
        if code in gz.units:
            index.add(index.exact, name, Entry(code, 0, "province", 1.0))
    for name, codes in aliases.EXTRA_ALIASES.items():
        for code in codes:
            if code in gz.units:
                method = "province" if gz.units[code].level != "district" else "alias"
                index.add(index.exact, name, Entry(code, 0, method, 0.95))
    for name, codes in aliases.EXTRA_FORMER_NAMES.items():
        for code in codes:
            if code in gz.units:
                index.add(index.exact, name, Entry(code, 1, "former_name", 0.9))
    _add_tehsils(gz, index)
    if with_places:
        _add_places(gz, index)
    index.freeze()
    return index


def _district_codes(gz: Gazetteer, index: NameIndex, name: str, province: str) -> list[str]:
    for entries in (index.exact.get(normalise(name), []), index.variant.get(skeleton(name), [])):
        found = [
            e
            for e in entries
            if gz.units[e.code].level == "district" and gz.units[e.code].province_code == province
        ]
        if found:
            best = min(e.rank for e in found)
            return sorted({e.code for e in found if e.rank == best})
    return []


def _add_tehsils(gz: Gazetteer, index: NameIndex) -> None:
    """Tehsils from pk-address-checker (MIT); a tehsil of a split district points at each successor."""
    try:
        source = resources.files("pk_address_checker") / "pk_admin_data" / "admin_units.csv"
        text = source.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # optional: the gazetteer still works without it
        return
    for row in csv.DictReader(text.splitlines()):
        province = aliases.ADDRESS_CHECKER_PROVINCES.get(row.get("province") or "")
        tehsil = (row.get("tehsil") or "").strip()
        if not province or not tehsil:
            continue
        for code in _district_codes(gz, index, row["district"], province):
            index.add(index.tehsil, tehsil, Entry(code, 0, "tehsil", 0.85))


def _named_district(gz: Gazetteer, index: NameIndex, name: str, province: str | None) -> str | None:
    """The one district a place's own name points to through the name or tehsil tables, if any."""
    for table in (index.exact, index.tehsil):
        entries = [e for e in table.get(normalise(name), []) if gz.units[e.code].level == "district"]
        if province:
            entries = [e for e in entries if gz.units[e.code].province_code == province]
        best = min((e.rank for e in entries), default=None)
        codes = {e.code for e in entries if e.rank == best}
        if len(codes) == 1:
            return codes.pop()
        if codes:
            return None
    return None


def _add_places(gz: Gazetteer, index: NameIndex) -> None:
    """GeoNames places. A place whose name is a known alias or tehsil of a district (Landi Kotal, Wana) is an
    extra anchor for that district when points are located; every other place belongs to the district of
    the nearest anchor within its province."""
    from nigran.geo.places import load_places

    places = [p for p in load_places() if p.province_code is None or p.province_code in gz.units]
    anchors = []
    for place in places:
        code = _named_district(gz, index, place.name, place.province_code)
        hq = gz.units.get(code) if code else None
        near = hq and hq.lat is not None and hq.lon is not None
        if near and haversine_km(place.lat, place.lon, hq.lat, hq.lon) <= ANCHOR_MAX_KM:  # type: ignore[union-attr,arg-type]
            anchors.append((place.lat, place.lon, hq))
    gz.add_anchors(anchors)
    for place in places:
        ranked = gz.nearest(place.lat, place.lon, place.province_code, limit=1)
        if not ranked:
            continue
        distance, district = ranked[0]
        confidence = 0.85 if distance <= PLACE_NEAR_KM else 0.7
        for name in (place.name, *place.alternate_names):
            index.add(index.place, name, Entry(district.code, 0, "place", confidence))
