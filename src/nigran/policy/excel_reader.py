"""Reads a framework workbook back into the nested document, with lines that lead back to cells.

Rows become line-aware dicts (:mod:`nigran.core.yamldoc`) whose line is the sheet row. To validate, the
reader encodes ``row * 1000 + column`` instead, so that a problem the validator finds later (an unknown
entity, a classification below the parent's) can be traced back to ``FILE[Sheet]:ROW:COLUMN``.
"""

from __future__ import annotations

from typing import Any

from nigran.core.problems import Problem
from nigran.core.yamldoc import LineDict, LineList
from nigran.policy.excel import FRAMEWORK_FIELDS, SHEETS
from nigran.policy.tabular import CellError, CellProblem, Row, Table, column_for, parse_cell, read_xlsx_sheets

#: sheet -> (sheet of its parents, column naming the parent, key of the children list in the parent)
RELATIONS = {
    "Sections": ("Sections", "parent", "sections"),
    "Objectives": ("Sections", "section", "objectives"),
    "Indicators": ("Objectives", "objective", "indicators"),
    "Actions": ("Objectives", "objective", "actions"),
    "Milestones": ("Actions", "action", "milestones"),
}


def _node(row: int, values: dict[str, Any], line_of: Any) -> LineDict:
    node = LineDict({k: v for k, v in values.items() if v is not None})
    node.line = line_of(row, None)
    node.key_lines = {k: line_of(row, k) for k in node}
    return node


def _sub(node: LineDict, key: str, value: Any, line: int) -> None:
    node[key] = value
    node.key_lines[key] = line


def _append(parent: LineDict, key: str, child: LineDict) -> None:
    items = parent.get(key)
    if items is None:
        items = LineList()
        items.line, items.item_lines = child.line, []
        _sub(parent, key, items, child.line)
    items.append(child)
    items.item_lines.append(child.line)


class WorkbookReader:
    """Rebuilds the document; with ``encode`` every line is ``row * 1000 + column`` so that problems found
    later by the validator can be traced back to a sheet column (see :func:`validate_workbook`)."""

    def __init__(self, data: bytes, name: str, *, encode: bool = False) -> None:
        self.data = data
        self.name = name
        self.encode = encode
        self.problems: list[Problem] = []
        self.codes: dict[str, tuple[str, int]] = {}
        self.tables: dict[str, Table] = {}

    def label(self, sheet: str) -> str:
        return f"{self.name}[{sheet}]"

    def line_for(self, table: Table) -> Any:
        def line_of(row: int, key: str | None) -> int:
            if not self.encode:
                return row
            return row * 1000 + (table.positions.get(_COLUMN_OF.get(key or "", key or ""), 0) if key else 0)

        return line_of

    def read(self) -> tuple[LineDict | None, list[Problem]]:
        try:
            sheets = read_xlsx_sheets(self.data)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            return None, [Problem(1, f"cannot read the workbook: {exc}", self.name)]
        for required in ("Framework", "Sections"):
            if required not in sheets:
                self.problems.append(Problem(1, f"the workbook has no sheet {required!r}", self.name))
        if "Framework" not in sheets:
            return None, self.problems
        fw = self.framework(sheets["Framework"])
        doc = LineDict({"framework": fw})
        doc.line, doc.key_lines = 1, {"framework": fw.line}
        if "format" in fw:
            _sub(doc, "format", fw.pop("format"), fw.key_lines.pop("format"))
        parents: dict[str, dict[str, LineDict]] = {"Sections": {}, "Objectives": {}, "Actions": {}}
        pending: list[tuple[str, Row, LineDict]] = []
        orphans: set[str] = set()
        for sheet, columns in SHEETS.items():
            if sheet not in sheets:
                continue
            table = Table(self.label(sheet), sheets[sheet], columns, targets=sheet == "Indicators")
            self.tables[sheet] = table
            if table.problems:  # a header problem makes every row suspect: report it alone
                self.problems += table.problems
                continue
            for row in table.rows():
                node = self.item(sheet, table, row)
                if node is None:
                    continue
                if sheet in parents and "code" in node:
                    parents[sheet][str(node["code"])] = node
                pending.append((sheet, row, node))
            self.problems += table.problems
        fw_sections = LineList()
        fw_sections.line, fw_sections.item_lines = fw.line, []
        _sub(fw, "sections", fw_sections, fw.line)
        for sheet, row, node in pending:
            parent_sheet, parent_col, child_key = RELATIONS[sheet]
            parent_code = row.values.get(parent_col)
            if sheet == "Sections" and parent_code is None:
                fw_sections.append(node)
                fw_sections.item_lines.append(node.line)
                continue
            parent = parents[parent_sheet].get(str(parent_code)) if parent_code is not None else None
            if parent is None or parent is node:
                if parent_code is None:
                    what = "is missing"
                elif parent is None:
                    what = f"{parent_code!r} is not a code on sheet {parent_sheet}"
                else:
                    what = "a section cannot be its own parent"
                self.problems.append(CellProblem(row.number, what, self.label(sheet), parent_col))
                if sheet == "Sections":
                    orphans.add(str(node.get("code")))
                continue
            _append(parent, child_key, node)
        self.check_cycles(fw_sections, parents["Sections"], orphans)
        return doc, self.problems

    def framework(self, raw: list[tuple[Any, ...]]) -> LineDict:
        spec = {c.name: c for c in FRAMEWORK_FIELDS}
        label = self.label("Framework")
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for number, cells in enumerate(raw[1:], start=2):
            if not cells or cells[0] is None or not str(cells[0]).strip():
                continue
            key = str(cells[0]).strip().lower()
            if key not in spec:
                message = f"unknown field {key!r} (expected: {', '.join(spec)})"
                self.problems.append(CellProblem(number, message, label, "field"))
            elif key in values:
                self.problems.append(CellProblem(number, f"field {key!r} appears twice", label, "field"))
            else:
                try:
                    values[key] = parse_cell(spec[key].kind, cells[1] if len(cells) > 1 else None)
                except CellError as exc:
                    self.problems.append(CellProblem(number, f"{key}: {exc}", label, "value"))
                    continue
                lines[key] = number * 1000 + 2 if self.encode else number
        fw = LineDict({k: v for k, v in values.items() if v is not None and not k.startswith("period_")})
        fw.line = 1000 if self.encode else 1
        fw.key_lines = {k: lines[k] for k in fw}
        start, end = values.get("period_start"), values.get("period_end")
        if start is not None or end is not None:
            period = LineDict({k: v for k, v in (("start", start), ("end", end)) if v is not None})
            period.line = lines.get("period_start", lines.get("period_end", fw.line))
            period.key_lines = {}
            _sub(fw, "period", period, period.line)
        return fw

    def item(self, sheet: str, table: Table, row: Row) -> LineDict | None:
        values = {
            k: v for k, v in row.values.items() if k not in ("parent", "section", "objective", "action")
        }
        code = values.get("code")
        if code is not None:
            if code in self.codes:
                first_sheet, first_row = self.codes[code]
                table.problem(
                    row.number, "code", f"duplicate code {code!r} (first at {first_sheet} row {first_row})"
                )
                return None
            self.codes[code] = (sheet, row.number)
        line_of = self.line_for(table)
        if sheet != "Indicators":
            return _node(row.number, values, line_of)
        flat = {k: v for k, v in values.items() if k not in _NESTED}
        row.check_percent_unit(values.get("unit"), table.problem)
        node = _node(row.number, flat, line_of)
        if values.get("band_min") is not None or values.get("band_max") is not None:
            band = {"min": values.get("band_min"), "max": values.get("band_max")}
            _sub(node, "band", {k: v for k, v in band.items() if v is not None}, line_of(row.number, "band"))
        if values.get("baseline_value") is not None:
            baseline = {"value": values["baseline_value"]}
            if values.get("baseline_date") is not None:
                baseline["date"] = values["baseline_date"]
            _sub(node, "baseline", baseline, line_of(row.number, "baseline"))
        elif values.get("baseline_date") is not None:
            table.problem(row.number, "baseline_value", "a baseline date needs a baseline value")
        targets = {y: v for y, v in row.targets.items() if v is not None}
        if targets:
            t = LineDict(sorted(targets.items()))
            t.line = line_of(row.number, None)
            t.key_lines = {
                y: (row.number * 1000 + table.positions[table.target_columns[y]])
                if self.encode
                else row.number
                for y in targets
            }
            _sub(node, "targets", t, t.line)
        return node

    def check_cycles(self, roots: list[LineDict], sections: dict[str, LineDict], orphans: set[str]) -> None:
        """Sections whose parents form a loop never reach the top level: report them, do not lose them."""
        reached: set[int] = set()

        def visit(node: LineDict) -> None:
            reached.add(id(node))
            for child in node.get("sections") or []:
                visit(child)

        for root in roots:
            visit(root)
        for code, node in sections.items():
            if id(node) not in reached and code not in orphans:
                row = node.line // 1000 if self.encode else node.line
                message = f"section {code} is in a loop of parents and never reaches the top level"
                self.problems.append(CellProblem(row, message, self.label("Sections"), "parent"))


