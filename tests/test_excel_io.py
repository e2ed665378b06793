"""A whole framework as an Excel workbook: lossless round trip, clearance, and malformed workbooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.helpers import ADMIN, CANARIES, FIXTURES, PUBLIC, load_file, load_fixture
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.cli import app
from nigran.core.problems import InvalidInput
from nigran.core.yamldoc import dump_yaml
from nigran.policy import service
from nigran.policy.excel import document_to_workbook, validate_workbook, workbook_to_document
from nigran.policy.models import Framework
from nigran.storage.db import Database

RICH = FIXTURES / "rich-framework.yaml"
RICH_CANARIES = [
    "CANARY-RESTRICTED-BAND",
    "CANARY-RESTRICTED-SEC",
    "CANARY-RESTRICTED-ACT",
    "CANARY-SECRET-MS",
    "CANARY-SECRET-SUBSEC",
    "CANARY-SECRET-OBJ",
    "CANARY-SECRET-IND",
    "424242.4242",
]


def _export_xlsx(db: Database, principal: Principal, code: str, path: Path) -> Path:
    with db.session(principal) as s:
        document_to_workbook(service.export_document(s, code)).save(path)
    return path


def _cells(path: Path) -> str:
    wb = load_workbook(path, read_only=True)
    text = "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )
    wb.close()
    return text


def test_yaml_to_database_to_xlsx_to_database_is_lossless(db, second_db, tmp_path):
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    xlsx = _export_xlsx(db, ADMIN, "RICH-FW", tmp_path / "rich.xlsx")
    with second_db.session(Principal.system()) as s:
        load_file(s, xlsx)  # the ordinary load path reads .xlsx
    with db.session(ADMIN) as s:
        original = dump_yaml(service.export_document(s, "RICH-FW"))
    with second_db.session(ADMIN) as s:
        copy = dump_yaml(service.export_document(s, "RICH-FW"))
    assert copy == original
    # the fixture's variety really went through the workbook
    for expected in (
        "داخلی سلامتی",
        "band:",
        "SECRET",
        "RESTRICTED",
        "owner: KP",
        "completed_on: 2023-06-15",
        "incident_query:",
        "predecessor: RICH-FW-OLD",
        "RICH.S1.2.1",
        "800.5",
        "weight: 1.5",
    ):
        assert expected in copy, expected


def test_workbook_layout_and_text_never_becomes_a_formula(db, tmp_path):
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    xlsx = _export_xlsx(db, ADMIN, "RICH-FW", tmp_path / "rich.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == [
        "README",
        "Framework",
        "Sections",
        "Objectives",
        "Indicators",
        "Actions",
        "Milestones",
    ]
    header = [c.value for c in wb["Indicators"][1]]
    assert header[:2] == ["code", "objective"]
    years = [h for h in header if h.startswith("target_")]
    assert years == ["target_2023", "target_2024", "target_2025", "target_2026", "target_2027"]
    assert header.index("baseline_date") < header.index("target_2023") < header.index("responsible")
    sections = [[c.value for c in row] for row in wb["Sections"].iter_rows(min_row=2)]
    assert [r[:2] for r in sections] == [
        ["RICH.S1", None],
        ["RICH.S1.1", "RICH.S1"],
        ["RICH.S1.2", "RICH.S1"],
        ["RICH.S1.2.1", "RICH.S1.2"],
        ["RICH.S2", None],
    ]
    # explicit level only where it differs from the parent, like the YAML export
    assert [r[4] for r in sections] == [None, None, "RESTRICTED", "SECRET", None]
    formula_cell = wb["Sections"]["F3"]
    assert formula_cell.value.startswith("'=SUM") and formula_cell.data_type == "s"  # core.cells
    responsible = {
        row[0].value: row[header.index("responsible")].value for row in wb["Indicators"].iter_rows(min_row=2)
    }
    assert responsible["RICH.S1.1.O1.I1"] == "MOI:lead; NACTA:supporting"


def test_public_reader_workbook_has_no_classified_content(db, tmp_path):
    load_fixture(db)
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    text = _cells(_export_xlsx(db, PUBLIC, "CANARY-FW", tmp_path / "c.xlsx"))
    text += _cells(_export_xlsx(db, PUBLIC, "RICH-FW", tmp_path / "r.xlsx"))
    assert "Public indicator" in text and "Tax-to-GDP ratio" in text
    for canary in CANARIES + RICH_CANARIES:
        assert canary not in text, canary


def test_cli_exports_xlsx_as_the_reader_sees_it(db, tmp_path):
    load_fixture(db)
    with db.session(Principal.system()) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
    runner = CliRunner()
    for user, name in ((None, "public.xlsx"), ("admin", "admin.xlsx")):
        argv = [
            "--db",
            db.url,
            *(["--as", user] if user else []),
            "framework",
            "export",
            "CANARY-FW",
            "--format",
            "xlsx",
            "-o",
            str(tmp_path / name),
        ]
        result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
        assert result.exit_code == 0, result.output
    public, admin = _cells(tmp_path / "public.xlsx"), _cells(tmp_path / "admin.xlsx")
    assert "CANARY-SECRET-IND" in admin
    for canary in CANARIES:
        assert canary not in public, canary
    result = runner.invoke(app, ["--db", db.url, "framework", "validate", str(tmp_path / "public.xlsx")])
    assert "already loaded" in result.output and result.exit_code == 2


def _break(path: Path) -> Path:
    """Four kinds of mistake, each in a known cell."""
    wb = load_workbook(path)
    head = {ws.title: [c.value for c in ws[1]] for ws in wb.worksheets}
    actions, indicators, objectives = wb["Actions"], wb["Indicators"], wb["Objectives"]
    actions.cell(2, head["Actions"].index("due") + 1, "2024-02-30")  # bad date
    indicators.cell(
        3, head["Indicators"].index("responsible") + 1, "KP:lead; MOX:supporting"
    )  # unknown entity
    objectives.append([objectives.cell(2, 1).value, "RICH.S2", "A copy"])  # duplicate code, on row 6
    milestones = wb["Milestones"]
    milestones.delete_cols(head["Milestones"].index("action") + 1)  # missing required column
    broken = path.with_name("broken.xlsx")
    wb.save(broken)
    return broken


def test_malformed_workbook_reports_every_problem_by_sheet_row_and_column(db, second_db, tmp_path):
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    broken = _break(_export_xlsx(db, ADMIN, "RICH-FW", tmp_path / "rich.xlsx"))
    with second_db.session(Principal.system()) as s:
        _, problems = validate_workbook(broken.read_bytes(), str(broken), service.known_entity_codes(s))
    shown = [str(p) for p in problems]
    prefix = f"{broken}["
    due = f"{prefix}Actions]:2:due: invalid date '2024-02-30': day is out of range for month"
    assert due in shown, shown
    assert f"{prefix}Indicators]:3:responsible: indicator RICH.S1.1.O1.I2: unknown entity 'MOX'" in shown
    assert any(s.startswith(f"{prefix}Objectives]:6:code: duplicate code 'RICH.S1.1.O1'") for s in shown), (
        shown
    )
    assert f"{prefix}Milestones]:1:action: required column is missing" in shown
    assert len(shown) == 4, "\n".join(shown)

    # the ordinary load path refuses it too, naming sheet, row and column, and writes nothing
    with second_db.session(Principal.system()) as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(InvalidInput) as caught, second_db.session(Principal.system()) as s:
        load_file(s, broken)
    assert f"{prefix}Actions]:2:due:" in str(caught.value)
    with second_db.session(Principal.system()) as s:
        assert s.scalar(select(func.count()).select_from(Framework)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_workbook_structure_problems(tmp_path):
    not_a_workbook = tmp_path / "x.xlsx"
    not_a_workbook.write_bytes(b"this is not a zip file")
    doc, problems = workbook_to_document(not_a_workbook.read_bytes(), str(not_a_workbook))
    assert doc is None and "cannot read the workbook" in str(problems[0])

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Framework"
    ws = wb["Framework"]
    for row in (
        ["field", "value"],
        ["code", "X"],
        ["title", "T"],
        ["period_start", "2022-01-01"],
        ["period_end", "not a date"],
        ["colour", "blue"],
    ):
        ws.append(row)
    sections = wb.create_sheet("Sections")
    sections.append(["code", "parent", "title", "tagets"])
    sections.append(["A", "B", "Loop A"])
    path = tmp_path / "y.xlsx"
    wb.save(path)
    _, problems = workbook_to_document(path.read_bytes(), str(path))
    shown = [str(p) for p in problems]
    assert f"{path}[Framework]:5:value: period_end: expected a date YYYY-MM-DD, got 'not a date'" in shown
    assert any(s.startswith(f"{path}[Framework]:6:field: unknown field 'colour'") for s in shown), shown
    assert any(s.startswith(f"{path}[Sections]:1:tagets: unknown column") for s in shown), shown

    sections.delete_cols(4)
    sections.append(["B", "A", "Loop B"])
    wb.save(path)
    _, problems = workbook_to_document(path.read_bytes(), str(path))
    loops = [str(p) for p in problems if "loop" in p.message]
    assert len(loops) == 2 and all(f"{path}[Sections]:" in s and ":parent:" in s for s in loops), problems


def test_rows_without_code_or_parent_are_reported_not_lost(db, tmp_path):
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    path = _export_xlsx(db, ADMIN, "RICH-FW", tmp_path / "rich.xlsx")
    wb = load_workbook(path)
    wb["Sections"].append([None, None, "A section without a code"])  # row 7
    wb["Objectives"].append(["RICH.NEW.O1", None, "An objective without a section"])  # row 6
    wb.save(path)
    with db.session(Principal.system()) as s:
        _, problems = validate_workbook(path.read_bytes(), str(path), service.known_entity_codes(s))
    shown = [str(p) for p in problems]
    assert f"{path}[Objectives]:6:section: is missing" in shown, shown
    assert any(p.startswith(f"{path}[Sections]:7:") and "'code' is required" in p for p in shown), shown
