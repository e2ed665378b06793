"""A whole framework as an Excel workbook, one sheet per kind of item, and back again without loss.

Policy staff edit frameworks in Excel; this is the YAML document (docs/framework-format.md), flattened:
each item is a row that names its parent by code, rows keep the document's order, and an empty
classification cell inherits the parent's level exactly like an absent ``classification:`` key. Reading
(:mod:`nigran.policy.excel_reader`) rebuilds the nested document so every problem names
``FILE[Sheet]:ROW:COLUMN``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nigran.core.problems import Problem
from nigran.policy.tabular import (
    Column,
    add_sheet,
    format_responsible,
)

C = Column
LEVEL_HELP = "PUBLIC, RESTRICTED or SECRET; empty = the parent's level"
FRAMEWORK_FIELDS = [
    C("format", "str", "nigran-framework/1"),
    C("code", "code", "unique code of the framework", True),
    C("title", "str", "title", True),
    C("title_ur", "str", "Urdu title"),
    C("classification", "level", "PUBLIC, RESTRICTED or SECRET"),
    C("period_start", "date", "first day of the period, YYYY-MM-DD", True),
    C("period_end", "date", "last day of the period, YYYY-MM-DD", True),
    C("version", "int", "version number (default 1)"),
    C("predecessor", "code", "code of the framework this one succeeds"),
    C("owner", "code", "entity code of the owner"),
    C("description", "str", "free text"),
    C("source", "str", "where the structure comes from"),
    C("illustrative", "bool", "TRUE marks the whole framework as demo content"),
]
SECTION_COLUMNS = [
    C("code", "code", "unique code", True),
    C("parent", "code", "code of the parent section; empty for a top-level section"),
    C("title", "str", "title", True),
    C("title_ur", "str", "Urdu title"),
    C("classification", "level", LEVEL_HELP),
    C("description", "str", "free text"),
    C("weight", "number", "weight in scoring (empty = 1)"),
]
OBJECTIVE_COLUMNS = [
    C("code", "code", "unique code", True),
    C("section", "code", "code of its section", True),
    *SECTION_COLUMNS[2:],
]
INDICATOR_COLUMNS = [
    C("code", "code", "unique code", True),
    C("objective", "code", "code of its objective", True),
    C("name", "str", "name of the indicator"),
    C("name_ur", "str", "Urdu name"),
    C("classification", "level", LEVEL_HELP),
    C("definition", "str", "what is counted, how"),
    C("unit", "str", "unit; required with a baseline or targets"),
    C("direction", "str", "increase, decrease or maintain"),
    C("band_min", "number", "lower bound of the band (direction maintain only)"),
    C("band_max", "number", "upper bound of the band (direction maintain only)"),
    C("baseline_value", "number", "baseline value"),
    C("baseline_date", "date", "date of the baseline, YYYY-MM-DD"),
    # target_YYYY columns go here: one per year
    C("responsible", "responsible", "entities, e.g. MOI:lead; NACTA:supporting"),
    C("source", "str", "data source, e.g. PBS; NACTA"),
    C("frequency", "str", "monthly, quarterly, biannual or annual"),
    C("weight", "number", "weight in scoring (empty = 1)"),
    C("illustrative", "bool", "TRUE when the values are demo data"),
    C("incident_query", "json", "JSON query for indicators computed from incidents"),
]
TARGETS_AFTER = "baseline_date"
ACTION_COLUMNS = [
    C("code", "code", "unique code", True),
    C("objective", "code", "code of its objective", True),
    C("title", "str", "title", True),
    C("title_ur", "str", "Urdu title"),
    C("classification", "level", LEVEL_HELP),
    C("description", "str", "free text"),
    C("owner", "code", "entity code of the owner"),
    C("due", "date", "due date, YYYY-MM-DD"),
    C("status", "str", "not_started, in_progress, completed, delayed or cancelled"),
    C("weight", "number", "weight in scoring (empty = 1)"),
    C("responsible", "responsible", "entities, e.g. MOI:lead; NACTA:supporting"),
]
MILESTONE_COLUMNS = [
    C("code", "code", "unique code", True),
    C("action", "code", "code of its action", True),
    C("title", "str", "title", True),
    C("classification", "level", LEVEL_HELP),
    C("owner", "code", "entity code; empty = the action's owner"),
    C("due", "date", "due date, YYYY-MM-DD"),
    C("status", "str", "not_started, in_progress, completed, delayed or cancelled"),
    C("completed_on", "date", "date completed, YYYY-MM-DD"),
]
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
        out["Sections"].append([s["code"], parent, *(s.get(c.name) for c in SECTION_COLUMNS[2:])])
        _walk(s.get("sections") or [], s["code"], out)
        for o in s.get("objectives") or []:
            out["Objectives"].append([o["code"], s["code"], *(o.get(c.name) for c in OBJECTIVE_COLUMNS[2:])])
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
def workbook_to_document(path: Path) -> tuple[Any, list[Problem]]:
    """Read a framework workbook into the document form; lines are sheet rows, problems name the cell."""
    from nigran.policy.excel_reader import WorkbookReader

    doc, problems = WorkbookReader(path).read()
    return (None, sorted(problems)) if problems else (doc, [])


def validate_workbook(path: Path, known_entities: set[str]) -> tuple[Any, list[Problem]]:
    """Read and validate a workbook, reporting every problem at once with its sheet, row and column.

    On success the document's lines are plain sheet rows, ready for ``load_document``.
    """
    from nigran.policy.excel_reader import validate_encoded

    return validate_encoded(path, known_entities)
