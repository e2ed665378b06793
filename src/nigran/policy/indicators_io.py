"""Indicators as one spreadsheet (Excel or CSV), the way ministries keep them, exported and imported back.

Export writes one row per indicator the reader may see. Import updates indicators by code and adds new ones
under the objective named in the row. Every cell is checked first, with the same rules as the framework
file (the validator's indicator checks run on each merged row), and any problem means nothing is written.
Updates go through the ORM, so the audit trail records every field's value before and after.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.guard import key_taken
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, LineList
from nigran.policy.excel import INDICATOR_COLUMNS, WIDTHS, indicator_header, indicator_row
from nigran.policy.export import indicator_to_dict
from nigran.policy.loader import FrameworkBuilder
from nigran.policy.models import (
    Action,
    Framework,
    Indicator,
    IndicatorTarget,
    Milestone,
    Objective,
    Responsibility,
    Section,
)
from nigran.policy.service import get_framework, is_workbook, known_entity_codes
from nigran.policy.tabular import (
    CellProblem,
    Column,
    Table,
    add_sheet,
    column_for,
    read_csv_rows,
    read_xlsx_sheets,
    write_csv_stream,
)
from nigran.policy.validate import Validator

LEADING = ["framework", "section"]
IMPORT_COLUMNS = [
    Column("framework", "code", "framework code (must be the one imported into)"),
    Column("section", "code", "informational; the objective decides where an indicator lives"),
    *(Column(c.name, c.kind, c.help, c.name == "code") for c in INDICATOR_COLUMNS),
]


# -- export ----------------------------------------------------------------------------------------
def indicator_rows(session: Session, code: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for every indicator of framework ``code`` the session's reader may see.

    The classification column always states the indicator's effective level, so a ministry sees it.
    """
    from nigran.policy.service import export_document

    loaded = prefetch(session, get_framework(session, code))  # held: the session keeps only weak references
    doc = export_document(session, code)["framework"]
    del loaded
    found: list[tuple[str, str, Classification, dict[str, Any]]] = []

    def walk(sections: list[dict[str, Any]], parent: Classification) -> None:
        for s in sections:
            level = _level(s, parent)
            walk(s.get("sections") or [], level)
            for o in s.get("objectives") or []:
                o_level = _level(o, level)
                for i in o.get("indicators") or []:
                    found.append((s["code"], o["code"], o_level, i))

    walk(doc["sections"], Classification.parse(doc["classification"]))
    years = sorted({int(y) for *_, i in found for y in (i.get("targets") or {})})
    rows = [
        indicator_row(i | {"classification": _level(i, lvl).name}, o, years, [doc["code"], s])
        for s, o, lvl, i in found
    ]
    return indicator_header(years, LEADING), rows


def prefetch(session: Session, framework: Framework) -> list[Any]:
    """Load a framework's indicators with their targets and responsibilities in a few queries, not one per
    indicator; the export then finds them in the session. Reads go through the session: clearance applies."""
    indicators = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.framework_id == framework.id)
            .options(
                selectinload(Indicator.targets),
                selectinload(Indicator.responsibilities).joinedload(Responsibility.entity),
            )
        )
    )
    objectives = select(Objective).where(Objective.framework_id == framework.id)
    objectives = objectives.options(selectinload(Objective.indicators), selectinload(Objective.actions))
    return indicators + list(session.scalars(objectives))


def _level(node: dict[str, Any], parent: Classification) -> Classification:
    value = node.get("classification")
    return Classification.parse(value) if value else parent


INDICATOR_FORMATS = ("xlsx", "csv")


@dataclass
class IndicatorExport:
    data: bytes  # the file's content
    count: int  # indicators in it


