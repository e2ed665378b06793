"""Offline geocoding to district and province: names, misspellings and points, with a confidence.

Resolution works in tiers and stops at the first tier that finds something, so a weaker rule never
overrides a stronger one: exact names (official, alias, Urdu, initialised, former) -> transliteration
variants -> tehsils (pk-address-checker) -> populated places (GeoNames) -> fuzzy matching. A tier that
finds two districts, or a district and a province of the same name ("Khyber"), answers "ambiguous":
``district_code`` is None and ``candidates`` lists the codes, so callers never get a confident guess.

Points are placed by the nearest district headquarters, because no district boundaries are available
offline; ``docs/geocoding.md`` gives the measured accuracy of that approximation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.geo import aliases
from nigran.geo.index import Entry, NameIndex, build_index
from nigran.geo.text import normalise, tokens

PROVINCE_LEVELS = frozenset({"province", "region", "territory"})
# Pakistan with a margin; a point outside is not placed.
BBOX = (23.0, 37.5, 60.5, 78.0)
DEFAULT_CAP_KM = 100.0
KM_PER_DEGREE = 111.195
MAX_RING = 12  # degrees searched around a point before giving up on a nearer anchor
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Match:
    """A resolved name or point. ``district_code`` None: only the province is known, or it is ambiguous."""

    district_code: str | None
    district: str | None
    province_code: str | None
    province: str | None
    confidence: float
    method: str
    candidates: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.district_code is not None


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None = None
    lon: float | None = None
    name_ur: str | None = None
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    province_code: str | None = field(default=None, compare=False)


def _with_provinces(units: Iterable[Unit]) -> dict[str, Unit]:
    by_code = {u.code: u for u in units}

    def province_of(code: str | None) -> str | None:
        seen = 0
        while code and code in by_code and seen < 10:
            if by_code[code].level in PROVINCE_LEVELS:
                return code
            code, seen = by_code[code].parent, seen + 1
        return None

    return {
        code: Unit(**{**u.__dict__, "province_code": province_of(code)})  # type: ignore[arg-type]
        for code, u in by_code.items()
    }


class Gazetteer:
    """Pakistan's districts and provinces, their names, and the places within them."""

    def __init__(self, units: Iterable[Unit], *, with_places: bool = True) -> None:
        self.units = _with_provinces(units)
        self.districts = [u for u in self.units.values() if u.level == "district"]
        self.provinces = {c: u for c, u in self.units.items() if u.level in PROVINCE_LEVELS}
        # Points are placed by the nearest anchor: each district's headquarters, plus places known by name.
        self._grids: dict[str | None, dict[tuple[int, int], list[tuple[float, float, Unit]]]] = {}
        self._anchors: list[tuple[float, float, Unit]] = [
            (u.lat, u.lon, u) for u in self.districts if u.lat is not None and u.lon is not None
        ]
        self._district_count = {p: 0 for p in self.provinces}
        for d in self.districts:
            if d.province_code:
                self._district_count[d.province_code] = self._district_count.get(d.province_code, 0) + 1
        self._province_keys = self._build_province_keys()
        self.index: NameIndex = build_index(self, with_places=with_places)
        self._cache: dict[tuple[str, str | None], Match | None] = {}
        self._points: dict[tuple[float, float, str | None, float], Match | None] = {}

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def bundled(cls) -> Gazetteer:
        """The packaged unit list plus places; built once per process (it is immutable apart from caches)."""
        return _bundled()

    @classmethod
    def from_units_yaml(cls, path: str | None = None) -> Gazetteer:
        import yaml

        from nigran.core.paths import data_path

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path or data_path("admin_units.yaml"), encoding="utf-8") as fh:
            rows = yaml.load(fh, Loader=loader)["units"]
        return cls(
            Unit(
                code=str(r["code"]),
                name=str(r["name"]),
                level=str(r["level"]),
                parent=r.get("parent"),
                lat=r.get("lat"),
                lon=r.get("lon"),
                name_ur=r.get("name_ur"),
                aliases=tuple(r.get("aliases") or ()),
                former_names=tuple(r.get("former_names") or ()),
            )
            for r in rows
        )

    @classmethod
    def from_session(cls, session: Session) -> Gazetteer:
        """The units as loaded in this database (public reference data), plus the packaged places.

        A database whose units were never loaded (``nigran db seed``) gets the bundled list instead, so
        incidents are still placed, with the codes that seeding would create.
        """
        from nigran.geo.models import AdminUnit

        rows = list(session.scalars(select(AdminUnit)))
        if not any(r.level == "district" for r in rows):
            return cls.bundled()
        code_of = {r.id: r.code for r in rows}
        return cls(
            Unit(
                code=r.code,
                name=r.name,
                level=r.level,
                parent=code_of.get(r.parent_id) if r.parent_id else None,
                lat=r.lat,
                lon=r.lon,
                name_ur=r.name_ur,
                aliases=tuple(r.aliases or ()),
                former_names=tuple(r.former_names or ()),
            )
            for r in rows
        )

    def _build_province_keys(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for code, unit in self.provinces.items():
            names = [code, code.removeprefix("PK-"), unit.name, *unit.aliases, *unit.former_names]
            if unit.name_ur:
                names.append(unit.name_ur)
            for name in names:
                keys.setdefault(normalise(name), code)
        for name, code in aliases.EXTRA_PROVINCE_NAMES.items():
            if code in self.provinces:
                keys.setdefault(normalise(name), code)
        return keys

    # -- provinces ------------------------------------------------------------------------------------------

    def normalise_province(self, name: str | None) -> str | None:
        """The ISO code of a province/region/territory from any of its names; FATA is PK-KP since 2018."""
        if not name or not name.strip():
            return None
        key = normalise(name)
        if key in self._province_keys:
            return self._province_keys[key]
        if name.strip().upper() in self.provinces:
            return name.strip().upper()
        best = self.index.fuzzy_province(key, self._province_keys)
        return best

    def exact_province(self, name: str) -> str | None:
        """The province a code or name denotes exactly, in any case; unlike :meth:`normalise_province`,
        never a fuzzy guess (filters must refuse a typo rather than answer for another province)."""
        if not name.strip():
            return None
        upper = name.strip().upper()
        if upper in self.provinces:
            return upper
        return self._province_keys.get(normalise(name))

    def province_name(self, code: str | None) -> str | None:
        return self.provinces[code].name if code in self.provinces else None

    # -- names ----------------------------------------------------------------------------------------------

    def resolve(self, name: str, province: str | None = None) -> Match | None:
        """The district (and province) a name refers to, or None when nothing plausible matches."""
        if not name or not name.strip():
            return None
        prov = self.normalise_province(province) if province else None
        cache_key = (name, prov)
        if cache_key in self._cache:
            return self._cache[cache_key]
        result = self._resolve(name, prov)
        if len(self._cache) < 200_000:
            self._cache[cache_key] = result
        return result

    def _resolve(self, name: str, prov: str | None) -> Match | None:
        _, had_unit_word, _ = tokens(name)
        for entries in self.index.tiers(name):
            if prov:
                entries = [e for e in entries if self.units[e.code].province_code == prov]
            if had_unit_word:
                entries = [e for e in entries if self.units[e.code].level not in PROVINCE_LEVELS]
            if entries:
                return self._decide(entries, prov)
        return None

    def _decide(self, entries: list[Entry], prov: str | None) -> Match:
        best_rank = min(e.rank for e in entries)
        entries = [e for e in entries if e.rank == best_rank]
        confidence = max(e.confidence for e in entries)
        districts = sorted({e.code for e in entries if self.units[e.code].level == "district"})
        provinces = sorted({e.code for e in entries if self.units[e.code].level in PROVINCE_LEVELS})
        if len(districts) == 1:
            district = self.units[districts[0]]
            # "Islamabad" names the territory and its only district alike; "Khyber" names two different units.
            clash = [
                p for p in provinces if p != district.province_code or self._district_count.get(p, 0) > 1
            ]
            if not clash:
                own = [e for e in entries if e.code == district.code]
                best = max(own, key=lambda e: e.confidence)
                return self._match(district, best.confidence, best.method)
            return self._ambiguous((*districts, *provinces), prov)
        if not districts and len(provinces) == 1:
            p = provinces[0]
            return Match(None, None, p, self.province_name(p), round(confidence, 3), "province")
        return self._ambiguous((*districts, *provinces), prov)

    def _match(self, unit: Unit, confidence: float, method: str) -> Match:
        p = unit.province_code
        return Match(unit.code, unit.name, p, self.province_name(p), round(confidence, 3), method)

    def _ambiguous(self, codes: tuple[str, ...], prov: str | None) -> Match:
        provs = {self.units[c].province_code if self.units[c].level == "district" else c for c in codes}
        p = prov or (next(iter(provs)) if len(provs) == 1 else None)
        return Match(None, None, p, self.province_name(p), 0.0, AMBIGUOUS, tuple(codes))

    # -- points ---------------------------------------------------------------------------------------------

    def add_anchors(self, anchors: Iterable[tuple[float, float, Unit]]) -> None:
        self._anchors.extend(anchors)
        self._grids.clear()

    def nearest(
        self,
        lat: float,
        lon: float,
        province: str | None = None,
        among: Iterable[str] | None = None,
        *,
        limit: int | None = None,
        max_km: float | None = None,
    ) -> list[tuple[float, Unit]]:
        """Districts by the distance (km) from the point to their nearest anchor, closest first.

        Distances are equirectangular: within a few hundred km they equal great-circle ones to a fraction of
        a per cent, for much less work. With ``limit``, anchors are searched ring by ring on a one-degree grid
        until no farther ring can hold a closer one.
        """
        if among is not None:
            wanted = set(among)
            return _rank([a for a in self._anchors if a[2].code in wanted], lat, lon, limit)
        grid = self._grid(province)
        if limit is None:
            return _rank([a for cell in grid.values() for a in cell], lat, lon, None)
        coslat = math.cos(math.radians(lat))
        ci, cj = math.floor(lat), math.floor(lon)
        pool: list[tuple[float, float, Unit]] = []
        for r in range(MAX_RING + 1):
            for i in range(ci - r, ci + r + 1):
                for j in range(cj - r, cj + r + 1):
                    if max(abs(i - ci), abs(j - cj)) == r:
                        pool.extend(grid.get((i, j), ()))
            ranked = _rank(pool, lat, lon, limit)
            reach = r * coslat * KM_PER_DEGREE  # every anchor not yet seen is at least this far
            if len(ranked) >= limit and ranked[-1][0] <= reach:
                return ranked
            if max_km is not None and reach > max_km and (not ranked or ranked[0][0] > max_km):
                return ranked  # nothing within max_km: the caller will refuse the point anyway
        return _rank(pool, lat, lon, limit)

    def _grid(self, province: str | None) -> dict[tuple[int, int], list[tuple[float, float, Unit]]]:
        grid = self._grids.get(province)
        if grid is None:
            grid = self._grids[province] = {}
            for anchor in self._anchors:
                if province is None or anchor[2].province_code == province:
                    grid.setdefault((math.floor(anchor[0]), math.floor(anchor[1])), []).append(anchor)
        return grid

    def locate(
        self, lat: float, lon: float, province: str | None = None, *, cap_km: float = DEFAULT_CAP_KM
    ) -> Match | None:
        """The district whose headquarters is nearest, within ``cap_km``; None outside Pakistan or the cap.

        Confidence falls with the distance and with how close the runner-up headquarters is (a point midway
        between two headquarters is a coin toss).
        """
        if lat is None or lon is None or math.isnan(lat) or math.isnan(lon):
            return None
        if not (BBOX[0] <= lat <= BBOX[1] and BBOX[2] <= lon <= BBOX[3]):
            return None
        prov = self.normalise_province(province) if province else None
        key = (round(lat, 4), round(lon, 4), prov, cap_km)
        if key not in self._points:
            ranked = self.nearest(lat, lon, prov, limit=2, max_km=cap_km)
            found = (
                None if not ranked or ranked[0][0] > cap_km else self._point_match(ranked, cap_km, "point")
            )
            if len(self._points) < 200_000:
                self._points[key] = found
            return found
        return self._points[key]

    def _point_match(self, ranked: list[tuple[float, Unit]], cap_km: float, method: str) -> Match:
        d1, unit = ranked[0]
        d2 = ranked[1][0] if len(ranked) > 1 else cap_km * 2
        margin = (d2 - d1) / (d2 + d1) if d2 + d1 > 0 else 1.0
        confidence = max(0.05, 1 - d1 / cap_km) * (0.5 + 0.5 * margin)
        return self._match(unit, confidence, method)

    def geocode(
        self,
        name: str | None,
        province: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        *,
        cap_km: float = DEFAULT_CAP_KM,
    ) -> Match | None:
        """Name first; a point breaks a tie between candidates, or places the incident when the name fails."""
        match = self.resolve(name, province) if name else None
        if match and match.resolved:
            return match
        has_point = lat is not None and lon is not None
        if match and match.method == AMBIGUOUS and has_point:
            among = [c for c in match.candidates if self.units[c].level == "district"]
            ranked = self.nearest(lat, lon, among=among)  # type: ignore[arg-type]
            if ranked and ranked[0][0] <= cap_km:
                return self._point_match(ranked, cap_km, "name+point")
        if has_point:
            located = self.locate(
                lat, lon, (match.province_code if match else None) or province, cap_km=cap_km
            )  # type: ignore[arg-type]
            if located:
                return located
        return match


def _rank(
    pool: Iterable[tuple[float, float, Unit]], lat: float, lon: float, limit: int | None
) -> list[tuple[float, Unit]]:
    coslat = math.cos(math.radians(lat))
    scored = sorted(
        (((alat - lat) ** 2 + ((alon - lon) * coslat) ** 2, unit) for alat, alon, unit in pool),
        key=itemgetter(0),
    )
    ranked: list[tuple[float, Unit]] = []
    seen: set[str] = set()
    for d2, unit in scored:
        if unit.code not in seen:
            seen.add(unit.code)
            ranked.append((math.sqrt(d2) * KM_PER_DEGREE, unit))
            if limit is not None and len(ranked) >= limit:
                break
    return ranked


@cache
def _bundled() -> Gazetteer:
    return Gazetteer.from_units_yaml()
