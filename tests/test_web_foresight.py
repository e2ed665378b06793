"""The foresight pages and API: the register, a scenario with its crossings, SECRET scenarios 404 below
SECRET."""

from __future__ import annotations

from tests.test_alerts import PES, add_incidents
from tests.test_foresight import REGISTER
from tests.web_support import client_for

from nigran.access.principal import Principal
from nigran.foresight.service import list_scenarios, load_register
from nigran.foresight.signposts import check
from nigran.storage.db import Database


def test_register_pages_and_api(demo_db: Database) -> None:
    add_incidents(demo_db, PES, "2099-03", 6)
    with demo_db.session(Principal.system()) as s:
        load_register(s, REGISTER, "register.yaml")
        check(s)
        ids = {sc.code: sc.id for sc in list_scenarios(s)}
    analyst = client_for(demo_db, "analyst")
    page = analyst.get("/foresight")
    assert page.status_code == 200 and "Open scenario" in page.text and "Hidden scenario" not in page.text
    detail = analyst.get(f"/foresight/scenarios/{ids['OPEN']}")
    assert detail.status_code == 200 and "2099-01-01..2099-03-31" in detail.text
    assert analyst.get(f"/foresight/scenarios/{ids['HIDDEN']}").status_code == 404
    assert analyst.get("/foresight/scenarios/999999").status_code == 404
    api = analyst.get("/api/foresight/scenarios").json()
    scenarios = {s["code"]: s for s in api["items"]}  # the demo's example register is there too
    assert "OPEN" in scenarios and "HIDDEN" not in scenarios
    crossed = {sp["code"]: sp for sp in scenarios["OPEN"]["signposts"]}["PES-3M"]
    assert crossed["status"] == "crossed" and len(crossed["crossings"][0]["evidence"]["incident_ids"]) == 6
    admin = client_for(demo_db, "admin")
    assert "Hidden scenario" in admin.get("/foresight").text
    assert client_for(demo_db).get("/api/foresight/scenarios").status_code == 401
