"""Reference covariates by district, bundled as data with a source for every figure.

``src/nigran/data/covariates/`` holds ``districts.csv`` (census population 2017 and 2023, area, border,
merged-district flag), ``provinces.csv`` (indicators published only by province: multidimensional poverty
2016, literacy 2018-19) and ``sources.yaml`` (title, publisher, URL, licence, date of every source id the two
tables name beside each figure); ``SOURCES.md`` there explains them. A figure nobody could source is empty
and is ``None`` here: unknown, never 0 and never guessed.

Districts are keyed by the gazetteer's current codes (``admin_units.yaml``). A district created after a
census has no figure of its own for that census (its parent's figure covers both), except where a source
gives one; ``SOURCES.md`` lists these cases.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem

#: Where each province-level indicator comes from for a district: its province's row, or for a merged
#: district the ``FATA`` row where that has a value.
FATA_ROW = "FATA"
#: Provincial capitals (district codes), for the distance-to-capital proxy of access to institutions.
CAPITALS = {
    "PK-PB": "PK-PB-LHR",
    "PK-SD": "PK-SD-KHS",
    "PK-KP": "PK-KP-PSH",
    "PK-BA": "PK-BA-QTA",
    "PK-GB": "PK-GB-GLT",
    "PK-JK": "PK-JK-MZD",
    "PK-IS": "PK-IS-ISB",
}
BORDERS = ("Afghanistan", "Iran", "India", "India (LoC)", "China")

#: name -> (description, unit); every name :func:`for_units` returns.
COVARIATES: dict[str, tuple[str, str]] = {
    "population_2017": ("Population, census 2017", "persons"),
    "population_2023": ("Population, census 2023", "persons"),
    "population": ("Population, latest census with a figure", "persons"),
    "population_year": ("Year of that census", "year"),
    "area_km2": ("Area", "km²"),
    "density_per_km2": ("Population density (latest population / area)", "persons per km²"),
    "border_any": ("Border district (1 yes, 0 no)", "flag"),
    "border_afghanistan": ("Borders Afghanistan", "flag"),
    "border_iran": ("Borders Iran", "flag"),
    "border_india": ("Borders India or the Line of Control", "flag"),
    "border_china": ("Borders China", "flag"),
    "merged_district": ("Merged district, former FATA (1 yes, 0 no)", "flag"),
    "mpi_headcount_pct": ("Multidimensional poverty headcount 2016 (province or former FATA)", "%"),
    "literacy_pct": ("Literacy rate, aged 10+, PSLM 2018-19 (province)", "%"),
    "distance_to_capital_km": ("Distance from district headquarters to the provincial capital", "km"),
}


@dataclass(frozen=True)
class District:
    code: str
    name: str
    province: str
    lat: float
    lon: float
    values: dict[str, float | None]
    sources: dict[str, str | None]
    border: tuple[str, ...] | None  # None: not determined


def _data(name: str) -> str:
    return (resources.files("nigran.data") / "covariates" / name).read_text(encoding="utf-8")


def _num(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _province_of(units: dict[str, dict[str, Any]], code: str) -> str:
    unit = units[code]
    while unit["level"] not in ("province", "region", "territory"):
        unit = units[unit["parent"]]
    return unit["code"]


@lru_cache(maxsize=1)
def _load() -> dict[str, District]:
    units = {u["code"]: u for u in yaml.safe_load(_data_units())["units"]}
    provinces = {r["code"]: r for r in csv.DictReader(io.StringIO(_data("provinces.csv")))}
    out: dict[str, District] = {}
    for row in csv.DictReader(io.StringIO(_data("districts.csv"))):
        code = row["code"]
        unit = units[code]
        province = _province_of(units, code)
        values: dict[str, float | None] = {}
        sources: dict[str, str | None] = {}

        def put(
            name: str,
            value: float | None,
            source: str | None,
            values: dict[str, float | None] = values,
            sources: dict[str, str | None] = sources,
        ) -> None:
            values[name] = value
            sources[name] = source if value is not None else None

        put("population_2017", _num(row["pop_2017"]), row["pop_2017_source"] or None)
        put("population_2023", _num(row["pop_2023"]), row["pop_2023_source"] or None)
        if values["population_2023"] is not None:
            put("population", values["population_2023"], sources["population_2023"])
            put("population_year", 2023.0, sources["population_2023"])
        else:
            put("population", values["population_2017"], sources["population_2017"])
            put(
                "population_year",
                2017.0 if values["population_2017"] is not None else None,
                sources["population"],
            )
        put("area_km2", _num(row["area_km2"]), row["area_km2_source"] or None)
        pop, area = values["population"], values["area_km2"]
        density = pop / area if pop is not None and area else None
        both = f"{sources['population']}+{sources['area_km2']}" if density is not None else None
        put("density_per_km2", density, both)
        border_text = row["border"].strip()
        border = None if not border_text else tuple(b for b in border_text.split(";") if b != "none")
        for name, matches in (
            ("border_any", BORDERS),
            ("border_afghanistan", ("Afghanistan",)),
            ("border_iran", ("Iran",)),
            ("border_india", ("India", "India (LoC)")),
            ("border_china", ("China",)),
        ):
            flag = None if border is None else float(any(b in matches for b in border))
            put(name, flag, "geography")
        merged = row["merged"].strip() == "1"
        put("merged_district", 1.0 if merged else 0.0, "gazetteer")
        for name, column in (("mpi_headcount_pct", "mpi_headcount_pct"), ("literacy_pct", "literacy_pct")):
            chosen = provinces.get(province, {})
            if merged and _num(provinces.get(FATA_ROW, {}).get(column, "")) is not None:
                chosen = provinces[FATA_ROW]
            put(name, _num(chosen.get(column, "")), chosen.get(column + "_source") or None)
        capital = units[CAPITALS[province]]
        put(
            "distance_to_capital_km",
            round(_km(unit["lat"], unit["lon"], capital["lat"], capital["lon"]), 1),
            "distance",
        )
        out[code] = District(code, unit["name"], province, unit["lat"], unit["lon"], values, sources, border)
    return out


def _data_units() -> str:
    return (resources.files("nigran.data") / "admin_units.yaml").read_text(encoding="utf-8")


def districts() -> dict[str, District]:
    """Every district's covariates, by code (built once per process)."""
    return _load()


