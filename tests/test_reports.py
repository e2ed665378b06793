"""The annual review as a document: contents, Urdu, charts, markings, exports and the command line."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests import reports_canary as rc
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.cli import app
from nigran.policy.models import Framework
from nigran.reports.export import tables
from nigran.reports.model import Edition
from nigran.reports.render import URDU, render_html, render_pdf
from nigran.reports.service import annual_report
from nigran.storage.db import Database

ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)


@pytest.fixture
def canary_db(db: Database) -> Database:
    rc.plant(db)
    return db


def _report(db: Database, edition: Edition = Edition.CLASSIFIED, year: int = rc.YEAR):  # type: ignore[no-untyped-def]
    return annual_report(db, ADMIN, rc.CODE, year, edition, today=rc.TODAY)


def test_report_holds_every_chapter_with_urdu_headings_and_charts(canary_db: Database) -> None:
    html = render_html(_report(canary_db))
    for heading in (
        "Executive summary",
        "Section-by-section status",
        "Accountability by entity",
        "Accountability by province",
        "Overdue and returned items",
        "Data completeness and timeliness",
        "Change since the previous review",
        "Methodology annex",
    ):
        assert heading in html
    for key in ("summary", "sections", "entities", "provinces", "method", "change"):
        assert f'<span class="ur" lang="ur" dir="rtl">{URDU[key]}</span>' in html
    assert "آزمائشی فریم ورک" in html  # the framework's Urdu title
    assert html.count("<svg") >= 3
    # Self-contained: no scripts, no links to fetch, no web fonts.
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r'(src|href)="https?://', html)


def test_headline_and_tables_agree_with_the_scores(canary_db: Database) -> None:
    r = _report(canary_db, Edition.PUBLIC)
    h = r.headline
    assert h.objectives_total == sum(s.objectives_total for s in r.sections) == 2
    assert h.share_achieved == h.objective_counts["achieved"] / 2
    assert sum(h.milestone_counts.values()) == h.milestones_total == 3
    assert [row.code for row in r.returned] == ["CF.S1.O2.A1.M1"]
    assert "attach the notification" in r.returned[0].comment and r.returned[0].state == "returned"
    overdue = {row.code: row for row in r.overdue}
    assert overdue["CF.S1.O1.A1.M2"].days_overdue == (rc.TODAY - date(2025, 6, 30)).days  # one reference date
    assert r.previous_year == 2024 and r.changes[0].metric == "Share of objectives achieved"
    assert [c.code for c in r.section_changes] == ["CF.S1"]
    entity = {row.code: row for row in r.entities}
    assert entity["KP"].overdue >= 1 and entity["PB"].returned == 1
    assert {p.code for p in r.provinces} <= {"KP", "PB", "SD", "BA", "GB", "AJK", "ICT"}
    as_tables = {t.name: t for t in tables(r)}
    assert dict(as_tables["headline"].rows)["objectives"] == 2
    assert len(as_tables["objectives"].rows) == 2


def test_first_year_of_a_framework_has_no_previous_review(canary_db: Database) -> None:
    r = _report(canary_db, year=2022)
    assert r.previous_year is None and r.changes == []
    assert "first review year" in render_html(r)


def test_marking_is_the_highest_level_present(canary_db: Database) -> None:
    assert _report(canary_db).marking is Classification.SECRET
    assert _report(canary_db, Edition.PUBLIC).marking is Classification.PUBLIC
    doc = rc.public_only(rc.document())
    doc["framework"]["code"] = "RESTRICTED-TOP"
    doc["framework"]["sections"][0]["objectives"][1]["classification"] = "RESTRICTED"
    rc.load(canary_db, doc)
    r = annual_report(canary_db, ADMIN, "RESTRICTED-TOP", rc.YEAR, Edition.CLASSIFIED, today=rc.TODAY)
    assert r.marking is Classification.RESTRICTED
    assert '@top-center { content: "RESTRICTED"' in render_html(r)


def test_pdf_embeds_a_nastaliq_font_and_reads_as_text(canary_db: Database, tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf(render_html(_report(canary_db, Edition.PUBLIC))))
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Nastaliq" in fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Annual review of implementation 2025" in text and "Page 1 of" in text


def test_exports_in_every_format(canary_db: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", canary_db.url, "report", "annual", "-f", rc.CODE, "-y", "2025", "--today", "2026-04-01"]
    outputs = (("json", tmp_path / "r.json"), ("xlsx", tmp_path / "r.xlsx"), ("csv", tmp_path / "t.zip"))
    for fmt, out in outputs:
        result = runner.invoke(app, [*base, "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
    body = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert body["report"]["edition"] == "public" and "classified annex exists" in body["report"]["note"]
    assert set(body["tables"]) == {
        "headline",
        "sections",
        "objectives",
        "entities",
        "provinces",
        "overdue",
        "returned",
        "changes",
        "section_changes",
    }
    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames[0] == "about" and "entities" in wb.sheetnames
    assert wb["sections"].oddHeader.center.text == "PUBLIC"
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("objectives.csv").decode("utf-8"))))
    assert {r["code"] for r in rows} == {"CF.S1.O1", "CF.S1.O2"}
    assert {r["classification"] for r in rows} == {"PUBLIC"}


def test_cli_rejects_bad_input_clearly(canary_db: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", canary_db.url, "report", "annual", "-f", rc.CODE]
    bad_day = runner.invoke(app, [*base, "-y", "2025", "--today", "1st April"])
    assert bad_day.exit_code == 2 and "--today" in bad_day.output
    outside = runner.invoke(app, [*base, "-y", "2031"])
    assert outside.exit_code == 2 and "outside LEAKTEST-FW's period (2022–2026)" in outside.output
    bad_format = runner.invoke(app, [*base, "-y", "2025", "--format", "docx"])
    assert bad_format.exit_code == 2
    missing = runner.invoke(app, ["--db", canary_db.url, "report", "annual", "-f", "NOPE", "-y", "2025"])
    assert missing.exit_code == 4 and "no framework" in missing.output and "NOPE" in missing.output


def test_every_report_command_documents_an_example() -> None:
    runner = CliRunner()
    for args in (["report", "--help"], ["report", "annual", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Example:" in result.output


def test_demo_database_renders_both_editions(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.session(Principal.system()) as s:
        codes = list(s.scalars(select(Framework.code).order_by(Framework.code)))
    if not codes:
        pytest.skip("the demo has no bundled frameworks yet")
    code = "NSP-2022" if "NSP-2022" in codes else codes[0]
    for edition in Edition:
        r = annual_report(demo_db, ADMIN, code, 2025, edition)
        html = render_html(r)
        assert r.framework_code in html and r.headline.objectives_total == sum(
            s.objectives_total for s in r.sections
        )
    assert render_pdf(html)[:5] == b"%PDF-"
