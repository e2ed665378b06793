"""The security situation in a real browser: filtering the incident map, and an import run as a
background job whose progress the page follows."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect
from tests.browser.conftest import Browsing

pytestmark = pytest.mark.browser

_MATCH = re.compile(r"([\d,]+) incidents match")


def matches(browsing: Browsing) -> int:
    line = browsing.page.locator(".summary-line")
    expect(line).to_be_visible()
    found = _MATCH.search(line.inner_text())
    assert found, line.inner_text()
    return int(found.group(1).replace(",", ""))


def map_features(browsing: Browsing) -> int:
    """Polygons drawn by the map script (Leaflet's SVG paths inside the map element)."""
    shapes = browsing.page.locator(".js-map path")
    expect(shapes.first).to_be_attached(timeout=20_000)
    return shapes.count()


def district_codes(browsing: Browsing) -> list[str]:
    """The district codes of the map's text alternative (the table behind it)."""
    return [
        (cell.text_content() or "").strip()
        for cell in browsing.page.locator("#district-table tbody tr td:nth-of-type(1)").all()
    ]


def apply_filters(browsing: Browsing, **fields: str) -> None:
    form = browsing.page.get_by_role("search", name="Filter incidents")
    for label, value in fields.items():
        form.get_by_label(label.capitalize(), exact=True).fill(value)
    with browsing.page.expect_navigation():
        form.get_by_role("button", name="Apply").click()


def test_filtering_the_incident_map_redraws_it_for_the_province(browsing: Browsing) -> None:
    browsing.sign_in("analyst")
    browsing.goto("/incidents")
    everything = matches(browsing)
    assert everything > 1000, f"the demo incidents are missing: {everything}"
    drawn_all = map_features(browsing)

    apply_filters(browsing, province="Balochistan", **{"from": "2019", "to": "2021"})
    assert "province=Balochistan" in browsing.page.url
    filtered = matches(browsing)
    assert 0 < filtered < everything
    codes = district_codes(browsing)
    assert codes, "the map's table is empty"
    assert all(code.startswith("PK-BA") for code in codes), f"districts outside Balochistan: {codes}"
    source = browsing.page.locator(".js-map").get_attribute("data-src") or ""
    assert "province=PK-BA" in source, source
    assert 0 < map_features(browsing) <= drawn_all

    browsing.page.get_by_role("link", name="fatalities").click()
    browsing.page.wait_for_url(re.compile(r"measure=fatalities"))
    assert "province=Balochistan" in browsing.page.url, "the measure switch lost the filters"
    assert map_features(browsing) > 0


def test_an_unknown_province_is_a_form_error_not_an_empty_map(browsing: Browsing) -> None:
    browsing.goto("/incidents")
    form = browsing.page.get_by_role("search", name="Filter incidents")
    form.get_by_label("Province", exact=True).fill("Baluchistaan")
    with browsing.page.expect_navigation():
        form.get_by_role("button", name="Apply").click()
    expect(browsing.page.locator(".problems, [role=alert]").first).to_contain_text("Balochistan")


def incidents_csv(rows: int, month: str) -> bytes:
    """``rows`` public incidents of the generic CSV layout, all in ``month``, with fresh ids."""
    tag = uuid.uuid4().hex[:8]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "date", "province", "district", "event_type", "killed", "injured", "classification"]
    )
    districts = ["Quetta", "Peshawar", "Karachi", "Bannu", "Kech", "Swat"]
    for i in range(rows):
        day = 1 + i % 28
        writer.writerow(
            [
                f"BT-{tag}-{i}",
                f"{month}-{day:02d}",
                "",
                districts[i % 6],
                "armed_assault",
                i % 4,
                i % 3,
                "PUBLIC",
            ]
        )
    return out.getvalue().encode()


def test_an_import_runs_as_a_job_and_the_page_follows_its_progress(browsing: Browsing) -> None:
    rows, month = 3000, "2024-03"
    browsing.sign_in("analyst")
    browsing.goto(f"/incidents?from={month}&to={month}")
    before = matches(browsing)

    browsing.goto("/incidents/import")
    page = browsing.page
    page.get_by_label("File (CSV or Excel)").set_input_files(
        files=[{"name": "browser-test.csv", "mimeType": "text/csv", "buffer": incidents_csv(rows, month)}]
    )
    page.get_by_label("Format").select_option("csv")
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()
    assert re.search(r"/incidents/jobs/\d+$", page.url), f"no job page after the upload: {page.url}"
    job_url = page.url

    status = page.locator("#job-status")
    expect(status.get_by_label("Progress")).to_be_attached()
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = status.locator("strong").first.inner_text()
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("succeeded", "failed"):
            break
        page.wait_for_timeout(500)
    assert page.url == job_url, "the page reloaded instead of updating its status in place"
    assert seen[-1] == "succeeded", f"the job ended {seen}: {status.inner_text()}"
    assert len(seen) >= 2, f"the page never showed the job before it finished: {seen}"
    expect(status.get_by_label("Progress")).to_have_attribute("value", "100")

    browsing.goto(f"/incidents?from={month}&to={month}")
    assert matches(browsing) == before + rows
