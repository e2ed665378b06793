"""Hostile incident files: other encodings, runaway fields, non-finite numbers, damaged workbooks, empty and
binary files, a malformed --mapping. Each is a FILE:LINE problem (never a traceback) and nothing is written;
plus what an import writes besides incidents: its batch (at its rows' level) and the rejects file."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.core.errors import OutputRefused
from nigran.core.problems import InvalidInput
from nigran.incidents.fields import CASUALTY_FIELDS, INCIDENT_FIELDS, RESOLVED_FIELDS
from nigran.incidents.importer import import_stream
from nigran.incidents.mapping_file import read_overrides
from nigran.incidents.models import ImportBatch, Incident, IncidentSource
from nigran.storage.db import Database

ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
HEADER = "id,date,event_type,province,killed,injured,notes\n"
GOOD = "1,2021-01-01,bombing,Punjab,3,,first\n"


def xlsx_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "date", "event_type", "killed"])
    ws.append(["X1", "2021-01-01", "bombing", 2])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def nothing_written(db: Database) -> bool:
    with db.session(Principal.system()) as s:
        return not s.scalar(select(func.count()).select_from(Incident)) and not s.scalar(
            select(func.count()).select_from(ImportBatch)
        )


HOSTILE = {
    "latin-1 without --encoding": (
        (HEADER + GOOD + "2,2021-01-02,bombing,Punjab,1,,café\n").encode("latin-1"),
        "x.csv",
        "x.csv:3: byte 0xe9 (character 35) is not utf-8 text: name the file's encoding",
    ),
    "a field over csv's limit": (
        (HEADER + GOOD + '2,2021-01-02,bombing,Punjab,1,,"' + "x" * 200_000 + "\n").encode(),
        "x.csv",
        "x.csv:3: a field longer than 131,072 characters",
    ),
    "inf": ((HEADER + "1,2021-01-01,bombing,Punjab,inf,,\n").encode(), "x.csv", "'inf': not a number"),
    "nan": ((HEADER + "1,2021-01-01,bombing,Punjab,3,nan,\n").encode(), "x.csv", "'nan': not a number"),
    "overflow": ((HEADER + "1,2021-01-01,bombing,Punjab," + "9" * 400 + ",,\n").encode(), "x.csv", "finite"),
    "a decimal comma": ((HEADER + '1,2021-01-01,bombing,Punjab,"1,45",,\n').encode(), "x.csv", "ambiguous"),
    "beyond any plausible count": (
        (HEADER + "1,2021-01-01,bombing,Punjab,99999999,,\n").encode(),
        "x.csv",
        "beyond any plausible value",
    ),
    "superscript digits": ((HEADER + "1,2021-01-01,bombing,Punjab,²,,\n").encode(), "x.csv", "not a number"),
    "text named .xlsx": (b"id,date\n1,2021-01-01\n", "x.xlsx", "x.xlsx:1: not a readable Excel workbook"),
    "truncated xlsx": (xlsx_bytes()[:600], "x.xlsx", "x.xlsx:1: not a readable Excel workbook"),
    "empty": (b"", "x.csv", "x.csv:1: empty file: no header row"),
    "blank lines only": (b"\n\n\n", "x.csv", "x.csv:1: empty file: no header row"),
    "binary": (b"\x00\x01\x02id\x00\n" * 50, "x.csv", "contains NUL bytes"),
    "the wrong layout": (HEADER.encode() + GOOD.encode(), "x.csv", "no column 'event_id_cnty', 'event_date'"),
}


ROW_PROBLEMS = (
    "inf",
    "nan",
    "overflow",
    "a decimal comma",
    "beyond any plausible count",
    "superscript digits",
)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_one_clear_problem_and_nothing_is_written(db: Database, case: str) -> None:
    data, name, says = HOSTILE[case]
    fmt = "acled" if case == "the wrong layout" else "csv"
    for skip_invalid in (False, True):
        if skip_invalid and case in ROW_PROBLEMS:
            continue  # row problems: skipping them is allowed
        with pytest.raises(InvalidInput) as caught, db.session(ANALYST) as s:
            import_stream(s, data, name, fmt, skip_invalid=skip_invalid)
        assert says in str(caught.value), str(caught.value)
        assert nothing_written(db)


def test_encodings_are_detected_or_named(db: Database) -> None:
    text = HEADER + "1,2021-01-01,bombing,Punjab,3,,café\n"
    for data, encoding, sid in (
        (("\ufeff" + text).encode("utf-8"), None, "1"),
        (text.encode("utf-16"), None, "2"),  # with its byte-order mark
        (text.encode("latin-1"), "latin-1", "3"),
        (text.encode("cp1252"), "cp1252", "4"),
    ):
        with db.session(ANALYST) as s:
            result = import_stream(
                s, data, "f.csv", "csv", encoding=encoding, overrides={"dataset": f"t{sid}"}
            )
        assert result.inserted == 1
    with db.session(ANALYST) as s:
        assert {i.notes for i in s.scalars(select(Incident))} == {"café"}
    with pytest.raises(InvalidInput, match=r"x\.csv:1: unknown encoding 'klingon'"), db.session(ANALYST) as s:
        import_stream(s, text.encode(), "x.csv", "csv", encoding="klingon", overrides={"dataset": "t9"})


def test_a_workbook_with_a_csv_name_is_read_as_a_workbook(db: Database) -> None:
    with db.session(ANALYST) as s:
        assert import_stream(s, xlsx_bytes(), "upload.csv", "csv").inserted == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "acled:\n  'Battles / Armed clash': dragons\n",
            "m.yaml:2: acled.Battles / Armed clash: unknown event",
        ),
        ("acled: [1, 2\n", "m.yaml:2: YAML syntax error"),
        ("a: &x [1]\nb: *x\n", "m.yaml:1: YAML anchors"),
        ("columns:\n  id: Ref\n  id: Other\n", "m.yaml:3:"),
        ("colums:\n  id: Ref\n", "m.yaml:1: unknown section 'colums'"),
        ("columns:\n  wounded: Hurt\n", "m.yaml:2: columns.wounded: not a field of the CSV layout"),
        ("- a list\n", "m.yaml:1: expected sections"),
        ("dataset: [x]\n", "m.yaml:1: dataset: a name"),
    ],
)
def test_a_malformed_mapping_file_names_its_line(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_overrides(text.encode(), "m.yaml")
    assert says in str(caught.value)


def test_the_fields_are_defined_once_and_the_models_hold_them() -> None:
    incident = set(Incident.__table__.c.keys())
    assert set(INCIDENT_FIELDS) | set(RESOLVED_FIELDS) <= incident
    assert set(CASUALTY_FIELDS) <= set(IncidentSource.__table__.c.keys())


def test_an_import_keeps_each_sources_own_figures(db: Database) -> None:
    with db.session(ANALYST) as s:
        import_stream(s, (HEADER + "1,2021-01-01,bombing,Punjab,3,7,\n").encode(), "f.csv", "csv")
    with db.session(ANALYST) as s:
        src = s.scalar(select(IncidentSource))
        assert (src.killed, src.injured, src.hostages) == (3, 7, None)


def test_a_batch_of_secret_rows_is_secret(db: Database) -> None:
    public_rows = "".join(f"P{i},2021-01-01,bombing,Punjab,1,,,\n" for i in range(3))
    data = ("id,date,event_type,province,killed,injured,notes,classification\n" + public_rows
            + "S1,2021-01-02,bombing,Punjab,9,,,SECRET\n").encode()  # fmt: skip
    with db.session(ANALYST) as s:
        result = import_stream(s, data, "leak.csv", "csv")
    assert result.inserted == 4
    with db.session(Principal.system()) as s:
        batch = s.scalar(select(ImportBatch))
        assert Classification.parse(batch.classification) == Classification.SECRET
    with db.session(Principal.anonymous()) as s:  # counts, file name and hash say that SECRET rows exist
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(Incident)) == 3


def test_rejects_go_through_safe_outputs(db: Database, tmp_path: Path) -> None:
    data = (HEADER + GOOD + "=HYPERLINK(1),2021-01-02,bombing,Punjab,-1,,\n").encode()
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("keep me")
    with pytest.raises(OutputRefused), db.session(ANALYST) as s:
        import_stream(s, data, "x.csv", "csv", skip_invalid=True, rejects_path=rejects)
    assert rejects.read_text() == "keep me" and nothing_written(db)  # refused before any work
    with db.session(ANALYST) as s:
        import_stream(s, data, "x.csv", "csv", skip_invalid=True, rejects_path=rejects, force=True)
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert rows[0]["id"] == "'=HYPERLINK(1)"  # a formula in a foreign file is written as text


@pytest.fixture
def cli(db: Database):  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", db.url, "--as", "analyst", "incidents", "import", *args])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
        return result.output

    return run


def test_cli_import_of_hostile_files(cli, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "1,2021-01-01,bombing,Punjab,3,,café\n").encode("latin-1"))
    out = cli(str(latin), "--format", "csv", code=2)
    assert f"{latin}:2: byte 0xe9" in out and "nothing was written" in out
    assert "1 row read; 1 inserted" in cli(str(latin), "--format", "csv", "--encoding", "latin-1")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert "broken.xlsx:1: not a readable Excel workbook" in cli(str(broken), "--format", "gtd", code=2)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("event_types:\n  IED: dragons\n")
    assert f"{mapping}:2: event_types.IED" in cli(
        str(latin), "--format", "csv", "--mapping", str(mapping), code=2
    )
    assert "--rejects needs --skip-invalid" in cli(
        str(latin), "--format", "csv", "--rejects", "r.csv", code=2
    )
