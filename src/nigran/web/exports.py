"""Downloads: CSV and JSON responses with safe file names and types.

Every CSV cell goes through :func:`nigran.core.cells.csv_writer` (formula-looking text is written as text),
every JSON body through :func:`nigran.core.jsonout.dumps` (no NaN or Infinity). File names are reduced to
letters, digits, ``.``, ``_`` and ``-`` so that no header injection or path is possible.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Query
from starlette.responses import Response

from nigran.core.cells import csv_writer
from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem

FORMATS = ("csv", "json")
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_filename(name: str, default: str = "export") -> str:
    """A name safe in a header and on any file system: ``Report 2024/Q1.csv`` → ``Report-2024-Q1.csv``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_")
    text = re.sub(r"\.{2,}", ".", text)
    return (text or default)[:100]


def disposition(filename: str) -> str:
    safe = safe_filename(filename)
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe)}"


def export_format(
    format: str | None = Query(None, description="csv or json: download instead of a page of results"),
) -> str | None:
    if format is None:
        return None
    value = format.strip().lower()
    if value not in FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {format!r} (allowed: csv, json)", "format")])
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv_writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 (Urdu names) correctly


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    return download(csv_bytes(header, rows), filename, CSV_TYPE)


def json_response(data: Any, filename: str) -> Response:
    return download(dumps(data).encode(), filename, JSON_TYPE)


def download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": disposition(filename)})


def table_response(
    fmt: str, header: Sequence[str], rows: Sequence[Sequence[Any]], filename_stem: str
) -> Response:
    """``fmt`` csv: the table as CSV; json: a list of objects keyed by the header."""
    if fmt == "csv":
        return csv_response(header, rows, f"{filename_stem}.csv")
    return json_response([dict(zip(header, row, strict=True)) for row in rows], f"{filename_stem}.json")
