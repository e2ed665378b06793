"""The report's tables as CSV, JSON and Excel, for analysts who want the figures rather than the document.

The exports read the same :class:`AnnualReport` the document is drawn from, so they obey the same edition
rules: a public export holds what the public edition holds and nothing more. Every row carries its
classification, and every file says which edition and marking it belongs to.

Each function returns bytes or text; writing them to a file is the caller's business (through
``nigran.core.outputs``). Every CSV and Excel cell goes through ``nigran.core.cells`` (a title that starts
with ``=`` stays text), and JSON through ``nigran.core.jsonout`` (no ``NaN``/``Infinity``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from nigran.core import jsonout
from nigran.core.cells import csv_writer, set_text_cell
from nigran.reports.model import STATUSES, AnnualReport, Edition

PUBLIC_NOTE = "Public edition: computed from PUBLIC records only. A classified annex exists."


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list[Any]]


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def tables(report: AnnualReport) -> list[Table]:
    h = report.headline
    headline = Table(
        "headline",
        ["measure", "value"],
        [
            ["objectives", h.objectives_total],
            *[[f"objectives_{k}", h.objective_counts[k]] for k in STATUSES],
            ["share_objectives_achieved", _r(h.share_achieved)],
            ["share_measured_objectives_achieved", _r(h.share_achieved_of_measured)],
            ["indicators", h.indicators_total],
            *[[f"indicators_{k}", h.indicator_counts[k]] for k in STATUSES],
            ["milestones", h.milestones_total],
            *[[f"milestones_{k}", h.milestone_counts[k]] for k in STATUSES],
            ["score", _r(h.score)],
            ["completeness", _r(h.completeness)],
            ["reports_on_time_share", _r(h.timeliness)],
            ["reports_on_time", h.reports_on_time],
            ["reports_due", h.reports_judged],
            ["milestones_due_in_year", h.milestones_due],
            ["milestones_due_in_year_completed", h.milestones_completed],
            ["milestones_due_in_year_completed_share", _r(h.milestones_completed_share)],
            ["overdue_milestones_on_generated_date", h.overdue],
            ["overdue_milestones_on_as_of_date", h.overdue_at_status_date],
            ["returned_submissions", h.returned],
        ],
    )
    sections = Table(
        "sections",
        [
            "code",
            "title",
            "classification",
            "status",
            "score",
            "weight",
            *[f"objectives_{k}" for k in STATUSES],
            "completeness",
            "reports_on_time_share",
        ],
        [
            [
                s.code,
                s.title,
                s.classification.name,
                s.status,
                _r(s.score),
                s.weight,
                *[s.objective_counts[k] for k in STATUSES],
                _r(s.completeness),
                _r(s.timeliness),
            ]
            for s in report.sections
        ],
    )
    objectives = Table(
        "objectives",
        [
            "code",
            "title",
            "section",
            "classification",
            "status",
            "score",
            "indicators",
            "milestones",
            "completeness",
        ],
        [
            [
                o.code,
                o.title,
                o.section_code,
                o.classification.name,
                o.status,
                _r(o.score),
                o.indicators,
                o.milestones,
                _r(o.completeness),
            ]
            for s in report.sections
            for o in s.objectives
        ],
    )
    acc_cols = [
        "code",
        "name",
        "kind",
        "classification",
        "items",
        *STATUSES,
        "overdue",
        "returned",
        "completeness",
        "reports_on_time_share",
    ]

    def acc(name: str, rows: list[Any]) -> Table:
        return Table(
            name,
            acc_cols,
            [
                [
                    a.code,
                    a.name,
                    a.kind,
                    a.classification.name,
                    a.total,
                    *[a.counts[k] for k in STATUSES],
                    a.overdue,
                    a.returned,
                    _r(a.completeness),
                    _r(a.timeliness),
                ]
                for a in rows
            ],
        )

    overdue = Table(
        "overdue",
        [
            "code",
            "title",
            "kind",
            "cycle",
            "owner",
            "classification",
            "due_date",
            "days_overdue",
            "status_now",
        ],
        [
            [
                o.code,
                o.title,
                o.kind,
                o.cycle,
                o.entity,
                o.classification.name,
                o.due_date,
                o.days_overdue,
                o.status,
            ]
            for o in report.overdue
        ],
    )
    returned = Table(
        "returned",
        ["code", "title", "entity", "cycle", "classification", "comment", "state_now"],
        [
            [o.code, o.title, o.entity, o.cycle, o.classification.name, o.comment, o.state]
            for o in report.returned
        ],
    )
    changes = Table(
        "changes",
        ["measure", "unit", f"previous ({report.previous_year})", f"current ({report.year})", "change"],
        [[c.metric, c.unit, c.previous, c.current, c.delta] for c in report.changes],
    )
    by_section = Table(
        "section_changes",
        ["code", "section", "classification", f"score ({report.previous_year})", f"score ({report.year})",
         "change", f"status ({report.previous_year})", f"status ({report.year})"],
        [[c.code, c.metric, c.classification.name, c.previous, c.current, c.delta, c.status_before,
          c.status_after] for c in report.section_changes],
    )  # fmt: skip
    return [
        headline,
        sections,
        objectives,
        acc("entities", report.entities),
        acc("provinces", report.provinces),
        overdue,
        returned,
        changes,
        by_section,
    ]


def about(report: AnnualReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "framework": report.framework_code,
        "title": report.framework_title,
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "days_overdue_counted_to": report.generated_on.isoformat(),
        "edition": report.edition.value,
        "marking": report.marking.name,
        "generated_on": report.generated_on.isoformat(),
        "source": report.source,
    }
    if report.edition is Edition.PUBLIC:
        out["note"] = PUBLIC_NOTE
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def to_json(report: AnnualReport) -> str:
    body = {
        "report": about(report),
        "tables": {
            t.name: [dict(zip(t.columns, row, strict=True)) for row in t.rows] for t in tables(report)
        },
    }
    return jsonout.dumps(body, indent=2)


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    fh = io.StringIO(newline="")
    writer = csv_writer(fh)
    writer.writerow(columns)
    writer.writerows([[_plain(v) for v in row] for row in rows])
    return fh.getvalue().encode("utf-8")


def to_csv_zip(report: AnnualReport) -> bytes:
    """One CSV per table (tables differ in columns), plus ``about.csv`` naming edition and marking, zipped
    so that the tables travel as one file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("about.csv", _csv(["key", "value"], [list(kv) for kv in about(report).items()]))
        for t in tables(report):
            zf.writestr(f"{t.name}.csv", _csv(t.columns, t.rows))
    return buffer.getvalue()


def to_xlsx(report: AnnualReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "about"
    _fill(ws, [list(kv) for kv in about(report).items()])
    for t in tables(report):
        sheet = wb.create_sheet(t.name)
        _fill(sheet, [t.columns, *t.rows])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for sheet in wb.worksheets:
        # Printed sheets carry the marking at the top and bottom of every page, like the PDF.
        sheet.oddHeader.center.text = report.marking.name
        sheet.oddFooter.center.text = report.marking.name
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Any, rows: list[list[Any]]) -> None:
    """Rows whose text cells are string cells (never formulas), through the one rule in core.cells."""
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            set_text_cell(sheet.cell(row=r, column=c), value)
