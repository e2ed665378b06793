"""Incidents out as CSV, JSON or Excel: what the reader may see, with each incident's sources listed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
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


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def export(session: Session, path: Path, fmt: str, f: Filters = Filters()) -> int:
    """Write ``path``; returns the number of incidents written."""
    rows = iter_incidents(session, f)
    n = 0
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
                n += 1
    elif fmt == "json":
        out = [{k: _cell(v) for k, v in row.items()} for row in rows]
        path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        n = len(out)
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("incidents")
        ws.append(list(FIELDS))
        for row in rows:
            ws.append([_cell(row[k]) for k in FIELDS])
            n += 1
        wb.save(path)
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv, json or xlsx)")
    return n
