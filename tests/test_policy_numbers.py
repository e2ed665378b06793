"""Numbers and dates in framework files and indicator sheets are right, or a FILE:LINE problem (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from tests.helpers import ADMIN, validate_file

from nigran.access.principal import Principal
from nigran.core.problems import InvalidInput
from nigran.core.yamldoc import load_yaml
from nigran.policy import service
from nigran.policy.indicators_io import export_indicators, import_indicators
from nigran.policy.validate import validate_document

ENTITIES = {"MOI", "NSD"}


def framework_yaml(
    indicator: str = "", *, version: str = "1", weight: str = "1", due: str = "2024-06-30"
) -> str:
    """A one-indicator framework; ``indicator`` adds lines to the indicator (6-space indent)."""
    return f"""format: nigran-framework/1
framework:
  code: NUM-FW
  title: Numbers
  version: {version}
  period: {{start: 2022-01-01, end: 2026-12-31}}
  sections:
    - code: NUM.S1
      title: S
      weight: {weight}
      objectives:
        - code: NUM.O1
          title: O
          indicators:
            - code: NUM.I1
              name: I
              unit: percent
{indicator}          actions:
            - code: NUM.A1
              title: A
              due: {due}
"""


def problems_of(text: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in validate_document(load_yaml(text), "f.yaml", ENTITIES)]


def test_a_plain_framework_has_no_problems():
    assert problems_of(framework_yaml()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            framework_yaml("              baseline: {value: 1.0e+20}\n"),
            "18: indicator NUM.I1: baseline value 1e+20",
        ),
        (
            framework_yaml("              baseline: {value: 1}\n              targets: {2024: 1.0e+15}\n"),
            "19: indicator NUM.I1: target for 2024 1000000000000000.0 is not a finite number",
        ),
        (framework_yaml(version="99999999999999"), "5: framework: 'version' 99999999999999 is not a finite"),
        (framework_yaml(weight="-2"), "10: section NUM.S1: weight must be more than 0"),
        (framework_yaml(weight="0"), "10: section NUM.S1: weight must be more than 0"),
    ],
)
def test_implausible_numbers_are_problems_with_their_line(text, expected):
    got = problems_of(text)
    assert any(p.startswith(expected) for p in got), got


def test_non_finite_numbers_and_impossible_dates_are_line_problems_through_validate(tmp_path):
    """YAML ``.inf``, JSON ``1e999`` and ``2025-02-30`` stop at the reader with the line, not a crash."""
    cases = {
        "inf.yaml": (framework_yaml("              baseline: {value: .inf}\n"), 18),
        "date.yaml": (framework_yaml(due="2025-02-30"), 21),
        "huge.json": ('{"framework": {"code": "X",\n "version": 1.0e+999}}', 2),
    }
    for name, (text, line) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        _, problems = validate_file(path, None)
        assert [p.line for p in problems] == [line], (name, problems)
        assert str(problems[0]).startswith(f"{path}:{line}: "), problems


def test_a_json_date_that_does_not_exist_says_why(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(
        '{"framework": {"code": "J", "title": "J",\n'
        ' "period": {"start": "2022-01-01", "end": "2026-12-31"},\n'
        ' "sections": [{"code": "J.S", "title": "S", "objectives": [{"code": "J.O", "title": "O",\n'
        ' "actions": [{"code": "J.A", "title": "A",\n "due": "2025-02-30"}]}]}]}}'
    )
    _, problems = validate_file(path, None)
    assert [p.line for p in problems] == [5]
    assert "'due' must be a date YYYY-MM-DD (day is out of range for month)" in problems[0].message


# -- indicator sheets ------------------------------------------------------------------------------------
@pytest.fixture
def num_db(db):  # type: ignore[no-untyped-def]
    text = framework_yaml(
        "              baseline: {value: 10, date: 2021-12-31}\n              targets: {2024: 20}\n"
    )
    with db.session(Principal.system()) as s:
        service.load_document(s, load_yaml(text), "num.yaml")
    return db


def _export_csv(db, tmp_path: Path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    import csv
    import io

    with db.session(ADMIN) as s:
        data = export_indicators(s, "NUM-FW", "csv").data
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _import(db, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    with db.session(ADMIN) as s:
        return import_indicators(s, path.read_bytes(), str(path), "NUM-FW", **kwargs)


def test_a_decimal_comma_is_refused_not_read_as_hundreds(num_db, tmp_path):
    rows = _export_csv(num_db, tmp_path)
    header = rows[0]
    for text, message in (
        ("1,45", "'1,45' is ambiguous"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("1e400", "is not a finite number"),
        ("5e13", "beyond any plausible value"),
    ):
        row = list(rows[1])
        row[header.index("target_2024")] = text
        path = tmp_path / "edited.csv"
        path.write_text("\n".join(",".join(f'"{c}"' for c in r) for r in (header, row)), encoding="utf-8")
        with pytest.raises(InvalidInput) as caught:
            _import(num_db, path)
        assert f"{path}:2:target_2024: " in str(caught.value) and message in str(caught.value), str(
            caught.value
        )
    row = list(rows[1])
    row[header.index("target_2024")] = "1,450"  # thousands are fine
    path.write_text("\n".join(",".join(f'"{c}"' for c in r) for r in (header, row)), encoding="utf-8")
    assert _import(num_db, path).updated == ["NUM.I1"]
    with num_db.session(ADMIN) as s:
        assert service.export_document(s, "NUM-FW")["framework"]["sections"][0]["objectives"][0][
            "indicators"
        ][0]["targets"] == {2024: 1450}


def _xlsx_with_percent(tmp_path: Path, rows: list[list[str]], unit: str | None, column: str) -> Path:
    header = rows[0]
    wb = Workbook()
    ws = wb.active
    ws.title = "Indicators"
    ws.append(header)
    values: list[object] = list(rows[1])
    if unit is not None:
        values[header.index("unit")] = unit
    values[header.index(column)] = 0.87
    ws.append(values)
    ws.cell(2, header.index(column) + 1).number_format = "0%"
    path = tmp_path / "percent.xlsx"
    wb.save(path)
    return path


def test_a_percentage_in_excel_percent_format_is_read_as_shown(num_db, tmp_path):
    """Stored 0.87, shown 87%: with a percentage unit the value is 87, never silently 0.87."""
    rows = _export_csv(num_db, tmp_path)
    _import(num_db, _xlsx_with_percent(tmp_path, rows, None, "target_2024"))
    with num_db.session(ADMIN) as s:
        doc = service.export_document(s, "NUM-FW")["framework"]
    assert doc["sections"][0]["objectives"][0]["indicators"][0]["targets"] == {2024: 87}


def test_percent_format_with_a_unit_that_is_not_a_percentage_is_refused(num_db, tmp_path):
    rows = _export_csv(num_db, tmp_path)
    path = _xlsx_with_percent(tmp_path, rows, "deaths", "baseline_value")
    with pytest.raises(InvalidInput) as caught:
        _import(num_db, path)
    assert (
        f"{path}[Indicators]:2:baseline_value: is in Excel's percent format but the unit is 'deaths'"
        in str(caught.value)
    )
    path = _xlsx_with_percent(tmp_path, rows, None, "weight")  # a weight is no percentage
    with pytest.raises(InvalidInput) as caught:
        _import(num_db, path)
    assert f"{path}[Indicators]:2:weight: is in Excel's percent format (87%)" in str(caught.value)


def test_an_impossible_date_in_a_sheet_names_its_cell(num_db, tmp_path):
    rows = _export_csv(num_db, tmp_path)
    header, row = rows[0], list(rows[1])
    row[header.index("baseline_date")] = "2025-02-30"
    path = tmp_path / "date.csv"
    path.write_text("\n".join(",".join(f'"{c}"' for c in r) for r in (header, row)), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        _import(num_db, path)
    assert str(caught.value).startswith(f"{path}:2:baseline_date: invalid date '2025-02-30'")
