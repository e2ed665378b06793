"""Risk index pages and API: public, map values per polygon, a district by name or code, 404 and 422."""

from __future__ import annotations

from tests.web_support import client_for

from nigran.storage.db import Database


def test_pages_and_api(demo_db: Database) -> None:
    anon = client_for(demo_db)
    page = anon.get("/risk")
    assert page.status_code == 200 and "North Waziristan" in page.text and 'class="js-map' in page.text
    assert "/api/risk/map?measure=risk" in page.text
    assert anon.get("/risk?measure=threat").status_code == 200
    assert anon.get("/risk?measure=bogus").status_code == 422
    assert anon.get("/risk?month=2021-13").status_code == 422
    table = anon.get("/risk/index")
    assert table.status_code == 200 and "Spearman" in table.text and "Kech" in table.text
    body = anon.get("/api/risk/index").json()
    assert body["month"] == "2021-12" and len(body["districts"]) == 168
    first = body["districts"][0]
    assert first["rank"] == 1 and {"threat", "vulnerability", "coping", "reliability", "components"} <= set(
        first
    )
    one = anon.get("/api/risk/index/North Waziristan").json()
    listed = next(d for d in body["districts"] if d["code"] == "PK-KP-NWZ")
    assert one["code"] == "PK-KP-NWZ" and one["month"] == "2021-12" and one["rank"] == listed["rank"] <= 5
    assert anon.get("/api/risk/index/PK-KP-NWZ").json()["risk"] == one["risk"]
    assert anon.get("/api/risk/index/Nowhere").status_code == 404
    assert anon.get("/api/risk/index?month=nope").status_code == 422
    detail = anon.get("/risk/index/Peshawar")
    assert detail.status_code == 200 and "Multidimensional Poverty" in detail.text
    assert anon.get("/risk/index/Atlantis").status_code == 404


def test_map_values_take_the_highest_district_of_a_polygon(demo_db: Database) -> None:
    anon = client_for(demo_db)
    data = anon.get("/api/risk/map?measure=risk").json()
    assert data["breaks"] == [2.0, 3.5, 5.0, 6.5, 10.0]
    index = {d["code"]: d for d in anon.get("/api/risk/index").json()["districts"]}
    nw = data["polygons"]["PK-KP-NWZ"]
    assert nw["value"] == index["PK-KP-NWZ"]["risk"] and nw["class"] == 4  # high
    # South Waziristan's 2019 polygon (code PK-KP-LSW) stands for Lower and Upper South Waziristan
    sw = max(index["PK-KP-LSW"]["risk"], index["PK-KP-USW"]["risk"])
    assert data["polygons"]["PK-KP-LSW"]["value"] == sw
    threat = anon.get("/api/risk/map?measure=threat").json()
    assert threat["polygons"]["PK-KP-NWZ"]["value"] == index["PK-KP-NWZ"]["threat"]
    assert anon.get("/api/risk/map?measure=bogus").status_code == 422


def test_signed_in_analyst_sees_the_same_public_index(demo_db: Database) -> None:
    analyst = client_for(demo_db, "analyst")
    anon = client_for(demo_db)
    assert (
        analyst.get("/api/risk/index").json()["districts"] == anon.get("/api/risk/index").json()["districts"]
    )
