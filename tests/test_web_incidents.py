"""Security-situation pages and API: access per role, canaries, filters, sorting, exports, map, dedup."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select
from tests.jobs_support import attached, user
from tests.web_support import client_for, csrf

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.geo import boundaries
from nigran.incidents import analytics
from nigran.incidents.importer import import_stream
from nigran.incidents.models import Incident, IncidentSource
from nigran.storage.db import Database

SECRET_CANARIES = ("CANARY-SECRET-7731", "CANARY-SECRET-PLACE-7731")
RESTRICTED_CANARY = "CANARY-RESTRICTED-4410"
HEADER = (
    "id,date,province,district,place,event_type,actor,claimed,killed,victims_killed,civilians_killed,"
    "security_killed,militants_killed,injured,hostages,classification,notes\n"
)


def _synthetic() -> bytes:
    from tests.jobs_support import INCIDENTS

    return (INCIDENTS / "synthetic.csv").read_bytes()


@pytest.fixture
def site(demo_db: Database) -> Database:
    """The demo (real UCDP events, public) plus the synthetic rows with their SECRET/RESTRICTED canaries."""
    with demo_db.session(user(demo_db, "admin")) as s:
        import_stream(s, _synthetic(), "synthetic.csv", "csv")
    return demo_db


def _id(db: Database, source_id: str) -> int:
    with db.session(Principal.system(), readonly=True) as s:
        return s.scalar(select(IncidentSource.incident_id).where(IncidentSource.source_id == source_id))


READ_ROUTES = (
    "/incidents",
    "/incidents?from=2021-01&to=2021-02&measure=fatalities",
    "/incidents?sort=-killed&per_page=500&from=2021&to=2022",
    "/incidents/report?month=2021-01",
    "/incidents/report?month=2022-01",
    "/incidents/report/figure?month=2021-01&ref=F1",
    "/incidents/export?format=csv&from=2021&to=2022",
    "/incidents/export?format=json&from=2021&to=2022",
    "/api/incidents?from=2021&to=2022&per_page=500",
    "/api/incidents?format=csv&from=2021&to=2022",
    "/api/incidents?format=json&from=2021&to=2022",
    "/api/incidents/summary?by=district&from=2021&to=2022",
    "/api/incidents/summary?by=month&from=2021&to=2022",
    "/api/incidents/points?from=2021&to=2022",
    "/api/incidents/series?from=2021&to=2022",
    "/api/incidents/report?month=2021-01",
    "/api/incidents/report?month=2022-01",
    "/api/geo/choropleth?measure=fatalities&from=2021&to=2022",
)


@pytest.mark.parametrize("who", [None, "reader", "analyst", "admin"])
def test_read_routes_answer_every_role(site: Database, who: str | None) -> None:
    client = client_for(site, who)
    for path in READ_ROUTES:
        response = client.get(path)
        assert response.status_code == 200, (who, path, response.text[:300])
    assert client.get("/api/geo/districts").json()["type"] == "FeatureCollection"
    assert client.get("/api/geo/provinces").json()["features"]


def test_boundaries_are_served_once_cacheable_and_gzipped(site: Database) -> None:
    client = client_for(site)
    for path in ("/api/geo/districts", "/api/geo/provinces"):
        first = client.get(path, headers={"accept-encoding": "gzip"})
        assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
        assert first.headers["cache-control"] == "public, max-age=86400" and first.headers["etag"]
        assert first.headers["content-security-policy"]  # the security headers all the same
        again = client.get(path, headers={"accept-encoding": "gzip", "if-none-match": first.headers["etag"]})
        assert again.status_code == 304 and not again.content
        plain = client.get(path, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.json() == first.json()
    values = client.get("/api/geo/choropleth?from=2021&to=2022", headers={"accept-encoding": "identity"})
    assert len(values.content) < 30_000 and values.headers["cache-control"] == "no-store"


def test_canaries_only_where_clearance_allows(site: Database) -> None:
    secret_id, restricted_id = _id(site, "S8"), _id(site, "S9")
    pages = {who: client_for(site, who) for who in (None, "reader", "analyst", "admin")}
    for who, client in pages.items():
        text = "\n".join(client.get(p).text for p in READ_ROUTES)
        text += client.get("/api/incidents/dedup/candidates?from=2021&to=2022").text
        if who != "admin":
            for canary in SECRET_CANARIES:
                assert canary not in text, (who, canary)
            assert client.get(f"/incidents/{secret_id}").status_code == 404
            assert client.get(f"/api/incidents/{secret_id}").status_code == 404
        if who in (None, "reader"):
            assert RESTRICTED_CANARY not in text, who
            assert client.get(f"/api/incidents/{restricted_id}").status_code == 404
    secret = pages["admin"].get(f"/incidents/{secret_id}")
    assert secret.status_code == 200 and "CANARY-SECRET-7731" in secret.text
    assert 'class="classification classification-secret"' in secret.text  # the banner says SECRET
    assert "CANARY-SECRET-7731" in pages["admin"].get("/api/incidents?format=csv&from=2021&to=2022").text
    assert RESTRICTED_CANARY in pages["analyst"].get(f"/api/incidents/{restricted_id}").text


def test_classified_incidents_are_not_counted_for_the_public(site: Database) -> None:
    """The same filter counts one more for each reader cleared for the canary (nothing else differs)."""
    query = "/api/incidents?from=2021-01&to=2021-01&district=Peshawar"
    totals = {who: client_for(site, who).get(query).json()["total"] for who in (None, "analyst", "admin")}
    assert totals["analyst"] == totals[None] and totals["admin"] == totals[None] + 1  # S8 is SECRET
    quetta = "/api/incidents/summary?by=year&from=2022-01&to=2022-01&district=Quetta"
    counts = {
        who: sum(r["incidents"] for r in client_for(site, who).get(quetta).json()["items"])
        for who in (None, "analyst")
    }
    assert counts["analyst"] == counts[None] + 1  # S9 is RESTRICTED
    public_map = client_for(site).get("/api/geo/choropleth?from=2021-01&to=2021-01").json()
    admin_map = client_for(site, "admin").get("/api/geo/choropleth?from=2021-01&to=2021-01").json()
    with site.session(Principal.system(), readonly=True) as s:
        code = s.get(Incident, _id(site, "S8")).district_code
    peshawar = [boundaries.district_polygon_of(code)]

    def value(found: dict) -> float:
        return found["polygons"][peshawar[0]]["value"]

    assert value(admin_map) == value(public_map) + 1


def test_explorer_page_marks_and_shows_unknown_figures(site: Database) -> None:
    admin = client_for(site, "admin").get("/incidents?from=2021-01&to=2021-01&district=Peshawar")
    assert admin.status_code == 200 and "classification-secret" in admin.text
    public = client_for(site).get("/incidents?from=2021-01&to=2021-01&district=Peshawar")
    assert "classification-secret" not in public.text
    # an incident whose sources give no figures: a dash in its cells; totals say for how many they are known
    row = "U1,2019-06-01,Sindh,Karachi,,bombing,TTP,,,,,,,,,PUBLIC,no figures\n"
    with site.session(user(site, "analyst")) as s:
        import_stream(s, (HEADER + row).encode(), "nofigures.csv", "csv")
    day = "from=2019-06-01&to=2019-06-01"
    listed = client_for(site).get(f"/api/incidents?{day}&per_page=500").json()
    unknown = [i for i in listed["items"] if i["killed"] is None]
    assert [i["id"] for i in unknown] == [_id(site, "U1")]
    page = client_for(site).get(f"/incidents?{day}").text
    n = listed["total"]
    assert f"known for {n - 1} of {n}" in page
    assert re.search(
        rf'/incidents/{unknown[0]["id"]}".*?<td class="num"><span title="[^"]*">—</span>', page, re.S
    )
    for page in (admin.text, public.text):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
        assert "style=" not in page, "inline style"
        assert 'class="js-map' in page and 'class="js-chart"' in page
        assert 'aria-describedby="district-table"' in page and 'id="district-table"' in page


def test_unknown_filter_is_422_with_suggestions(site: Database) -> None:
    client = client_for(site)
    response = client.get("/api/incidents?district=Peshawr&actor=Tehrik-e-Talibn")
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "Peshawar" in errors["district"] and "closest" in errors["district"]
    assert "actor" in errors
    for path in ("/api/geo/choropleth?province=Sindhh", "/api/incidents/points?type=bombings-ish",
                 "/api/incidents/series?from=2021-13"):  # fmt: skip
        assert client.get(path).status_code == 422, path
    page = client.get("/incidents?district=Peshawr")
    assert page.status_code == 422 and "Peshawar" in page.text and "No incidents match" not in page.text
    assert client.get("/api/geo/choropleth?measure=wounded").status_code == 422


def test_sorting_is_an_allow_list_with_unknown_last(site: Database) -> None:
    client = client_for(site)
    items = client.get("/api/incidents?sort=-killed&per_page=20&from=2021&to=2021").json()["items"]
    killed = [i["killed"] for i in items]
    assert killed[0] is not None and killed == sorted(killed, reverse=True)
    ascending = client.get("/api/incidents?sort=killed&per_page=500&from=2021-01&to=2021-02").json()["items"]
    values = [i["killed"] for i in ascending]
    known = [v for v in values if v is not None]
    assert values[: len(known)] == sorted(known)  # unknown figures come last, on both databases
    refused = client.get("/api/incidents?sort=classification")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "sort"
    page = client.get("/api/incidents?page=2&per_page=3&sort=id").json()
    assert page["page"] == 2 and len(page["items"]) == 3 and page["total"] > 6


def test_csv_export_is_formula_safe(demo_db: Database) -> None:
    row = 'X1,2021-03-01,Sindh,Karachi,=HYPERLINK("http://x"),bombing,TTP,,1,,,,,,,PUBLIC,@SUM(A1)\n'
    with demo_db.session(user(demo_db, "analyst")) as s:
        import_stream(s, (HEADER + row).encode(), "hostile.csv", "csv")
    for path in (
        "/api/incidents?format=csv&from=2021-03&to=2021-03",
        "/incidents/export?format=csv&from=2021-03&to=2021-03",
    ):
        body = client_for(demo_db).get(path).content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body)))
        hostile = next(r for r in rows if r["sources"].endswith(":X1"))
        assert hostile["place"].startswith("'=") and hostile["notes"] == "'@SUM(A1)"


@pytest.mark.parametrize("measure, column", [("incidents", "incidents"), ("fatalities", "killed")])
def test_choropleth_values_equal_the_summary_by_district(site: Database, measure: str, column: str) -> None:
    query = "from=2020&to=2021&province=PK-KP"
    found = client_for(site).get(f"/api/geo/choropleth?measure={measure}&{query}").json()
    assert "features" not in found, "the values carry no geometry"
    geometry = client_for(site).get("/api/geo/districts").json()  # the map joins the values to it by code
    with site.session(Principal.anonymous(), readonly=True) as s:
        f = analytics.Filters(
            date_from=analytics.parse_period_bound("2020", end=False),
            date_to=analytics.parse_period_bound("2021", end=True),
            province="PK-KP",
        )
        expected = {r.key[0]: r.values[column] for r in analytics.summary(s, "district", f) if r.key[0]}
    assert expected, "the demo has incidents in KP"
    compared = 0
    assert set(found["polygons"]) == {f["properties"]["code"] for f in geometry["features"]}
    for feature in geometry["features"]:
        props = feature["properties"]
        present = [expected[c] for c in props["districts"] if c in expected]
        if not present:
            continue
        known = [v for v in present if v is not None]
        assert found["polygons"][props["code"]]["value"] == (sum(known) if known else None), props["code"]
        compared += 1
    assert compared >= 5 and found["breaks"] and found["unmapped"] == {}


def test_analyst_merges_and_unmerges_through_the_pages(site: Database) -> None:
    a, b = _id(site, "S1"), _id(site, "S5")
    reader, analyst = client_for(site, "reader"), client_for(site, "analyst")
    form = {"first_id": str(a), "second_id": str(b), "take_injured": str(b)}
    assert reader.post("/incidents/dedup/merge", data={**form, "csrf_token": csrf(reader)}).status_code == 403
    assert analyst.post("/incidents/dedup/merge", data=form).status_code == 403  # no CSRF token
    merged = analyst.post("/incidents/dedup/merge", data={**form, "csrf_token": csrf(analyst)})
    assert merged.status_code == 200 and "Unmerge" in merged.text
    detail = analyst.get(f"/api/incidents/{a}").json()
    assert detail["group"] == [a, b] and {s["source_id"] for s in detail["sources"]} == {"S1", "S5"}
    assert detail["injured"] is None  # taken from S5, which gives none: unknown, not 0
    assert analyst.get("/incidents/dedup?from=2021&to=2022").status_code == 200
    undone = analyst.post(f"/incidents/{a}/unmerge", data={"csrf_token": csrf(analyst)})
    assert undone.status_code == 200
    assert analyst.get(f"/api/incidents/{a}").json()["group"] == [a]
    api = analyst.post(
        "/api/incidents/dedup/keep-apart",
        json={"first_id": a, "second_id": b},
        headers={"X-CSRF-Token": csrf(analyst)},
    )
    assert api.status_code == 200
    assert client_for(site).get("/incidents/dedup", follow_redirects=False).status_code == 303


def test_report_figures_link_to_their_incidents(site: Database) -> None:
    public, admin = client_for(site), client_for(site, "admin")
    page = public.get("/incidents/report?month=2021-01")
    assert page.status_code == 200 and "/incidents/report/figure?" in page.text
    pub = public.get("/api/incidents/report?month=2021-01").json()["figures"][0]
    sec = admin.get("/api/incidents/report?month=2021-01").json()["figures"][0]
    assert sec["value"] == pub["value"] + 1 and _id(site, "S8") not in pub["incident_ids"]
    figure = public.get("/incidents/report/figure?month=2021-01&ref=F1")
    assert figure.status_code == 200 and f">{pub['incident_ids'][0]}<" in figure.text
    assert public.get("/api/incidents/report?month=2021-13").status_code == 422


def test_import_runs_as_a_background_job(demo_db: Database) -> None:
    analyst, reader = client_for(demo_db, "analyst"), client_for(demo_db, "reader")
    assert reader.get("/incidents/import").status_code == 403
    assert client_for(demo_db).get("/incidents/import", follow_redirects=False).status_code == 303
    assert analyst.get("/incidents/import").status_code == 200
    body = (HEADER + "J1,2021-05-02,Sindh,Karachi,,bombing,TTP,,2,,,,,1,,RESTRICTED,job row\n").encode()
    with attached(demo_db):
        done = analyst.post(
            "/incidents/import",
            data={"csrf_token": csrf(analyst), "format": "csv", "classification": "RESTRICTED"},
            files={"file": ("new.csv", body, "text/csv")},
        )
    assert done.status_code == 200 and "succeeded" in done.text, done.text[-800:]
    assert "classification-restricted" in done.text
    job_url = done.url.path
    status = analyst.get(job_url + "/status")
    assert status.status_code == 200 and "hx-get" not in status.text  # finished: polling stops
    with demo_db.session(Principal.system(), readonly=True) as s:
        row = s.scalar(select(Incident).join(IncidentSource).where(IncidentSource.source_id == "J1"))
        assert row is not None and Classification.parse(row.classification) is Classification.RESTRICTED
    bad = analyst.post(
        "/incidents/import",
        data={"csrf_token": csrf(analyst), "format": "nonsense"},
        files={"file": ("x.csv", b"a,b\n", "text/csv")},
    )
    assert bad.status_code == 422 and "nonsense" in bad.text
