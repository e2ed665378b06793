"""The bundled district and province polygons: reconciled with the gazetteer, placed in the right province,
the documented gaps exact, and the choropleth honest about unknown values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nigran.core.errors import InvalidInput
from nigran.geo import boundaries as b
from nigran.geo.gazetteer import Gazetteer
from nigran.geo.topojson import TopologyError, to_feature_collection

ROOT = Path(__file__).resolve().parents[1]
MAPS_DOC = ROOT / "docs" / "maps.md"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.bundled()


@pytest.fixture(scope="module")
def districts() -> list[dict]:
    return b.district_features()["features"]


def test_every_polygon_maps_to_a_gazetteer_unit(districts: list[dict], gazetteer: Gazetteer) -> None:
    raw = {f["properties"]["shapeName"] for f in b._raw("pak_adm2.geojson")["features"]}
    assert len(districts) == 126
    assert raw == set(b.shapes()), "the reconciliation table and the polygons disagree"
    for f in districts:
        p = f["properties"]
        assert p["code"] in gazetteer.units, p
        assert p["name"] and p["province"] in gazetteer.provinces, p
        assert p["districts"], f"{p['shape']} stands for no district"
        for code in p["districts"]:
            assert gazetteer.units[code].level == "district", code
            assert gazetteer.units[code].province_code == p["province"], (p["shape"], code)


def test_every_district_is_shown_by_exactly_one_polygon(districts: list[dict], gazetteer: Gazetteer) -> None:
    shown = [code for f in districts for code in f["properties"]["districts"]]
    assert len(shown) == len(set(shown)), "a district is drawn twice"
    assert set(shown) == {d.code for d in gazetteer.districts}


def test_each_polygon_lies_in_its_province(districts: list[dict]) -> None:
    provinces = {f["properties"]["code"]: f["geometry"] for f in b.province_features()["features"]}
    assert set(provinces) == {"PK-BA", "PK-SD", "PK-GB", "PK-JK", "PK-KP", "PK-PB", "PK-IS"}
    for f in districts:
        lon, lat = b.interior_point(f["geometry"])
        assert b.contains(f["geometry"], lon, lat)
        inside = [code for code, geometry in provinces.items() if b.contains(geometry, lon, lat)]
        assert inside == [f["properties"]["province"]], f["properties"]["shape"]


def test_districts_without_a_polygon_have_their_headquarters_inside_the_stand_in(
    gazetteer: Gazetteer,
) -> None:
    geometry = {f["properties"]["shape"]: f["geometry"] for f in b.district_features()["features"]}
    checked = 0
    for row in b.shapes().values():
        for code in row.includes:
            unit = gazetteer.units[code]
            if unit.lat is None or unit.lon is None:
                continue
            assert b.contains(geometry[row.shape], unit.lon, unit.lat), (code, row.shape)
            checked += 1
    assert checked >= 40


def _documented_gaps() -> dict[str, str]:
    """code -> stand-in shape, from the table under the gaps heading of docs/maps.md."""
    text = MAPS_DOC.read_text(encoding="utf-8")
    section = text.split("## Districts without a polygon of their own", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(PK-[A-Z]{2}-[A-Z]{3})\s*\|[^|]*\|\s*([^|]+?)\s*\|", section, re.M)
    return dict(rows)


def test_the_documented_gaps_are_exactly_the_districts_without_a_polygon() -> None:
    table = {code: row.shape for row in b.shapes().values() for code in row.includes}
    assert table, "the reconciliation table names no gaps"
    assert _documented_gaps() == table


def test_features_carry_urdu_names_and_split_districts_their_2019_name(districts: list[dict]) -> None:
    by_shape = {f["properties"]["shape"]: f["properties"] for f in districts}
    assert by_shape["Quetta"]["name_ur"] == "کوئٹہ"
    assert by_shape["Kohistan"]["name"] == "Kohistan"
    assert set(by_shape["Kohistan"]["districts"]) == {"PK-KP-UKH", "PK-KP-LKH", "PK-KP-KPL"}
    assert by_shape["Karachi"]["code"] == "PK-SD-DIV-KHI" and len(by_shape["Karachi"]["districts"]) == 7
    assert by_shape["Sheikhpura"]["code"] == "PK-PB-SKP"
    assert sum(1 for p in by_shape.values() if p["name_ur"]) >= 120


def test_features_are_fresh_copies() -> None:
    first = b.district_features()
    first["features"][0]["properties"]["value"] = 1
    first["features"][0]["geometry"]["coordinates"].clear()
    again = b.district_features()["features"][0]
    assert "value" not in again["properties"] and again["geometry"]["coordinates"]


def _by_shape(collection: dict) -> dict[str, dict]:
    return {f["properties"]["shape"]: f["properties"] for f in collection["features"]}


def test_choropleth_sums_the_districts_a_polygon_stands_for_and_keeps_unknown_unknown() -> None:
    result = _by_shape(
        b.choropleth({"PK-SD-KHC": 5, "PK-SD-KHE": 7, "PK-SD-MLR": None, "PK-BA-QTA": 0, "PK-BA-CMN": 3})
    )
    assert result["Karachi"]["value"] == 12
    assert result["Quetta"]["value"] == 0 and result["Quetta"]["class"] == 1  # zero is a value
    assert result["Qilla Abdullah"]["value"] == 3  # Chaman is shown in its stand-in
    assert result["Lahore"]["value"] is None and result["Lahore"]["class"] is None  # absent is unknown
    only_none = _by_shape(b.choropleth({"PK-PB-LHR": None}))
    assert only_none["Lahore"]["value"] is None and only_none["Lahore"]["class"] is None


def test_choropleth_fixed_breaks_and_quantiles() -> None:
    fixed = b.choropleth({"PK-BA-QTA": 10, "PK-BA-MST": 50, "PK-PB-LHR": 500}, breaks=[10, 100, 1000])
    assert fixed["breaks"] == [10, 100, 1000]
    got = _by_shape(fixed)
    assert (got["Quetta"]["class"], got["Mastung"]["class"], got["Lahore"]["class"]) == (1, 2, 3)
    codes = [d for f in b.district_features()["features"] for d in f["properties"]["districts"][:1]]
    quantiles = b.choropleth({code: float(i) for i, code in enumerate(codes)})
    counts: dict[int, int] = {}
    for f in quantiles["features"]:
        counts[f["properties"]["class"]] = counts.get(f["properties"]["class"], 0) + 1
    assert sorted(counts) == [1, 2, 3, 4, 5]
    assert max(counts.values()) - min(counts.values()) <= 2  # quantiles: about equal classes
    assert b.class_of(None, [1.0]) is None and b.breaks_for([]) == []


def test_choropleth_refuses_a_code_that_is_no_district() -> None:
    with pytest.raises(InvalidInput) as caught:
        b.choropleth({"PK-XX-NOPE": 1, "PK-BA-QTA": 2})
    assert "PK-XX-NOPE" in str(caught.value.problems[0])


def test_contains_and_interior_point_on_a_concave_polygon() -> None:
    u_shape = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
    }
    assert not b.contains(u_shape, 1.5, 2)  # the centroid's neighbourhood, in the notch
    lon, lat = b.interior_point(u_shape)
    assert b.contains(u_shape, lon, lat)
    holed = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]],
    }
    assert b.contains(holed, 0.5, 0.5) and not b.contains(holed, 2, 2)


def test_topojson_decoder_undoes_quantization_deltas_and_reversed_arcs() -> None:
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [60, 20]},
        # quantized, delta-coded: arc 0 runs (0,0)->(2,0)->(2,4)->(0,4); arc 1 runs (0,0)->(0,4)
        "arcs": [[[0, 0], [2, 0], [0, 4], [-2, 0]], [[0, 0], [0, 4]]],
        "objects": {
            "o": {
                "type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "arcs": [[0, ~1]], "properties": {"shapeName": "A"}}],
            }
        },
    }
    collection = to_feature_collection(topology)
    ring = collection["features"][0]["geometry"]["coordinates"][0]
    assert ring == [[60.0, 20.0], [61.0, 20.0], [61.0, 21.0], [60.0, 21.0], [60.0, 20.0]]
    assert collection["features"][0]["properties"] == {"shapeName": "A"}
    topology["arcs"][1] = [[0, 0], [1, 4]]  # no longer leads back to the start: the ring does not close
    with pytest.raises(TopologyError):
        to_feature_collection(topology)


def test_the_bundled_geojson_is_the_conversion_of_the_shared_source(shared_data: Path) -> None:
    for source, bundled in (
        ("pak_adm2.topojson", "pak_adm2.geojson"),
        ("pak_adm1.topojson", "pak_adm1.geojson"),
    ):
        converted = to_feature_collection(json.loads((shared_data / "boundaries" / source).read_text()))
        ours = b._raw(bundled)
        assert [f["geometry"] for f in converted["features"]] == [f["geometry"] for f in ours["features"]]
        assert [f["properties"]["shapeID"] for f in converted["features"]] == [
            f["properties"]["shapeID"] for f in ours["features"]
        ]


def test_every_unit_and_entity_has_its_own_urdu_name_in_arabic_script() -> None:
    """docs/maps.md says no bundled unit or entity lacks an Urdu name; this keeps it true."""
    import yaml

    from nigran.core.paths import data_path

    for file, key in (("admin_units.yaml", "units"), ("entities.yaml", "entities")):
        rows = yaml.safe_load(data_path(file).read_text(encoding="utf-8"))[key]
        names = [str(r.get("name_ur") or "") for r in rows]
        lacking = [
            r["code"] for r, n in zip(rows, names, strict=True) if not re.search(r"[\u0600-\u06ff]", n)
        ]
        assert lacking == [], f"{file}: no Urdu name for {lacking}"
        assert not [n for n in names if re.search(r"[A-Za-z]", n)], f"{file}: Latin letters in an Urdu name"
        assert len(set(names)) == len(names), f"{file}: two share an Urdu name"