def export_indicators(session: Session, code: str, fmt: str) -> IndicatorExport:
    """One row per indicator the reader may see, as the bytes of a CSV (UTF-8 with a byte-order mark, so
    that Excel shows Urdu) or xlsx file; every text cell through :mod:`nigran.core.cells`."""
    if fmt not in INDICATOR_FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (xlsx or csv)", "format")])
    header, rows = indicator_rows(session, code)
    if fmt == "csv":
        text = io.StringIO(newline="")
        write_csv_stream(text, header, rows)
        return IndicatorExport(text.getvalue().encode("utf-8-sig"), len(rows))
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    add_sheet(wb, "Indicators", header, rows, WIDTHS)
    buffer = io.BytesIO()
    wb.save(buffer)
    return IndicatorExport(buffer.getvalue(), len(rows))


# -- import ----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_table(data: bytes, name: str, fmt: str | None = None) -> Table:
    """The indicator table of a CSV file's bytes, or of a workbook's 'Indicators' sheet (else its first).

    ``fmt`` (csv or xlsx) names the format; without it the name's suffix does, failing that the bytes (a
    zip archive is a workbook); anything else is CSV. ``name`` is the ``FILE`` of every problem.
    """
    fmt = fmt or ("xlsx" if is_workbook(data, name) else "csv")
    if fmt not in INDICATOR_FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (xlsx or csv)", name)])
    if fmt == "csv":
        try:
            return Table(name, read_csv_rows(data), IMPORT_COLUMNS, targets=True)
        except UnicodeDecodeError:
            message = "not UTF-8 text: in Excel, save it as 'CSV UTF-8 (Comma delimited)'"
        except csv.Error as exc:
            message = f"cannot read the file: {exc}"
        raise InvalidInput([Problem(1, message, name)])
    try:
        sheets = read_xlsx_sheets(data)
    except Exception as exc:  # openpyxl and zipfile raise many kinds for what is not a workbook
        raise InvalidInput([Problem(1, f"cannot read the workbook: {exc}", name)]) from None
    names = [n for n in sheets if n != "README"]
    if not names:
        raise InvalidInput([Problem(1, "the workbook has no sheet of indicators", name)])
    sheet = "Indicators" if "Indicators" in sheets else names[0]
    return Table(f"{name}[{sheet}]", sheets[sheet], IMPORT_COLUMNS, targets=True)


