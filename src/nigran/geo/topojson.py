"""A small TopoJSON decoder: quantized, delta-coded arcs to GeoJSON polygons.

Why our own: the bundled boundaries are converted once (``scripts/build-boundaries``), and the format needs
only a few lines (the TopoJSON specification, sections 2.1.3-2.2); a dependency for that would be heavier
than the code. Coordinates are rounded (4 decimals, about 11 m, far finer than the simplified source), and
points that rounding makes repeat are dropped, which keeps the bundled GeoJSON small.
"""

from __future__ import annotations

from typing import Any

Position = list[float]
Ring = list[Position]


class TopologyError(ValueError):
    """The TopoJSON document is not what the decoder expects (a developer's input, never a user's)."""


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as absolute longitude/latitude pairs (undoing the delta coding and the quantization)."""
    transform = topology.get("transform")
    if transform:
        (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    arcs = []
    for arc in topology["arcs"]:
        points = []
        x = y = 0
        for position in arc:
            if transform:
                x, y = x + position[0], y + position[1]
                points.append((x * kx + dx, y * ky + dy))
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)
    return arcs


def _ring(indexes: list[int], arcs: list[list[tuple[float, float]]], digits: int) -> Ring:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        if points and arc[0] != points[-1]:  # a copying error in any coordinate shows up here
            raise TopologyError(f"arc {index} does not start where the one before it ends")
        points.extend(arc if not points else arc[1:])  # consecutive arcs share their joining point
    ring: Ring = []
    for x, y in points:
        p = [round(x, digits), round(y, digits)]
        if not ring or ring[-1] != p:
            ring.append(p)
    if ring and ring[0] != ring[-1]:
        raise TopologyError(f"ring of arcs {indexes} does not close")
    return ring


def _geometry(obj: dict[str, Any], arcs: list[list[tuple[float, float]]], digits: int) -> dict[str, Any]:
    def polygon(rings: list[list[int]]) -> list[Ring]:
        out = [_ring(r, arcs, digits) for r in rings]
        return [r for r in out if len(r) >= 4]  # a ring that rounding collapsed is no ring

    if obj["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(obj["arcs"])}
    if obj["type"] == "MultiPolygon":
        parts = [p for p in (polygon(rings) for rings in obj["arcs"]) if p]
        return {"type": "MultiPolygon", "coordinates": parts}
    raise TopologyError(f"unsupported geometry type {obj['type']!r}")


def to_feature_collection(
    topology: dict[str, Any], name: str | None = None, digits: int = 4
) -> dict[str, Any]:
    """The object ``name`` (the only one when None) as a GeoJSON FeatureCollection, properties kept."""
    if topology.get("type") != "Topology":
        raise TopologyError("not a TopoJSON Topology")
    objects = topology["objects"]
    if name is None:
        if len(objects) != 1:
            raise TopologyError(f"several objects ({', '.join(objects)}): name one")
        name = next(iter(objects))
    arcs = decode_arcs(topology)
    collection = objects[name]
    members = collection["geometries"] if collection["type"] == "GeometryCollection" else [collection]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": dict(g.get("properties") or {}),
                "geometry": _geometry(g, arcs, digits),
            }
            for g in members
        ],
    }
