"""Reading a filled reporting workbook back: check every cell first, then record all rows or none."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.guard import principal_of
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring import service
from nigran.monitoring.excel import (
    FORMAT,
    IND_COLS,
    IND_FIELD,
    MS_COLS,
    MS_FIELD,
    Planned,
    SubmitResult,
    _latest_by_item,
)
from nigran.monitoring.models import ReportingCycle
from nigran.monitoring.validation import ItemRef, problems
from nigran.policy.models import Entity
from nigran.policy.service import entity_by_code


class _Sheet:
    """Problems about one sheet, each pointing at a row and a named column."""

    def __init__(self, file: str, name: str, cols: list[str], out: list[Problem]) -> None:
        self.file, self.name, self.cols, self.out = file, name, cols, out

    def problem(self, row: int, column: str, message: str) -> None:
        letter = get_column_letter(self.cols.index(column) + 1)
        self.out.append(
            Problem(row, f"sheet '{self.name}', row {row}, column {letter} ({column}): {message}", self.file)
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(sheet: _Sheet, row: int, column: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        sheet.problem(row, column, f"{value!r} is not a number")
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        sheet.problem(row, column, f"{value!r} is not a number (write the figure only, without its unit)")
        return None


def _day(sheet: _Sheet, row: int, column: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        sheet.problem(row, column, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def _meta(wb: Any, file: str) -> dict[str, str]:
    if "_nigran" not in wb.sheetnames:
        raise InvalidInput(
            [
                Problem(
                    0,
                    "not a Nigran reporting workbook (sheet '_nigran' is missing): "
                    "generate one with 'nigran reporting template'",
                    file,
                )
            ]
        )
    meta = {str(r[0]): str(r[1]) for r in wb["_nigran"].iter_rows(values_only=True) if r and r[0]}
    if meta.get("format") != FORMAT:
        raise InvalidInput(
            [Problem(0, f"unknown workbook format {meta.get('format')!r} (expected {FORMAT})", file)]
        )
    return meta


def _header(wb: Any, name: str, cols: list[str], file: str, out: list[Problem]) -> Any:
    if name not in wb.sheetnames:
        out.append(Problem(0, f"sheet '{name}' is missing", file))
        return None
    ws = wb[name]
    found = [c.value for c in ws[1]][: len(cols)]
    if found != cols:
        out.append(
            Problem(1, f"sheet '{name}', row 1: the columns were changed (expected {', '.join(cols)})", file)
        )
        return None
    return ws


def plan_workbook(session: Session, path: Path) -> tuple[ReportingCycle, int, list[Planned]]:
    """Check the whole workbook; raise ``InvalidInput`` listing every problem, or return what to record."""
    file = str(path)
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise InvalidInput([Problem(0, f"cannot read the workbook: {exc}", file)]) from None
    meta = _meta(wb, file)
    try:
        cycle = service.get_cycle(session, meta.get("framework", ""), meta.get("cycle", ""))
        entity = entity_by_code(session, meta.get("entity", ""))
    except NotFound as exc:
        raise InvalidInput([Problem(0, f"sheet '_nigran': {exc}", file)]) from None
    who = principal_of(session)
    out: list[Problem] = []
    if who.entity_id is not None and who.entity_id != entity.id:
        out.append(
            Problem(0, f"this workbook is {entity.code}'s; you may report only for your own entity", file)
        )
    latest = _latest_by_item(session, cycle, entity.id)
    plans: list[Planned] = []
    seen: dict[str, int] = {}
    for name, cols, fields in (("Indicators", IND_COLS, IND_FIELD), ("Milestones", MS_COLS, MS_FIELD)):
        ws = _header(wb, name, cols, file, out)
        if ws is None:
            continue
        sheet = _Sheet(file, name, cols, out)
        for row_no, cells in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            row = dict(zip(cols, list(cells) + [None] * len(cols), strict=False))
            code = _text(row["Code"])
            if code is None:
                continue
            if code in seen:
                sheet.problem(row_no, "Code", f"{code} appears twice (first in row {seen[code]})")
                continue
            seen[code] = row_no
            plan = _plan_row(session, sheet, row_no, row, cycle, entity.id, latest, fields)
            if plan is not None:
                plans.append(plan)
    if out:
        raise InvalidInput(out)
    return cycle, entity.id, plans


def _plan_row(
    session: Session,
    sheet: _Sheet,
    row_no: int,
    row: dict[str, Any],
    cycle: ReportingCycle,
    entity_id: int,
    latest: dict,
    fields: dict[str, str],
) -> Planned | None:
    code = str(row["Code"]).strip()
    before = len(sheet.out)
    if sheet.name == "Indicators":
        data = service.ValueInput(
            code,
            value=_number(sheet, row_no, "Value", row["Value"]),
            period_start=_day(sheet, row_no, "Period start", row["Period start"]),
            period_end=_day(sheet, row_no, "Period end", row["Period end"]),
            evidence=_text(row["Evidence (document reference or link)"]),
            note=_text(row["Note"]),
            unit=_text(row["Unit"]),
        )
        blank = row["Value"] in (None, "") and data.evidence is None and data.note is None
    else:
        status = _text(row["Status"])
        data = service.ValueInput(
            code,
            milestone_status=status.lower().replace(" ", "_") if status else None,
            evidence=_text(row["Evidence (document reference or link)"]),
            note=_text(row["Note"]),
        )
        blank = status is None and data.evidence is None and data.note is None
    if blank or len(sheet.out) > before:
        return None  # nothing reported in this row, or its cells are already wrong
    try:
        item = service.resolve_item(session, cycle.framework, code)
    except NotFound:
        sheet.problem(row_no, "Code", f"{code} is not an item of {cycle.framework.code} that you may see")
        return None
    if (sheet.name == "Indicators") != (item.indicator is not None):
        sheet.problem(
            row_no, "Code", f"{code} belongs on the {'Indicators' if item.indicator else 'Milestones'} sheet"
        )
        return None
    owns = entity_id in service.reporters(session, item)
    for found in problems(item, data, cycle, owns):
        sheet.problem(row_no, fields.get(found.field, "Code"), found.message)
    if len(sheet.out) > before:
        return None
    existing = latest.get(
        ("indicator", item.indicator.id) if item.indicator else ("milestone", item.milestone.id)
    )  # type: ignore[union-attr]
    return Planned(row_no, sheet.name, data, _action(sheet, row_no, existing, data, item), existing)


def _action(sheet: _Sheet, row_no: int, sub: Any, data: service.ValueInput, item: ItemRef) -> str:
    if sub is None or sub.state == "verified":
        return "submit"
    same = (
        sub.value == data.value
        and sub.milestone_status == data.milestone_status
        and sub.evidence == data.evidence
    )
    if sub.state == "returned":
        return "resubmit"
    if sub.state == "draft":
        return "submit_draft"
    if not same:
        sheet.problem(
            row_no,
            "Code",
            f"{item.code} was already submitted (submission {sub.id}, {sub.state}) "
            "and awaits review; it can be corrected after the reviewer returns it",
        )
    return "unchanged"


def submit_workbook(session: Session, path: Path) -> SubmitResult:
    """Record every row of a valid workbook in the caller's transaction; an invalid one writes nothing."""
    cycle, entity_id, plans = plan_workbook(session, path)
    code = session.scalar(select(Entity.code).where(Entity.id == entity_id))
    result = SubmitResult(0, 0, 0, [])
    for plan in plans:
        if plan.action == "unchanged":
            result.unchanged += 1
            continue
        if plan.action == "submit":
            sub = service.submit(session, cycle, code, plan.data)
            result.submitted += 1
        elif plan.action == "resubmit":
            sub = service.resubmit(session, plan.existing.id, plan.data)  # type: ignore[union-attr]
            result.resubmitted += 1
        else:
            service.transition(session, plan.existing.id, "edit", changes=plan.data)  # type: ignore[union-attr]
            sub = service.transition(session, plan.existing.id, "submit")  # type: ignore[union-attr]
            result.submitted += 1
        result.submission_ids.append(sub.id)
    return result
