"""Checks a framework document completely and reports every problem with its line.

Validation is pure: it needs the document and the set of known entity codes, and touches no database.
The loader runs it first and writes nothing unless it returns no problems.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from nigran.access.classification import Classification
from nigran.core.numbers import PLAUSIBLE_LIMIT, NumberError, finite
from nigran.core.problems import Problem
from nigran.core.yamldoc import LineDict, LineList
from nigran.policy import schema
from nigran.policy.enums import ActionStatus, Aggregation, Direction, Frequency, ResponsibilityRole

KIND_NAMES = {
    id(schema.SECTION): "section",
    id(schema.OBJECTIVE): "objective",
    id(schema.INDICATOR): "indicator",
    id(schema.ACTION): "action",
    id(schema.MILESTONE): "milestone",
}


INT_LIMIT = 2**31 - 1  # the database's INTEGER


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "…"


def _date_reason(value: Any) -> str:
    """Why a text that looks like a date is not one (``2025-02-30``: day is out of range for month)."""
    if isinstance(value, str) and len(value.strip()) == 10 and value.strip()[4:5] == "-":
        try:
            date.fromisoformat(value.strip())
        except ValueError as exc:
            return f" ({exc})"
    return ""


def _line(node: Any, key: str | None = None, default: int = 1) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return getattr(node, "line", default)


class Validator:
    def __init__(self, filename: str, known_entities: set[str]) -> None:
        self.filename = filename
        self.entities = known_entities
        self.problems: list[Problem] = []
        self.codes: dict[str, int] = {}
        self.period: tuple[date, date] | None = None

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message, self.filename))

    # -- generic field checks -------------------------------------------------------------------------
    def check_fields(self, node: Any, fields: dict[str, schema.Field], label: str, line: int) -> bool:
        if not isinstance(node, dict):
            self.add(line, f"{label}: expected a mapping, got {type(node).__name__}")
            return False
        for key in node:
            if key not in fields:
                self.add(_line(node, key), f"{label}: unknown field {key!r}")
        for name, field in fields.items():
            if field.required and (name not in node or node[name] in (None, "")):
                self.add(_line(node), f"{label}: {name!r} is required")
            elif name in node and node[name] is not None:
                self.check_type(node, name, field, label)
        return True

    def check_type(self, node: LineDict, name: str, field: schema.Field, label: str) -> None:
        value, line = node[name], _line(node, name)
        ok = {
            "str": lambda v: isinstance(v, str | int | float) and not isinstance(v, bool),
            "entity": lambda v: isinstance(v, str | int) and not isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "bool": lambda v: isinstance(v, bool),
            "date": lambda v: isinstance(v, date),
            "list": lambda v: isinstance(v, list),
            "dict": lambda v: isinstance(v, dict),
        }.get(field.kind)
        if ok is not None and not ok(value):
            expected = {
                "date": "a date YYYY-MM-DD",
                "list": "a list",
                "dict": "a mapping",
                "int": "a whole number",
                "bool": "true or false",
                "str": "text",
                "entity": "an entity code",
            }.get(field.kind, f"a {field.kind}")
            self.add(line, f"{label}: {name!r} must be {expected}{_date_reason(value)}, got {value!r}")
        elif field.kind in ("int", "number"):
            limit = INT_LIMIT if field.kind == "int" else None
            if (
                self.check_number(value, line, label, repr(name), limit=limit)
                and name == "weight"
                and value <= 0
            ):
                self.add(line, f"{label}: weight must be more than 0 (leave it out for 1), got {value!r}")

    def check_number(
        self, value: Any, line: int, label: str, what: str, *, limit: float | None = None
    ) -> bool:
        """A number that is finite and plausible (:mod:`nigran.core.numbers`); else a problem on its line."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.add(line, f"{label}: {what} must be a number, got {value!r}")
            return False
        try:
            finite(value, limit=limit or PLAUSIBLE_LIMIT)
        except (NumberError, OverflowError):
            bound = limit or PLAUSIBLE_LIMIT
            self.add(line, f"{label}: {what} {_shown(value)} is not a finite number within ±{bound:g}")
            return False
        return True

    def check_code(self, node: dict[str, Any], label: str) -> str | None:
        code = node.get("code")
        if code is None:
            return None
        code = str(code)
        line = _line(node, "code")
        if not schema.CODE_RE.match(code):
            self.add(line, f"{label}: code {code!r} may hold only letters, digits, '.', '-' and '_'")
        if code in self.codes:
            self.add(line, f"duplicate code {code!r} (first at line {self.codes[code]})")
        else:
            self.codes[code] = line
        return code

    def classification(self, node: dict[str, Any], parent: Classification, label: str) -> Classification:
        if node.get("classification") is None:
            return parent
        try:
            level = Classification.parse(node["classification"])
        except ValueError as exc:
            self.add(_line(node, "classification"), f"{label}: {exc}")
            return parent
        if level < parent:
            self.add(
                _line(node, "classification"),
                f"{label}: {level.name} is lower than its parent's {parent.name}",
            )
        return max(level, parent)

    def check_entity(self, node: dict[str, Any], key: str, label: str, line: int | None = None) -> None:
        value = node.get(key)
        if value is not None and str(value) not in self.entities:
            self.add(line or _line(node, key), f"{label}: unknown entity {value!r}")

    def check_in_period(self, value: Any, line: int, label: str, what: str) -> None:
        if self.period and isinstance(value, date) and not (self.period[0] <= value <= self.period[1]):
            self.add(
                line,
                f"{label}: {what} {value.isoformat()} is outside the framework period "
                f"{self.period[0].isoformat()}..{self.period[1].isoformat()}",
            )

    def check_enum(self, node: dict[str, Any], key: str, allowed: type, label: str) -> None:
        value = node.get(key)
        if value is not None and str(value) not in {e.value for e in allowed}:  # type: ignore[attr-defined]
            names = ", ".join(e.value for e in allowed)  # type: ignore[attr-defined]
            self.add(_line(node, key), f"{label}: {key} {value!r} is not one of {names}")

    def check_responsible(self, node: dict[str, Any], label: str) -> None:
        items = node.get("responsible")
        if items is None:
            return
        if not isinstance(items, list):
            self.add(_line(node, "responsible"), f"{label}: 'responsible' must be a list")
            return
        for i, item in enumerate(items):
            line = items.item_lines[i] if isinstance(items, LineList) else _line(node, "responsible")
            if isinstance(item, str):
                item = {"entity": item}
            if not isinstance(item, dict) or "entity" not in item:
                self.add(line, f"{label}: each responsible item needs an 'entity'")
                continue
            extra = set(item) - {"entity", "role"}
            if extra:
                self.add(line, f"{label}: unknown field {sorted(extra)[0]!r} in responsible")
            self.check_entity(item, "entity", label, line)
            self.check_enum(item, "role", ResponsibilityRole, label)

    # -- the tree -------------------------------------------------------------------------------------
    def validate(self, doc: Any) -> list[Problem]:
        if not isinstance(doc, dict):
            self.add(_line(doc), "the file must be a mapping with a top-level 'framework:'")
            return self.problems
        for key in doc:
            if key not in ("framework", "format"):
                self.add(_line(doc, key), f"unknown top-level key {key!r} (expected 'framework')")
        fmt = doc.get("format")
        if fmt is not None and fmt != "nigran-framework/1":
            self.add(_line(doc, "format"), f"unsupported format {fmt!r} (expected 'nigran-framework/1')")
        fw = doc.get("framework")
        if fw is None:
            self.add(_line(doc), "missing top-level 'framework:'")
            return self.problems
        label = "framework"
        if not self.check_fields(fw, schema.FRAMEWORK, label, _line(doc, "framework")):
            return self.problems
        self.check_code(fw, label)
        level = self.classification(fw, Classification.PUBLIC, label)
        self.check_period(fw)
        self.check_entity(fw, "owner", label)
        for i, section in self.items(fw, "sections"):
            self.section(i, section, level)
        if isinstance(fw.get("sections"), list) and not fw["sections"]:
            self.add(_line(fw, "sections"), "framework: needs at least one section")
        return self.problems

    def items(self, node: dict[str, Any], key: str) -> list[tuple[int, Any]]:
        value = node.get(key)
        if not isinstance(value, list):
            return []
        lines = value.item_lines if isinstance(value, LineList) else [_line(node, key)] * len(value)
        return list(zip(lines, value, strict=True))

    def check_period(self, fw: dict[str, Any]) -> None:
        period = fw.get("period")
        if period is None:
            return
        line = _line(fw, "period")
        if not isinstance(period, dict) or set(period) - {"start", "end"}:
            self.add(line, "framework: 'period' must be {start: YYYY-MM-DD, end: YYYY-MM-DD}")
            return
        start, end = period.get("start"), period.get("end")
        if not isinstance(start, date) or not isinstance(end, date):
            self.add(line, "framework: period start and end must be dates YYYY-MM-DD")
            return
        if end <= start:
            self.add(
                line, f"framework: period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
            return
        self.period = (start, end)

    def item(self, node: Any, fields: dict[str, schema.Field], line: int, parent: Classification) -> tuple:
        kind = KIND_NAMES[id(fields)]
        code = node.get("code") if isinstance(node, dict) else None
        label = f"{kind} {code}" if code else kind
        if not self.check_fields(node, fields, label, line):
            return None, label, parent
        self.check_code(node, label)
        return node, label, self.classification(node, parent, label)

    def section(self, line: int, node: Any, parent: Classification) -> None:
        node, label, level = self.item(node, schema.SECTION, line, parent)
        if node is None:
            return
        if not node.get("sections") and not node.get("objectives"):
            self.add(_line(node), f"{label}: has neither subsections nor objectives")
        for i, child in self.items(node, "sections"):
            self.section(i, child, level)
        for i, child in self.items(node, "objectives"):
            self.objective(i, child, level)

    def objective(self, line: int, node: Any, parent: Classification) -> None:
        node, _label, level = self.item(node, schema.OBJECTIVE, line, parent)
        if node is None:
            return
        for i, child in self.items(node, "indicators"):
            self.indicator(i, child, level)
        for i, child in self.items(node, "actions"):
            self.action(i, child, level)

    def indicator(self, line: int, node: Any, parent: Classification) -> None:
        node, label, _level = self.item(node, schema.INDICATOR, line, parent)
        if node is None:
            return
        if not node.get("name") and not node.get("title"):
            self.add(_line(node), f"{label}: 'name' is required")
        self.check_enum(node, "direction", Direction, label)
        self.check_enum(node, "frequency", Frequency, label)
        self.check_enum(node, "aggregation", Aggregation, label)
        self.check_responsible(node, label)
        direction = str(node.get("direction") or "increase")
        band = node.get("band")
        if direction == Direction.MAINTAIN:
            if not isinstance(band, dict) or not {"min", "max"} <= set(band):
                self.add(
                    _line(node, "direction"), f"{label}: direction 'maintain' needs band: {{min: …, max: …}}"
                )
            elif (
                all(
                    self.check_number(band[k], _line(node, "band"), label, f"band {k}")
                    for k in ("min", "max")
                )
                and band["min"] > band["max"]
            ):
                self.add(_line(node, "band"), f"{label}: band needs numbers with min <= max")
        elif band is not None:
            self.add(_line(node, "band"), f"{label}: a band is only for direction 'maintain'")
        baseline = node.get("baseline")
        if baseline is not None:
            bl_line = _line(node, "baseline")
            if not isinstance(baseline, dict) or set(baseline) - {"value", "date"} or "value" not in baseline:
                self.add(bl_line, f"{label}: baseline must be {{value: number, date: YYYY-MM-DD}}")
            else:
                self.check_number(baseline["value"], bl_line, label, "baseline value")
                if baseline.get("date") is not None and not isinstance(baseline["date"], date):
                    reason = _date_reason(baseline["date"])
                    self.add(bl_line, f"{label}: baseline date must be a date YYYY-MM-DD{reason}")
        targets = node.get("targets")
        if targets is not None:
            t_line = _line(node, "targets")
            if not isinstance(targets, dict):
                self.add(t_line, f"{label}: targets must map year to value, e.g. {{2024: 10}}")
            else:
                if baseline is None:
                    self.add(t_line, f"{label}: targets given but no baseline")
                for year, value in targets.items():
                    y_line = targets.line_of(year) if isinstance(targets, LineDict) else t_line
                    if not isinstance(year, int) or not 1900 <= year <= 2200:
                        self.add(y_line, f"{label}: target year {year!r} is not a year")
                        continue
                    self.check_number(value, y_line, label, f"target for {year}")
                    if self.period and not self.period[0].year <= year <= self.period[1].year:
                        self.add(
                            y_line,
                            f"{label}: target year {year} is outside the framework period "
                            f"{self.period[0].year}..{self.period[1].year}",
                        )
        if (targets or baseline) and not node.get("unit"):
            self.add(_line(node), f"{label}: has a baseline or targets but no unit")

    def action(self, line: int, node: Any, parent: Classification) -> None:
        node, label, level = self.item(node, schema.ACTION, line, parent)
        if node is None:
            return
        self.check_entity(node, "owner", label)
        self.check_enum(node, "status", ActionStatus, label)
        self.check_responsible(node, label)
        self.check_in_period(node.get("due"), _line(node, "due"), label, "due date")
        for i, child in self.items(node, "milestones"):
            m, m_label, _ = self.item(child, schema.MILESTONE, i, level)
            if m is None:
                continue
            self.check_entity(m, "owner", m_label)
            self.check_enum(m, "status", ActionStatus, m_label)
            self.check_in_period(m.get("due"), _line(m, "due"), m_label, "due date")


DATE_KEYS = {"start", "end", "date", "due", "completed_on"}


def normalise(node: Any) -> Any:
    """Accept what JSON and spreadsheets produce: ISO date strings and string target years.

    Changes the document in place (keeping line numbers) so that YAML, JSON and Excel validate alike.
    """
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if key in DATE_KEYS and isinstance(value, str):
                with suppress(ValueError):
                    node[key] = date.fromisoformat(value.strip())
            elif key == "targets" and isinstance(value, dict):
                for year in list(value):
                    if isinstance(year, str) and year.strip().isdigit():
                        value[int(year)] = value.pop(year)
                        if isinstance(value, LineDict):
                            value.key_lines[int(year)] = value.key_lines.get(year, value.line)  # type: ignore[index]
            else:
                normalise(value)
    elif isinstance(node, list):
        for item in node:
            normalise(item)
    return node


def validate_document(doc: Any, filename: str, known_entities: set[str]) -> list[Problem]:
    return sorted(Validator(filename, known_entities).validate(normalise(doc)))
