"""Nothing classified reaches a public report: not as text, not as a number, not through a total.

Canaries (see ``reports_canary.py``) are planted in RESTRICTED and SECRET records at every level of a test
framework. The public edition is produced through the real CLI in every format, by a SECRET-cleared user
(the edition, not the user, decides what is read), and every output is searched for the canaries. The
public figures must also equal the figures of a framework that holds the PUBLIC records alone.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests import reports_canary as rc
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.reports.model import Edition
from nigran.reports.service import annual_report
from nigran.storage.db import Database

ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)


@pytest.fixture
def canary_db(db: Database) -> Database:
    rc.plant(db)
    with db.session(Principal.system()) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
    return db


def _cli(db: Database, *args: str) -> None:
    result = CliRunner().invoke(app, ["--db", db.url, *args])
    assert result.exit_code == 0, result.output


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts += [ws.oddHeader.center.text or "", ws.oddFooter.center.text or "", ws.title]
        parts += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(parts)


def _leaks(text: str) -> list[str]:
    found = [c for c in rc.CANARY_STRINGS if c in text]
    found += [n for n in rc.CANARY_NUMBERS if re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", text)]
    return found


def _public_outputs(db: Database, folder: Path, user: str) -> dict[str, str]:
    """Every public output format, produced through the CLI, as text to search."""
    common = [
        "report",
        "annual",
        "--framework",
        rc.CODE,
        "--year",
        str(rc.YEAR),
        "--edition",
        "public",
        "--today",
        rc.TODAY.isoformat(),
    ]
    texts: dict[str, str] = {}
    for fmt in ("html", "pdf", "json", "xlsx", "csv"):
        out = folder / f"public.{fmt}"
        _cli(db, "--as", user, *common, "--format", fmt, "-o", str(out))
        if fmt == "pdf":
            texts[fmt] = subprocess.run(
                ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
            ).stdout
        elif fmt == "xlsx":
            texts[fmt] = _xlsx_text(out)
        elif fmt == "csv":
            with zipfile.ZipFile(out) as zf:
                texts[fmt] = "\n".join(zf.read(n).decode("utf-8") for n in sorted(zf.namelist()))
        else:
            texts[fmt] = out.read_text(encoding="utf-8")
    return texts


def test_no_canary_reaches_any_public_output(canary_db: Database, tmp_path: Path) -> None:
    texts = _public_outputs(canary_db, tmp_path, "admin")
    assert set(texts) == {"html", "pdf", "json", "xlsx", "csv"}
    for fmt, text in texts.items():
        assert "Public objective one" in text or (fmt in ("xlsx", "csv", "json") and "CF.S1.O1" in text), fmt
        assert _leaks(text) == [], f"{fmt} output leaks {_leaks(text)}"
    assert "classified annex exists" in texts["html"]
    assert json.loads(texts["json"])["report"]["marking"] == "PUBLIC"


def test_the_same_outputs_of_the_classified_edition_do_hold_the_canaries(
    canary_db: Database, tmp_path: Path
) -> None:
    """The leak test can fail: what the public edition leaves out is there for a cleared reader."""
    out = tmp_path / "classified.json"
    _cli(
        canary_db,
        "--as",
        "admin",
        "report",
        "annual",
        "-f",
        rc.CODE,
        "-y",
        str(rc.YEAR),
        "--edition",
        "classified",
        "--format",
        "json",
        "-o",
        str(out),
        "--today",
        rc.TODAY.isoformat(),
    )
    text = out.read_text(encoding="utf-8")
    assert {"CANARY-SECRET", "CANARY-RESTRICTED", "CNRYS", "QX9S"} <= set(_leaks(text))
    assert json.loads(text)["report"]["marking"] == "SECRET"


def test_public_figures_equal_those_of_the_public_records_alone(canary_db: Database) -> None:
    """No inference by totals: every public figure is what the PUBLIC records alone give."""
    doc = rc.public_only(rc.document())
    doc["framework"]["code"] = "PUBLIC-ONLY-FW"
    rc.load(canary_db, doc)
    public = annual_report(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.PUBLIC, today=rc.TODAY)
    reference = annual_report(canary_db, ADMIN, "PUBLIC-ONLY-FW", rc.YEAR, Edition.CLASSIFIED, today=rc.TODAY)
    assert reference.marking is Classification.PUBLIC
    assert public.headline == reference.headline
    assert public.sections == reference.sections
    assert public.entities == reference.entities
    assert public.provinces == reference.provinces
    assert public.overdue == reference.overdue
    assert public.changes == reference.changes
    assert public.section_changes == reference.section_changes
    full = annual_report(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.CLASSIFIED, today=rc.TODAY)
    # The SECRET records do count in the classified edition.
    assert full.headline.objectives_total > public.headline.objectives_total
    assert public.headline.objectives_total == 2


def test_classified_edition_needs_secret_clearance(canary_db: Database, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied, match="SECRET clearance"):
        annual_report(canary_db, ANALYST, rc.CODE, rc.YEAR, Edition.CLASSIFIED)
    with pytest.raises(AccessDenied):
        annual_report(canary_db, Principal.anonymous(), rc.CODE, rc.YEAR, Edition.CLASSIFIED)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            canary_db.url,
            "--as",
            "analyst",
            "report",
            "annual",
            "-f",
            rc.CODE,
            "-y",
            "2025",
            "--edition",
            "classified",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 3
    assert "SECRET clearance" in result.output
    assert not out.exists()


def test_public_edition_of_a_classified_framework_is_not_found_like_a_missing_one(
    canary_db: Database,
) -> None:
    with canary_db.session(Principal.system()) as s:
        from nigran.policy.service import get_framework

        get_framework(s, rc.CODE).classification = Classification.RESTRICTED
    runner = CliRunner()
    hidden = runner.invoke(app, ["--db", canary_db.url, "report", "annual", "-f", rc.CODE, "-y", "2025"])
    missing = runner.invoke(app, ["--db", canary_db.url, "report", "annual", "-f", "NO-SUCH", "-y", "2025"])
    assert hidden.exit_code == missing.exit_code == 4
    assert hidden.output.replace(rc.CODE, "X") == missing.output.replace("NO-SUCH", "X")


def test_classified_pdf_is_marked_on_every_page_and_every_classified_item(
    canary_db: Database, tmp_path: Path
) -> None:
    pdf, html = tmp_path / "c.pdf", tmp_path / "c.html"
    for fmt, out in (("pdf", pdf), ("html", html)):
        _cli(
            canary_db,
            "--as",
            "admin",
            "report",
            "annual",
            "-f",
            rc.CODE,
            "-y",
            str(rc.YEAR),
            "--edition",
            "classified",
            "--format",
            fmt,
            "-o",
            str(out),
            "--today",
            rc.TODAY.isoformat(),
        )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 5
    for n, page in enumerate(pages, 1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert "SECRET" in lines[0] and "SECRET" in lines[-1], f"page {n} lacks its header or footer marking"
    body = html.read_text(encoding="utf-8")
    rows = re.findall(r"<tr>.*?</tr>|<h3>.*?</h3>", body, flags=re.S)
    secret_rows = [r for r in rows if "CANARY-SECRET" in r]
    restricted_rows = [r for r in rows if "CANARY-RESTRICTED" in r or "CNRYR" in r]
    assert secret_rows and restricted_rows
    assert all('class="pm pm-2"' in r for r in secret_rows)
    assert all('class="pm pm-1"' in r or 'class="pm pm-2"' in r for r in restricted_rows)


def test_public_item_led_by_a_hidden_entity_names_no_entity(canary_db: Database, tmp_path: Path) -> None:
    """A PUBLIC indicator whose lead is a RESTRICTED entity: counted, but attributed to nobody, and its
    overdue report is left out rather than shown with a blank or placeholder owner."""
    from sqlalchemy import select

    from nigran.monitoring.models import ReportingCycle
    from nigran.monitoring.service import generate_obligations
    from nigran.policy.models import Entity, Indicator, Responsibility
    from nigran.policy.service import get_framework

    with canary_db.session(Principal.system()) as s:
        hidden = s.scalar(select(Entity).where(Entity.code == "CNRYR"))
        indicator = s.scalar(select(Indicator).where(Indicator.code == "CF.S1.O1.I1"))
        s.add(Responsibility(entity=hidden, indicator=indicator, role="lead"))
        s.flush()
        fw = get_framework(s, rc.CODE)
        for cycle in s.scalars(select(ReportingCycle).where(ReportingCycle.framework_id == fw.id)):
            generate_obligations(s, fw, cycle)
    texts = _public_outputs(canary_db, tmp_path, "admin")
    for fmt, text in texts.items():
        assert _leaks(text) == [], f"{fmt} output leaks {_leaks(text)}"
    report = annual_report(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.PUBLIC, today=rc.TODAY)
    with canary_db.session(Principal.anonymous()) as s:
        visible = set(s.scalars(select(Entity.code)))
    shown = {r.code for r in report.entities + report.provinces} | {r.entity for r in report.overdue}
    shown |= {r.entity for r in report.returned}
    assert shown <= visible, shown - visible
    classified = annual_report(canary_db, ADMIN, rc.CODE, rc.YEAR, Edition.CLASSIFIED, today=rc.TODAY)
    assert any(r.entity == "CNRYR" and r.code == "CF.S1.O1.I1" for r in classified.overdue)
