"""Spreadsheet plumbing shared by the framework workbook and the indicator sheets: columns, cells, rows.

Ministries keep indicators in Excel and CSV, so every cell is read defensively: a wrong type, a bad date
or an unknown column becomes a :class:`CellProblem` naming the file, sheet, row and column, and the
caller decides to write nothing. Writing guards text that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from nigran.access.classification import Classification
from nigran.core import cells
from nigran.core.numbers import PLAUSIBLE_LIMIT, NumberError, parse_number
from nigran.core.problems import Problem

TARGET_RE = re.compile(r"^(?:target_)?(\d{4})$")
INT_LIMIT = 2**31 - 1  # the database's INTEGER
#: columns where a value in Excel's percent format is read as the percentage it shows (0.87 shown as 87%)
PERCENT_COLUMNS = frozenset({"baseline_value", "band_min", "band_max"})


class PercentCell(float):
    """A number that Excel shows in percent format: stored 0.87, shown 87%."""

    def shown(self) -> float:
        return round(float(self) * 100, 9)


def is_percent_unit(unit: Any) -> bool:
    text = str(unit or "").strip().lower()
    return "%" in text or text.startswith("percent") or text.startswith("per cent")


@dataclass(frozen=True)
class CellProblem(Problem):
    """A problem in one cell, printed ``FILE[Sheet]:ROW:COLUMN: message``.

    Comparisons accept plain problems too, so mixed lists sort (by file, row, column, message).
    """

    column: str = ""

    def __str__(self) -> str:
        if not self.column:
            return super().__str__()
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def _key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.column, self.message)

    def __lt__(self, other: object) -> bool:
        return _key(self) < _key(other)

    def __gt__(self, other: object) -> bool:
        return _key(self) > _key(other)

    def __le__(self, other: object) -> bool:
        return _key(self) <= _key(other)

    def __ge__(self, other: object) -> bool:
        return _key(self) >= _key(other)


def _key(p: object) -> tuple[str, int, str, str]:
    if not isinstance(p, Problem):
        return NotImplemented  # type: ignore[return-value]
    return (p.file, p.line, getattr(p, "column", ""), p.message)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # code | str | number | int | date | bool | level | json | responsible
    help: str = ""
    required: bool = False


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_cell(kind: str, value: Any) -> Any:
    """Convert one cell to the document's type; ``None`` for an empty cell; raises :class:`CellError`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "str":
        return cells.unguard(_text(value))
    if kind == "code":
        return _text(value).strip()
    if kind in ("number", "int"):
        return _number(value, kind)
    if kind == "date":
        return _date(value)
    if kind == "bool":
        return _bool(value)
    if kind == "level":
        try:
            return Classification.parse(value).name
        except ValueError as exc:
            raise CellError(str(exc)) from None
    if kind == "json":
        try:
            out = json.loads(str(value))
        except json.JSONDecodeError as exc:
            raise CellError(f"not valid JSON: {exc.msg}") from None
        if not isinstance(out, dict):
            raise CellError("must be a JSON object {…}")
        return out
    if kind == "responsible":
        return parse_responsible(str(value))
    raise AssertionError(kind)


