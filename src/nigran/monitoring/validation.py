"""Checks on one reported value, shared by the CLI, the Excel workbook and (later) web forms.

Each check names the field it concerns, so a workbook error can point at its sheet, row and column and a
CLI error at its option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nigran.access.classification import Classification
from nigran.core.numbers import NumberError, finite, parse_number
from nigran.core.problems import InvalidInput, Problem
from nigran.policy.enums import ActionStatus
from nigran.policy.models import Indicator, Milestone

if TYPE_CHECKING:
    from nigran.monitoring.models import ReportingCycle
    from nigran.monitoring.service import ValueInput

MILESTONE_STATUSES = tuple(s.value for s in ActionStatus)
_SIGNED_UNITS = ("change", "growth", "balance", "net ", "±")


@dataclass(frozen=True)
class ItemRef:
    """The indicator or the milestone a value is about."""

    indicator: Indicator | None = None
    milestone: Milestone | None = None

    @property
    def code(self) -> str:
        return (self.indicator or self.milestone).code  # type: ignore[union-attr]

    @property
    def level(self) -> Classification:
        return Classification.parse((self.indicator or self.milestone).classification)  # type: ignore[union-attr]

    @property
    def unit(self) -> str | None:
        return self.indicator.unit if self.indicator is not None else None


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


def allowed_range(ind: Indicator) -> tuple[float, float]:
    """Percentages lie in [0, 100]; other values are non-negative unless the indicator is signed (its unit
    says change/growth/balance, or its baseline, a target or its band is negative)."""
    unit = (ind.unit or "").lower()
    known = [ind.baseline_value, ind.band_min, ind.band_max, *(t.value for t in ind.targets)]
    signed = any(word in unit for word in _SIGNED_UNITS) or any(v is not None and v < 0 for v in known)
    low = -math.inf if signed else 0.0
    high = 100.0 if is_percentage(unit) and not signed else math.inf
    return low, high


def is_percentage(unit: str | None) -> bool:
    """A unit in per cent (``percent``, ``per cent``, ``%``), whose values lie in 0..100 and never 0..1."""
    text = (unit or "").lower()
    return "%" in text or "percent" in text or "per cent" in text


def _number_problem(value: float) -> str | None:
    try:
        finite(value)
    except NumberError as exc:
        return str(exc)
    return None


def read_value(raw: object, unit: str | None, *, percent_format: bool = False) -> float:
    """A reported value from a CLI option, a form field or a spreadsheet cell, in the indicator's unit.

    Text goes through :func:`nigran.core.numbers.parse_number` (``"1,45"`` is refused, not read as 145;
    ``inf``/``nan`` and implausible sizes are refused). ``87%`` is read as 87 for a percentage unit. A cell in
    Excel's percent format holds 0.87 for 87%: for a percentage unit it is read as 87, for any other unit it
    is refused, never silently taken as 0.87. Raises :class:`NumberError` saying why.
    """
    text_percent = isinstance(raw, str) and raw.strip().endswith("%")
    if text_percent:
        raw = raw.strip()[:-1]  # type: ignore[union-attr]
    value = parse_number(raw)
    if text_percent or percent_format:
        if not is_percentage(unit):
            raise NumberError(
                f"{value * (1 if text_percent else 100):g}% is a percentage, "
                f"but the unit is {unit or 'not one'!r}"
            )
        if percent_format:
            value = round(value * 100, 10)  # 0.87 in a 0% cell is 87 per cent
    return value


def _same_unit(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.lower().replace("percent", "%").replace("per cent", "%").split())

    return norm(a) == norm(b)


def problems(
    item: ItemRef, data: ValueInput, cycle: ReportingCycle, owns: bool, *, draft: bool = False
) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if not owns:
        out.append(
            FieldProblem("entity", f"your entity is not responsible for {item.code}, so it may not report it")
        )
    if item.indicator is not None:
        ind = item.indicator
        if data.milestone_status:
            out.append(FieldProblem("status", f"{item.code} is an indicator: report a value, not a status"))
        if data.value is None:
            if not draft:
                out.append(FieldProblem("value", "a numeric value is required"))
        elif (refused := _number_problem(data.value)) is not None:
            out.append(FieldProblem("value", refused))
        else:
            low, high = allowed_range(ind)
            if not low <= data.value <= high:
                span = f"[{low:g}, {high:g}]" if math.isfinite(low) else f"at most {high:g}"
                span = f"at least {low:g}" if not math.isfinite(high) else span
                out.append(
                    FieldProblem(
                        "value",
                        f"{data.value:g} is out of range for {ind.unit or 'this unit'}: must be {span}",
                    )
                )
        if data.unit and ind.unit and not _same_unit(data.unit, ind.unit):
            out.append(FieldProblem("unit", f"unit {data.unit!r} is not the indicator's unit {ind.unit!r}"))
    else:
        if data.value is not None:
            out.append(FieldProblem("value", f"{item.code} is a milestone: report a status, not a value"))
        if data.milestone_status is None and not draft:
            out.append(
                FieldProblem("status", f"a milestone status is required ({', '.join(MILESTONE_STATUSES)})")
            )
        elif data.milestone_status is not None and data.milestone_status not in MILESTONE_STATUSES:
            out.append(
                FieldProblem(
                    "status",
                    f"unknown status {data.milestone_status!r} (allowed: {', '.join(MILESTONE_STATUSES)})",
                )
            )
    start, end = data.period_start or cycle.period_start, data.period_end or cycle.period_end
    if start > end:
        out.append(FieldProblem("period", f"the period ends ({end}) before it starts ({start})"))
    elif not (cycle.period_start <= start and end <= cycle.period_end):
        out.append(
            FieldProblem(
                "period",
                f"the period {start}..{end} is outside cycle {cycle.code} "
                f"({cycle.period_start}..{cycle.period_end})",
            )
        )
    if not draft and not (data.evidence and data.evidence.strip()):
        out.append(FieldProblem("evidence", "evidence is required: a document reference or a link"))
    return out


def check_submission(
    item: ItemRef,
    data: ValueInput,
    cycle: ReportingCycle,
    owns: bool,
    *,
    draft: bool = False,
    where: str = "submission",
) -> None:
    found = problems(item, data, cycle, owns, draft=draft)
    if found:
        raise InvalidInput([Problem(0, f"{item.code}: {p.field}: {p.message}", where) for p in found])
