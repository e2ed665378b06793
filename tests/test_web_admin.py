"""Administration pages and API: users and entities (administrators), the audit trail (reviewers too)."""

from __future__ import annotations

import pytest
from tests.web_support import client_for, csrf, sign_in

STATUS = {
    # path: {user: expected status}
    "/admin/users": {"admin": 200, "reviewer": 403, "analyst": 403, "focal-kp": 403, "reader": 403},
    "/admin/entities": {"admin": 200, "reviewer": 200, "analyst": 200, "focal-kp": 200, "reader": 200},
    "/admin/audit": {"admin": 200, "reviewer": 200, "analyst": 403, "focal-kp": 403, "reader": 403},
    "/admin": {"admin": 200, "reviewer": 200, "analyst": 403, "focal-kp": 403, "reader": 403},
    "/api/users": {"admin": 200, "reviewer": 403, "analyst": 403, "focal-kp": 403, "reader": 403},
    "/api/audit": {"admin": 200, "reviewer": 200, "analyst": 403, "focal-kp": 403, "reader": 403},
}


@pytest.mark.parametrize("user", ["admin", "reviewer", "analyst", "focal-kp", "reader"])
def test_administration_per_role(demo_db, user) -> None:
    client = client_for(demo_db, user)
    for path, expected in STATUS.items():
        assert client.get(path).status_code == expected[user], (user, path)


def test_anonymous_is_sent_to_sign_in(demo_db) -> None:
    client = client_for(demo_db)
    for path in STATUS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == (401 if path.startswith("/api") else 303), path


def test_admin_adds_a_user_who_can_then_sign_in(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    response = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf(admin),
            "username": "ayesha",
            "role": "focal_person",
            "clearance": "RESTRICTED",
            "entity": "KP",
            "password": "long enough passphrase",
        },
    )
    assert response.status_code == 200 and "ayesha" in response.text
    ayesha = client_for(demo_db)
    sign_in(ayesha, "ayesha", "long enough passphrase")
    me = ayesha.get("/api/session").json()
    assert me["role"] == "focal_person" and me["clearance"] == "RESTRICTED"


def test_invalid_user_form_lists_the_problem_by_field(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    response = admin.post(
        "/admin/users", data={"csrf_token": csrf(admin), "username": "bob", "role": "focal_person"}
    )
    assert response.status_code == 422 and "focal person needs an entity" in response.text
    api = admin.post(
        "/api/users", json={"username": "bob", "role": "wizard"}, headers={"X-CSRF-Token": csrf(admin)}
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "role"


def test_deactivating_a_user_ends_their_sessions_and_sign_in(demo_db) -> None:
    admin, analyst = client_for(demo_db, "admin"), client_for(demo_db, "analyst")
    assert analyst.get("/api/session").json()["signed_in"] is True
    r = admin.post("/admin/users/analyst", data={"csrf_token": csrf(admin), "active": "no"})
    assert r.status_code == 200
    assert analyst.get("/api/session").json()["signed_in"] is False
    again = client_for(demo_db)
    refused = again.post(
        "/login", data={"username": "analyst", "password": "analyst-demo-pass", "csrf_token": csrf(again)}
    )
    assert refused.status_code == 401


def test_role_change_applies_to_the_next_request(demo_db) -> None:
    admin, analyst = client_for(demo_db, "admin"), client_for(demo_db, "analyst")
    r = admin.patch(
        "/api/users/analyst",
        json={"role": "reviewer", "clearance": "SECRET"},
        headers={"X-CSRF-Token": csrf(admin)},
    )
    assert r.status_code == 200 and r.json()["role"] == "reviewer"
    assert analyst.get("/api/session").json()["clearance"] == "SECRET"


def test_an_administrator_cannot_demote_or_deactivate_themself(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    r = admin.patch("/api/users/admin", json={"active": False}, headers={"X-CSRF-Token": csrf(admin)})
    assert r.status_code == 422
    assert admin.get("/api/session").json()["role"] == "administrator"


def test_audit_trail_filters_and_chain_verification(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    page = admin.get("/admin/audit", params={"table": "user_account", "verify": "true"})
    assert page.status_code == 200
    assert "The audit trail is intact." in page.text and "entries" in page.text
    assert "<td>user_account</td>" in page.text and "<td>framework</td>" not in page.text
    verdict = admin.get("/api/audit/verify").json()
    assert verdict["ok"] is True and verdict["entries"] > 0
    anonymous = client_for(demo_db).get("/api/audit/verify").json()
    assert anonymous["ok"] is True and anonymous["entries"] is None and anonymous["head"] is None
    csv = admin.get("/api/audit", params={"format": "csv", "limit": 5})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"].startswith('attachment; filename="audit-trail.csv"')
    bad = admin.get("/api/audit", params={"format": "exe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"


def test_users_api_paginates_and_sorts_from_an_allow_list(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    page = admin.get("/api/users", params={"per_page": 2, "page": 2, "sort": "-username"}).json()
    assert page["total"] == 6 and page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) == 2
    names = [u["username"] for u in admin.get("/api/users", params={"sort": "-username"}).json()["items"]]
    assert names == sorted(names, reverse=True)
    bad = admin.get("/api/users", params={"sort": "password_hash"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"
    assert admin.get("/api/users", params={"per_page": 501}).status_code == 422
    assert "password_hash" not in admin.get("/api/users").text
