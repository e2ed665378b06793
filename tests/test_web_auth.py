"""Sign-in, sessions, CSRF, lock-out, password change and API tokens (ASVS V2, V3, V13)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from tests.web_support import client_for, csrf, sign_in

from nigran.access.auth_models import ApiToken, SignInAttempt, WebSession
from nigran.access.models import User
from nigran.access.principal import Principal
from nigran.audit.models import AuditEntry
from nigran.storage.base import utcnow
from nigran.web.config import WebSettings


def _stored_sessions(db, username: str) -> list[WebSession]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        user_id = conn.scalar(select(User.id).where(User.username == username))
        return list(conn.execute(select(WebSession).where(WebSession.user_id == user_id)).all())


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(demo_db) -> None:
    client = client_for(demo_db)
    response = client.post(
        "/login",
        data={"username": "analyst", "password": "analyst-demo-pass", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    raw = client.cookies["nigran_session"]
    rows = _stored_sessions(demo_db, "analyst")
    assert len(rows) == 1 and rows[0].token_hash != raw and len(rows[0].token_hash) == 64
    assert client.get("/api/session").json()["username"] == "analyst"


def test_secure_cookie_when_configured(demo_db) -> None:
    client = client_for(demo_db, web_settings=WebSettings(secure_cookies=True))
    response = client.post(
        "/login",
        data={"username": "admin", "password": "admin-demo-pass", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert "Secure" in response.headers["set-cookie"]
    assert "strict-transport-security" in response.headers


def test_wrong_password_and_unknown_user_get_the_same_answer(demo_db) -> None:
    client = client_for(demo_db)
    wrong = client.post(
        "/login", data={"username": "admin", "password": "x" * 12, "csrf_token": csrf(client)}
    )
    unknown = client.post(
        "/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": csrf(client)}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "not right" in wrong.text and "not right" in unknown.text
    assert "nigran_session" not in client.cookies


def test_sign_in_without_csrf_is_refused(demo_db) -> None:
    client = client_for(demo_db)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": "admin-demo-pass"})
    assert response.status_code == 403
    assert "nigran_session" not in client.cookies


def test_state_changing_calls_need_the_session_csrf_token(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    other = client_for(demo_db, "reviewer")
    body = {"username": "newbie", "role": "analyst", "clearance": "PUBLIC"}
    assert admin.post("/api/users", json=body).status_code == 403  # no token
    assert admin.post("/api/users", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    # another session's token does not fit this session
    assert admin.post("/api/users", json=body, headers={"X-CSRF-Token": csrf(other)}).status_code == 403
    ok = admin.post("/api/users", json=body, headers={"X-CSRF-Token": csrf(admin)})
    assert ok.status_code == 201, ok.text
    form = admin.post("/admin/users", data={"username": "x2", "role": "analyst"})
    assert form.status_code == 403


def test_lock_out_after_repeated_failures_is_shared_by_every_app_process(demo_db) -> None:
    settings = WebSettings(lockout_failures=3, lockout_minutes=15)
    first = client_for(demo_db, web_settings=settings)
    for _ in range(3):
        r = first.post(
            "/login", data={"username": "admin", "password": "wrong-password!", "csrf_token": csrf(first)}
        )
        assert r.status_code == 401
    second = client_for(demo_db, web_settings=settings)  # another process, same database
    locked = second.post(
        "/login", data={"username": "admin", "password": "admin-demo-pass", "csrf_token": csrf(second)}
    )
    assert locked.status_code == 429 and "nigran_session" not in second.cookies
    # the window passes: the failures age out and the right password works again
    with demo_db.engine.begin() as conn:
        conn.execute(update(SignInAttempt).values(at=utcnow() - timedelta(minutes=16)))
    sign_in(second, "admin", "admin-demo-pass")


def test_idle_and_absolute_expiry(demo_db) -> None:
    client = client_for(demo_db, "analyst")
    assert client.get("/api/session").json()["signed_in"] is True
    with demo_db.engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert client.get("/api/session").json()["signed_in"] is False
    assert client.get("/account", follow_redirects=False).status_code == 303
    client = client_for(demo_db, "analyst")
    with demo_db.engine.begin() as conn:
        conn.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/session").json()["signed_in"] is False


def test_sign_out_ends_the_session_on_the_server(demo_db) -> None:
    client = client_for(demo_db, "analyst")
    raw = client.cookies["nigran_session"]
    assert (
        client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False).status_code == 303
    )
    replay = client_for(demo_db)
    replay.cookies.set("nigran_session", raw)
    assert replay.get("/api/session").json()["signed_in"] is False


def test_sign_out_everywhere_ends_every_session_of_the_user(demo_db) -> None:
    laptop, phone = client_for(demo_db, "reviewer"), client_for(demo_db, "reviewer")
    bystander = client_for(demo_db, "analyst")
    laptop.post("/account/sign-out-everywhere", data={"csrf_token": csrf(laptop)})
    assert laptop.get("/api/session").json()["signed_in"] is False
    assert phone.get("/api/session").json()["signed_in"] is False
    assert bystander.get("/api/session").json()["signed_in"] is True


def test_password_change_needs_the_current_one_and_ends_other_sessions(demo_db) -> None:
    client, elsewhere = client_for(demo_db, "focal-kp"), client_for(demo_db, "focal-kp")
    bad = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(client),
            "current_password": "not-the-password",
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert bad.status_code == 422 and "current password" in bad.text
    short = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(client),
            "current_password": "focal-kp-demo-pass",
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert short.status_code == 422 and "12 characters" in short.text
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(client),
            "current_password": "focal-kp-demo-pass",
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert ok.status_code == 200, ok.text
    assert client.get("/api/session").json()["signed_in"] is True  # this browser got a fresh session
    assert elsewhere.get("/api/session").json()["signed_in"] is False
    fresh = client_for(demo_db)
    r = fresh.post(
        "/login", data={"username": "focal-kp", "password": "focal-kp-demo-pass", "csrf_token": csrf(fresh)}
    )
    assert r.status_code == 401
    sign_in(fresh, "focal-kp", "a brand new passphrase")
    # the change is audited in the user's name, and the trail holds no password hash
    with demo_db.session(Principal.system(), readonly=True) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "user_account").order_by(AuditEntry.seq.desc())
        ).first()
        assert entry is not None and entry.actor == "focal-kp"
        assert str(entry.after["password_hash"]).startswith("redacted:")
        assert "argon2" not in str(entry.before) + str(entry.after)


def test_api_tokens_act_as_their_user_only(demo_db) -> None:
    browser = client_for(demo_db, "reader")
    created = browser.post("/api/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf(browser)})
    assert created.status_code == 201
    token = created.json()["token"]
    with demo_db.engine.connect() as conn:
        stored = conn.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1
    script = client_for(demo_db)
    auth = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/session", headers=auth).json()["username"] == "reader"
    assert script.get("/api/users", headers=auth).status_code == 403  # the reader's rights, no more
    # a token needs no CSRF token, but may not mint more tokens
    assert script.post("/api/tokens", json={"name": "more"}, headers=auth).status_code == 403
    listed = browser.get("/api/tokens").json()
    assert listed[0]["prefix"] == token[:10] and "token_hash" not in listed[0]
    assert (
        browser.delete(f"/api/tokens/{listed[0]['id']}", headers={"X-CSRF-Token": csrf(browser)}).status_code
        == 204
    )
    revoked = script.get("/api/session", headers=auth)
    assert revoked.status_code == 401 and revoked.json()["status"] == 401
    assert script.get("/api/session", headers={"Authorization": "Bearer ngr_made_up"}).status_code == 401


def test_admin_token_reaches_admin_api_and_another_users_token_cannot_be_revoked(demo_db) -> None:
    admin = client_for(demo_db, "admin")
    token = admin.post("/api/tokens", json={"name": "ops"}, headers={"X-CSRF-Token": csrf(admin)}).json()[
        "token"
    ]
    assert (
        client_for(demo_db).get("/api/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    token_id = admin.get("/api/tokens").json()[0]["id"]
    other = client_for(demo_db, "analyst")
    assert other.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": csrf(other)}).status_code == 404


def test_next_after_sign_in_stays_on_this_site(demo_db) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client = client_for(demo_db)
        r = client.post(
            "/login",
            data={
                "username": "admin",
                "password": "admin-demo-pass",
                "csrf_token": csrf(client),
                "next": target,
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == "/overview", target


def test_anonymous_pages_redirect_to_sign_in_and_the_api_answers_401(demo_db) -> None:
    client = client_for(demo_db)
    page = client.get("/admin/users", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/admin/users")
    assert client.get("/ur/account", follow_redirects=False).headers["location"].startswith("/ur/login")
    api = client.get("/api/users")
    assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"