class IndicatorImport:
    def __init__(self, session: Session, framework: Framework, table: Table) -> None:
        self.session = session
        self.fw = framework
        self.table = table
        self.problems: list[Problem] = list(table.problems)
        self.existing = {
            i.code: i
            for i in session.scalars(
                select(Indicator)
                .where(Indicator.framework_id == framework.id)
                .options(selectinload(Indicator.targets), selectinload(Indicator.responsibilities))
            )
        }
        self.objectives = {
            o.code: o
            for o in session.scalars(select(Objective).where(Objective.framework_id == framework.id))
        }
        self.other_codes: set[str] = set(self.objectives)
        for model in (Section, Action, Milestone):
            self.other_codes |= set(
                session.scalars(select(model.code).where(model.framework_id == framework.id))
            )
        self.validator = Validator(table.label, known_entity_codes(session))
        self.validator.period = (framework.period_start, framework.period_end)
        self.plan: list[tuple[str, Indicator | None, Objective, LineDict]] = []

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(CellProblem(row, message, self.table.label, column))

    def code_hidden(self, code: str) -> bool:
        """A new code already used in this framework by an item the reader may not see (codes are unique
        across levels); the problem says only that the code is not available (docs/framework-format.md)."""
        scope = {"framework_id": self.fw.id}
        return any(key_taken(self.session, m, "code", code, scope=scope) for m in _CODED)

    def check(self) -> None:
        seen: dict[str, int] = {}
        for row in self.table.rows():
            values = row.values
            if values.get("framework") not in (None, self.fw.code):
                self.problem(row.number, "framework", f"is {values['framework']!r}, not {self.fw.code!r}")
            code = values.get("code")
            if code is None:
                self.problem(row.number, "code", "an indicator code is required")
                continue
            if code in seen:
                self.problem(row.number, "code", f"duplicate code {code!r} (first at row {seen[code]})")
                continue
            seen[code] = row.number
            current = self.existing.get(code)
            objective = self.objective_of(row.number, code, current, values.get("objective"))
            if objective is None:
                continue
            node = self.merge(row, current, objective)
            row.check_percent_unit(node.get("unit"), self.problem)
            before = len(self.validator.problems)
            self.validator.indicator(node.line, node, Classification.parse(objective.classification))
            for p in self.validator.problems[before:]:
                number, col = divmod(p.line, 1000)
                self.problem(number, column_for(p.message, self.table.header, col), p.message)
            self.plan.append((code, current, objective, node))

    def objective_of(
        self, row: int, code: str, current: Indicator | None, wanted: str | None
    ) -> Objective | None:
        if current is not None:
            if wanted is not None and wanted != current.objective.code:
                self.problem(
                    row,
                    "objective",
                    f"indicator {code} belongs to {current.objective.code}; "
                    "move it in the framework file, not here",
                )
                return None
            return current.objective
        if code in self.other_codes:
            self.problem(row, "code", f"{code!r} is already the code of another item of {self.fw.code}")
            return None
        if self.code_hidden(code):
            self.problem(row, "code", f"code {code!r} is not available in {self.fw.code}: choose another")
            return None
        if wanted is None:
            self.problem(row, "objective", f"new indicator {code} needs the code of its objective")
            return None
        objective = self.objectives.get(wanted)
        if objective is None:
            self.problem(row, "objective", f"no objective {wanted!r} in {self.fw.code}")
        return objective

    def merge(self, row: Any, current: Indicator | None, objective: Objective) -> LineDict:
        """The indicator as it will be: what exists, overlaid with the columns this file has."""
        parent = Classification.parse(objective.classification)
        base: dict[str, Any] = indicator_to_dict(current, parent) if current else {"code": row.values["code"]}
        values, pos = row.values, self.table.positions
        node = LineDict({k: v for k, v in base.items() if k not in ("band", "baseline", "targets")})
        node.line = row.number * 1000
        node.key_lines = {}

        def put(key: str, value: Any, column: str) -> None:
            if value is None:
                node.pop(key, None)
            else:
                node[key] = value
            node.key_lines[key] = row.number * 1000 + pos.get(column, pos["code"])

        for column in (
            "name",
            "name_ur",
            "classification",
            "definition",
            "unit",
            "direction",
            "source",
            "frequency",
            "weight",
            "illustrative",
            "incident_query",
            "responsible",
        ):
            if column in values:
                put(column, values[column], column)
            elif column in node:
                node.key_lines[column] = node.line
        band = dict(base.get("band") or {})
        baseline = dict(base.get("baseline") or {})
        for column, key, target in (
            ("band_min", "min", band),
            ("band_max", "max", band),
            ("baseline_value", "value", baseline),
            ("baseline_date", "date", baseline),
        ):
            if column in values:
                target.pop(key, None) if values[column] is None else target.__setitem__(key, values[column])
        put("band", band or None, "band_min")
        put("baseline", baseline or None, "baseline_value")
        targets = LineDict(base.get("targets") or {})
        targets.line, targets.key_lines = node.line, {y: node.line for y in targets}
        for year, value in row.targets.items():
            if value is None:
                targets.pop(year, None)
            else:
                targets[year] = value
            targets.key_lines[year] = row.number * 1000 + pos[self.table.target_columns[year]]
        if targets:
            ordered = LineDict(sorted(targets.items()))
            ordered.line, ordered.key_lines = targets.line, targets.key_lines
            node["targets"] = ordered
        else:
            node.pop("targets", None)
        node.key_lines["targets"] = node.line  # no one column: the message's words pick it
        if isinstance(node.get("responsible"), list):
            items = LineList(node["responsible"])
            items.line = node.key_lines["responsible"]
            items.item_lines = [items.line] * len(items)
            node["responsible"] = items
        return node

    def apply(self, *, dry_run: bool = False) -> ImportResult:
        """Sort the plan into added, updated and unchanged; write it unless ``dry_run``."""
        code = self.fw.code  # read now: after a failed flush the session cannot load anything
        try:
            with self.session.no_autoflush:
                result = self._apply(dry_run)
            if not dry_run:
                self.session.flush()
        except IntegrityError:  # a race with another writer: the codes were free when checked
            message = f"a new code in this file is not available in {code}: check again and choose another"
            raise InvalidInput([Problem(0, message, self.table.label)]) from None
        return result

    def _apply(self, dry_run: bool) -> ImportResult:
        result = ImportResult()
        builder = FrameworkBuilder(self.session)
        builder.framework = self.fw
        for code, current, objective, node in self.plan:
            parent = Classification.parse(objective.classification)
            if current is None:
                result.added.append(code)
                if not dry_run:
                    objective.indicators.append(builder.indicator(node, parent, len(objective.indicators)))
            elif _plain(node, parent) != _plain(indicator_to_dict(current, parent), parent):
                result.updated.append(code)
                if not dry_run:
                    update(current, node, parent, builder)
            else:
                result.unchanged.append(code)
        return result


