"""The policy register in the browser and the API (``/register…``, ``/api/frameworks…``), for the public
reader, a signed-in reader, an analyst (RESTRICTED) and an administrator (SECRET).

The canary framework of the report leak tests (classified records and values at every level, with
verified and returned submissions) is planted in the demo database; nothing classified may reach a reader
below its level on any page or route, and a hidden framework or item is not found exactly like a missing one.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from tests import reports_canary as canary
from tests.helpers import FIXTURES
from tests.web_support import client_for, csrf

from nigran.access.principal import Principal
from nigran.policy.models import Framework, Indicator
from nigran.policy.service import load_document

FW = canary.CODE  # LEAKTEST-FW
PUBLIC_OBJ, PUBLIC_IND = "CF.S1.O1", "CF.S1.O1.I1"
SECRET_IND = "CF.QX9S.S2.O1.I1"
#: What only SECRET records hold (strings, and the SECRET values as pages print them: 424,241 …)
SECRET_MARKS = ["CANARY-SECRET", "CNRYS", "QX9S", "424242", "42424", "424,24"]
#: What only RESTRICTED or SECRET records hold, as JSON and as pages print numbers (987,654 …)
CLASSIFIED_MARKS = [*canary.CANARY_STRINGS, *canary.CANARY_NUMBERS, *SECRET_MARKS, "987,0", "987,65"]

PAGES = [
    "/register",
    f"/register/{FW}",
    f"/register/{FW}?cycle=2025&previous=2024",
    f"/register/{FW}/objectives/{PUBLIC_OBJ}",
    f"/register/{FW}/indicators/{PUBLIC_IND}?cycle=2025",
    f"/register/{FW}/scorecards?by=entity",
    f"/register/{FW}/scorecards?by=province&cycle=2025",
    f"/register/{FW}/scorecards?by=entity&row=MOI",
    f"/register/{FW}/scorecards?by=section&row=CF.S1",
    f"/register/diff?a={FW}&b={FW}",
    f"/ur/register/{FW}",
]
API = [
    "/api/frameworks",
    "/api/frameworks?format=csv",
    f"/api/frameworks/{FW}",
    f"/api/frameworks/{FW}/export?format=yaml",
    f"/api/frameworks/{FW}/export?format=json",
    f"/api/frameworks/{FW}/indicator-table?format=csv",
    f"/api/frameworks/{FW}/cycles",
    f"/api/frameworks/{FW}/sections",
    f"/api/frameworks/{FW}/objectives?format=csv",
    f"/api/frameworks/{FW}/indicators?per_page=500",
    f"/api/frameworks/{FW}/indicators?format=json",
    f"/api/frameworks/{FW}/actions",
    f"/api/frameworks/{FW}/milestones?format=csv",
    f"/api/frameworks/{FW}/indicators/{PUBLIC_IND}",
    f"/api/frameworks/{FW}/indicators/{PUBLIC_IND}/values",
    f"/api/frameworks/{FW}/indicators/{PUBLIC_IND}/series",
    f"/api/frameworks/{FW}/objectives/{PUBLIC_OBJ}/series",
    f"/api/frameworks/{FW}/scores?cycle=2025",
    f"/api/frameworks/{FW}/scores?cycle=2025&format=csv",
    f"/api/frameworks/{FW}/scores?cycle=2025&by=entity",
    f"/api/frameworks/{FW}/scores?cycle=2025&by=section&row=CF.S1&format=csv",
    f"/api/frameworks/{FW}/scores?cycle=2025&drill=CF.S1",
    f"/api/frameworks/{FW}/scorecards?by=province&cycle=2025&format=csv",
    f"/api/frameworks/{FW}/changes?cycle=2025",
    f"/api/frameworks/diff?a={FW}&b={FW}",
]
USERS = [None, "reader", "analyst", "admin"]  # None: the anonymous public reader


@pytest.fixture
def register_db(demo_db):
    canary.plant(demo_db)
    with demo_db.session(Principal.system()) as s:
        load_document(s, hidden_document(), "hidden")
    return demo_db


def hidden_document() -> dict:
    return {
        "format": "nigran-framework/1",
        "framework": {
            "code": "HIDDEN-FW",
            "title": "CANARY-SECRET-FRAMEWORK",
            "classification": "SECRET",
            "period": {"start": date(2024, 1, 1), "end": date(2026, 12, 31)},
            "sections": [
                {
                    "code": "HIDDEN-FW.S1",
                    "title": "CANARY-SECRET-HIDDEN-SECTION",
                    "objectives": [{"code": "HIDDEN-FW.S1.O1", "title": "CANARY-SECRET-HIDDEN-OBJECTIVE"}],
                }
            ],
        },
    }


def forbidden_for(user: str | None) -> list[str]:
    if user in (None, "reader"):
        return CLASSIFIED_MARKS
    if user == "analyst":
        return SECRET_MARKS
    return []


def leaks(text: str, marks: list[str]) -> list[str]:
    return [m for m in marks if m in text]


@pytest.mark.parametrize("user", USERS)
def test_every_page_and_route_shows_nothing_above_the_readers_level(register_db, user) -> None:
    client = client_for(register_db, user)
    for path in [*PAGES, *API]:
        response = client.get(path)
        assert response.status_code == 200, (user, path, response.text[:300])
        assert not leaks(response.text, forbidden_for(user)), (
            user,
            path,
            leaks(response.text, forbidden_for(user)),
        )


def test_the_administrator_sees_the_secret_records_and_the_banner_says_so(register_db) -> None:
    admin = client_for(register_db, "admin")
    tree = admin.get(f"/register/{FW}?cycle=2025").text
    assert "CANARY-SECRET" in tree and "QX9S" in tree and "HIDDEN-FW" in admin.get("/register").text
    assert 'class="classification classification-secret"' in tree
    drill = admin.get(f"/api/frameworks/{FW}/scores", params={"cycle": "2025", "by": "entity", "row": "SD"})
    assert {r["code"] for r in drill.json()} >= {f"CF.QX9S.S2.O{n}.I1" for n in range(1, 5)}
    assert "424241" in drill.text
    analyst = client_for(register_db, "analyst").get(f"/register/{FW}?cycle=2025").text
    assert "CANARY-RESTRICTED" in analyst and 'classification-restricted"' in analyst
    reader = client_for(register_db, "reader").get(f"/register/{FW}?cycle=2025").text
    assert 'class="classification classification-public"' in reader


def _normalise(text: str, code: str) -> str:
    return re.sub(r'name="csrf-token" content="[^"]+"', "", text).replace(code, "CODE")


@pytest.mark.parametrize("user", USERS[:3])
def test_a_hidden_framework_or_item_is_not_found_exactly_like_a_missing_one(register_db, user) -> None:
    client = client_for(register_db, user)
    pairs = [
        ("/register/{}", "HIDDEN-FW", "NOSUCH-FW"),
        ("/register/{}/scorecards", "HIDDEN-FW", "NOSUCH-FW"),
        ("/api/frameworks/{}", "HIDDEN-FW", "NOSUCH-FW"),
        ("/api/frameworks/{}/export?format=xlsx", "HIDDEN-FW", "NOSUCH-FW"),
        ("/api/frameworks/{}/scores", "HIDDEN-FW", "NOSUCH-FW"),
        (f"/register/{FW}/indicators/{{}}", SECRET_IND, "CF.S9.O9.I9"),
        (f"/api/frameworks/{FW}/indicators/{{}}", SECRET_IND, "CF.S9.O9.I9"),
        (f"/api/frameworks/{FW}/indicators/{{}}/values", SECRET_IND, "CF.S9.O9.I9"),
    ]
    for template, hidden, missing in pairs:
        a, b = client.get(template.format(hidden)), client.get(template.format(missing))
        assert a.status_code == b.status_code == 404, (user, template, a.status_code, b.status_code)
        assert _normalise(a.text, hidden) == _normalise(b.text, missing), (user, template)
        assert "CANARY" not in a.text
    listed = client.get("/api/frameworks", params={"per_page": 500}).json()
    assert "HIDDEN-FW" not in {f["code"] for f in listed["items"]}


def test_submission_history_shows_who_submitted_and_verified_and_hides_work_in_progress_from_the_public(
    register_db,
) -> None:
    path = f"/api/frameworks/{FW}/milestones/CF.S1.O2.A1.M1/updates"
    assert client_for(register_db, "reader").get(path).json() == []  # returned, not published
    assert client_for(register_db).get(path).json() == []
    returned = client_for(register_db, "analyst").get(path).json()
    assert [s["state"] for s in returned] == ["returned"]
    assert returned[0]["return_comment"] == "Public comment: attach the notification"
    assert [step["to_state"] for step in returned[0]["steps"]][-1] == "returned"
    page = client_for(register_db, "analyst").get(f"/register/{FW}/indicators/{PUBLIC_IND}").text
    assert "/reporting/submissions/" in page and "verified" in page and 'id="indicator-series"' in page
    values = client_for(register_db).get(f"/api/frameworks/{FW}/indicators/{PUBLIC_IND}/values").json()
    assert {v["value"] for v in values} == {14.0, 18.0} and all(v["verified_by"] for v in values)


def test_indicator_series_puts_baseline_targets_and_verified_values_by_year(register_db) -> None:
    series = client_for(register_db).get(f"/api/frameworks/{FW}/indicators/{PUBLIC_IND}/series").json()
    by_year = dict(
        zip(series["labels"], zip(*(d["data"] for d in series["datasets"]), strict=True), strict=True)
    )
    assert by_year["2021"] == (10.0, None)  # the baseline in its year
    assert by_year["2024"][1] == 14.0 and by_year["2025"] == (20.0, 18.0)


def test_register_pages_per_role(register_db) -> None:
    expected = {  # path: status for anonymous, reader, analyst, admin
        "/register/upload": (303, 403, 200, 200),
        f"/register/{FW}/indicator-table": (303, 403, 200, 200),
    }
    for path, codes in expected.items():
        for user, code in zip(USERS, codes, strict=True):
            got = client_for(register_db, user).get(path, follow_redirects=False).status_code
            assert got == code, (user, path, got)
    analyst = client_for(register_db, "analyst")
    assert "/register/upload" in analyst.get("/register").text
    assert "/register/upload" not in client_for(register_db, "reader").get("/register").text


def _framework_count(db) -> int:
    with db.session(Principal.system()) as s:
        return s.scalar(select(func.count(Framework.id))) or 0


def test_framework_upload_lists_every_problem_by_line_and_writes_nothing(register_db) -> None:
    analyst = client_for(register_db, "analyst")
    before = _framework_count(register_db)
    bad = (FIXTURES / "malformed-framework.yaml").read_bytes()
    files = {"file": ("malformed-framework.yaml", bad, "application/yaml")}
    page = analyst.post("/register/upload", data={"csrf_token": csrf(analyst), "action": "load"}, files=files)
    assert page.status_code == 422
    assert "malformed-framework.yaml:5: framework: period ends (2023-12-31) before it starts" in page.text
    assert "malformed-framework.yaml:34: action BAD.S1.O1.A1: status" in page.text
    assert page.text.count("malformed-framework.yaml:") >= 13
    api = analyst.post("/api/frameworks", files=files, headers={"X-CSRF-Token": csrf(analyst)})
    assert api.status_code == 422
    assert {(e["line"], e["field"]) for e in api.json()["errors"]} >= {(5, "malformed-framework.yaml")}
    assert _framework_count(register_db) == before


def test_framework_upload_checks_then_loads(register_db) -> None:
    before = _framework_count(register_db)
    analyst = client_for(register_db, "analyst")
    good = (FIXTURES / "canary-framework.yaml").read_bytes()
    files = {"file": ("canary.yaml", good, "application/yaml")}
    checked = analyst.post("/register/upload", data={"csrf_token": csrf(analyst)}, files=files)
    assert checked.status_code == 200 and "valid" in checked.text and "CANARY-FW" in checked.text
    assert analyst.get("/register/CANARY-FW").status_code == 404  # checked only
    dry = analyst.post("/api/frameworks?dry_run=true", files=files, headers={"X-CSRF-Token": csrf(analyst)})
    assert dry.status_code == 201 and dry.json() == {"valid": True, "code": "CANARY-FW", "loaded": False}
    load = {"action": "load"}
    above = analyst.post("/register/upload", data={**load, "csrf_token": csrf(analyst)}, files=files)
    assert above.status_code == 403  # it holds SECRET items: above a RESTRICTED analyst's clearance
    assert _framework_count(register_db) == before
    admin = client_for(register_db, "admin")
    loaded = admin.post(
        "/register/upload", data={**load, "csrf_token": csrf(admin)}, files=files, follow_redirects=False
    )
    assert loaded.status_code == 303 and loaded.headers["location"] == "/register/CANARY-FW"
    assert analyst.get("/register/CANARY-FW").status_code == 200
    assert "CANARY-SECRET" in admin.get("/register/CANARY-FW").text
    again = admin.post("/api/frameworks", files=files, headers={"X-CSRF-Token": csrf(admin)})
    assert again.status_code == 422 and "already loaded" in again.json()["errors"][0]["message"]


def test_uploads_need_csrf_and_an_analyst_or_administrator(register_db) -> None:
    before = _framework_count(register_db)
    files = {"file": ("canary.yaml", (FIXTURES / "canary-framework.yaml").read_bytes(), "application/yaml")}
    analyst = client_for(register_db, "analyst")
    assert analyst.post("/register/upload", data={"action": "load"}, files=files).status_code == 403
    assert analyst.post("/api/frameworks", files=files).status_code == 403
    assert analyst.post(f"/api/frameworks/{FW}/indicator-table", files=files).status_code == 403
    reader = client_for(register_db, "reader")
    refused = reader.post(
        "/register/upload", data={"csrf_token": csrf(reader), "action": "load"}, files=files
    )
    assert refused.status_code == 403
    api = reader.post("/api/frameworks", files=files, headers={"X-CSRF-Token": csrf(reader)})
    assert api.status_code == 403
    anonymous = client_for(register_db)
    assert (
        anonymous.post("/api/frameworks", files=files, headers={"X-CSRF-Token": csrf(anonymous)}).status_code
        == 401
    )
    assert _framework_count(register_db) == before


def test_an_upload_over_the_size_limit_is_refused(register_db, monkeypatch) -> None:
    import nigran.policy.api as policy_api

    monkeypatch.setattr(policy_api, "MAX_UPLOAD_BYTES", 100)
    analyst = client_for(register_db, "analyst")
    files = {"file": ("big.yaml", b"x" * 101, "application/yaml")}
    response = analyst.post("/api/frameworks", files=files, headers={"X-CSRF-Token": csrf(analyst)})
    assert response.status_code == 422 and "larger than the limit" in response.json()["errors"][0]["message"]


def _indicator_name(db, code: str) -> str:
    with db.session(Principal.system()) as s:
        return s.scalar(select(Indicator.name).where(Indicator.code == code)) or ""


def test_indicator_table_import_dry_run_then_apply_and_problems_write_nothing(register_db) -> None:
    analyst = client_for(register_db, "analyst")
    table = analyst.get(f"/api/frameworks/{FW}/indicator-table", params={"format": "csv"}).content
    edited = table.replace(b"Public indicator", b"Public indicator renamed")
    files = {"file": ("indicators.csv", edited, "text/csv")}
    dry = analyst.post(
        f"/register/{FW}/indicator-table", data={"csrf_token": csrf(analyst), "dry_run": "yes"}, files=files
    )
    assert dry.status_code == 200 and "Dry run" in dry.text and PUBLIC_IND in dry.text
    assert _indicator_name(register_db, PUBLIC_IND) == "Public indicator"
    bad = edited.replace(b",increase,", b",sideways,", 1)
    refused = analyst.post(
        f"/register/{FW}/indicator-table",
        data={"csrf_token": csrf(analyst)},
        files={"file": ("indicators.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422 and "indicators.csv:" in refused.text and "sideways" in refused.text
    assert _indicator_name(register_db, PUBLIC_IND) == "Public indicator"
    applied = analyst.post(f"/register/{FW}/indicator-table", data={"csrf_token": csrf(analyst)}, files=files)
    assert applied.status_code == 200 and "applied" in applied.text
    assert _indicator_name(register_db, PUBLIC_IND) == "Public indicator renamed"


def test_lists_page_sort_and_export_and_refuse_unknown_parameters(register_db) -> None:
    admin = client_for(register_db, "admin")
    page = admin.get(
        f"/api/frameworks/{FW}/indicators", params={"per_page": 2, "page": 2, "sort": "-code"}
    ).json()
    codes = [
        i["code"]
        for i in admin.get(f"/api/frameworks/{FW}/indicators", params={"sort": "-code"}).json()["items"]
    ]
    assert codes == sorted(codes, reverse=True) and page["items"][0]["code"] == codes[2]
    assert page["total"] == len(codes) and page["per_page"] == 2
    public_total = client_for(register_db).get(f"/api/frameworks/{FW}/indicators").json()["total"]
    assert public_total < page["total"]  # the count is the reader's too
    for path, params, field in [
        (f"/api/frameworks/{FW}/indicators", {"sort": "password"}, "sort"),
        (f"/api/frameworks/{FW}/indicators", {"format": "exe"}, "format"),
        (f"/api/frameworks/{FW}/scores", {"by": "planet"}, "by"),
        (f"/api/frameworks/{FW}/scores", {"cycle": "next year"}, "cycle"),
        (f"/api/frameworks/{FW}/export", {"format": "docx"}, "format"),
    ]:
        response = admin.get(path, params=params)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (path, params)
    csv = admin.get(f"/api/frameworks/{FW}/milestones", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"].startswith(f'attachment; filename="{FW}-milestones.csv"')
    xlsx = admin.get(f"/api/frameworks/{FW}/export", params={"format": "xlsx"})
    assert xlsx.content.startswith(b"PK") and xlsx.headers["content-disposition"].endswith(".xlsx")
    assert admin.get(f"/register/{FW}/scorecards", params={"by": "planet"}).status_code == 422


def test_diff_between_frameworks_and_between_cycles(register_db) -> None:
    admin = client_for(register_db, "admin")
    diff = admin.get("/api/frameworks/diff", params={"a": "NAP-2014", "b": "NAP-2021"}).json()
    kinds = {c["change"] for c in diff["changes"]}
    assert {"added", "removed"} <= kinds
    page = admin.get("/register/diff", params={"a": "NAP-2014", "b": "NAP-2021"})
    assert page.status_code == 200 and "NAP-2014 → NAP-2021" in page.text
    changes = admin.get(f"/api/frameworks/{FW}/changes", params={"cycle": "2025", "previous": "2024"}).json()
    assert changes["cycle"] == "2025" and changes["previous"] == "2024"
    assert any(c["level"] == "framework" for c in changes["changes"])


def test_item_lists_filter_by_parent_and_a_hidden_parent_is_unknown(register_db) -> None:
    analyst = client_for(register_db, "analyst")
    path = f"/api/frameworks/{FW}/indicators"
    children = analyst.get(path, params={"parent": PUBLIC_OBJ, "per_page": 500}).json()["items"]
    assert children and {i["objective"] for i in children} == {PUBLIC_OBJ}
    hidden = analyst.get(path, params={"parent": "CF.QX9S.S2.O1"})
    missing = analyst.get(path, params={"parent": "CF.S9.O9"})
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "parent"
    assert "QX9S" not in hidden.text.replace("'CF.QX9S.S2.O1'", "")
    admin = client_for(register_db, "admin").get(path, params={"parent": "CF.QX9S.S2.O1"}).json()
    assert admin["total"] >= 1
