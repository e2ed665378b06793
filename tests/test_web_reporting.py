"""Reporting in the browser and the API: the focal person's inbox and forms, the Excel round trip, the
reviewer's queue (four eyes, stale versions), a submission's history, what is overdue; entity confinement."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from tests.web_support import client_for, csrf

from nigran.access.principal import Principal
from nigran.access.service import principal_for
from nigran.monitoring import scoring
from nigran.storage.db import Database

FW, CYCLE = "NAP-2021", "2025"
OPEN_KP = "NAP-2021.S2.O11.I2"  # KP's open obligation in the demo (percent of released funds, target 75)


def _indicator(db: Database, code: str = OPEN_KP) -> scoring.IndicatorScore:
    with db.session(Principal.system(), readonly=True) as s:
        reviewer = principal_for(s, "reviewer")
    with db.session(reviewer, readonly=True) as s:
        node = scoring.score_framework(s, FW, CYCLE).find(code)
    assert isinstance(node, scoring.IndicatorScore)
    return node


def _saved_id(response) -> int:  # type: ignore[no-untyped-def]
    found = re.search(r"Submission (\d+) saved", response.text)
    assert found, response.text[:2000]
    return int(found.group(1))


def _api(client, method: str, path: str, **kw):  # type: ignore[no-untyped-def]
    return client.request(method, path, headers={"X-CSRF-Token": csrf(client)}, **kw)


def test_form_loop_return_resubmit_verify_changes_the_score(demo_db: Database) -> None:
    before = _indicator(demo_db)
    assert before.value is None and before.reason  # nothing verified yet
    kp = client_for(demo_db, "focal-kp")
    inbox = kp.get("/reporting")
    assert inbox.status_code == 200 and OPEN_KP in inbox.text and "Download the Excel workbook" in inbox.text
    token = csrf(kp)
    bad = kp.post(
        "/reporting/values",
        data={
            "csrf_token": token,
            "framework": FW,
            "cycle": CYCLE,
            "item": OPEN_KP,
            "value": "1,45",
            "evidence": "letter",
        },
    )
    assert bad.status_code == 422 and "1,45" in bad.text  # the value reader refuses an ambiguous number
    sent = kp.post(
        "/reporting/values",
        data={
            "csrf_token": token,
            "framework": FW,
            "cycle": CYCLE,
            "item": OPEN_KP,
            "value": "72%",
            "evidence": "KP P&D letter 4/2026",
            "action": "submit",
        },
    )
    assert sent.status_code == 200, sent.text[:2000]
    sub_id = _saved_id(sent)
    assert "submitted" in sent.text

    reviewer = client_for(demo_db, "reviewer")
    queue = reviewer.get("/reporting/queue")
    assert queue.status_code == 200 and f"#{sub_id}" in queue.text
    version = reviewer.get(f"/api/submissions/{sub_id}").json()["version"]
    no_comment = reviewer.post(
        f"/reporting/submissions/{sub_id}/return",
        data={"csrf_token": csrf(reviewer), "expected_version": version, "back": "queue"},
    )
    assert no_comment.status_code == 422 and "needs a comment" in no_comment.text
    returned = reviewer.post(
        f"/reporting/submissions/{sub_id}/return",
        data={
            "csrf_token": csrf(reviewer),
            "expected_version": version,
            "back": "queue",
            "comment": "Cite the page of the letter",
        },
    )
    assert returned.status_code == 200 and "is now returned" in returned.text

    page = kp.get("/reporting")
    assert "Cite the page of the letter" in page.text and "Resubmit" in page.text
    version = kp.get(f"/api/submissions/{sub_id}").json()["version"]
    resent = kp.post(
        f"/reporting/submissions/{sub_id}/resubmit",
        data={
            "csrf_token": csrf(kp),
            "expected_version": version,
            "value": "74",
            "evidence": "KP P&D letter 4/2026, p. 3",
        },
    )
    assert resent.status_code == 200 and _saved_id(resent) == sub_id

    admin = client_for(demo_db, "admin")  # another verifier than the one who returned it
    version = admin.get(f"/api/submissions/{sub_id}").json()["version"]
    verified = admin.post(
        f"/reporting/submissions/{sub_id}/verify",
        data={"csrf_token": csrf(admin), "expected_version": version, "back": "queue"},
    )
    assert verified.status_code == 200 and "is now verified" in verified.text

    after = _indicator(demo_db)
    assert after.value == 74 and after.score is not None and after.score != before.score
    history = kp.get(f"/reporting/submissions/{sub_id}")
    assert history.status_code == 200
    for step in (
        "submit",
        "return",
        "resubmit",
        "verify",
        "Cite the page of the letter",
        "focal-kp",
        "admin",
    ):
        assert step in history.text


def test_stale_version_is_a_409_on_the_page_and_the_api(demo_db: Database) -> None:
    kp = client_for(demo_db, "focal-kp")
    made = _api(
        kp,
        "POST",
        "/api/submissions",
        json={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": 70, "evidence": "ref"},
    )
    assert made.status_code == 201, made.text
    sub = made.json()
    assert sub["state"] == "submitted"
    reviewer = client_for(demo_db, "reviewer")
    returned = _api(
        reviewer,
        "POST",
        f"/api/submissions/{sub['id']}/return",
        json={"expected_version": sub["version"], "comment": "again"},
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    stale_api = _api(
        reviewer, "POST", f"/api/submissions/{sub['id']}/verify", json={"expected_version": sub["version"]}
    )
    assert stale_api.status_code == 409 and "changed since you read it" in stale_api.json()["detail"]
    stale_form = kp.post(
        f"/reporting/submissions/{sub['id']}/resubmit",
        data={"csrf_token": csrf(kp), "expected_version": sub["version"], "evidence": "new"},
    )
    assert stale_form.status_code == 409 and "changed since you read it" in stale_form.text
    assert kp.get(f"/api/submissions/{sub['id']}").json()["state"] == "returned"  # nothing written


def test_four_eyes_refusal_is_explained_and_enforced(demo_db: Database) -> None:
    admin = client_for(demo_db, "admin")  # administrators may submit and verify, never the same value
    made = _api(
        admin,
        "POST",
        "/api/submissions",
        json={
            "framework": FW,
            "cycle": CYCLE,
            "item": OPEN_KP,
            "value": 70,
            "evidence": "ref",
            "entity": "KP",
        },
    )
    assert made.status_code == 201, made.text
    sub = made.json()
    queue = admin.get("/reporting/queue")
    assert "another reviewer must verify it (four eyes)" in queue.text
    refused = admin.post(
        f"/reporting/submissions/{sub['id']}/verify",
        data={"csrf_token": csrf(admin), "expected_version": sub["version"], "back": "queue"},
    )
    assert refused.status_code == 403 and "four eyes" in refused.text
    api = _api(admin, "POST", f"/api/submissions/{sub['id']}/verify", json={})
    assert api.status_code == 403 and "four eyes" in api.json()["detail"]
    ok = _api(client_for(demo_db, "reviewer"), "POST", f"/api/submissions/{sub['id']}/verify", json={})
    assert ok.status_code == 200 and ok.json()["state"] == "verified"


def test_excel_template_and_upload_with_problems_then_clean(demo_db: Database) -> None:
    analyst = client_for(demo_db, "analyst")
    made = _api(analyst, "POST", "/api/cycles", json={"framework": "NSP-2022", "codes": ["2026"]})
    assert made.status_code == 201, made.text
    assert [c["code"] for c in made.json()["cycles"]] == ["2026"] and made.json()["obligations"] > 0
    again = _api(analyst, "POST", "/api/cycles", json={"framework": "NSP-2022", "codes": ["2026"]})
    assert again.status_code == 409

    kp = client_for(demo_db, "focal-kp")
    assert "NSP-2022 · 2026" in kp.get("/reporting").text  # the open cycle is the current one
    book = kp.get("/reporting/template", params={"framework": "NSP-2022", "cycle": "2026"})
    assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxml")
    assert 'filename="NSP-2022-2026-KP.xlsx"' in book.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(book.content))
    ws = wb["Indicators"]
    header = [c.value for c in ws[1]]
    value_col, evidence_col = (
        header.index("Value") + 1,
        header.index("Evidence (document reference or link)") + 1,
    )
    code = ws.cell(2, 1).value
    ws.cell(2, value_col).value = "1,45"
    ws.cell(2, evidence_col).value = "letter"

    def upload(workbook) -> object:  # type: ignore[no-untyped-def]
        buffer = io.BytesIO()
        workbook.save(buffer)
        return kp.post(
            "/reporting/upload",
            data={"csrf_token": csrf(kp)},
            files={"file": ("kp-2026.xlsx", buffer.getvalue(), "application/octet-stream")},
        )

    bad = upload(wb)
    assert bad.status_code == 422
    assert "sheet &#39;Indicators&#39;, row 2, column" in bad.text and "(Value)" in bad.text
    listed = _api(kp, "GET", "/api/submissions", params={"framework": "NSP-2022", "cycle": "2026"}).json()
    assert listed["total"] == 0  # nothing written
    ws.cell(2, value_col).value = 1
    good = upload(wb)
    assert good.status_code == 200 and "1 submitted" in good.text, good.text[:3000]
    listed = _api(kp, "GET", "/api/submissions", params={"framework": "NSP-2022", "cycle": "2026"}).json()
    assert [s["item"] for s in listed["items"]] == [code] and listed["items"][0]["state"] == "submitted"


def test_focal_person_of_one_entity_cannot_see_or_act_for_another(demo_db: Database) -> None:
    kp = client_for(demo_db, "focal-kp")
    made = _api(
        kp,
        "POST",
        "/api/submissions",
        json={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": 70, "evidence": "ref"},
    )
    sub_id = made.json()["id"]
    moi = client_for(demo_db, "focal-moi")
    assert moi.get(f"/api/submissions/{sub_id}").status_code == 404
    assert moi.get(f"/reporting/submissions/{sub_id}").status_code == 404
    assert _api(moi, "POST", f"/api/submissions/{sub_id}/resubmit", json={}).status_code == 404
    assert moi.get("/reporting", params={"entity": "KP"}).status_code == 403
    assert moi.get("/api/obligations", params={"entity": "KP"}).status_code == 403
    assert (
        moi.get("/reporting/template", params={"framework": FW, "cycle": CYCLE, "entity": "KP"}).status_code
        == 403
    )
    other = _api(
        moi,
        "POST",
        "/api/submissions",
        json={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": 70, "evidence": "r", "entity": "KP"},
    )
    assert other.status_code == 403
    mine = moi.get("/api/submissions").json()
    assert mine["total"] > 0 and {s["entity"] for s in mine["items"]} == {"MOI"}
    obligations = moi.get("/api/obligations", params={"per_page": 500}).json()
    assert {o["entity"] for o in obligations["items"]} == {"MOI"}
    due = moi.get("/reporting/due")
    assert due.status_code == 200 and "Government of Khyber Pakhtunkhwa" not in due.text


def test_state_changes_need_the_csrf_token(demo_db: Database) -> None:
    kp = client_for(demo_db, "focal-kp")
    form = kp.post(
        "/reporting/values",
        data={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": "70", "evidence": "x"},
    )
    assert form.status_code == 403
    api = kp.post(
        "/api/submissions",
        json={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": 70, "evidence": "x"},
    )
    assert api.status_code == 403
    listed = kp.get("/api/submissions", params={"framework": FW, "cycle": CYCLE, "item": OPEN_KP}).json()
    assert listed["total"] == 0  # neither refused request wrote anything


def test_api_input_problems_name_the_field(demo_db: Database) -> None:
    kp = client_for(demo_db, "focal-kp")
    bad_state = kp.get("/api/submissions", params={"state": "lost"})
    assert bad_state.status_code == 422 and bad_state.json()["errors"][0]["field"] == "state"
    bad_value = _api(
        kp,
        "POST",
        "/api/submissions",
        json={"framework": FW, "cycle": CYCLE, "item": OPEN_KP, "value": "inf", "evidence": "x"},
    )
    assert bad_value.status_code == 422 and bad_value.json()["errors"][0]["field"] == "value"
    bad_step = _api(kp, "POST", "/api/submissions/1/fly", json={})
    assert bad_step.status_code == 422 and bad_step.json()["errors"][0]["field"] == "action"
    missing = _api(kp, "POST", "/api/submissions", json={"framework": FW, "cycle": "1999", "item": OPEN_KP})
    assert missing.status_code == 404


def test_pages_need_sign_in_and_roles(demo_db: Database) -> None:
    anonymous = client_for(demo_db)
    for path in ("/reporting", "/reporting/queue", "/reporting/due", "/reports"):
        assert anonymous.get(path, follow_redirects=False).status_code == 303, path
    for path in ("/api/submissions", "/api/obligations", "/api/cycles"):
        assert anonymous.get(path).status_code == 401, path
    analyst = client_for(demo_db, "analyst")
    assert analyst.get("/reporting/queue").status_code == 403  # analysts keep the register, not the review
    assert analyst.get("/reporting").status_code == 200  # chooses an entity
    assert "Government of Khyber Pakhtunkhwa" in analyst.get("/reporting", params={"entity": "KP"}).text
    due = client_for(demo_db, "reviewer").get("/reporting/due")
    assert due.status_code == 200 and "Reminder to" in due.text


def test_every_inbox_renders_and_a_milestone_is_reported_through_its_form(demo_db: Database) -> None:
    admin = client_for(demo_db, "admin")
    entities = [e["code"] for e in admin.get("/api/entities", params={"per_page": 500}).json()["items"]]
    for code in entities:
        assert admin.get("/reporting", params={"entity": code}).status_code == 200, code
    open_items = admin.get("/api/obligations", params={"entity": "MOLJ", "status": "open", "per_page": 500})
    milestone = next(o for o in open_items.json()["items"] if o["kind"] == "milestone")
    page = admin.get(
        "/reporting",
        params={"entity": "MOLJ", "framework": milestone["framework"], "cycle": milestone["cycle"]},
    )
    assert milestone["item"] in page.text and 'name="status"' in page.text
    sent = admin.post(
        "/reporting/values",
        data={
            "csrf_token": csrf(admin),
            "framework": milestone["framework"],
            "cycle": milestone["cycle"],
            "item": milestone["item"],
            "entity": "MOLJ",
            "status": "in progress",
            "evidence": "gazette",
        },
    )
    assert sent.status_code == 200, sent.text[:2000]
    sub = admin.get(f"/api/submissions/{_saved_id(sent)}").json()
    assert (sub["status"], sub["state"], sub["entity"]) == ("in_progress", "submitted", "MOLJ")


def test_a_draft_is_saved_edited_and_submitted_through_the_form(demo_db: Database) -> None:
    kp = client_for(demo_db, "focal-kp")
    draft = kp.post(
        "/reporting/values",
        data={
            "csrf_token": csrf(kp),
            "framework": FW,
            "cycle": CYCLE,
            "item": OPEN_KP,
            "value": "60",
            "action": "draft",
        },
    )
    assert draft.status_code == 200 and "draft" in draft.text
    sub_id = _saved_id(draft)
    assert "Save draft" in kp.get("/reporting").text
    version = kp.get(f"/api/submissions/{sub_id}").json()["version"]
    no_evidence = kp.post(
        f"/reporting/submissions/{sub_id}/submit",
        data={"csrf_token": csrf(kp), "expected_version": version, "value": "61"},
    )
    assert no_evidence.status_code == 422 and "evidence is required" in no_evidence.text
    sent = kp.post(
        f"/reporting/submissions/{sub_id}/submit",
        data={"csrf_token": csrf(kp), "expected_version": version, "value": "61", "evidence": "ref"},
    )
    assert sent.status_code == 200
    body = kp.get(f"/api/submissions/{sub_id}").json()
    assert (body["state"], body["value"]) == ("submitted", 61)
    assert [e["action"] for e in body["events"]] == ["draft", "edit", "submit"]