_CODED = (Indicator, Section, Objective, Action, Milestone)


def _plain(node: dict[str, Any], parent: Classification) -> dict[str, Any]:
    """An indicator dict without line information, its level stated only where it differs from the parent."""
    out = {k: v for k, v in node.items() if v is not None}
    if out.get("classification") and Classification.parse(out["classification"]) == parent:
        del out["classification"]
    # as a set: the order of responsibilities carries no meaning (and PostgreSQL may return any)
    out["responsible"] = sorted((r["entity"], r.get("role") or "lead") for r in out.get("responsible") or [])
    return {k: dict(v) if isinstance(v, dict) else v for k, v in out.items()}


def update(ind: Indicator, node: dict[str, Any], parent: Classification, builder: FrameworkBuilder) -> None:
    """Change an indicator in place (so the audit trail shows before and after), children included."""
    session = builder.session
    fresh = builder.indicator(node, parent, ind.position)
    if fresh in session:
        session.expunge(fresh)
    for attr in (
        "name",
        "name_ur",
        "definition",
        "unit",
        "direction",
        "band_min",
        "band_max",
        "baseline_value",
        "baseline_date",
        "data_source",
        "frequency",
        "weight",
        "illustrative",
        "incident_query",
        "classification",
    ):
        if getattr(ind, attr) != getattr(fresh, attr):
            setattr(ind, attr, getattr(fresh, attr))
    level = fresh.classification
    wanted = {t.year: t.value for t in fresh.targets}
    for target in list(ind.targets):
        if target.year not in wanted:
            ind.targets.remove(target)
            session.delete(target)  # explicit, so the guard checks and the audit trail records it
        else:
            target.value = wanted.pop(target.year)
            target.classification = level
    ind.targets.extend(
        IndicatorTarget(year=y, value=v, classification=level) for y, v in sorted(wanted.items())
    )
    ind.targets.sort(key=lambda t: t.year)
    keep = {(r.entity.code, r.role) for r in fresh.responsibilities}
    have = set()
    for resp in list(ind.responsibilities):
        key = (resp.entity.code, resp.role)
        if key not in keep or key in have:
            ind.responsibilities.remove(resp)
            session.delete(resp)
        else:
            have.add(key)
            resp.classification = level
    for resp in fresh.responsibilities:
        if (resp.entity.code, resp.role) not in have:
            ind.responsibilities.append(
                Responsibility(entity=resp.entity, role=resp.role, classification=level)
            )


def import_indicators(
    session: Session,
    data: bytes,
    name: str,
    framework_code: str,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Check every row of a file's bytes (named ``name`` in every problem); if all are valid and not
    ``dry_run``, apply them in this transaction."""
    table = read_table(data, name, fmt)
    framework = get_framework(session, framework_code)
    job = IndicatorImport(session, framework, table)
    if not table.problems:  # a header problem makes every row suspect: report it alone
        job.check()
        job.problems += table.problems  # the cells that could not be read
    if job.problems:
        raise InvalidInput(job.problems)
    return job.apply(dry_run=dry_run)
