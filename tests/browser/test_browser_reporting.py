"""The reporting loop in a real browser: a focal person submits a value through the form and through the
Excel workbook; a reviewer returns it, the focal person resubmits, another reviewer verifies, and the
indicator's score changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest

pytest.importorskip("playwright")
from openpyxl import load_workbook
from playwright.sync_api import Locator, expect
from tests.browser.conftest import Browsing

pytestmark = pytest.mark.browser

_SAVED = re.compile(r"Submission (\d+) saved: submitted")


@dataclass(frozen=True)
class Item:
    """An inbox row that can take a new value: its framework, cycle, indicator code and row id."""

    framework: str
    cycle: str
    code: str
    row_id: str


def reportable(browsing: Browsing) -> list[Item]:
    """The indicator rows of the focal person's inbox that offer the 'report a value' form."""
    browsing.goto("/reporting")
    items = []
    for form in browsing.page.locator("form[action$='/reporting/values']").all():
        if form.locator("input[name='value']").count() == 0:
            continue  # a milestone
        hidden = {
            name: form.locator(f"input[name='{name}']").get_attribute("value")
            for name in ("framework", "cycle", "item")
        }
        row_id = form.locator("xpath=ancestor::tr[1]").get_attribute("id")
        items.append(Item(hidden["framework"], hidden["cycle"], hidden["item"], row_id or ""))  # type: ignore[arg-type]
    return items


def leaf(browsing: Browsing, item: Item) -> dict[str, Any]:
    """The indicator's score record for the cycle, as the scores API gives it to the browser's user."""
    response = browsing.page.request.get(
        browsing.url(f"/api/frameworks/{item.framework}/scores"),
        params={"cycle": item.cycle, "drill": item.code},
    )
    assert response.ok, f"scores of {item.code}: {response.status} {response.text()[:300]}"
    found = [x for x in response.json() if x["code"] == item.code]
    assert found, f"{item.code} is not among the scores: {response.text()[:300]}"
    return found[0]


def value_that_moves_the_score(score: dict[str, Any]) -> float:
    """A plausible value whose verification must change the score: the final target when the indicator is
    below its expectation, the baseline when it already meets it."""
    met = score["score"] is not None and score["score"] >= 1
    for key in ("baseline",) if met else ("final_target", "expected", "baseline"):
        if score.get(key) is not None:
            return float(score[key])
    pytest.fail(f"{score['code']} has neither baseline nor target to report")


def row(browsing: Browsing, item: Item) -> Locator:
    return browsing.page.locator(f"tr#{item.row_id}")


def status_text(browsing: Browsing) -> str:
    notice = browsing.page.get_by_role("status")
    expect(notice).to_be_visible()
    return notice.inner_text()


def queue_row(browsing: Browsing, submission: int) -> Locator:
    browsing.goto("/reporting/queue")
    found = browsing.page.locator("tbody tr").filter(
        has=browsing.page.locator(f"a[href$='/reporting/submissions/{submission}']")
    )
    expect(found).to_have_count(1)
    return found


def submit_through_form(browsing: Browsing, item: Item, value: float) -> int:
    form = row(browsing, item).locator("form")
    form.get_by_label(re.compile(r"^Value")).fill(f"{value:g}")
    form.get_by_label(re.compile(r"^Evidence")).fill("browser test: annual return, p. 4")
    with browsing.page.expect_navigation():
        form.get_by_role("button", name="Submit", exact=True).click()
    text = status_text(browsing)
    saved = _SAVED.search(text)
    assert saved, f"no submitted confirmation, the page says: {text}"
    return int(saved.group(1))


def test_value_is_submitted_returned_resubmitted_and_verified_and_the_score_changes(
    browsing: Browsing,
) -> None:
    browsing.sign_in("focal-kp")
    items = reportable(browsing)
    assert items, "focal-kp's inbox offers no indicator to report"
    item = items[0]
    before = leaf(browsing, item)
    value = value_that_moves_the_score(before)
    submission = submit_through_form(browsing, item, value)
    browsing.sign_out()

    browsing.sign_in("reviewer")
    entry = queue_row(browsing, submission)
    entry.get_by_label("What to correct").fill("Attach the provincial return as evidence.")
    with browsing.page.expect_navigation():
        entry.get_by_role("button", name="Return").click()
    assert "returned" in status_text(browsing)
    browsing.sign_out()

    browsing.sign_in("focal-kp")
    browsing.goto("/reporting")
    returned = row(browsing, item)
    expect(returned).to_contain_text("Attach the provincial return as evidence.")
    returned.get_by_label(re.compile(r"^Evidence")).fill("KP annual return 2025, annex B")
    with browsing.page.expect_navigation():
        returned.get_by_role("button", name="Resubmit").click()
    assert "resubmitted" in status_text(browsing)
    browsing.sign_out()

    browsing.sign_in("admin")  # another reviewer than the one who returned it
    entry = queue_row(browsing, submission)
    with browsing.page.expect_navigation():
        entry.get_by_role("button", name="Verify").click()
    assert "verified" in status_text(browsing)
    after = leaf(browsing, item)
    assert after["score"] != before["score"], f"the score of {item.code} stayed {before['score']}"
    assert after["value"] != before["value"]


def test_value_is_submitted_through_the_excel_workbook(browsing: Browsing) -> None:
    browsing.sign_in("focal-kp")
    items = reportable(browsing)
    assert items, "focal-kp's inbox offers no indicator to report"
    item = items[-1]
    section = browsing.page.locator("section").filter(
        has=browsing.page.get_by_role(
            "heading", name=re.compile(rf"{re.escape(item.framework)} · {item.cycle}")
        )
    )
    with browsing.page.expect_download() as download:
        section.get_by_role("link", name="Download the Excel workbook").click()
    workbook = load_workbook(BytesIO(download.value.path().read_bytes()))
    sheet = workbook["Indicators"]
    header = [cell.value for cell in sheet[1]]
    code_col, value_col = header.index("Code") + 1, header.index("Value") + 1
    evidence_col = header.index("Evidence (document reference or link)") + 1
    target = header.index("Target for the year") + 1 if "Target for the year" in header else None
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, code_col).value == item.code]
    assert rows, f"{item.code} is not in the workbook"
    r = rows[0]
    planned = sheet.cell(r, target).value if target else None
    sheet.cell(r, value_col).value = float(planned) if planned is not None else 1.0
    sheet.cell(r, evidence_col).value = "browser test: workbook upload"
    filled = BytesIO()
    workbook.save(filled)

    section.get_by_label("Upload the filled workbook").set_input_files(
        files=[
            {
                "name": "kp-return.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": filled.getvalue(),
            }
        ]
    )
    with browsing.page.expect_navigation():
        section.get_by_role("button", name="Upload", exact=True).click()
    text = status_text(browsing)
    assert re.search(r"Workbook recorded: 1 submitted", text), text
    browsing.goto("/reporting")
    expect(row(browsing, item)).to_contain_text("Awaiting review")
