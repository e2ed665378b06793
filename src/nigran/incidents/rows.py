"""Rows of an import file and their values: reading CSV/Excel, converting values, naming what is wrong.

Shared by every format in :mod:`nigran.incidents.readers`; a problem names the column, the value and why.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from nigran.access.classification import Classification
from nigran.core.numbers import NumberError, parse_number


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

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
#: Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FileError(Exception):
    """The file as a whole cannot be read (its encoding, a damaged workbook, a runaway field): the import
    stops at once with this one problem, whatever ``skip_invalid`` says, since no row after it is trusted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message

    def __reduce__(self) -> tuple[type[FileError], tuple[int, str]]:
        # raised in the forked planning process, it travels back to the importer
        return (FileError, (self.line, self.message))


def is_excel(stream: BinaryIO, name: str) -> bool:
    """A workbook by its name or by its first bytes (an xlsx file is a zip archive)."""
    if Path(name).suffix.lower() in EXCEL_SUFFIXES:
        return True
    head = stream.read(4)
    stream.seek(0)
    return head == _ZIP_MAGIC


def detect_encoding(stream: BinaryIO, encoding: str | None = None) -> str:
    """The text encoding: a byte-order mark decides, else the one named, else UTF-8 (checked line by line)."""
    head = stream.read(4)
    stream.seek(0)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if not encoding:
        return "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise FileError(1, f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, cp1252, utf-16)") from None


def iter_rows(
    stream: BinaryIO,
    name: str,
    encoding: str | None = None,
    check_header: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs from CSV or Excel; HXL hashtag rows (``#date+year``…) are recognised and skipped.

    ``stream`` is binary and seekable; ``name`` is what problems call the file and says if it is a workbook.
    A file that cannot be read as a whole raises :class:`FileError` with the line where reading stopped;
    ``check_header`` sees the header first and may raise it too."""
    if is_excel(stream, name):
        yield from _iter_excel(stream, check_header)
        return
    lines = _text_lines(stream, detect_encoding(stream, encoding))
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        if not header or not "".join(header).strip():
            raise FileError(1, "empty file: no header row")
        header = [h.strip() for h in header]
        if check_header:
            check_header(header)
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not "".join(values).strip():
                continue
            first = values[0]  # checked first: a data row's first cell rules out the hashtag line
            if (not first or first[0] == "#") and all(not v or v.startswith("#") for v in values):
                continue  # the HXL hashtag line of HDX distributions
            yield line, dict(zip(header, values, strict=False))
    except csv.Error as exc:
        raise FileError(max(reader.line_num, 1), _csv_trouble(exc)) from None


def _csv_trouble(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"a field longer than {csv.field_size_limit():,} characters: a quote that is never closed, "
            "or not a CSV file"
        )
    return f"not readable as CSV ({text})"


_NUL = (
    "contains NUL bytes: a binary file rather than CSV text (or UTF-16 text without a byte-order mark: "
    "name its encoding)"
)


def _text_lines(stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded lines; a byte the encoding cannot read is a :class:`FileError` naming its line."""
    if encoding.startswith(("utf-16", "utf-32")):  # not ASCII-compatible: decode the whole text at once
        data = stream.read()
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode(encoding, "replace").count("\n") + 1
            raise FileError(line, f"not valid {encoding} text ({exc.reason})") from None
        nul = text.find("\x00")
        if nul >= 0:
            raise FileError(text[:nul].count("\n") + 1, _NUL)
        yield from io.StringIO(text, newline="")
        return
    for number, raw in enumerate(stream, 1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            raise FileError(
                number,
                f"byte 0x{byte:02x} (character {len(raw[: exc.start].decode(encoding, 'replace')) + 1}) is "
                f"not {encoding} text: name the file's encoding (e.g. latin-1, cp1252, utf-16)",
            ) from None
        if "\x00" in text:
            raise FileError(number, _NUL)
        yield text


def _iter_excel(
    stream: BinaryIO, check_header: Callable[[list[str]], None] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged or foreign file
        raise FileError(1, f"not a readable Excel workbook ({_why(exc)})") from None
    i = 1
    try:
        if not wb.worksheets:
            raise FileError(1, "the workbook has no worksheet")
        rows = wb.worksheets[0].iter_rows(values_only=True)
        first = next(rows, None)
        if not first or all(h is None or not str(h).strip() for h in first):
            raise FileError(1, "empty worksheet: no header row")
        header = [str(h).strip() if h is not None else "" for h in first]
        if check_header:
            check_header(header)
        for i, values in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in values]
            if any(c.strip() for c in cells) and not all(not c or c.startswith("#") for c in cells):
                yield i, dict(zip(header, cells, strict=False))
    except FileError:
        raise
    except Exception as exc:  # a truncated archive shows only when its rows are read
        raise FileError(i, f"the workbook is damaged ({_why(exc)})") from None
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _why(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def count_lines(stream: BinaryIO, name: str) -> int:
    """Lines of a text file (for a progress bar; 0 for a workbook); the stream is left at its start."""
    if is_excel(stream, name):
        return 0
    total = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    stream.seek(0)
    return total


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
    """A count (casualties, hostages): a whole number from 0 up to a plausible bound, or ``None`` when the
    source leaves it out; ``inf``, ``nan``, ``1,45`` and overflowing values are refused."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and len(text) < 8:
        return int(text)
    if text in missing:
        return None
    try:
        number = parse_number(text, limit=COUNT_LIMIT)
    except NumberError as exc:
        raise RowError(column, value, _reason(exc)) from None
    if number < 0 or number != int(number):
        raise RowError(column, value, "must be a whole number ≥ 0")
    return int(number)


def to_float(value: str | None, column: str, low: float, high: float) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = parse_number(text)
    except NumberError as exc:
        raise RowError(column, value, _reason(exc)) from None
    if not low <= number <= high:
        raise RowError(column, value, f"out of range [{low}, {high}]")
    return number


#: No single incident has this many casualties; a larger count is a typo or a damaged cell (and would
#: overflow PostgreSQL's integer).
COUNT_LIMIT = 10_000_000


def _reason(exc: NumberError) -> str:
    """The number module's message without the value, which the problem already shows."""
    message = str(exc)
    return message.split(" is ", 1)[1] if " is " in message else message


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
