"""A whole framework as an Excel workbook, one sheet per kind of item, and back again without loss.

Policy staff edit frameworks in Excel; this is the YAML document (docs/framework-format.md), flattened:
each item is a row that names its parent by code, rows keep the document's order, and an empty
classification cell inherits the parent's level exactly like an absent ``classification:`` key. Reading
(:mod:`nigran.policy.excel_reader`) rebuilds the nested document so every problem names
``FILE[Sheet]:ROW:COLUMN``.
"""

from __future__ import annotations

from typing import Any

from nigran.core.problems import Problem
from nigran.policy import schema
from nigran.policy.tabular import (
    Column,
    add_sheet,
    format_responsible,
)

C = Column
#: the kind of cell each schema kind is read as
_CELL_KIND = {"entity": "code", "predecessor": "code", "dict": "json"}
#: structured fields, flattened into several columns
_FLAT = {
    "period": [
        C("period_start", "date", "first day of the period, YYYY-MM-DD", True),
        C("period_end", "date", "last day of the period, YYYY-MM-DD", True),
    ],
    "band": [
        C("band_min", "number", "lower bound of the band (direction maintain only)"),
        C("band_max", "number", "upper bound of the band (direction maintain only)"),
    ],
    "baseline": [
        C("baseline_value", "number", "baseline value"),
        C("baseline_date", "date", "date of the baseline, YYYY-MM-DD"),
    ],
    "targets": [],  # target_YYYY columns, one per year, after TARGETS_AFTER
}
TARGETS_AFTER = "baseline_date"


def columns_of(fields: dict[str, schema.Field], parent: Column | None = None) -> list[Column]:
    """The sheet's columns, derived from the schema: code, the parent's code, then every field in order."""
    out: list[Column] = []
    for f in fields.values():
        if f.kind in schema.CHILD_KINDS or f.alias_of:
            continue
        if f.name in _FLAT:
            out += _FLAT[f.name]
            continue
        kind = "code" if f.name == "code" else _CELL_KIND.get(f.kind, f.kind)
        out.append(C(f.name, kind, f.help, f.required))
        if f.name == "code" and parent is not None:
            out.append(parent)
    return out


FRAMEWORK_FIELDS = [C("format", "str", "nigran-framework/1"), *columns_of(schema.FRAMEWORK)]
SECTION_COLUMNS = columns_of(
    schema.SECTION, C("parent", "code", "code of the parent section; empty for a top-level section")
)
OBJECTIVE_COLUMNS = columns_of(schema.OBJECTIVE, C("section", "code", "code of its section", True))
INDICATOR_COLUMNS = columns_of(schema.INDICATOR, C("objective", "code", "code of its objective", True))
ACTION_COLUMNS = columns_of(schema.ACTION, C("objective", "code", "code of its objective", True))
MILESTONE_COLUMNS = columns_of(schema.MILESTONE, C("action", "code", "code of its action", True))
SHEETS = {
    "Sections": SECTION_COLUMNS,
    "Objectives": OBJECTIVE_COLUMNS,
    "Indicators": INDICATOR_COLUMNS,
    "Actions": ACTION_COLUMNS,
    "Milestones": MILESTONE_COLUMNS,
}
WIDTHS = {
    "title": 50,
    "name": 50,
    "title_ur": 40,
    "name_ur": 40,
    "description": 50,
    "definition": 50,
    "code": 22,
    "parent": 18,
    "section": 18,
    "objective": 20,
    "action": 22,
    "responsible": 30,
    "source": 30,
    "value": 60,
    "field": 16,
}


# -- writing ---------------------------------------------------------------------------------------
def indicator_header(years: list[int], leading: list[str] | None = None) -> list[str]:
    names = [c.name for c in INDICATOR_COLUMNS]
    cut = names.index(TARGETS_AFTER) + 1
    return [*(leading or []), *names[:cut], *(f"target_{y}" for y in years), *names[cut:]]


def indicator_row(
    ind: dict[str, Any], objective: str, years: list[int], leading: list[Any] | None = None
) -> list:
    band, baseline, targets = ind.get("band") or {}, ind.get("baseline") or {}, ind.get("targets") or {}
    flat = {
        **ind,
        "objective": objective,
        "band_min": band.get("min"),
        "band_max": band.get("max"),
        "baseline_value": baseline.get("value"),
        "baseline_date": baseline.get("date"),
        "responsible": format_responsible(ind.get("responsible")),
    }
    names = [c.name for c in INDICATOR_COLUMNS]
    cut = names.index(TARGETS_AFTER) + 1
    return [
        *(leading or []),
        *(flat.get(n) for n in names[:cut]),
        *(targets.get(y) for y in years),
        *(flat.get(n) for n in names[cut:]),
    ]


