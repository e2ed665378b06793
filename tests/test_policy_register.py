"""The register's edges (issue 7): missing entities, metadata at its record's level, codes taken by hidden
records, field lists defined once, safe export files, and a command line people can read."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.helpers import ADMIN, ANALYST, FIXTURES, PUBLIC, load_file, load_fixture, validate_file
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.access.service import add_user
from nigran.cli import app
from nigran.cli_support import read_input
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput
from nigran.core.yamldoc import load_yaml
from nigran.policy import excel, schema, service
from nigran.policy.indicators_io import export_indicators, import_indicators
from nigran.policy.models import Framework

SECRET_FW = """format: nigran-framework/1
framework:
  code: HIDDEN-FW
  title: Hidden title CANARY-SECRET-TITLE
  classification: SECRET
  period: {start: 2017-01-01, end: 2021-12-31}
  sections:
    - code: HIDDEN.S1
      title: S
      objectives: [{code: HIDDEN.O1, title: O}]
"""


def successor(code: str = "NEXT-FW", predecessor: str = "HIDDEN-FW", owner: str | None = None) -> str:
    return f"""format: nigran-framework/1
framework:
  code: {code}
  title: Next
  predecessor: {predecessor}
  period: {{start: 2022-01-01, end: 2026-12-31}}
  sections:
    - code: {code}.S1
      title: S
      objectives:
        - code: {code}.O1
          title: O
          actions:
            - code: {code}.A1
              title: A
              owner: {owner or "MOI"}
              milestones: [{{code: {code}.M1, title: M, description: "kept in every format"}}]
