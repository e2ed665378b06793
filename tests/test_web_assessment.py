"""``/assessment`` pages and ``/api/assessment``: pickers, tables, map and chart data, downloads, the
incidents behind a figure, monitor figures, bad input as 422 and clearance."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.web_support import client_for, csrf

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.incidents.models import Actor, Incident
from nigran.storage.db import Database

CANARY = "CANARY-SECRET-ASSESSMENT-5521"


@pytest.fixture
def site(demo_db: Database) -> Database:
    """The demo (UCDP to 2021) plus, in January 2030, a public attack and a SECRET one with a canary."""
    with demo_db.session(Principal.system()) as s:
        ttp = s.scalar(select(Actor.id).where(Actor.code == "TTP"))
        for level, district, killed in (("PUBLIC", "Peshawar", 3), ("SECRET", CANARY, 40)):
            s.add(
                Incident(
                    date=date(2030, 1, 5),
                    year=2030,
                    month=1,
                    province_code="PK-KP",
                    district_code="PK-KP-PSH",
                    district=district,
                    event_type="bombing",
                    actor_id=ttp,
                    killed=killed,
                    classification=Classification.parse(level),
                )
            )
    return demo_db


def test_pages_for_the_public(site: Database) -> None:
    client = client_for(site)
    home = client.get("/assessment")
    assert home.status_code == 200 and 'name="definition"' in home.text
    assert "2030-01" in home.text  # the latest month held is the default
    page = client.get("/assessment/2021-06?definition=pips")
    assert page.status_code == 200
    for part in (
        "js-map",
        "js-chart",
        "Khyber Pakhtunkhwa: merged districts (former FATA)",
        "Deadliest incidents",
        "/assessment/2021-06/incidents?definition=pips&amp;key=total.incidents",
    ):
        assert part in page.text, part
    assert client.get("/assessment?month=2021&definition=crss").status_code == 200  # a year
    public = client.get("/assessment/2030-01")
    assert public.status_code == 200 and CANARY not in public.text
    admin = client_for(site, "admin").get("/assessment/2030-01")
    assert CANARY in admin.text and "SECRET" in admin.text


def test_bad_month_or_definition_is_422(site: Database) -> None:
    client = client_for(site)
    for url in (
        "/assessment/2021-13",
        "/assessment/June",
        "/assessment/2021-06?definition=acled",
        "/assessment/2021-06?format=docx",
        "/assessment?month=garbage",
        "/api/assessment/2021-13",
        "/api/assessment/2021-06?definition=none",
        "/api/assessment/2021-06/map?definition=x",
        "/api/assessment/99999/series",
        "/api/assessment/monitor-figures?period=24",
    ):
        response = client.get(url)
        assert response.status_code == 422, url
    assert "expected a month YYYY-MM" in client.get("/api/assessment/2021-13").text
    assert client.get("/api/assessment/2021-06/figure?key=bogus").status_code == 404
    assert client.get("/assessment/2021-06/incidents?key=bogus").status_code == 404


def test_api_downloads_and_figures(site: Database) -> None:
    client = client_for(site)
    data = client.get("/api/assessment/2021-06?definition=picss").json()
    assert data["definition"]["code"] == "picss" and data["covered"] is True
    ids = data["categories"]["operations"]["incidents"]["incident_ids"]
    behind = client.get("/api/assessment/2021-06/figure?definition=picss&key=operations.incidents").json()
    assert sorted(i["id"] for i in behind["incidents"]) == sorted(ids) == sorted(behind["incident_ids"])
    page = client.get("/assessment/2021-06/incidents?definition=picss&key=operations.incidents")
    assert page.status_code == 200 and all(f"/incidents/{i}" in page.text for i in ids)
    mapped = client.get("/api/assessment/2021-06/map?definition=picss").json()
    assert mapped["measure"] == "incidents" and mapped["polygons"]
    series = client.get("/api/assessment/2021-06/series?definition=picss").json()
    assert len(series["labels"]) == 12 and series["labels"][-1] == "2021-06"
    assert [d["label"] for d in series["datasets"]] == ["Attacks", "Operations", "Killed"]
    assert client.get("/api/assessment/definitions").json()[0]["code"] == "pips"
    download = client.get("/assessment/2021-06?definition=pips&format=json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.json()["period"] == "2021-06"
    pdf = client.get("/assessment/2021-06?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    secret = client.get("/api/assessment/2030-01").json()
    assert secret["total"]["killed"]["value"] == 3 and CANARY not in str(secret)


def test_monitor_figures_through_the_api(site: Database) -> None:
    body = {
        "monitor": "PIPS",
        "period": "2030-01",
        "measure": "attacks",
        "value": 4,
        "definition": "pips",
        "source": "PIPS monthly security report, January 2030",
    }
    anonymous = client_for(site)
    assert anonymous.post("/api/assessment/monitor-figures", json=body).status_code in (401, 403)
    reader = client_for(site, "reader")
    refused = reader.post(
        "/api/assessment/monitor-figures", json=body, headers={"X-CSRF-Token": csrf(reader)}
    )
    assert refused.status_code == 403
    analyst = client_for(site, "analyst")
    token = {"X-CSRF-Token": csrf(analyst)}
    assert analyst.post("/api/assessment/monitor-figures", json=body).status_code == 403  # no CSRF token
    created = analyst.post("/api/assessment/monitor-figures", json=body, headers=token)
    assert created.status_code == 201 and created.json()["scope"] == "attacks"
    again = analyst.post("/api/assessment/monitor-figures", json={**body, "value": 5}, headers=token)
    assert again.status_code == 200 and again.json()["value"] == 5
    bad = analyst.post("/api/assessment/monitor-figures", json={**body, "period": "2030-1"}, headers=token)
    assert bad.status_code == 422
    listed = client_for(site).get("/api/assessment/monitor-figures?period=2030-01").json()
    assert [(f["monitor"], f["value"]) for f in listed] == [("PIPS", 5)]
    page = client_for(site).get("/assessment/2030-01?definition=pips")
    assert "PIPS monthly security report, January 2030" in page.text
    comparison = client_for(site).get("/api/assessment/2030-01?definition=pips").json()["monitors"]
    assert comparison[0]["monitor_value"] == 5 and comparison[0]["nigran"]["value"] == 1