def _walk(sections: list[dict[str, Any]], parent: str | None, out: dict[str, list]) -> None:
    for s in sections:
        out["Sections"].append([(s | {"parent": parent}).get(c.name) for c in SECTION_COLUMNS])
        _walk(s.get("sections") or [], s["code"], out)
        for o in s.get("objectives") or []:
            out["Objectives"].append([(o | {"section": s["code"]}).get(c.name) for c in OBJECTIVE_COLUMNS])
            for i in o.get("indicators") or []:
                out["Indicators"].append(i | {"_objective": o["code"]})
            for a in o.get("actions") or []:
                flat = a | {"objective": o["code"], "responsible": format_responsible(a.get("responsible"))}
                out["Actions"].append([flat.get(c.name) for c in ACTION_COLUMNS])
                for m in a.get("milestones") or []:
                    out["Milestones"].append(
                        [(m | {"action": a["code"]}).get(c.name) for c in MILESTONE_COLUMNS]
                    )


def document_to_workbook(doc: dict[str, Any]) -> Any:
    """The export document (``framework_to_dict``) as an openpyxl workbook; ``load`` reads it back."""
    from openpyxl import Workbook

    fw = doc["framework"]
    wb = Workbook(write_only=True)
    _readme(wb)
    flat = fw | {
        "format": doc.get("format"),
        "period_start": fw["period"]["start"],
        "period_end": fw["period"]["end"],
    }
    rows = [[c.name, flat.get(c.name)] for c in FRAMEWORK_FIELDS if flat.get(c.name) is not None]
    add_sheet(wb, "Framework", ["field", "value"], rows, WIDTHS)
    out: dict[str, list] = {name: [] for name in SHEETS}
    _walk(fw["sections"], None, out)
    years = sorted({int(y) for i in out["Indicators"] for y in (i.get("targets") or {})})
    out["Indicators"] = [indicator_row(i, i["_objective"], years) for i in out["Indicators"]]
    for name, columns in SHEETS.items():
        header = indicator_header(years) if name == "Indicators" else [c.name for c in columns]
        add_sheet(wb, name, header, out[name], WIDTHS)
    return wb


def _readme(wb: Any) -> None:
    lines: list[list[Any]] = [
        ["A policy framework in the nigran-framework/1 format, one sheet per kind of item."],
        ["Check it with: nigran framework validate FILE.xlsx; load it with: nigran framework load FILE.xlsx"],
        ["Each row names its parent by code; rows are kept in order. Codes are unique across all sheets."],
        ["An empty classification means the parent's level; no item is less classified than its parent."],
        ["Dates are YYYY-MM-DD. Indicator targets are one column per year, named target_YYYY."],
        [],
    ]
    for sheet, columns in [("Framework", FRAMEWORK_FIELDS), *SHEETS.items()]:
        lines.append([f"Sheet {sheet}" + (" (field / value rows)" if sheet == "Framework" else "")])
        for c in columns:
            lines.append(["", c.name, ("required: " if c.required else "") + c.help])
            if sheet == "Indicators" and c.name == TARGETS_AFTER:
                lines.append(["", "target_YYYY", "target value for year YYYY (needs a baseline and a unit)"])
        lines.append([])
    add_sheet(wb, "README", ["Nigran framework workbook"], lines, {"Nigran framework workbook": 4, "": 22})


# -- reading (see excel_reader) -------------------------------------------------------------------
def workbook_to_document(data: bytes, name: str) -> tuple[Any, list[Problem]]:
    """Read a framework workbook (its bytes, named ``name``) into the document form; lines are sheet rows,
    problems name the cell."""
    from nigran.policy.excel_reader import WorkbookReader

    doc, problems = WorkbookReader(data, name).read()
    return (None, sorted(problems)) if problems else (doc, [])


def validate_workbook(data: bytes, name: str, known_entities: set[str]) -> tuple[Any, list[Problem]]:
    """Read and validate a workbook, reporting every problem at once with its sheet, row and column.

    On success the document's lines are plain sheet rows, ready for ``load_document``.
    """
    from nigran.policy.excel_reader import validate_encoded

    return validate_encoded(data, name, known_entities)
