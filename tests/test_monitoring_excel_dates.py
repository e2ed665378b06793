"""A date cell of a reporting workbook that cannot be read is a problem naming its sheet, row and column.

openpyxl refuses a whole workbook for one cell stored as an ISO date that is no date, with a message that
names no cell ("day is out of range for month"), and warns about a date serial number beyond the
calendar; the person filling the form must be told which cell to fix instead.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.helpers import focal
from tests.monitoring_support import I1, count_submissions, setup_cycles
from tests.test_monitoring_excel import EVIDENCE, IND, _row, _template

from nigran.core.problems import InvalidInput
from nigran.monitoring.excel_submit import submit_workbook


def _filled(db, tmp_path: Path, start: object, *, iso_dates: bool = False, number_format: str = "") -> Path:  # type: ignore[no-untyped-def]
    setup_cycles(db, ("2024",))
    path = _template(db, tmp_path)
    wb = load_workbook(path)
    wb.iso_dates = iso_dates  # store dates as ISO text (t="d"), as some spreadsheet programs do
    ws = wb["Indicators"]
    row = _row(ws, I1)
    ws.cell(row, IND["Value"]).value = 5
    ws.cell(row, IND[EVIDENCE]).value = "ref"
    ws.cell(row, IND["Period start"]).value = start
    if number_format:
        ws.cell(row, IND["Period start"]).number_format = number_format
    wb.save(path)
    return path


def _replace_in_sheets(path: Path, old: bytes, new: bytes) -> None:
    source = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(old, new)
            zout.writestr(item, data)


def test_an_iso_date_cell_that_is_no_date_names_its_cell(db, tmp_path):
    path = _filled(db, tmp_path, datetime(2024, 1, 15), iso_dates=True)
    _replace_in_sheets(path, b"2024-01-15T00:00:00", b"2024-02-30T00:00:00")
    with pytest.raises(InvalidInput) as caught, db.session(focal(db, "KP")) as s:
        submit_workbook(s, path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: sheet 'Indicators', row 2, column G (Period start): "
        "'2024-02-30T00:00:00' is not a date (YYYY-MM-DD)"
    ]
    assert count_submissions(db) == 0


def test_a_date_serial_beyond_the_calendar_names_its_cell_without_a_warning(db, tmp_path):
    path = _filled(db, tmp_path, 1e300, number_format="yyyy-mm-dd")  # pytest turns a warning into an error
    with pytest.raises(InvalidInput) as caught, db.session(focal(db, "KP")) as s:
        submit_workbook(s, io.BytesIO(path.read_bytes()), "kp.xlsx")
    assert [str(p) for p in caught.value.problems] == [
        "kp.xlsx:2: sheet 'Indicators', row 2, column G (Period start): "
        "is not a date (an error, or a number beyond the calendar): type YYYY-MM-DD"
    ]


def test_a_good_iso_date_cell_is_read(db, tmp_path):
    path = _filled(db, tmp_path, datetime(2024, 1, 15), iso_dates=True)
    with db.session(focal(db, "KP")) as s:
        result = submit_workbook(s, path)
    assert result.submitted == 1 and count_submissions(db) == 1
