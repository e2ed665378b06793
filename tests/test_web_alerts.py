"""The alerts pages and API: the inbox, one alert, acknowledgement with CSRF, subscriptions, and an alert
above the reader's clearance answering exactly like one that does not exist."""

from __future__ import annotations

from sqlalchemy import select
from tests.test_alerts import PES, add_incidents, setup_history
from tests.web_support import client_for, csrf

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.alerts.evaluate import evaluate
from nigran.alerts.models import Alert
from nigran.storage.db import Database


def _alerts(db: Database) -> tuple[int, int]:
    setup_history(db)
    add_incidents(db, PES, "2021-04", 1, level="SECRET")
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
        rows = s.scalars(select(Alert).where(Alert.measure == "incidents")).all()
        levels = {Classification.parse(a.classification): a.id for a in rows}
    return levels[Classification.PUBLIC], levels[Classification.SECRET]


def test_inbox_detail_and_clearance(demo_db: Database) -> None:
    public_id, secret_id = _alerts(demo_db)
    analyst = client_for(demo_db, "analyst")  # RESTRICTED
    page = analyst.get("/alerts")
    assert (
        page.status_code == 200
        and f"/alerts/{public_id}" in page.text
        and f"/alerts/{secret_id}" not in page.text
    )
    assert analyst.get(f"/alerts/{public_id}").status_code == 200
    hidden, missing = analyst.get(f"/alerts/{secret_id}"), analyst.get("/alerts/999999")
    assert hidden.status_code == missing.status_code == 404
    api = analyst.get("/api/alerts").json()
    assert public_id in [a["id"] for a in api["items"]] and secret_id not in [a["id"] for a in api["items"]]
    assert analyst.get(f"/api/alerts/{secret_id}").status_code == 404
    admin = client_for(demo_db, "admin")
    assert admin.get(f"/alerts/{secret_id}").status_code == 200
    secret_value = admin.get(f"/api/alerts/{secret_id}").json()["value"]
    assert (
        secret_value == admin.get(f"/api/alerts/{public_id}").json()["value"] + 1
    )  # the one SECRET incident
    assert client_for(demo_db).get("/api/alerts").status_code == 401
    assert analyst.get("/alerts?status=nonsense").status_code == 422


def test_acknowledge_form_and_api(demo_db: Database) -> None:
    public_id, secret_id = _alerts(demo_db)
    analyst = client_for(demo_db, "analyst")
    assert f'action="/alerts/{public_id}/ack"' in analyst.get("/alerts").text  # the inbox's own form
    refused = analyst.post(f"/alerts/{public_id}/ack", data={"note": "x"})
    assert refused.status_code == 403  # no CSRF token
    done = analyst.post(
        f"/alerts/{public_id}/ack",
        data={"note": "Desk informed", "csrf_token": csrf(analyst)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Desk informed" in analyst.get(f"/alerts/{public_id}").text
    empty = analyst.post(f"/alerts/{public_id}/ack", data={"note": " ", "csrf_token": csrf(analyst)})
    assert empty.status_code == 422
    token = csrf(analyst)
    hidden = analyst.post(f"/api/alerts/{secret_id}/ack", json={"note": "x"}, headers={"X-CSRF-Token": token})
    assert hidden.status_code == 404
    reader = client_for(demo_db, "reader")
    assert (
        reader.post(
            f"/api/alerts/{public_id}/ack", json={"note": "x"}, headers={"X-CSRF-Token": csrf(reader)}
        ).status_code
        == 403
    )


def test_subscriptions_page(demo_db: Database) -> None:
    analyst = client_for(demo_db, "analyst")
    added = analyst.post(
        "/alerts/subscriptions",
        data={
            "channel": "email",
            "address": "desk@nigran.test",
            "province": "KP",
            "csrf_token": csrf(analyst),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = analyst.get("/alerts/subscriptions")
    assert "desk@nigran.test" in page.text
    bad = analyst.post(
        "/alerts/subscriptions", data={"channel": "email", "address": "nope", "csrf_token": csrf(analyst)}
    )
    assert bad.status_code == 422
    assert "desk@nigran.test" not in client_for(demo_db, "reviewer").get("/alerts/subscriptions").text
    assert "desk@nigran.test" in client_for(demo_db, "admin").get("/alerts/subscriptions").text
