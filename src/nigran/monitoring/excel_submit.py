"""Reading a filled reporting workbook back: check every cell first, then record all rows or none."""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.guard import principal_of
from nigran.core.cells import unguard
from nigran.core.errors import NotFound
from nigran.core.numbers import NumberError
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
from nigran.monitoring.validation import ItemRef, problems, read_value
from nigran.policy.models import Entity
from nigran.policy.service import entity_by_code


class _Sheet:
    """Problems about one sheet, each pointing at a row and a named column."""

    def __init__(self, file: str, name: str, cols: list[str], out: list[Problem]) -> None:
        self.file, self.name, self.cols, self.out = file, name, cols, out

    def problem(self, row: int, column: str, message: str) -> None:
        self.out.append(_at(self.file, self.name, row, self.cols.index(column) + 1, message, column))


def _at(file: str, sheet: str, row: int, col: int, message: str, header: str | None = None) -> Problem:
    """The one form of a cell's problem: sheet, row, column letter and, where known, the column's name."""
    named = f" ({header})" if header else ""
    return Problem(
        row, f"sheet '{sheet}', row {row}, column {get_column_letter(col)}{named}: {message}", file
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(unguard(value)).strip()
    return text or None


def _number(
    sheet: _Sheet, row: int, column: str, value: Any, unit: str | None, number_format: str
) -> float | None:
    """The cell's value in the indicator's unit, or a problem naming the cell (``validation.read_value``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return read_value(unguard(value), unit, percent_format="%" in (number_format or ""))
    except NumberError as exc:
        sheet.problem(row, column, f"{exc} (write the figure only, in the unit shown)")
        return None


def _day(sheet: _Sheet, row: int, column: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value == "#VALUE!":  # how openpyxl reads a date serial number beyond the calendar, or an error cell
        sheet.problem(
            row, column, "is not a date (an error, or a number beyond the calendar): type YYYY-MM-DD"
        )
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        sheet.problem(row, column, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def _open_workbook(data: bytes, file: str) -> Any:
    """The workbook, or every problem that stops it being read, naming the cell where one is to blame.

    openpyxl refuses a whole workbook for one cell stored as a date that is no date (``2024-02-30``), with
    a message that names no cell; such cells are found and named like every other bad cell. A date serial
    number beyond the calendar is read as ``#VALUE!`` (and reported by :func:`_day`), not warned about.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Cell \S+ is marked as a date", category=UserWarning)
            return load_workbook(io.BytesIO(data), data_only=True)
    except ValueError as exc:
        found = _bad_date_cells(data, file)
        reason = f"cannot read the workbook: {exc}"
        raise InvalidInput(found or [Problem(0, reason, file)]) from None
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise InvalidInput([Problem(0, f"cannot read the workbook: {exc}", file)]) from None


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SHEET_COLUMNS = {"Indicators": IND_COLS, "Milestones": MS_COLS}


def _bad_date_cells(data: bytes, file: str) -> list[Problem]:
    """A problem for each cell stored as a date (``t="d"``) whose text is no date, read from the sheets'
    XML; none if the workbook's parts cannot be found (the caller then reports the workbook as unreadable)."""
    from xml.etree.ElementTree import ParseError, fromstring

    out: list[Problem] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = fromstring(archive.read("xl/workbook.xml"))
            rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target") or "" for r in rels}
            for sheet in book.iter(f"{_MAIN}sheet"):
                target = targets.get(sheet.get(_REL_ID), "")
                with archive.open(target.lstrip("/") if target.startswith("/") else f"xl/{target}") as fh:
                    out += _bad_dates_in_sheet(fh, file, sheet.get("name") or "")
    except (KeyError, OSError, ValueError, ParseError, zipfile.BadZipFile):
        return []
    return out


def _bad_dates_in_sheet(xml: BinaryIO, file: str, name: str) -> list[Problem]:
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.utils.datetime import from_ISO8601

    out: list[Problem] = []
    cols = _SHEET_COLUMNS.get(name, [])
    for _, cell in iterparse(xml):
        if cell.tag != f"{_MAIN}c" or cell.get("t") != "d":
            continue
        text = cell.findtext(f"{_MAIN}v") or ""
        try:
            from_ISO8601(text)
        except ValueError:
            row, col = coordinate_to_tuple(cell.get("r") or "A1")
            header = cols[col - 1] if col <= len(cols) else None
            out.append(_at(file, name, row, col, f"{text!r} is not a date (YYYY-MM-DD)", header))
    return out


def _meta(wb: Any, file: str) -> dict[str, str]:
    if "_nigran" not in wb.sheetnames:
        raise InvalidInput(
            [
                Problem(
                    0,
                    "not a Nigran reporting workbook (sheet '_nigran' is missing): "
                    "fill in a reporting template generated by Nigran",
                    file,
                )
            ]
        )
    meta = {str(r[0]): str(r[1]) for r in wb["_nigran"].iter_rows(values_only=True) if r and r[0]}
    if meta.get("format") != FORMAT:
        raise InvalidInput(
            [
                Problem(
                    0,
                    f"workbook format {meta.get('format')!r} is not the current {FORMAT}: "
                    "fill in a newly generated reporting template",
                    file,
                )
            ]
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


def plan_workbook(
    session: Session, source: Path | BinaryIO, name: str | None = None
) -> tuple[ReportingCycle, int, list[Planned]]:
    """Check the whole workbook (a path, or the bytes of an upload as a stream named ``name``); raise
    ``InvalidInput`` listing every problem, or return what to record."""
    file = name or str(source)
    wb = _open_workbook(source.read_bytes() if isinstance(source, Path) else source.read(), file)
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
        value_col = cols.index("Value") if "Value" in cols else None
        for row_no, cells in enumerate(ws.iter_rows(min_row=2), start=2):
            values = [c.value for c in cells]
            row = dict(zip(cols, values + [None] * len(cols), strict=False))
            if value_col is not None and value_col < len(cells):
                row["_value_format"] = cells[value_col].number_format or ""
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
        try:
            unit = service.resolve_item(session, cycle.framework, code).unit
        except NotFound:
            unit = None  # reported below, once the row is known not to be blank
        data = service.ValueInput(
            code,
            value=_number(sheet, row_no, "Value", row["Value"], unit, row.get("_value_format", "")),
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


def submit_workbook(session: Session, source: Path | BinaryIO, name: str | None = None) -> SubmitResult:
    """Record every row of a valid workbook in the caller's transaction; an invalid one writes nothing."""
    cycle, entity_id, plans = plan_workbook(session, source, name)
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
