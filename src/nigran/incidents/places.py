"""Resolves where an incident happened, through the offline gazetteer, with a cache per distinct name.

Imports see a few hundred distinct (province, district) spellings in millions of rows, so each is resolved
once. The gazetteer (``nigran.geo.gazetteer``) does the work; it is imported lazily, and should it be missing
a fallback reads the bundled ``admin_units.yaml`` and matches names and aliases exactly, nothing fuzzier.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy.orm import Session

from nigran.core.paths import data_path

#: Names UCDP and older datasets used for units that no longer exist; FATA merged into Khyber Pakhtunkhwa.
HISTORIC_PROVINCES = {
    "federally administered tribal areas": "PK-KP",
    "fata": "PK-KP",
    "tribal areas": "PK-KP",
    "provincially administered tribal areas": "PK-KP",
}
_SUFFIX = re.compile(
    r"\b(province|district|agency|tribal|frontier region|territory|division|capital)\b", re.I
)


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w&]+", " ", name.casefold()).split())


@dataclass
class Place:
    province_code: str | None
    district_code: str | None
    method: str  # name | point | province | none


class _FallbackGazetteer:
    """Exact name/alias matching on the bundled admin units; only if ``nigran.geo.gazetteer`` is absent."""

    def __init__(self) -> None:
        doc = yaml.safe_load(data_path("admin_units.yaml").read_text(encoding="utf-8"))
        self.units = {u["code"]: u for u in doc["units"]}
        self.provinces: dict[str, str] = dict(HISTORIC_PROVINCES)
        self.districts: dict[str, list[tuple[str, str]]] = {}
        for unit in doc["units"]:
            names = [unit["name"], *(unit.get("aliases") or []), *(unit.get("former_names") or [])]
            if unit["level"] in ("province", "region", "territory"):
                for n in names:
                    self.provinces[_key(n)] = unit["code"]
            elif unit["level"] == "district":
                province = self._province_of(unit["code"])
                for n in names:
                    self.districts.setdefault(_key(n), []).append((unit["code"], province))

    def _province_of(self, code: str) -> str:
        unit = self.units[code]
        while unit["level"] not in ("province", "region", "territory") and unit.get("parent"):
            unit = self.units[unit["parent"]]
        return unit["code"]

    def normalise_province(self, name: str) -> str | None:
        key = _key(name)
        return self.provinces.get(key) or self.provinces.get(_key(_SUFFIX.sub(" ", name)))

    def resolve_district(self, name: str, province_code: str | None) -> tuple[str, str] | None:
        for key in (_key(name), _key(_SUFFIX.sub(" ", name))):
            options = self.districts.get(key) or []
            if province_code:
                # FATA agencies are now Khyber Pakhtunkhwa districts, so a historic province still matches
                options = [o for o in options if o[1] == province_code] or options
            if len(options) >= 1:
                return options[0]
        return None

    def locate(self, lat: float, lon: float) -> tuple[str, str] | None:
        best, best_d = None, 0.35  # degrees: headquarters only, so only very near points are trusted
        for code, unit in self.units.items():
            if unit["level"] == "district" and unit.get("lat") is not None:
                d = math.hypot(unit["lat"] - lat, unit["lon"] - lon)
                if d < best_d:
                    best, best_d = (code, self._province_of(code)), d
        return best


class PlaceResolver:
    """Caches every answer: an import asks about the same few hundred names millions of times."""

    def __init__(self, session: Session | None = None) -> None:
        self.gz: Any = None
        try:
            from nigran.geo.gazetteer import Gazetteer

            if session is not None:
                self.gz = Gazetteer.from_session(session)
            if self.gz is None or not self.gz.provinces:  # no admin units loaded in this database yet
                self.gz = Gazetteer.bundled()
        except ImportError:  # pragma: no cover - only before the geo domain existed
            self.gz = None
        self.fallback = _FallbackGazetteer() if self.gz is None else None
        self._cache: dict[tuple[Any, ...], Place] = {}

    def province(self, name: str | None) -> str | None:
        if not name:
            return None
        hist = HISTORIC_PROVINCES.get(_key(name))
        if hist:
            return hist
        if self.gz is not None:
            return self.gz.normalise_province(name)
        return self.fallback.normalise_province(name)  # type: ignore[union-attr]

    def resolve(
        self, province: str | None, district: str | None, lat: float | None = None, lon: float | None = None
    ) -> Place:
        """Name first (within the province the source gives), then the coordinates; cached per input."""
        point = (round(lat, 3), round(lon, 3)) if lat is not None and lon is not None else None
        key = (province, district, point)
        place = self._cache.get(key)
        if place is None:
            place = self._resolve(province, district, point)
            if len(self._cache) < 500_000:
                self._cache[key] = place
        return place

    def _resolve(
        self, province: str | None, district: str | None, point: tuple[float, float] | None
    ) -> Place:
        pcode = self.province(province)
        if self.gz is not None:
            lat, lon = point if point else (None, None)
            match = self.gz.geocode(district, pcode, lat, lon) if (district or point) else None
            if match is not None and match.district_code and (pcode in (None, match.province_code)):
                return Place(match.province_code, match.district_code, match.method)
            return Place(
                pcode or (match.province_code if match else None), None, "province" if pcode else "none"
            )
        found = self.fallback.resolve_district(district, pcode) if district else None  # type: ignore[union-attr]
        if found is None and point:
            found = self.fallback.locate(*point)  # type: ignore[union-attr]
            if found and pcode not in (None, found[1]):
                found = None
        if found:
            return Place(found[1], found[0], "name")
        return Place(pcode, None, "province" if pcode else "none")