def _number(value: Any, kind: str) -> int | float:
    """A finite, plausible number (:mod:`nigran.core.numbers`): ``1,450`` is thousands, ``1,45`` refused."""
    if isinstance(value, PercentCell):
        raise CellError(
            f"is in Excel's percent format ({value.shown():g}%); type the plain number without the % format"
        )
    if isinstance(value, datetime | date):
        raise CellError(f"expected a number, got the date {value.isoformat()}")
    try:
        number = parse_number(value, limit=INT_LIMIT if kind == "int" else PLAUSIBLE_LIMIT)
    except NumberError as exc:
        raise CellError(str(exc)) from None
    if number.is_integer():
        return int(number)
    if kind == "int":
        raise CellError(f"expected a whole number, got {value!r}")
    return number


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellError(f"expected a date without a time, got {value.isoformat(sep=' ')}")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise CellError(f"invalid date {value.strip()!r}: {exc}") from None
    raise CellError(f"expected a date YYYY-MM-DD, got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise CellError(f"expected TRUE or FALSE, got {value!r}")


def parse_responsible(text: str) -> list[dict[str, str]]:
    """``"MOI:lead; NACTA:supporting"`` → ``[{entity: MOI, role: lead}, …]``; a missing role means lead."""
    out = []
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        entity, _, role = part.partition(":")
        if not entity.strip():
            raise CellError(f"expected ENTITY:role items separated by ';', got {part.strip()!r}")
        item = {"entity": entity.strip()}
        if role.strip():
            item["role"] = role.strip().lower()
        out.append(item)
    return out


def format_responsible(items: list[dict[str, Any]] | None) -> str | None:
    if not items:
        return None
    return "; ".join(f"{i['entity']}:{i.get('role') or 'lead'}" for i in items)


def target_year(header: str) -> int | None:
    match = TARGET_RE.match(header)
    return int(match.group(1)) if match else None


_QUOTED = re.compile(r"'([a-z_]+)'")
_HINTS = {
    "no unit": "unit",
    "band": "band_min",
    "baseline": "baseline_value",
    "entity": "responsible",
    "responsible": "responsible",
    "target": "code",
    "direction": "direction",
    "frequency": "frequency",
}


def column_for(message: str, header: list[str | None], col: int, default: str = "code") -> str:
    """The column a validator message is about: the line says it when it can, else the message's words."""
    if 0 < col <= len(header) and header[col - 1]:
        return str(header[col - 1])
    for name in _QUOTED.findall(message):
        if name in header:
            return name
    for hint, name in _HINTS.items():
        if hint in message and name in header:
            return name
    return default


# -- reading tables ---------------------------------------------------------------------------------
@dataclass
class Row:
    number: int
    values: dict[str, Any]  # parsed, only for columns present in the header; None for empty cells
    targets: dict[int, Any]  # year -> parsed value (None when the cell is empty)
    #: value columns that were in Excel's percent format and were read as the percentage shown
    percent: set[str] = field(default_factory=set)

    def check_percent_unit(self, unit: Any, problem: Callable[[int, str, str], None]) -> None:
        """A value shown as 87% was read as 87: right only if the indicator's unit is a percentage."""
        if self.percent and not is_percent_unit(unit):
            for column in sorted(self.percent):
                problem(
                    self.number,
                    column,
                    f"is in Excel's percent format but the unit is {unit!r}, not a percentage: "
                    "type the plain number without the % format",
                )


class Table:
    """One sheet (or CSV file) with a header row, read against a column specification."""

    def __init__(
        self,
        label: str,
        rows: list[tuple[Any, ...]],
        columns: list[Column],
        *,
        targets: bool = False,
        ignored: tuple[str, ...] = (),
    ) -> None:
        self.label = label
        self.raw = rows
        self.spec = {c.name: c for c in columns}
        self.problems: list[Problem] = []
        self.header: list[str | None] = []
        self.positions: dict[str, int] = {}  # column name -> 1-based index
        self.target_columns: dict[int, str] = {}  # year -> header name
        self._read_header(targets, ignored)

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(CellProblem(row, message, self.label, column))

    def _read_header(self, targets: bool, ignored: tuple[str, ...]) -> None:
        first = self.raw[0] if self.raw else ()
        for index, cell in enumerate(first, start=1):
            name = None if cell is None else str(cell).strip().lower()
            self.header.append(name)
            if not name:
                continue
            if name in self.positions or (targets and target_year(name) in self.target_columns):
                self.problem(1, name, "column appears twice")
            elif name in self.spec or name in ignored:
                self.positions[name] = index
            elif targets and target_year(name) is not None:
                self.target_columns[target_year(name)] = name  # type: ignore[index]
                self.positions[name] = index
            else:
                self.problem(1, name, f"unknown column (expected: {', '.join(self.spec)})")
        for column in self.spec.values():
            if column.required and column.name not in self.positions:
                self.problem(1, column.name, "required column is missing")

    def has(self, name: str) -> bool:
        return name in self.positions

    def rows(self) -> Iterator[Row]:
        for number, raw in enumerate(self.raw[1:], start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
                continue
            values: dict[str, Any] = {}
            targets: dict[int, Any] = {}
            percent: set[str] = set()
            for name, index in self.positions.items():
                cell = raw[index - 1] if index <= len(raw) else None
                year = target_year(name) if name not in self.spec else None
                kind = "number" if year is not None else self.spec[name].kind if name in self.spec else None
                if kind is None:
                    continue
                if isinstance(cell, PercentCell) and (year is not None or name in PERCENT_COLUMNS):
                    cell = cell.shown()
                    percent.add(name)
                try:
                    value = parse_cell(kind, cell)
                except CellError as exc:
                    self.problem(number, name, str(exc))
                    continue
                if year is not None:
                    targets[year] = value
                else:
                    values[name] = value
            yield Row(number, values, targets, percent)


def read_xlsx_sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """All sheets of a workbook's bytes as lists of row tuples (values only; formulas give their cached
    result)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {ws.title: [tuple(_cell_value(c) for c in r) for r in ws.iter_rows()] for ws in wb.worksheets}
    finally:
        wb.close()


def _cell_value(cell: Any) -> Any:
    """The cell's value; a number in percent format is marked, so that 87% is never silently 0.87."""
    value = getattr(cell, "value", None)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "%" in (getattr(cell, "number_format", None) or ""):
        return PercentCell(value)
    return value


def read_csv_rows(data: bytes) -> list[tuple[Any, ...]]:
    """The rows of a UTF-8 CSV file's bytes (a byte-order mark, as Excel writes, is dropped); raises
    ``UnicodeDecodeError`` or ``csv.Error`` for the caller to name the file."""
    text = data.decode("utf-8-sig")
    return [tuple(r) for r in csv.reader(io.StringIO(text, newline=""))]


def write_csv_stream(fh: Any, header: list[str], rows: list[list[Any]]) -> None:
    """Every cell through :func:`nigran.core.cells.csv_writer`, the one formula-injection rule."""
    writer = cells.csv_writer(fh)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _csv_value(v) for v in row])


def _csv_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def add_sheet(wb: Any, title: str, header: list[str], rows: list[list[Any]], widths: dict[str, int]) -> None:
    """A write-only sheet: bold frozen header, text kept as text (never a formula), dates as dates."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 14)
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(ws, name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        out = []
        for value in row:
            if isinstance(value, dict):
                value = json.dumps(value, ensure_ascii=False)
            if isinstance(value, str):  # xlsx cannot store control characters: mark where they were
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            if isinstance(value, str):
                cell = WriteOnlyCell(ws)
                cells.set_text_cell(cell, value)  # a string cell, never a formula; '=…' marked as CSV is
                out.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
