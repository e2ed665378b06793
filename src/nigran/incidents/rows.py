"""Rows of an import file and their values: reading CSV/Excel, converting values, naming what is wrong.

Shared by every format in :mod:`nigran.incidents.readers`; a problem names the column, the value and why.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nigran.access.classification import Classification


class RowError(Exception):
    def __init__(self, column: str, value: object, why: str) -> None:
        super().__init__(why)
        self.column, self.value, self.why = column, value, why

    def __reduce__(self) -> tuple[type[RowError], tuple[str, object, str]]:
        # rejected rows travel from the import's planning process with their errors
        return (RowError, (self.column, self.value, self.why))


@dataclass
class Parsed:
    line: int
    source_id: str
    fields: dict[str, Any]
    source: dict[str, Any]
    raw: dict[str, str]
    classification: Classification | None = None
    errors: list[RowError] = field(default_factory=list)
    skip: str | None = None  # why the row is out of scope (not an error)


# ---- reading files ---------------------------------------------------------------------------------------


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs from CSV or Excel; HXL hashtag rows (``#date+year``…) are recognised and skipped."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _iter_excel(path)
        return
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not "".join(values).strip():
                continue
            first = values[0]  # checked first: a data row's first cell rules out the hashtag line
            if (not first or first[0] == "#") and all(not v or v.startswith("#") for v in values):
                continue  # the HXL hashtag line of HDX distributions
            yield line, dict(zip(header, values, strict=False))


def _iter_excel(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for i, values in enumerate(rows, start=2):
            cells = ["" if v is None else (v.isoformat() if isinstance(v, date) else str(v)) for v in values]
            if any(c.strip() for c in cells) and not all(not c or c.startswith("#") for c in cells):
                yield i, dict(zip(header, cells, strict=False))
    finally:
        wb.close()


def count_lines(path: Path) -> int:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return 0
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# ---- value parsing ---------------------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d %b %Y")


def to_date(value: str, column: str) -> date:
    text = value.strip()[:19]
    if text[4:5] == "-" and text[7:8] == "-":
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(column, value, "not a date (expected YYYY-MM-DD or '15 August 2021')")


def to_int(value: str | None, column: str, *, missing: tuple[str, ...] = ("",)) -> int | None:
    text = (value or "").strip()
    if text.isdigit():
        return int(text)
    if text in missing:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowError(column, value, "not a number") from None
    if number < 0 or number != int(number):
        raise RowError(column, value, "must be a whole number ≥ 0")
    return int(number)


def to_float(value: str | None, column: str, low: float, high: float) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowError(column, value, "not a number") from None
    if not low <= number <= high:
        raise RowError(column, value, f"out of range [{low}, {high}]")
    return number


def coordinates(row: Parsed, lat: str | None, lon: str | None, lat_col: str, lon_col: str) -> None:
    """Latitude and longitude into the row's fields; a bad value becomes a row error naming its column."""
    row.fields["lat"] = guarded(row, lat_col, lambda: to_float(lat, lat_col, -90, 90))
    row.fields["lon"] = guarded(row, lon_col, lambda: to_float(lon, lon_col, -180, 180))


def guarded(row: Parsed, column: str, func: Callable[[], Any]) -> Any:
    try:
        return func()
    except RowError as exc:
        row.errors.append(exc)
        return None


def clip(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] if text else None


def finish(fields: dict[str, Any]) -> dict[str, Any]:
    """Derive totals only from what is known: victims = civilians + security; killed ≥ victims + militants."""
    civ, sec = fields.get("civilians_killed"), fields.get("security_killed")
    if fields.get("victims_killed") is None and (civ is not None or sec is not None):
        fields["victims_killed"] = (civ or 0) + (sec or 0)
    vic, mil = fields.get("victims_killed"), fields.get("militants_killed")
    if fields.get("killed") is None and (vic is not None or mil is not None):
        fields["killed"] = (vic or 0) + (mil or 0)
    day = fields.get("date")
    if isinstance(day, date):
        fields["year"], fields["month"] = day.year, day.month
    return fields
