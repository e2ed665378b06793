"""Incidents out as CSV, JSON or Excel: what the reader may see, with each incident's sources listed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import PurePath
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.core.cells import csv_writer, set_text_cell
from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents.analytics import Filters, _row_filters
from nigran.incidents.models import CASUALTY_FIELDS, Actor, Incident

FIELDS = (
    "id",
    "date",
    "date_precision",
    "province_code",
    "province",
    "district_code",
    "district",
    "place",
    "lat",
    "lon",
    "geo_precision",
    "event_type",
    "actor",
    "actor_code",
    "claimed",
    "target_type",
    *CASUALTY_FIELDS,
    "notes",
    "classification",
    "sources",
)


def iter_incidents(session: Session, f: Filters = Filters()) -> Iterator[dict[str, Any]]:
    codes = {a.id: a.code for a in session.scalars(select(Actor))}
    stmt = _row_filters(session, select(Incident).where(Incident.duplicate_of_id.is_(None)), f)
    stmt = stmt.options(selectinload(Incident.sources)).order_by(Incident.date, Incident.id)
    for inc in session.scalars(stmt.execution_options(yield_per=2000)):
        row = {k: getattr(inc, k, None) for k in FIELDS}
        row["actor_code"] = codes.get(inc.actor_id)
        row["classification"] = Classification.parse(inc.classification).name
        row["sources"] = "; ".join(f"{s.dataset}:{s.source_id}" for s in inc.sources)
        yield row


#: Output suffix → format, for ``--format`` left out.
SUFFIXES = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}
FORMATS = tuple(SUFFIXES.values())


def detect_format(fmt: str | None, name: str | None) -> str:
    """``fmt`` if given (any case), else what the file name's suffix says; else :class:`InvalidInput`."""
    if fmt:
        if fmt.casefold() in FORMATS:
            return fmt.casefold()
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", "--format")])
    suffix = PurePath(name or "").suffix.casefold()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    where = f"the output {name!r} has no suffix that says" if name else "no output file says"
    raise InvalidInput(
        [Problem(0, f"{where} which format to write: give one of {', '.join(FORMATS)}", "--format")]
    )


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def write_export(session: Session, stream: IO[bytes], fmt: str, f: Filters = Filters()) -> int:
    """Write the incidents the session may see, as ``fmt``, to a binary ``stream``; returns how many.

    Every CSV and Excel cell goes through :mod:`nigran.core.cells` (no formula runs when the file is
    opened), JSON through :mod:`nigran.core.jsonout`; a figure no source gives stays empty (CSV, Excel) or
    null (JSON), never 0.
    """
    rows = iter_incidents(session, f)
    if fmt == "csv":
        return _write_csv(stream, rows)
    if fmt == "json":
        return _write_json(stream, rows)
    if fmt == "xlsx":
        return _write_xlsx(stream, rows)
    raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", "--format")])


def export_bytes(session: Session, fmt: str, f: Filters = Filters()) -> tuple[bytes, int]:
    """The export as bytes (for a web response or a test), with the number of incidents."""
    buf = io.BytesIO()
    n = write_export(session, buf, fmt, f)
    return buf.getvalue(), n


def _write_csv(stream: IO[bytes], rows: Iterator[dict[str, Any]]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    writer = csv_writer(text)
    writer.writerow(FIELDS)
    n = 0
    for row in rows:
        writer.writerow([_cell(row[k]) for k in FIELDS])
        n += 1
    text.flush()
    text.detach()  # the caller owns the stream
    return n


def _write_json(stream: IO[bytes], rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    stream.write(b"[")
    for row in rows:
        stream.write((",\n" if n else "\n").encode())
        stream.write(dumps({k: row[k] for k in FIELDS}, indent=None).encode("utf-8"))
        n += 1
    stream.write(b"\n]\n")
    return n


def _write_xlsx(stream: IO[bytes], rows: Iterator[dict[str, Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("incidents")
    ws.append(list(FIELDS))
    n = 0
    for row in rows:
        cells = []
        for k in FIELDS:
            cell = WriteOnlyCell(ws)
            set_text_cell(cell, _cell(row[k]))
            cells.append(cell)
        ws.append(cells)
        n += 1
    wb.save(stream)
    return n
