"""Units are checked on every way in, the review queue, and files and output people can read."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.helpers import load_fixture
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.monitoring.excel import IND_COLS
from nigran.monitoring.models import Submission

I1, I2, M1 = "MON-T.S1.O1.I1", "MON-T.S1.O1.I2", "MON-T.S1.O1.A1.M1"  # I1 in percent (KP), I2 deaths (MOI)
runner = CliRunner()


def run(db, *args: str, user: str | None = None, code: int = 0, columns: int = 200):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": str(columns)})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def mon(db):  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
        add_user(s, "reviewer", role=Role.REVIEWER, clearance=Classification.SECRET)
        add_user(s, "focal-kp", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="KP")
        add_user(
            s, "focal-moi", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="MOI"
        )
        add_user(s, "reader", role=Role.PUBLIC_READER, clearance=Classification.PUBLIC)
    load_fixture(db, "monitoring-framework.yaml")
    run(db, "reporting", "cycles", "create", "-f", "MON-T", "2024", user="analyst")
    return db


def _values(db) -> list[float | None]:  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        return [sub.value for sub in s.query(Submission).order_by(Submission.id)]


def _submit_value(db, item: str, value: str, user: str, code: int = 0):  # type: ignore[no-untyped-def]
    args = ["reporting", "submit-value", "-f", "MON-T", "-c", "2024", "-i", item, "--value", value]
    return run(db, *args, "--evidence", "ref", user=user, code=code)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,45", "'1,45' is ambiguous"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("1e300", "beyond any plausible value"),
        ("87%", "is a percentage, but the unit is 'deaths per year'"),
    ],
)
def test_the_command_line_refuses_ambiguous_infinite_and_implausible_values(mon, value, message):
    out = _submit_value(mon, I2, value, "focal-moi", code=2).output
    assert message in out and _values(mon) == []


def test_the_command_line_reads_thousands_and_percentages_in_their_unit(mon):
    _submit_value(mon, I2, "1,450", "focal-moi")
    _submit_value(mon, I1, "87%", "focal-kp")
    assert _values(mon) == [1450.0, 87.0]


def _template(db, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "kp.xlsx"
    run(
        db, "reporting", "template", "-f", "MON-T", "-c", "2024", "-e", "KP", "-o", str(path), user="focal-kp"
    )
    return path


def _fill_value(path: Path, value: object, number_format: str = "General") -> None:
    wb = load_workbook(path)
    cell = wb["Indicators"].cell(2, IND_COLS.index("Value") + 1)
    cell.value, cell.number_format = value, number_format
    wb["Indicators"].cell(2, IND_COLS.index("Value") + 2).value = "KP letter 12"
    wb.save(path)


def test_a_percentage_typed_in_excels_percent_format_is_read_as_per_cent(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill_value(path, 0.87, "0%")  # what Excel stores when 87% is typed
    run(mon, "reporting", "submit", str(path), user="focal-kp")
    assert _values(mon) == [87.0]  # not 0.87


@pytest.mark.parametrize(
    ("value", "message"),
    [("1,45", "'1,45' is ambiguous"), ("nan", "'nan' is not a number"), ("-inf", "'-inf' is not a number")],
)
def test_a_workbook_refuses_ambiguous_and_non_finite_values(mon, tmp_path, value, message):
    path = _template(mon, tmp_path)
    _fill_value(path, value)
    out = run(mon, "reporting", "submit", str(path), user="focal-kp", code=2).output
    assert "column I (Value)" in out and message in out and _values(mon) == []


def test_the_template_is_not_overwritten_without_force_nor_written_through_a_link(mon, tmp_path):
    path = _template(mon, tmp_path)
    template = ["reporting", "template", "-f", "MON-T", "-c", "2024", "-e", "KP", "-o"]
    out = run(mon, *template, str(path), user="focal-kp", code=7).output
    assert "already exists" in out and "--force" in out
    run(mon, *template, str(path), "--force", user="focal-kp")
    link = tmp_path / "link.xlsx"
    link.symlink_to(tmp_path / "elsewhere.xlsx")
    out = run(mon, *template, str(link), user="focal-kp", code=7).output
    assert "symbolic link" in out and not (tmp_path / "elsewhere.xlsx").exists()


def test_a_formula_in_evidence_is_written_as_text_and_read_back_unchanged(mon, tmp_path):
    formula = '=HYPERLINK("http://evil.example","click")'
    args = ["reporting", "submit-value", "-f", "MON-T", "-c", "2024", "-i", I1, "--value", "55"]
    run(mon, *args, "--evidence", formula, user="focal-kp")
    run(mon, "reporting", "return", "1", "-m", "add the page", user="reviewer")
    path = _template(mon, tmp_path)  # a returned row comes back pre-filled with its evidence
    cell = load_workbook(path)["Indicators"].cell(2, IND_COLS.index("Value") + 2)
    assert (cell.data_type, cell.value) == ("s", "'" + formula)  # text, never a formula
    run(mon, "reporting", "submit", str(path), user="focal-kp")
    with mon.session(Principal.system()) as s:
        assert s.get(Submission, 1).evidence == formula  # our own mark is taken off on the way back
    run(mon, "reporting", "verify", "1", user="reviewer")
    out = run(
        mon, "score", "-f", "MON-T", "-c", "2024", "--drill", I1, "--format", "csv", user="analyst"
    ).output
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["code"] == I1 and row["value"] == "55.0"
    csv_file = tmp_path / "scores.csv"
    run(mon, "score", "-f", "MON-T", "-c", "2024", "--by", "entity", "-o", str(csv_file), user="analyst")
    assert csv_file.read_text(encoding="utf-8").startswith("level,code,")


def test_json_output_never_holds_nan_or_infinity(mon):
    _submit_value(mon, I1, "55", "focal-kp")
    run(mon, "reporting", "verify", "1", user="reviewer")
    out = run(mon, "score", "-f", "MON-T", "-c", "2024", "--format", "json", user="analyst").output
    assert "NaN" not in out and "Infinity" not in out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_a_table_cannot_be_written_to_a_file_and_a_format_is_detected(mon, tmp_path):
    out = run(mon, "score", "-f", "MON-T", "-o", str(tmp_path / "s.txt"), user="analyst", code=2).output
    assert "json or csv" in out
    run(mon, "score", "-f", "MON-T", "-c", "2024", "-o", str(tmp_path / "s.json"), user="analyst")
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["code"] == "MON-T"


def test_the_review_queue_lists_what_awaits_review_oldest_first(mon):
    _submit_value(mon, I2, "900", "focal-moi")
    _submit_value(mon, I1, "55", "focal-kp")
    out = run(mon, "reporting", "queue", user="reviewer", columns=80).output
    assert out.index(I2) < out.index(I1)  # MOI's came first
    for text in (
        "Ministry of Interior",
        "Fatalities (decrease)",
        "900 deaths per year",
        "focal-moi",
        "55 percent",
    ):
        assert all(word in out for word in text.split()), text  # wrapped in its cell, never cut
    assert "2 submissions await review" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    run(mon, "reporting", "verify", "1", user="reviewer")
    assert I2 not in run(mon, "reporting", "queue", user="reviewer").output


def test_the_queue_is_for_reviewers_and_focal_persons_see_only_their_own(mon):
    _submit_value(mon, I2, "900", "focal-moi")
    _submit_value(mon, I1, "55", "focal-kp")
    assert "does not review" in run(mon, "reporting", "queue", user="reader", code=3).output
    mine = run(mon, "reporting", "queue", user="focal-kp").output
    assert I1 in mine and I2 not in mine and "1 submission awaits review" in mine


def test_unknown_inputs_are_errors_not_tracebacks(mon):
    assert "neither YYYY" in run(mon, "score", "-f", "MON-T", "-c", "2024-Q9", user="analyst", code=2).output
    assert "unknown scorecard" in run(mon, "score", "-f", "MON-T", "--by", "x", user="analyst", code=2).output
    assert "already exists" in run(mon, "reporting", "cycles", "create", "-f", "MON-T", "2024",
                                   user="analyst", code=5).output  # fmt: skip
    assert "outside" in run(mon, "reporting", "cycles", "create", "-f", "MON-T", "2031",
                            user="analyst", code=2).output  # fmt: skip
    out = run(mon, "reporting", "due", "-e", "NOPE", user="analyst", code=4).output
    assert "NOPE" in out
    out = run(mon, "reporting", "template", "-f", "MON-T", "-c", "2030", "-e", "KP", "-o", "x.xlsx",
              user="focal-kp", code=4).output  # fmt: skip
    assert "no reporting cycle '2030'" in out and "nigran reporting" not in out
    assert (
        "is not a date" in run(mon, "reporting", "due", "--as-of", "tomorrow", user="analyst", code=2).output
    )


def test_reporting_output_fits_80_columns_with_names(mon):
    _submit_value(mon, I1, "55", "focal-kp")
    show = run(mon, "reporting", "show", "1", user="reviewer", columns=80).output
    assert "Literacy rate (increase)" in show and "Government of Khyber" in show
    assert "datetime" not in show and "None" not in show
    due = run(
        mon, "reporting", "due", "-f", "MON-T", "--as-of", "2025-06-30", user="analyst", columns=80
    ).output
    assert "day(s)" not in due and "…" not in due
    assert all(word in due for word in ("Reminder", "National", "Security", "MON-T.S1.O1.A1.M1", "121 days"))
    for out in (show, due, run(mon, "score", "-f", "MON-T", "-c", "2024", user="analyst", columns=80).output):
        assert all(len(line) <= 80 for line in out.splitlines()), out
