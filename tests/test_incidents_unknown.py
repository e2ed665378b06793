"""Unknown is not zero: a figure no source gives stays unknown through the cube, summaries, the monthly
report and exports; and exports are safe files (never the database, no overwrite without --force, no
formula)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.incidents import analytics as an
from nigran.incidents import cube
from nigran.incidents.export import detect_format, export_bytes
from nigran.incidents.importer import import_file
from nigran.incidents.models import IncidentCube
from nigran.incidents.report import monthly_report
from nigran.storage.db import Database

ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
PUBLIC = Principal.anonymous()
runner = CliRunner()
#: Like a UCDP extract: deaths only, no injured, no hostages, no claims; one note is a formula.
ROWS = """id,date,province,district,event_type,actor,killed,notes
U1,2023-03-02,Khyber Pakhtunkhwa,Peshawar,armed_assault,TTP,4,"=HYPERLINK(""http://evil"",""x"")"
U2,2023-03-09,Balochistan,Quetta,bombing,BLA,6,@SUM(1+1)
U3,2023-03-20,Khyber Pakhtunkhwa,Bannu,clash,TTP,2,-2+3
"""


@pytest.fixture
def deaths_only(db: Database, tmp_path: Path) -> Database:
    path = tmp_path / "deaths_only.csv"
    path.write_text(ROWS, encoding="utf-8")
    with db.session(ANALYST) as s:
        import_file(s, path, "csv")
    return db


def _cli(db: Database, *args: str) -> tuple[int, str]:
    from nigran.cli import app

    result = runner.invoke(app, ["--db", db.url, *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("engine", ["rows", "cube"])
def test_figures_no_source_gives_stay_unknown(deaths_only: Database, engine: str) -> None:
    with deaths_only.session(PUBLIC) as s:
        (year,) = an.summary(s, "year", engine=engine)
        provinces = {r.label: r for r in an.aggregate(s, "province", engine=engine)}
    assert year.values["killed"] == 12 and year.known["killed"] == 3
    assert year.values["injured"] is None and year.known["injured"] == 0
    assert year.values["hostages"] is None
    assert year.as_dict("year")["injured"] is None and year.as_dict("year")["injured_known"] == 0
    assert provinces["PK-KP"].values["injured"] is None and provinces["PK-KP"].name == "Khyber Pakhtunkhwa"
    injured = next(t for t in an.totals([year]) if t.measure == "injured")
    assert (injured.value, injured.known, injured.incidents) == (None, 0, 3)


def test_cube_known_counts_equal_a_rebuild(deaths_only: Database) -> None:
    with deaths_only.session(Principal.system()) as s:
        held = {
            (c.dim, c.year, c.month, c.province_code, c.key, int(c.classification)): (
                c.killed_known,
                c.injured_known,
            )
            for c in s.scalars(select(IncidentCube))
        }
        rebuilt = {
            (r["dim"], r["year"], r["month"], r["province_code"], r["key"], int(r["classification"])): (
                r["killed_known"],
                r["injured_known"],
            )
            for r in cube.rebuild_rows(s)
        }
    assert held == rebuilt and held[("type", 2023, 3, "PK-KP", "clash", 0)] == (1, 0)


def test_report_never_says_zero_for_what_is_not_recorded(deaths_only: Database) -> None:
    with deaths_only.session(PUBLIC) as s:
        report = monthly_report(s, "2023-03")
    assert "claimed for 0" not in report.text and "do not record claims of responsibility" in report.text
    assert (
        "(the sources give no injury figures)" in report.text and "0 [F" not in report.text.split("\n\n")[0]
    )
    assert "3 [F1] security incidents were recorded" in report.text
    assert report.coverage["injured"] == {"known": 0, "incidents": 3}
    assert not any(f.label in ("injured", "claimed", "victims killed") for f in report.figures)
    with deaths_only.session(PUBLIC) as s:
        one = monthly_report(s, "2023-03", filters=an.Filters(district="PK-KP-BNU"))
    assert "1 [F1] security incident was recorded" in one.text and "1 [F" in one.text


def test_summary_table_shows_a_dash_and_says_how_many_lack_the_figure(deaths_only: Database) -> None:
    code, out = _cli(deaths_only, "incidents", "summary", "--by", "month")
    assert code == 0, out
    line = next(line for line in out.splitlines() if line.lstrip().startswith("2023-03"))
    assert line.split()[1:] == ["3", "12", "—", "—", "—", "—"]
    assert "injured: unknown, no source gives it (3 incidents)" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    code, out = _cli(deaths_only, "incidents", "summary", "--format", "json")
    (row,) = json.loads(out)
    assert row["injured"] is None and row["injured_known"] == 0 and row["killed_known"] == 3
    code, out = _cli(deaths_only, "incidents", "summary", "--format", "csv")
    (row,) = list(csv.DictReader(out.splitlines()))
    assert row["injured"] == "" and row["killed"] == "12"
    for by in an.BY:
        code, out = _cli(deaths_only, "incidents", "summary", "--by", by)
        assert code == 0 and all(len(line) <= 80 for line in out.splitlines()), out
    code, out = _cli(deaths_only, "incidents", "summary", "--by", "district")
    assert "PK-KP-PSH Peshawar" in " ".join(out.split())


def test_exports_keep_unknown_empty_and_neutralise_formulas(deaths_only: Database) -> None:
    with deaths_only.session(PUBLIC) as s:
        data, n = export_bytes(s, "csv")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        as_json = json.loads(export_bytes(s, "json")[0])
        xlsx, _ = export_bytes(s, "xlsx")
    assert n == 3 and [r["injured"] for r in rows] == ["", "", ""] and rows[0]["killed"] == "4"
    notes = [r["notes"] for r in rows]
    assert notes == ['\'=HYPERLINK("http://evil","x")', "'@SUM(1+1)", "'-2+3"]
    assert as_json[0]["injured"] is None and as_json[0]["notes"].startswith("=HYPERLINK")  # JSON is data
    ws = load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("notes") + 1)
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert ws.cell(row=2, column=header.index("injured") + 1).value is None


def test_export_never_overwrites_the_database_or_a_file_without_force(
    deaths_only: Database, tmp_path: Path
) -> None:
    db_file = (
        Path(deaths_only.url.removeprefix("sqlite:///")) if deaths_only.url.startswith("sqlite") else None
    )
    if db_file is not None:
        before = db_file.read_bytes()[:100]
        code, out = _cli(deaths_only, "incidents", "export", str(db_file), "--format", "json")
        assert code == 7 and "open database" in out and db_file.read_bytes()[:100] == before
        code, out = _cli(
            deaths_only, "incidents", "export", "-o", str(db_file), "--format", "json", "--force"
        )
        assert code == 7 and db_file.read_bytes()[:100] == before
    target = tmp_path / "out.xlsx"
    code, out = _cli(deaths_only, "incidents", "export", "-o", str(target))
    assert code == 0 and "wrote 3 incidents" in out and zipfile.is_zipfile(target)  # format from the suffix
    code, out = _cli(deaths_only, "incidents", "export", "-o", str(target))
    assert code == 7 and "already exists" in out
    code, out = _cli(deaths_only, "incidents", "export", "-o", str(target), "--force", "--district", "Bannu")
    assert code == 0 and "wrote 1 incident to" in out
    code, out = _cli(deaths_only, "incidents", "export", "-o", str(tmp_path / "x.txt"))
    assert code == 2 and "which format" in out
    assert detect_format(None, "a.JSON") == "json" and detect_format("XLSX", "a.csv") == "xlsx"


def test_report_and_indicator_outputs(deaths_only: Database, tmp_path: Path) -> None:
    target = tmp_path / "march.json"
    code, out = _cli(deaths_only, "incidents", "report", "--month", "2023-03", "-o", str(target))
    assert code == 0, out
    assert json.loads(target.read_text(encoding="utf-8"))["coverage"]["claimed"]["known"] == 0
    code, out = _cli(deaths_only, "incidents", "report", "--month", "2023-03", "-o", str(target))
    assert code == 7 and "already exists" in out
    code, out = _cli(deaths_only, "incidents", "report", "--month", "2023-13")
    assert code == 2 and "YYYY-MM" in out
    code, out = _cli(deaths_only, "incidents", "top-districts", "--measure", "injured")
    assert code == 0 and "—" in out and "datetime" not in out
    code, out = _cli(deaths_only, "incidents", "top-districts", "--measure", "deaths")
    assert code == 2 and "unknown measure 'deaths'" in out