_NESTED = ("band_min", "band_max", "baseline_value", "baseline_date")
_COLUMN_OF = {"band": "band_min", "baseline": "baseline_value", "targets": "code"}


_KIND_SHEET = {
    "section": "Sections",
    "objective": "Objectives",
    "indicator": "Indicators",
    "action": "Actions",
    "milestone": "Milestones",
}


def locate(problem: Problem, reader: WorkbookReader) -> Problem:
    """Turn a validator problem on an encoded document (line = row*1000+column) into sheet, row and column."""
    row, col = divmod(problem.line, 1000)
    first = problem.message.split(" ", 1)[0].rstrip(":")
    sheet = _KIND_SHEET.get(first, "Framework")
    if sheet == "Framework":
        return CellProblem(row, problem.message, reader.label(sheet), "value" if col else "")
    table = reader.tables.get(sheet)
    header = table.header if table else []
    return CellProblem(
        row, problem.message, reader.label(sheet), column_for(problem.message, header, col, "")
    )


def _decode(node: Any) -> None:
    """Turn encoded lines (row * 1000 + column) back into rows, in place."""
    if isinstance(node, LineDict):
        node.line //= 1000
        node.key_lines = {k: v // 1000 for k, v in node.key_lines.items()}
        for value in node.values():
            _decode(value)
    elif isinstance(node, LineList):
        node.line //= 1000
        node.item_lines = [v // 1000 for v in node.item_lines]
        for value in node:
            _decode(value)


def validate_encoded(
    data: bytes, name: str, known_entities: set[str]
) -> tuple[LineDict | None, list[Problem]]:
    """Read with encoded lines, validate, and trace each validator problem back to its cell."""
    from nigran.policy.validate import validate_document

    reader = WorkbookReader(data, name, encode=True)
    doc, problems = reader.read()
    if doc is None:
        return None, sorted(problems)
    problems = problems + [locate(p, reader) for p in validate_document(doc, name, known_entities)]
    if problems:
        return None, sorted(problems)
    _decode(doc)
    return doc, []
