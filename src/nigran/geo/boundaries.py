"""District and province polygons for maps, keyed by the gazetteer's codes, and choropleth classes.

The polygons are geoBoundaries' 2019 builds (public domain; ``data/boundaries/README.md``). Pakistan has
made districts since, and a few 2019 shapes are larger units (Karachi, Azad Kashmir), so a polygon does not
always mean one district: ``data/boundaries/districts.yaml`` maps each polygon to the unit it draws (``code``)
and the districts that have no polygon of their own and lie inside it (``includes``); ``docs/maps.md`` lists
them. A map of district figures therefore colours a polygon by the sum over the districts it stands for, which
is right for counts (incidents, fatalities), the only figures the maps show.

Names come from the gazetteer (``admin_units.yaml``), so the English and Urdu names on a map are the ones
everywhere else.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

from nigran.core.paths import data_path
from nigran.core.yamldoc import load_yaml_file

FeatureCollection = dict[str, Any]
Geometry = dict[str, Any]

#: Number of classes a choropleth uses; few classes read better on a small map than a continuous ramp.
DEFAULT_CLASSES = 5


@dataclass(frozen=True)
class Shape:
    """One row of the reconciliation table: a 2019 polygon and what it draws today."""

    shape: str  # geoBoundaries shapeName
    code: str  # the gazetteer unit the polygon draws (a district, or a division/region for merged shapes)
    includes: tuple[str, ...]  # districts without a polygon of their own that lie inside this one
    name: str | None = None  # the 2019 district's name, where it has since been split (else the unit's)
    name_ur: str | None = None
    note: str | None = None

    @property
    def districts(self) -> tuple[str, ...]:
        """The district codes whose figures this polygon shows."""
        own = () if self.code in self.includes or _unit(self.code)["level"] != "district" else (self.code,)
        return own + self.includes


@cache
def shapes() -> dict[str, Shape]:
    """The reconciliation table, by shapeName."""
    doc = load_yaml_file(data_path("boundaries", "districts.yaml"))
    return {
        str(row["shape"]): Shape(
            shape=str(row["shape"]),
            code=str(row["code"]),
            includes=tuple(str(c) for c in row.get("includes") or ()),
            name=row.get("name"),
            name_ur=row.get("name_ur"),
            note=row.get("note"),
        )
        for row in doc["shapes"]
    }


@cache
def _units() -> dict[str, dict[str, Any]]:
    import yaml  # the bundled list is ours and large: the fast loader, as the gazetteer does

    with open(data_path("admin_units.yaml"), encoding="utf-8") as fh:
        rows = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["units"]
    return {str(r["code"]): dict(r) for r in rows}


def _unit(code: str) -> dict[str, Any]:
    return _units()[code]


def province_of(code: str) -> str | None:
    """The province, region or territory a unit lies in (itself for one of those)."""
    seen = 0
    while code and seen < 10:
        unit = _units().get(code)
        if unit is None:
            return None
        if unit["level"] in ("province", "region", "territory"):
            return code
        code, seen = unit.get("parent"), seen + 1
    return None


@cache
def _raw(name: str) -> FeatureCollection:
    with open(data_path("boundaries", name), encoding="utf-8") as fh:
        return json.load(fh)


def _names(code: str) -> dict[str, Any]:
    unit = _unit(code)
    return {
        "code": code,
        "name": str(unit["name"]),
        "name_ur": unit.get("name_ur"),
        "province": province_of(code),
    }


@cache
def _polygons() -> tuple[dict[str, Any], ...]:
    """The properties of every district polygon (no geometry), in the order of the features."""
    table = shapes()
    out = []
    for f in _raw("pak_adm2.geojson")["features"]:
        row = table[f["properties"]["shapeName"]]
        props = {**_names(row.code), "districts": list(row.districts), "shape": row.shape}
        if row.name:
            props.update(name=row.name, name_ur=row.name_ur)
        out.append(props)
    return tuple(out)


@cache
def _polygon_of() -> dict[str, str]:
    """District code → the code of the polygon that shows it."""
    return {c: props["code"] for props in _polygons() for c in props["districts"]}


def district_features() -> FeatureCollection:
    """Every district polygon, with ``code``, ``name``, ``name_ur``, ``province``, and ``districts`` (the
    district codes it stands for) and ``shape`` (the 2019 name). A fresh copy: callers may annotate it."""
    features = [
        {"type": "Feature", "properties": copy.deepcopy(props), "geometry": copy.deepcopy(f["geometry"])}
        for props, f in zip(_polygons(), _raw("pak_adm2.geojson")["features"], strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def province_features() -> FeatureCollection:
    """The provinces, regions and the capital territory, with ``code`` (ISO 3166-2:PK) and names."""
    features = []
    for f in _raw("pak_adm1.geojson")["features"]:
        props = _names(f["properties"]["shapeISO"])
        features.append({"type": "Feature", "properties": props, "geometry": copy.deepcopy(f["geometry"])})
    return {"type": "FeatureCollection", "features": features}


def district_polygon_of(code: str) -> str | None:
    """The code of the polygon that shows district ``code`` (its own, or the one standing in for it)."""
    return _polygon_of().get(code)


# -- choropleth ---------------------------------------------------------------------------------------------


def breaks_for(values: Iterable[float], classes: int = DEFAULT_CLASSES) -> list[float]:
    """Upper bounds of ``classes`` quantile classes over the distinct values (fewer when there are fewer
    distinct values), so that each colour covers about as many polygons; the last bound is the maximum."""
    distinct = sorted({float(v) for v in values})
    if not distinct:
        return []
    if len(distinct) <= classes:
        return distinct
    return sorted({distinct[math.ceil(len(distinct) * k / classes) - 1] for k in range(1, classes + 1)})


def class_of(value: float | None, breaks: Sequence[float]) -> int | None:
    """1 for the lowest class … len(breaks); None for an unknown value (never class 1 or 0)."""
    if value is None:
        return None
    for i, bound in enumerate(breaks, start=1):
        if value <= bound:
            return i
    return len(breaks) if breaks else None


def choropleth_values(
    values: Mapping[str, float | None],
    *,
    breaks: Sequence[float] | None = None,
    classes: int = DEFAULT_CLASSES,
    lang: str = "en",
) -> dict[str, Any]:
    """The choropleth without geometry: ``{"breaks": [...], "polygons": {code: {"value", "class", "name"}}}``
    with one entry per district polygon (``name`` in ``lang``), to be joined by ``code`` with the polygons of
    :func:`district_features`, which never change and are served once.

    A polygon's value is the sum over the districts it stands for of those present in ``values`` with a
    number; a polygon none of whose districts has one gets ``value`` None and ``class`` None — unknown is
    not zero. ``breaks`` (ascending upper bounds) fixes the classes; by default they are quantiles of the
    polygons' values. A code ``values`` has that is no district is refused, so a caller's mistake does not
    silently vanish from the map."""
    unknown = sorted(c for c in values if district_polygon_of(c) is None)
    if unknown:
        from nigran.core.errors import InvalidInput
        from nigran.core.problems import Problem

        raise InvalidInput([Problem(0, f"no district with code {c!r}", "values") for c in unknown])
    polygons: dict[str, dict[str, Any]] = {}
    for props in _polygons():
        known = [float(values[c]) for c in props["districts"] if values.get(c) is not None]
        name = props["name_ur"] if lang == "ur" and props.get("name_ur") else props["name"]
        polygons[props["code"]] = {"value": sum(known) if known else None, "name": name}
    present = [p["value"] for p in polygons.values() if p["value"] is not None]
    bounds = list(breaks) if breaks is not None else breaks_for(present, classes)
    for p in polygons.values():
        p["class"] = class_of(p["value"], bounds)
    return {"breaks": bounds, "polygons": polygons}


def choropleth(
    values: Mapping[str, float | None],
    *,
    breaks: Sequence[float] | None = None,
    classes: int = DEFAULT_CLASSES,
) -> FeatureCollection:
    """The district polygons with ``value`` and ``class`` from figures by district code, as GeoJSON: the
    rules of :func:`choropleth_values`, joined with the geometry. Returns the collection with ``breaks``
    beside ``features``."""
    found = choropleth_values(values, breaks=breaks, classes=classes)
    collection = district_features()
    for f in collection["features"]:
        entry = found["polygons"][f["properties"]["code"]]
        f["properties"].update(value=entry["value"], **{"class": entry["class"]})
    collection["breaks"] = found["breaks"]
    return collection


# -- planar geometry (degrees; enough for "which polygon holds this point" at district scale) ------------


def _rings(geometry: Geometry) -> list[list[list[list[float]]]]:
    """The polygons of a geometry, each a list of rings (outer first)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"not a polygon: {geometry['type']}")


def _in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(geometry: Geometry, lon: float, lat: float) -> bool:
    """Whether the point lies inside the polygon (outside its holes): the even-odd rule."""
    return any(
        _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:])
        for rings in _rings(geometry)
    )


def interior_point(geometry: Geometry) -> tuple[float, float]:
    """A point surely inside the polygon (its largest part): the middle of the widest stretch of a horizontal
    line through the middle of its bounding box. A centroid can fall outside a crescent-shaped district."""
    polygon = max(_rings(geometry), key=lambda rings: abs(_area(rings[0])))
    lats = [p[1] for p in polygon[0]]
    best: tuple[float, float, float] | None = None
    for fraction in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
        lat = min(lats) + (max(lats) - min(lats)) * fraction
        crossings = sorted(
            x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            for ring in polygon
            for (x1, y1), (x2, y2) in pairwise(ring)
            if (y1 > lat) != (y2 > lat)
        )
        for a, b in zip(crossings[::2], crossings[1::2], strict=False):
            if best is None or b - a > best[0]:
                best = (b - a, (a + b) / 2, lat)
        if best is not None:
            break
    if best is None:
        raise ValueError("degenerate polygon")
    return best[1], best[2]


def _area(ring: Sequence[Sequence[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2
