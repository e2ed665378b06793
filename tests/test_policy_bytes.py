"""Policy services take a file's bytes and a display name, not a path: the front end reads the file.

A web upload has bytes and a client's file name (often without a telling suffix), never a path on the
server, so the services must work from bytes, tell a workbook by its name or failing that by its content,
and name the given file in every problem.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.helpers import ADMIN, FIXTURES, load_file
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.core.problems import InvalidInput
from nigran.policy import service
from nigran.policy.excel import document_to_workbook
from nigran.policy.indicators_io import export_indicators, import_indicators
from nigran.storage.db import Database

RICH = FIXTURES / "rich-framework.yaml"


def _workbook_bytes(db: Database, code: str) -> bytes:
    with db.session(ADMIN) as s:
        buffer = io.BytesIO()
        document_to_workbook(service.export_document(s, code)).save(buffer)
    return buffer.getvalue()


def _run(db: Database, *argv: str):  # type: ignore[no-untyped-def]
    env = {"NIGRAN_USER": "", "COLUMNS": "100", "TERM": "dumb"}
    return CliRunner().invoke(app, ["--db", db.url, "--as", "admin", *argv], env=env)


def test_a_framework_is_validated_and_loaded_from_bytes_named_by_the_caller(db):
    data = RICH.read_bytes()
    with db.session(ADMIN) as s:
        doc, problems = service.validate_bytes(data, "upload.yaml", s)
        assert problems == [] and doc["framework"]["code"] == "RICH-FW"
        assert service.load_bytes(s, data, "upload.yaml").code == "RICH-FW"
    with pytest.raises(InvalidInput) as caught, db.session(ADMIN) as s:
        service.load_bytes(s, data, "again.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"again.yaml:{_code_line(data)}: framework RICH-FW is already loaded"
    ]


def _code_line(data: bytes) -> int:
    return next(n for n, line in enumerate(data.decode().splitlines(), 1) if line.strip().startswith("code:"))


def test_a_workbook_without_a_telling_name_is_known_by_its_bytes(db):
    with db.session(ADMIN) as s:
        load_file(s, RICH)
    data = _workbook_bytes(db, "RICH-FW")
    assert service.is_workbook(data, "upload") and service.is_workbook(data, "upload.bin")
    assert not service.is_workbook(RICH.read_bytes(), "upload")
    assert not service.is_workbook(data, "upload.yaml")  # the name's suffix comes first
    doc, problems = service.validate_bytes(data, "upload", None)  # a pure file check
    assert problems == [] and doc["framework"]["code"] == "RICH-FW"
    with db.session(ADMIN) as s:  # read as a workbook, so the clash names the sheet's row
        _, problems = service.validate_bytes(data, "upload", s)
    assert [str(p) for p in problems] == ["upload:3: framework RICH-FW is already loaded"]


def test_workbook_problems_name_the_given_file_and_sheet(db):
    data = b"PK\x03\x04 not really a zip"
    with db.session(ADMIN) as s:
        _, problems = service.validate_bytes(data, "form", s)
    assert len(problems) == 1 and str(problems[0]).startswith("form:1: cannot read the workbook")


def test_indicators_are_imported_from_bytes_csv_or_workbook_told_by_name_or_content(db):
    with db.session(ADMIN) as s:
        load_file(s, RICH)
    with db.session(ADMIN) as s:
        exported_csv = export_indicators(s, "RICH-FW", "csv").data
        exported_xlsx = export_indicators(s, "RICH-FW", "xlsx").data
    count = len(list(csv.reader(io.StringIO(exported_csv.decode("utf-8-sig"))))) - 1
    for data, name in ((exported_csv, "sheet.csv"), (exported_xlsx, "sheet.xlsx"), (exported_xlsx, "upload")):
        with db.session(ADMIN) as s:
            result = import_indicators(s, data, name, "RICH-FW", dry_run=True)
            s.rollback()
        assert (len(result.unchanged), result.added, result.updated) == (count, [], []), name
    broken = exported_csv.replace(b"RICH-FW", b"OTHER-FW", 1)
    with pytest.raises(InvalidInput) as caught, db.session(ADMIN) as s:
        import_indicators(s, b"\xff\xfe" + broken, "edited", "RICH-FW")
    assert str(caught.value.problems[0]).startswith("edited:1: not UTF-8 text")


def test_the_commands_read_the_file_and_report_a_folder_or_a_missing_file_in_one_line(db, tmp_path: Path):
    with db.session(ADMIN) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
    for argv in (
        ("framework", "validate", str(tmp_path)),
        ("framework", "load", str(tmp_path)),
        ("indicators", "import", str(tmp_path), "--framework", "X"),
    ):
        result = _run(db, *argv)
        assert result.exit_code == 2 and f"{tmp_path}: is a folder, not a file" in result.output, argv
        assert "Traceback" not in result.output
    missing = tmp_path / "missing.yaml"
    result = _run(db, "framework", "validate", str(missing))
    assert result.exit_code == 2 and f"{missing}: file not found" in result.output
    upload = tmp_path / "upload"  # a workbook saved without a suffix
    with db.session(ADMIN) as s:
        load_file(s, RICH)
    upload.write_bytes(_workbook_bytes(db, "RICH-FW"))
    result = _run(db, "framework", "validate", str(upload))
    assert result.exit_code == 2 and "framework RICH-FW is already loaded" in result.output, result.output
    assert f"{upload}[Framework]" in result.output or f"{upload}:" in result.output