def for_units(codes: Iterable[str]) -> dict[str, dict[str, float | None]]:
    """``{code: {covariate name: value or None}}`` for the district codes given; a code that is no district
    is refused (``InvalidInput``) rather than answered with nothing."""
    data = _load()
    codes = list(codes)
    unknown = [c for c in codes if c not in data]
    if unknown:
        raise InvalidInput([Problem(0, f"no district with code {c!r}", "codes") for c in unknown])
    return {c: dict(data[c].values) for c in codes}


def source_of(code: str, name: str) -> str | None:
    """The source id of one district's figure (``None`` when the figure is unknown)."""
    return _load()[code].sources.get(name)


@lru_cache(maxsize=1)
def _sources() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(_data("sources.yaml"))
    return {k: {key: str(v) for key, v in entry.items()} for k, entry in raw.items()}


def source(source_id: str | None) -> dict[str, str] | None:
    """One source's record (``title``, ``publisher``, ``url``, ``licence``, ``accessed``); a compound id
    ``a+b`` (a ratio of two figures) is answered with both titles."""
    if not source_id:
        return None
    known = _sources()
    parts = [known[p] for p in source_id.split("+") if p in known]
    if not parts:
        return None
    if len(parts) == 1:
        return {"id": source_id, **parts[0]}
    return {
        "id": source_id,
        "title": " ÷ ".join(p["title"] for p in parts),
        "publisher": "; ".join(p["publisher"] for p in parts),
        "url": " ".join(p["url"] for p in parts),
        "licence": "; ".join(sorted({p["licence"] for p in parts})),
        "accessed": max(p["accessed"] for p in parts),
    }


def sources() -> list[dict[str, Any]]:
    """Every source, with the covariates (and how many district figures) that use it."""
    used: dict[str, dict[str, int]] = {}
    for d in _load().values():
        for name, sid in d.sources.items():
            for part in (sid or "").split("+"):
                if part:
                    used.setdefault(part, {}).setdefault(name, 0)
                    used[part][name] += 1
    return [
        {"id": sid, **entry, "covariates": dict(sorted(used.get(sid, {}).items()))}
        for sid, entry in _sources().items()
    ]


def coverage() -> dict[str, int]:
    """How many districts have a figure for each covariate (of all the gazetteer's districts)."""
    data = _load().values()
    return {name: sum(1 for d in data if d.values.get(name) is not None) for name in COVARIATES}
