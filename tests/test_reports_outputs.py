"""Report files are safe to write and to open, and the service delivers them the same way to any front end."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests import reports_canary as rc
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.cli import app
from nigran.core.errors import AccessDenied, InvalidInput, NotFound
from nigran.reports.data import YearOutsidePeriod
from nigran.reports.export import to_json
from nigran.reports.model import ChangeRow, Edition
from nigran.reports.service import MEDIA, ReportFormat, annual_report, render_annual
from nigran.storage.db import Database

ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def canary_db(db: Database) -> Database:
    rc.plant(db)
    return db


def _run(db: Database, *args: str):  # type: ignore[no-untyped-def]
    base = ["--db", db.url, "report", "annual", "-f", rc.CODE, "-y", str(rc.YEAR), "--today", "2026-04-01"]
    return CliRunner().invoke(app, [*base, *args])


def test_an_existing_file_is_replaced_only_with_force(canary_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("keep me", encoding="utf-8")
    refused = _run(canary_db, "--format", "json", "-o", str(out))
    assert refused.exit_code == 7 and "already exists" in refused.output
    assert out.read_text(encoding="utf-8") == "keep me"
    forced = _run(canary_db, "--format", "json", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(out.read_text(encoding="utf-8"))["report"]["framework"] == rc.CODE


def test_the_database_and_symbolic_links_are_never_written(canary_db: Database, tmp_path: Path) -> None:
    db_file = Path(canary_db.url.removeprefix("sqlite:///")) if canary_db.dialect == "sqlite" else None
    if db_file is not None:
        before = db_file.read_bytes()[:16]
        hit = _run(canary_db, "--format", "json", "-o", str(db_file), "--force")
        assert hit.exit_code == 7 and "database" in hit.output
        assert db_file.read_bytes()[:16] == before == b"SQLite format 3\x00"
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("untouched", encoding="utf-8")
    link = tmp_path / "r.html"
    link.symlink_to(victim)
    followed = _run(canary_db, "-o", str(link), "--force")
    assert followed.exit_code == 7 and "symbolic link" in followed.output
    assert victim.read_text(encoding="utf-8") == "untouched"


def test_a_title_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(canary_db: Database) -> None:
    doc = copy.deepcopy(rc.public_only(rc.document()))
    doc["framework"]["code"] = "FORMULA-FW"
    doc["framework"]["sections"][0]["title"] = FORMULA_TITLE
    doc["framework"]["sections"][0]["objectives"][0]["title"] = "+cmd|' /C calc'!A0"
    rc.load(canary_db, doc)
    zipped = render_annual(
        canary_db, ADMIN, "FORMULA-FW", rc.YEAR, Edition.PUBLIC, ReportFormat.CSV, rc.TODAY
    )
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        sections = list(csv.DictReader(io.StringIO(zf.read("sections.csv").decode("utf-8"))))
        objectives = list(csv.DictReader(io.StringIO(zf.read("objectives.csv").decode("utf-8"))))
    assert sections[0]["title"] == "'" + FORMULA_TITLE
    assert {o["title"][0] for o in objectives} <= {"'", "P"}  # "+cmd…" is quoted, plain titles are not
    book = render_annual(canary_db, ADMIN, "FORMULA-FW", rc.YEAR, Edition.PUBLIC, ReportFormat.XLSX, rc.TODAY)
    wb = load_workbook(io.BytesIO(book.content))
    cells = [c for row in wb["sections"].iter_rows(min_row=2) for c in row if c.column == 2]
    assert cells[0].data_type == "s" and cells[0].value == "'" + FORMULA_TITLE
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_json_never_holds_nan_or_infinity(canary_db: Database) -> None:
    r = annual_report(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.PUBLIC, today=rc.TODAY)
    r.changes.append(ChangeRow("A broken figure", float("nan"), float("inf"), "%"))
    text = to_json(r)

    def refuse(name: str) -> None:
        raise AssertionError(f"JSON holds {name}")

    body = json.loads(text, parse_constant=refuse)
    broken = [c for c in body["tables"]["changes"] if c["measure"] == "A broken figure"]
    assert broken[0]["previous (2024)"] is None and broken[0]["current (2025)"] is None


@pytest.mark.parametrize("fmt", [ReportFormat.HTML, ReportFormat.CSV, ReportFormat.JSON, ReportFormat.XLSX])
def test_the_service_returns_bytes_a_media_type_and_a_file_name(
    canary_db: Database, fmt: ReportFormat
) -> None:
    out = render_annual(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.PUBLIC, fmt, today=rc.TODAY)
    assert isinstance(out.content, bytes) and out.content
    assert out.media_type == MEDIA[fmt][0]
    assert out.filename == f"{rc.CODE}-{rc.YEAR}-public.{MEDIA[fmt][1]}"
    assert out.report.reader == "anonymous"  # the public edition is computed as the public reader
    if fmt is ReportFormat.CSV:
        assert "about.csv" in zipfile.ZipFile(io.BytesIO(out.content)).namelist()


def test_service_errors_are_domain_errors_without_command_hints(canary_db: Database) -> None:
    with pytest.raises(YearOutsidePeriod) as outside:
        annual_report(canary_db, ADMIN, rc.CODE, 2031, Edition.PUBLIC, today=rc.TODAY)
    assert isinstance(outside.value, InvalidInput)
    assert "2031" in outside.value.message and "--" not in outside.value.message
    with pytest.raises(AccessDenied) as denied:
        annual_report(canary_db, ANALYST, rc.CODE, rc.YEAR, Edition.CLASSIFIED, today=rc.TODAY)
    assert "SECRET clearance" in denied.value.message and "--" not in denied.value.message
    with pytest.raises(NotFound):
        annual_report(canary_db, ADMIN, "NO-SUCH-FW", rc.YEAR, Edition.PUBLIC, today=rc.TODAY)
    with pytest.raises(InvalidInput):
        Edition.parse("secret")


def test_cli_says_what_it_wrote_in_plain_english(canary_db: Database, tmp_path: Path) -> None:
    result = _run(canary_db, "--format", "csv", "-o", str(tmp_path / "tables.zip"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "public edition, marking PUBLIC, 2 objectives, as seen by the public reader" in text
    assert "anonymous" not in text and "Principal(" not in text
    outside = _run(canary_db, "-y", "2031", "-o", str(tmp_path / "x.html"))
    assert outside.exit_code == 2 and "Traceback" not in outside.output
    assert not (tmp_path / "x.html").exists()
