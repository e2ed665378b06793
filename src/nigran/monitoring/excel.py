"""Reporting workbooks: one per entity and cycle, pre-filled with what the entity owes, and read back.

Ministries and provinces work in Excel, so the workbook is the main way in. Key columns are locked (sheet
protection without a password: it prevents slips, the server re-checks everything), drop-downs and number
validation catch most typos while typing, and on upload every cell is checked again. A workbook with any
problem writes nothing; each problem names its sheet, row and column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.cells import set_text_cell
from nigran.core.errors import NotFound
from nigran.monitoring import service
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.monitoring.periods import coverage
from nigran.monitoring.validation import MILESTONE_STATUSES, allowed_range
from nigran.policy.service import entity_by_code

#: /2: the "Value covers" column (what period, and whether a total, a level or an average, a value covers)
FORMAT = "nigran-reporting/2"
IND_COLS = [
    "Code",
    "Indicator",
    "Unit",
    "Baseline",
    "Target for the year",
    "Value covers",
    "Period start",
    "Period end",
    "Value",
    "Evidence (document reference or link)",
    "Note",
    "Current state / reviewer comment",
]
MS_COLS = [
    "Code",
    "Milestone",
    "Action",
    "Due",
    "Status",
    "Evidence (document reference or link)",
    "Note",
    "Current state / reviewer comment",
]
IND_EDIT = {"Period start", "Period end", "Value", "Evidence (document reference or link)", "Note"}
MS_EDIT = {"Status", "Evidence (document reference or link)", "Note"}
#: Which column a validation problem about a field points at.
IND_FIELD = {
    "entity": "Code",
    "value": "Value",
    "unit": "Unit",
    "period": "Period end",
    "evidence": "Evidence (document reference or link)",
    "status": "Value",
}
MS_FIELD = {
    "entity": "Code",
    "status": "Status",
    "value": "Status",
    "period": "Code",
    "evidence": "Evidence (document reference or link)",
}
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
HEAD = Font(bold=True)


def _latest_by_item(
    session: Session, cycle: ReportingCycle, entity_id: int
) -> dict[tuple[str, int], Submission]:
    out: dict[tuple[str, int], Submission] = {}
    for sub in session.scalars(
        select(Submission)
        .where(Submission.cycle_id == cycle.id, Submission.entity_id == entity_id)
        .order_by(Submission.id)
    ):
        key = ("indicator", sub.indicator_id) if sub.indicator_id else ("milestone", sub.milestone_id)
        out[key] = sub  # type: ignore[index]
    return out


def _state_text(sub: Submission | None) -> str:
    if sub is None:
        return "not reported"
    text = f"{sub.state} (submission {sub.id})"
    return f"{text}: {sub.return_comment}" if sub.state == "returned" and sub.return_comment else text


def _append(ws: Any, values: list[Any]) -> None:
    """A row with every text cell neutralised and typed as text (``core.cells``): a title or an evidence
    reference that starts with ``=`` stays text in Excel, never a formula."""
    row = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    for col, value in enumerate(values, start=1):
        set_text_cell(ws.cell(row=row, column=col), value)


def build_template(session: Session, framework_code: str, cycle_code: str, entity_code: str) -> Workbook:
    """The entity's workbook for the cycle, with every obligation as a row, each saying what period (and
    whether a total, a level or an average) its value covers."""
    cycle = service.get_cycle(session, framework_code, cycle_code)
    entity = entity_by_code(session, entity_code)
    who = principal_of(session)
    if who.entity_id is not None and who.entity_id != entity.id:
        raise AccessDenied(f"{who.username} reports for another entity, not for {entity.code}")
    obligations = list(
        session.scalars(
            select(Obligation)
            .where(Obligation.cycle_id == cycle.id, Obligation.entity_id == entity.id)
            .order_by(Obligation.id)
        )
    )
    if not obligations:
        raise NotFound(f"{entity.code} owes nothing you may see in {framework_code} {cycle.code}")
    latest = _latest_by_item(session, cycle, entity.id)
    level = max(Classification.parse(o.classification) for o in obligations)
    wb = Workbook()
    _instructions(wb.active, framework_code, cycle, entity.code, entity.name, level)
    ind = wb.create_sheet("Indicators")
    ms = wb.create_sheet("Milestones")
    for ws, cols in ((ind, IND_COLS), (ms, MS_COLS)):
        ws.append(cols)
        for cell in ws[1]:
            cell.font = HEAD
        ws.freeze_panes = "C2"
    for ob in obligations:
        if ob.indicator is not None:
            i, sub = ob.indicator, latest.get(("indicator", ob.indicator_id))  # type: ignore[arg-type]
            target = next((t for t in i.targets if t.year == cycle.period_end.year), None)
            _append(
                ind,
                [
                    i.code,
                    i.name,
                    i.unit or "",
                    i.baseline_value,
                    target.value if target else None,
                    coverage(i.aggregation_rule, cycle.code, cycle.period_start, cycle.period_end),
                    cycle.period_start,
                    cycle.period_end,
                    sub.value if sub is not None and sub.state in ("returned", "draft") else None,
                    sub.evidence if sub is not None and sub.state in ("returned", "draft") else None,
                    None,
                    _state_text(sub),
                ],
            )
        elif ob.milestone is not None:
            m, sub = ob.milestone, latest.get(("milestone", ob.milestone_id))  # type: ignore[arg-type]
            _append(ms, [m.code, m.title, m.action.title, m.due_date, None, None, None, _state_text(sub)])
    _protect(ind, IND_COLS, IND_EDIT, [60, 50, 22, 12, 12, 40, 13, 13, 14, 45, 40, 40])
    _protect(ms, MS_COLS, MS_EDIT, [60, 50, 40, 12, 16, 45, 40, 40])
    _validations(ind, ms, obligations)
    meta = wb.create_sheet("_nigran")
    for row in (
        ("format", FORMAT),
        ("framework", framework_code),
        ("cycle", cycle.code),
        ("entity", entity.code),
        ("generated", datetime.now().isoformat(timespec="seconds")),
    ):
        meta.append(row)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    return wb


def _instructions(
    ws: Any, fw: str, cycle: ReportingCycle, code: str, name: str, level: Classification
) -> None:
    ws.title = "Instructions"
    lines = [
        (f"{level.name}" if level > Classification.PUBLIC else "PUBLIC", ""),
        (f"Nigran reporting workbook — {fw}, cycle {cycle.code}", ""),
        ("Entity", f"{code} — {name}"),
        ("Period", f"{cycle.period_start} to {cycle.period_end}"),
        ("Deadline", str(cycle.deadline)),
        ("", ""),
        ("How to fill", "Grey columns are fixed; fill the white ones. One row per item you owe."),
        (
            "Indicators",
            "Value: a number in the unit shown (no unit text in the cell; a percentage as 87, not 0.87 "
            "or 87%). 'Value covers' says what each value must be: the total over the period (deaths, "
            "incidents), the level on its last day (personnel in post), or the average over the period "
            "(percentages, rates). 'Target for the year' is the whole year's target, not the period's. "
            "The period defaults to the cycle; narrow it if your figure covers less.",
        ),
        ("Milestones", f"Status: one of {', '.join(MILESTONE_STATUSES)}."),
        (
            "Evidence",
            "Required for every value or status: a document reference (letter no., report title) or a link.",
        ),
        ("Leave blank", "Rows you cannot report yet: leave Value/Status empty; they stay due."),
        (
            "Upload",
            "Send the filled workbook back to Nigran: every cell is checked; if anything is wrong, "
            "nothing is recorded and each problem names its sheet, row and column.",
        ),
    ]
    for a, b in lines:
        _append(ws, [a, b])
    ws["A1"].font = Font(bold=True, color="C00000")
    ws["A2"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 110
    for row in ws.iter_rows(min_row=3):
        row[1].alignment = Alignment(wrap_text=True)


def _protect(ws: Any, cols: list[str], editable: set[str], widths: list[int]) -> None:
    for idx, (name, width) in enumerate(zip(cols, widths, strict=True), start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
        for row in range(2, max(ws.max_row, 2) + 1):
            cell = ws.cell(row=row, column=idx)
            if name in editable:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = LOCKED_FILL
            if name in ("Period start", "Period end", "Due"):
                cell.number_format = "yyyy-mm-dd"
            if name == "Value":
                cell.number_format = "General"  # a percent format would store 87% as 0.87
    ws.protection.sheet = True
    ws.protection.formatColumns = False


def _validations(ind: Any, ms: Any, obligations: list[Obligation]) -> None:
    col = get_column_letter(IND_COLS.index("Value") + 1)
    for row, ob in enumerate([o for o in obligations if o.indicator is not None], start=2):
        low, high = allowed_range(ob.indicator)  # type: ignore[arg-type]
        dv = DataValidation(
            type="decimal",
            operator="between",
            allow_blank=True,
            showErrorMessage=True,
            formula1=str(low if math.isfinite(low) else -1e15),
            formula2=str(high if math.isfinite(high) else 1e15),
            errorTitle="Value out of range",
            error=f"A number in {ob.indicator.unit}",
        )  # type: ignore[union-attr]
        ind.add_data_validation(dv)
        dv.add(f"{col}{row}")
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(MILESTONE_STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown status",
    )
    ms.add_data_validation(status)
    status.add(
        f"{get_column_letter(MS_COLS.index('Status') + 1)}2:{get_column_letter(MS_COLS.index('Status') + 1)}"
        f"{max(ms.max_row, 2)}"
    )


@dataclass
class Planned:
    """A validated workbook row and what it will do: a new submission, a resubmission, or nothing."""

    row: int
    sheet: str
    data: service.ValueInput
    action: str  # submit | resubmit | submit_draft | unchanged
    existing: Submission | None


@dataclass
class SubmitResult:
    submitted: int
    resubmitted: int
    unchanged: int
    submission_ids: list[int]
