"""Reporting workbooks: the template, a round trip, and errors that name sheet, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.helpers import PUBLIC, REVIEWER, focal
from tests.monitoring_support import FW, I1, M1, M2, SYSTEM, count_submissions, setup_cycles

from nigran.access.errors import AccessDenied
from nigran.core.problems import InvalidInput
from nigran.monitoring import service
from nigran.monitoring.excel import IND_COLS, MS_COLS, build_template
from nigran.monitoring.excel_submit import submit_workbook
from nigran.monitoring.models import Submission

IND = {name: i + 1 for i, name in enumerate(IND_COLS)}
MS = {name: i + 1 for i, name in enumerate(MS_COLS)}
EVIDENCE = "Evidence (document reference or link)"


@pytest.fixture
def mon(db):  # type: ignore[no-untyped-def]
    setup_cycles(db, ("2024",))
    return db


def _template(db, tmp_path: Path, entity: str = "KP") -> Path:  # type: ignore[no-untyped-def]
    with db.session(focal(db, entity)) as s:
        wb = build_template(s, FW, "2024", entity)
    path = tmp_path / f"{entity}.xlsx"
    wb.save(path)
    return path


def _row(ws, code: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == code)


def _fill(
    path: Path, indicators: dict[str, dict[str, object]], milestones: dict[str, dict[str, object]]
) -> None:
    wb = load_workbook(path)
    for sheet, rows, cols in (("Indicators", indicators, IND), ("Milestones", milestones, MS)):
        ws = wb[sheet]
        for code, cells in rows.items():
            row = _row(ws, code)
            for name, value in cells.items():
                ws.cell(row, cols[name]).value = value
    wb.save(path)


def test_template_lists_the_entitys_obligations_with_locked_keys_units_and_drop_downs(mon, tmp_path):
    wb = load_workbook(_template(mon, tmp_path))
    assert wb.sheetnames == ["Instructions", "Indicators", "Milestones", "_nigran"]
    assert wb["_nigran"].sheet_state == "hidden"
    ind, ms = wb["Indicators"], wb["Milestones"]
    assert [c.value for c in ind[1]] == IND_COLS
    assert [r[0] for r in ind.iter_rows(min_row=2, values_only=True)] == [I1]  # KP leads only I1
    assert [r[0] for r in ms.iter_rows(min_row=2, values_only=True)] == [M1, M2]
    row = _row(ind, I1)
    assert (
        ind.cell(row, IND["Unit"]).value == "percent"
        and ind.cell(row, IND["Target for the year"]).value == 60
    )
    assert ind.protection.sheet and ms.protection.sheet
    assert ind.cell(row, IND["Code"]).protection.locked and not ind.cell(row, IND["Value"]).protection.locked
    lists = [dv.formula1 for dv in ms.data_validations.dataValidation if dv.type == "list"]
    assert lists and "completed" in lists[0]
    ranges = [
        (dv.formula1, dv.formula2) for dv in ind.data_validations.dataValidation if dv.type == "decimal"
    ]
    assert ranges == [("0.0", "100.0")]
    text = " ".join(str(c) for row in wb["Instructions"].iter_rows(values_only=True) for c in row if c)
    assert "Evidence" in text and "Value covers" in text and "Send the filled workbook back" in text
    assert "nigran " not in text  # the workbook is served by the web as well: no command to type


def test_round_trip_records_every_filled_row(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill(
        path,
        {I1: {"Value": 55.5, EVIDENCE: "KP Education Dept letter 12/2025", "Note": "provisional"}},
        {M1: {"Status": "completed", EVIDENCE: "notification 7"}},
    )  # M2 left blank: still due
    with mon.session(focal(mon, "KP")) as s:
        result = submit_workbook(s, path)
    assert (result.submitted, result.resubmitted) == (2, 0)
    with mon.session(SYSTEM) as s:
        subs = {(sub.indicator or sub.milestone).code: sub for sub in s.query(Submission)}
        assert subs[I1].value == 55.5 and subs[I1].note == "provisional" and subs[I1].state == "submitted"
        assert subs[M1].milestone_status == "completed" and set(subs) == {I1, M1}
    with mon.session(focal(mon, "KP")) as s:  # the same workbook again changes nothing
        assert submit_workbook(s, path).unchanged == 2
    assert count_submissions(mon) == 2


def test_a_returned_value_comes_back_pre_filled_and_is_resubmitted(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill(path, {I1: {"Value": 55, EVIDENCE: "ref"}}, {})
    with mon.session(focal(mon, "KP")) as s:
        sub_id = submit_workbook(s, path).submission_ids[0]
    with mon.session(REVIEWER) as s:
        service.return_submission(s, sub_id, "use the census figure")
    path = _template(mon, tmp_path)
    ws = load_workbook(path)["Indicators"]
    row = _row(ws, I1)
    assert ws.cell(row, IND["Value"]).value == 55
    assert "returned" in ws.cell(row, IND["Current state / reviewer comment"]).value
    assert "use the census figure" in ws.cell(row, IND["Current state / reviewer comment"]).value
    _fill(path, {I1: {"Value": 57, EVIDENCE: "census 2023 table 4"}}, {})
    with mon.session(focal(mon, "KP")) as s:
        assert submit_workbook(s, path).resubmitted == 1
    with mon.session(SYSTEM) as s:
        sub = s.get(Submission, sub_id)
        assert (sub.state, sub.value, [e.value for e in sub.events]) == ("resubmitted", 57, [55, 55, 57])


def test_every_bad_cell_is_named_and_nothing_is_written(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill(
        path,
        {I1: {"Value": "fifty", EVIDENCE: None, "Unit": "per mille"}},
        {M1: {"Status": "done", EVIDENCE: "x"}, M2: {"Status": "in_progress"}},
    )
    wb = load_workbook(path)  # a row for an item KP does not own, and a date outside the cycle
    ws = wb["Indicators"]
    ws.append(
        ["MON-T.S1.O1.I2", "", "deaths per year", None, None, "", "2024-01-01", "2025-03-31", 900, "ref"]
    )
    wb.save(path)
    with pytest.raises(InvalidInput) as caught, mon.session(focal(mon, "KP")) as s:
        submit_workbook(s, path)
    text = str(caught.value)
    expected = [
        "sheet 'Indicators', row 2, column I (Value): 'fifty' is not a number",
        "sheet 'Indicators', row 3, column A (Code): your entity is not responsible for MON-T.S1.O1.I2",
        "sheet 'Indicators', row 3, column H (Period end): the period 2024-01-01..2025-03-31 is outside",
        "sheet 'Milestones', row 2, column E (Status): unknown status 'done'",
        "sheet 'Milestones', row 3, column F (Evidence (document reference or link)): evidence is required",
    ]
    for message in expected:
        assert message in text, text
    assert text.startswith(str(path))
    assert count_submissions(mon) == 0


def test_unit_range_and_missing_evidence_are_checked_per_cell(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill(path, {I1: {"Value": 140, "Unit": "per mille"}}, {})
    with pytest.raises(InvalidInput) as caught, mon.session(focal(mon, "KP")) as s:
        submit_workbook(s, path)
    text = str(caught.value)
    assert "row 2, column I (Value): 140 is out of range for percent: must be [0, 100]" in text
    assert "row 2, column C (Unit): unit 'per mille' is not the indicator's unit 'percent'" in text
    assert "row 2, column J (Evidence (document reference or link)): evidence is required" in text
    assert count_submissions(mon) == 0


def test_a_workbook_is_only_for_its_own_entity(mon, tmp_path):
    path = _template(mon, tmp_path)
    _fill(path, {I1: {"Value": 55, EVIDENCE: "ref"}}, {})
    with pytest.raises(InvalidInput, match="this workbook is KP's"), mon.session(focal(mon, "MOI")) as s:
        submit_workbook(s, path)
    with pytest.raises(AccessDenied), mon.session(focal(mon, "MOI")) as s:
        build_template(s, FW, "2024", "KP")
    assert count_submissions(mon) == 0


def test_a_foreign_workbook_is_refused(mon, tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with (
        pytest.raises(InvalidInput, match="not a Nigran reporting workbook"),
        mon.session(focal(mon, "KP")) as s,
    ):
        submit_workbook(s, path)


def test_public_template_holds_no_restricted_obligation(mon, tmp_path):
    with mon.session(PUBLIC) as s:
        wb = build_template(s, FW, "2024", "MOI")
    codes = [r[0] for r in wb["Indicators"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["MON-T.S1.O1.I2"]  # MOI's RESTRICTED indicator is not there
    with mon.session(SYSTEM) as s:
        wb = build_template(s, FW, "2024", "MOI")
    assert "MON-T.S2.O1.I1" in [r[0] for r in wb["Indicators"].iter_rows(min_row=2, values_only=True)]
    assert wb["Instructions"]["A1"].value == "RESTRICTED"