"""


def _load(db, text: str, principal: Principal = ADMIN, name: str = "f.yaml") -> Framework:  # type: ignore[no-untyped-def]
    with db.session(principal) as s:
        return service.load_document(s, load_yaml(text), name)


def run(db, *argv: str, user: str | None = None, width: int = 80):  # type: ignore[no-untyped-def]
    env = {"NIGRAN_USER": "", "COLUMNS": str(width), "TERM": "dumb"}
    return CliRunner().invoke(app, ["--db", db.url, *(["--as", user] if user else []), *argv], env=env)


# -- 2. missing entities ---------------------------------------------------------------------------------
def test_entities_missing_from_the_database_are_problems_with_their_line(empty_db):
    """An empty database has no entities: the bundled list is no stand-in, each missing one is a problem."""
    text = successor(predecessor="NONE-YET", owner="NACTA")
    with pytest.raises(InvalidInput) as caught, empty_db.session(Principal.system()) as s:
        service.load_document(s, load_yaml(text), "next.yaml")
    assert str(caught.value) == "next.yaml:16: action NEXT-FW.A1: unknown entity 'NACTA'"
    with empty_db.session(Principal.system()) as s:
        assert s.scalar(select(func.count()).select_from(Framework)) == 0


def test_load_on_an_empty_database_through_the_cli_lists_missing_entities(empty_db, tmp_path):
    path = tmp_path / "next.yaml"
    path.write_text(successor(predecessor="NONE-YET"))
    result = run(empty_db, "framework", "load", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:16: action NEXT-FW.A1: unknown entity 'MOI'" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


# -- 3. metadata at its record's level -------------------------------------------------------------------
def test_a_hidden_predecessor_is_not_shown_to_a_reader_who_may_not_see_it(db):
    _load(db, SECRET_FW)
    _load(db, successor())
    with db.session(PUBLIC) as s:
        public = service.export_document(s, "NEXT-FW")["framework"]
    with db.session(ADMIN) as s:
        admin = service.export_document(s, "NEXT-FW")["framework"]
    assert "predecessor" not in public
    assert admin["predecessor"] == "HIDDEN-FW"
    for argv in (("framework", "show", "NEXT-FW"), ("framework", "export", "NEXT-FW", "--format", "json")):
        result = run(db, *argv)
        assert result.exit_code == 0, result.output
        assert "HIDDEN" not in result.output, argv


def test_a_predecessor_never_loaded_keeps_the_files_text(db):
    _load(db, successor(predecessor="OLD-PAPER"))
    with db.session(PUBLIC) as s:
        assert service.export_document(s, "NEXT-FW")["framework"]["predecessor"] == "OLD-PAPER"


def test_a_framework_code_taken_by_a_hidden_framework_is_a_problem_not_an_integrity_error(db, tmp_path):
    _load(db, SECRET_FW)
    text = successor(code="hidden-fw", predecessor="NONE")  # same code, other case, for a RESTRICTED analyst
    with pytest.raises(InvalidInput) as caught:
        _load(db, text, ANALYST, "mine.yaml")
    assert str(caught.value) == "mine.yaml:3: framework code hidden-fw is not available: choose another"
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with db.session(ANALYST) as s:
        _, problems = validate_file(path, s)
    assert [str(p) for p in problems] == [
        f"{path}:3: framework code hidden-fw is not available: choose another"
    ]
    assert "CANARY" not in str(problems) and "SECRET" not in str(problems)
    with db.session(ADMIN) as s:  # who may see it is told plainly
        _, problems = validate_file(path, s)
    assert [p.message for p in problems] == ["framework HIDDEN-FW is already loaded"]


# -- 4. field lists defined once -------------------------------------------------------------------------
def test_every_schema_field_has_an_excel_column_and_survives_the_workbook(db, second_db, tmp_path):
    """The sheets are derived from the schema: the milestone description (missing from the old hand-written
    columns, so lost in a workbook round trip) now travels like every other field."""
    for fields, columns in (
        (schema.SECTION, excel.SECTION_COLUMNS),
        (schema.OBJECTIVE, excel.OBJECTIVE_COLUMNS),
        (schema.ACTION, excel.ACTION_COLUMNS),
        (schema.MILESTONE, excel.MILESTONE_COLUMNS),
    ):
        names = {c.name for c in columns}
        for f in fields.values():
            if f.kind not in schema.CHILD_KINDS and not f.alias_of:
                assert f.name in names, (f.name, sorted(names))
    _load(db, successor(predecessor="NONE"))
    with db.session(ADMIN) as s:
        data = service.export_framework(s, "NEXT-FW", "xlsx")
        before = service.export_document(s, "NEXT-FW")
    path = tmp_path / "next.xlsx"
    path.write_bytes(data)
    with second_db.session(Principal.system()) as s:
        load_file(s, path)
        after = service.export_document(s, "NEXT-FW")
    assert after == before
    milestone = after["framework"]["sections"][0]["objectives"][0]["actions"][0]["milestones"][0]
    assert milestone["description"] == "kept in every format"


# -- 5. safe files ---------------------------------------------------------------------------------------
def test_framework_export_never_overwrites_or_follows_a_link_and_reads_the_suffix(db, tmp_path):
    load_fixture(db)
    target = tmp_path / "out.xlsx"
    result = run(db, "framework", "export", "canary-fw", "-o", str(target))  # format from the suffix
    assert result.exit_code == 0, result.output
    assert load_workbook(target).sheetnames[:2] == ["README", "Framework"]
    before = target.read_bytes()
    result = run(db, "framework", "export", "CANARY-FW", "-o", str(target))
    assert result.exit_code == 7 and "already exists" in result.output
    assert target.read_bytes() == before
    assert run(db, "framework", "export", "CANARY-FW", "-o", str(target), "--force").exit_code == 0
    link = tmp_path / "link.yaml"
    os.symlink(tmp_path / "elsewhere.yaml", link)
    result = run(db, "framework", "export", "CANARY-FW", "-o", str(link), "--force")
    assert result.exit_code == 7 and "symbolic link" in result.output
    assert not (tmp_path / "elsewhere.yaml").exists()
    result = run(db, "framework", "export", "CANARY-FW", "--format", "json", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "named like a xlsx file" in result.output


def test_exports_refuse_the_database_file(db, tmp_path):
    if not db.url.startswith("sqlite"):
        pytest.skip("the database is a file only on SQLite")
    load_fixture(db)
    database = Path(db.url.removeprefix("sqlite:///"))
    before = database.stat().st_size
    for argv in (
        ("framework", "export", "CANARY-FW", "--format", "json", "-o", str(database), "--force"),
        ("indicators", "export", "CANARY-FW", "--format", "csv", "-o", str(database), "--force"),
    ):
        result = run(db, *argv)
        assert result.exit_code == 7 and "open database" in result.output, result.output
    assert database.stat().st_size == before
    assert run(db, "framework", "list").exit_code == 0


def test_formula_text_is_neutralised_in_csv_and_read_back_unchanged(db, tmp_path):
    indicator = "            - {code: NEXT-FW.I1, name: '=HYPERLINK(\"http://x\")', unit: count}\n"
    text = successor(predecessor="NONE").replace(
        "          actions:", f"          indicators:\n{indicator}          actions:"
    )
    _load(db, text)
    with db.session(ADMIN) as s:
        data = export_indicators(s, "NEXT-FW", "csv").data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'
    path = tmp_path / "ind.csv"
    path.write_bytes(data)
    with db.session(ADMIN) as s:
        result = import_indicators(s, path.read_bytes(), str(path), "next-fw")
    assert result.unchanged == ["NEXT-FW.I1"] and not result.updated


# -- 6. a command line people can read -------------------------------------------------------------------
def test_framework_list_fits_80_columns_and_cuts_no_number(demo_db):
    result = run(demo_db, "framework", "list", width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, result.output
    assert lines[0].split() == ["code", "period", "sections", "objectives", "indicators", "actions"], lines[0]
    assert "…" not in result.output
    with demo_db.session(PUBLIC) as s:
        summaries = service.list_frameworks(s)
    for summary in summaries:
        row = next(line for line in lines if line.startswith(summary.code + " "))
        counts = [
            f"{n:,}" for n in (summary.sections, summary.objectives, summary.indicators, summary.actions)
        ]
        assert row.split()[-4:] == counts, row


def test_diff_prints_values_not_python_reprs_and_codes_ignore_case(db):
    load_fixture(db)
    with db.session(ADMIN) as s:
        service.derive(s, "CANARY-FW", "CANARY-2027")
    result = run(db, "framework", "diff", "canary-fw", "canary-2027", user=None)
    assert result.exit_code == 0, result.output
    assert "datetime.date" not in result.output and "period:" in result.output
    assert "2022-01-01" in result.output


def test_indicator_export_says_one_indicator(db, tmp_path):
    _load(db, successor(predecessor="NONE").replace(
        "          actions:", "          indicators: [{code: NEXT-FW.I1, name: One}]\n          actions:"
    ))  # fmt: skip
    with db.session(Principal.system()) as s:
        add_user(s, "analyst", role="analyst", clearance=Classification.RESTRICTED)
    out = tmp_path / "one.csv"
    result = run(db, "indicators", "export", "next-fw", "-o", str(out), user="analyst")
    assert result.exit_code == 0, result.output
    assert f"wrote 1 indicator to {out}" in result.output


# -- 7. errors a person can act on -----------------------------------------------------------------------
def test_unknown_codes_and_unreadable_paths_are_domain_errors(db, tmp_path):
    with db.session(PUBLIC) as s, pytest.raises(NotFound):
        service.get_framework(s, "NOPE")
    with pytest.raises(InvalidInput) as caught:
        read_input(tmp_path)  # a folder: the front end reads the file, the service gets its bytes
    assert [p.message for p in caught.value.problems] == ["is a folder, not a file"]
    binary = tmp_path / "f.yaml"
    binary.write_bytes(b"format: x\n\xff\xfe\x00")
    _, problems = service.read_document(binary.read_bytes(), str(binary))
    assert [(p.line, p.message[:14]) for p in problems] == [(2, "not UTF-8 text")]
    result = run(db, "framework", "show", "NOPE")
    assert result.exit_code == 4 and "no framework 'NOPE'" in result.output
    result = run(db, "framework", "derive", "X", "Y", "--start", "2027-02-30", user=None)
    assert result.exit_code == 2 and "not a date" in result.output


def test_bundled_validate_is_read_only(db):
    path = FIXTURES / "canary-framework.yaml"
    result = run(db, "framework", "validate", str(path))
    assert result.exit_code == 0 and result.output.strip() == f"{path}: valid"
