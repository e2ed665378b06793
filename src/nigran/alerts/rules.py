"""Alert rules: their kinds and parameters, checked with line-numbered problems, and loaded from YAML.

Three kinds (``docs/alerts.md`` has the method and the sources):

* ``escalation`` — a district's or province's monthly incidents or fatalities against the mean of its own
  previous ``baseline_months`` months, in change bands after ACLED's Conflict Change Map (a moderate
  increase from +10%, a large one from +25%), with ACLED's low-baseline guard: no alert while the baseline
  mean is at most ``low_count.baseline_max`` *and* the month's count at most ``low_count.current_max``;
* ``forecast`` — the stored forecast for ``horizon`` months ahead gives P(at least one fatal attack) ≥
  ``p_fatal`` or P(≥ 10 fatalities) ≥ ``p_ge10``;
* ``indicator`` — an indicator's latest verified value crosses ``comparison threshold``, or falls behind
  its target for the year (``behind_target: true``, using the indicator's direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import key_taken
from nigran.alerts.models import AlertRule
from nigran.core.paths import data_path
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, dump_yaml, load_yaml_bytes

KINDS = ("escalation", "forecast", "indicator")
SEVERITIES = ("low", "medium", "high")
UNITS = ("district", "province")
MEASURES = ("incidents", "fatalities")
COMPARISONS = (">", ">=", "<", "<=")
DEFAULT_RULES = data_path("alerts", "default_rules.yaml")

#: ACLED Conflict Change Map bands (change of the month against the baseline mean, in per cent).
DEFAULT_BANDS = (
    {"name": "increase", "min_change_pct": 10.0, "severity": "medium"},
    {"name": "sharp increase", "min_change_pct": 25.0, "severity": "high"},
)
#: ACLED's low-baseline guard: two events or fewer on average before, and five or fewer now.
DEFAULT_LOW_COUNT = {"baseline_max": 2.0, "current_max": 5.0}


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name) if name in SEVERITIES else 0


def compare(value: float, comparison: str, threshold: float) -> bool:
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[comparison]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    kind: str
    params: dict[str, Any]
    severity: str
    enabled: bool
    classification: Classification


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message, self.source))

    def number(
        self,
        d: dict[str, Any],
        key: str,
        line: int,
        *,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        value = d.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(_line(d, key, line), f"{key}: {value!r} is not a number")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(_line(d, key, line), f"{key}: {value} is outside {low}..{high}")
            return None
        return float(value)


def _line(d: Any, key: str, default: int) -> int:
    return d.line_of(key) if isinstance(d, LineDict) else default


def check_params(kind: str, params: Any, line: int, checker: _Checker) -> dict[str, Any]:
    """The parameters of a rule of ``kind``, completed with defaults; problems go to ``checker``."""
    if not isinstance(params, dict):
        checker.add(line, "params: must be a mapping")
        return {}
    known: tuple[str, ...]
    out: dict[str, Any] = {}
    if kind == "escalation":
        known = ("unit", "measure", "baseline_months", "bands", "low_count")
        unit, measure = params.get("unit", "district"), params.get("measure", "incidents")
        if unit not in UNITS:
            checker.add(_line(params, "unit", line), f"unit: {unit!r} is not one of {', '.join(UNITS)}")
        if measure not in MEASURES:
            checker.add(
                _line(params, "measure", line), f"measure: {measure!r} is not one of {', '.join(MEASURES)}"
            )
        months = params.get("baseline_months", 6)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 60:
            checker.add(_line(params, "baseline_months", line), f"baseline_months: {months!r} is not 1..60")
        bands_in = params.get("bands", [dict(b) for b in DEFAULT_BANDS])
        bands = []
        if not isinstance(bands_in, list) or not bands_in:
            checker.add(_line(params, "bands", line), "bands: a list of {name, min_change_pct, severity}")
            bands_in = []
        for i, band in enumerate(bands_in):
            at = band.line if isinstance(band, LineDict) else line
            if not isinstance(band, dict) or not str(band.get("name") or "").strip():
                checker.add(at, f"bands[{i}]: needs a name, min_change_pct and severity")
                continue
            pct = checker.number(band, "min_change_pct", at, low=0.0, high=100000.0)
            sev = band.get("severity", "medium")
            if sev not in SEVERITIES:
                checker.add(at, f"bands[{i}].severity: {sev!r} is not one of {', '.join(SEVERITIES)}")
            if pct is None and "min_change_pct" not in band:
                checker.add(at, f"bands[{i}]: min_change_pct is required")
            bands.append({"name": str(band["name"]).strip()[:60], "min_change_pct": pct, "severity": sev})
        guard = params.get("low_count", dict(DEFAULT_LOW_COUNT))
        if not isinstance(guard, dict):
            checker.add(_line(params, "low_count", line), "low_count: a mapping of baseline_max, current_max")
            guard = {}
        out = {
            "unit": unit,
            "measure": measure,
            "baseline_months": months,
            "bands": sorted(bands, key=lambda b: b["min_change_pct"] or 0.0),
            "low_count": {
                "baseline_max": checker.number(guard, "baseline_max", line, default=2.0, low=0.0),
                "current_max": checker.number(guard, "current_max", line, default=5.0, low=0.0),
            },
        }
    elif kind == "forecast":
        known = ("unit", "horizon", "p_fatal", "p_ge10")
        unit = params.get("unit", "district")
        if unit not in UNITS:
            checker.add(_line(params, "unit", line), f"unit: {unit!r} is not one of {', '.join(UNITS)}")
        horizon = params.get("horizon", 1)
        if horizon not in (1, 2, 3):
            checker.add(_line(params, "horizon", line), f"horizon: {horizon!r} is not 1, 2 or 3")
        p_fatal = checker.number(params, "p_fatal", line, low=0.0, high=1.0)
        p_ge10 = checker.number(params, "p_ge10", line, low=0.0, high=1.0)
        if p_fatal is None and p_ge10 is None and "p_fatal" not in params and "p_ge10" not in params:
            checker.add(line, "params: give p_fatal or p_ge10 (a probability 0..1)")
        out = {"unit": unit, "horizon": horizon, "p_fatal": p_fatal, "p_ge10": p_ge10}
    elif kind == "indicator":
        known = ("framework", "indicator", "comparison", "threshold", "behind_target")
        for key in ("framework", "indicator"):
            if not str(params.get(key) or "").strip():
                checker.add(_line(params, key, line), f"{key}: required (a code)")
        behind = params.get("behind_target", False)
        if not isinstance(behind, bool):
            checker.add(_line(params, "behind_target", line), "behind_target: yes or no")
        comparison = params.get("comparison")
        threshold = checker.number(params, "threshold", line)
        if comparison is not None and comparison not in COMPARISONS:
            checker.add(
                _line(params, "comparison", line),
                f"comparison: {comparison!r} is not one of {' '.join(COMPARISONS)}",
            )
        if not behind and (comparison is None or threshold is None):
            checker.add(line, "params: give comparison and threshold, or behind_target: true")
        out = {
            "framework": str(params.get("framework") or "").strip(),
            "indicator": str(params.get("indicator") or "").strip(),
            "comparison": comparison,
            "threshold": threshold,
            "behind_target": bool(behind),
        }
    else:
        return {}
    for key in params:
        if key not in known:
            checker.add(
                _line(params, key, line), f"params: unknown key {key!r} (allowed: {', '.join(known)})"
            )
    return out


def read_rules(data: bytes, name: str) -> list[RuleSpec]:
    """The rules of a YAML document (``rules: [...]``), or :class:`InvalidInput` with every problem."""
    doc = load_yaml_bytes(data, name)
    checker = _Checker(name)
    items = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(
            [Problem(getattr(doc, "line", 1) or 1, "expected a mapping with a list 'rules'", name)]
        )
    specs: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for item in items:
        line = item.line if isinstance(item, LineDict) else items.line
        if not isinstance(item, dict):
            checker.add(line, "a rule must be a mapping")
            continue
        for key in item:
            if key not in ("code", "name", "kind", "params", "severity", "enabled", "classification"):
                checker.add(_line(item, key, line), f"unknown key {key!r}")
        code = str(item.get("code") or "").strip()
        if not code or len(code) > 60:
            checker.add(_line(item, "code", line), "code: required, at most 60 characters")
        elif code.casefold() in seen:
            checker.add(_line(item, "code", line), f"code {code!r} repeats line {seen[code.casefold()]}")
        else:
            seen[code.casefold()] = line
        kind = item.get("kind")
        if kind not in KINDS:
            checker.add(_line(item, "kind", line), f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        params = check_params(str(kind), item.get("params") or {}, _line(item, "params", line), checker)
        severity = item.get("severity", "medium")
        if severity not in SEVERITIES:
            checker.add(
                _line(item, "severity", line), f"severity: {severity!r} is not one of {', '.join(SEVERITIES)}"
            )
        try:
            level = Classification.parse(item.get("classification", "PUBLIC"))
        except ValueError as exc:
            checker.add(_line(item, "classification", line), str(exc))
            level = Classification.PUBLIC
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            checker.add(_line(item, "enabled", line), "enabled: yes or no")
        name_text = str(item.get("name") or code).strip()[:300]
        specs.append(RuleSpec(code, name_text, str(kind), params, str(severity), bool(enabled), level))
    if checker.problems:
        raise InvalidInput(checker.problems)
    return specs


def load_rules(session: Session, data: bytes, name: str) -> tuple[int, int]:
    """Add the rules of a YAML file, or update those whose code exists; returns (added, updated)."""
    from nigran.access.guard import principal_of
    from nigran.core.errors import AccessDenied

    who = principal_of(session)
    if not who.is_system and who.role not in AlertRule.__write_roles__:
        raise AccessDenied(f"{who.username} ({who.role}) may not change alert rules")
    specs = read_rules(data, name)
    added = updated = 0
    for spec in specs:
        rule = session.scalar(select(AlertRule).where(AlertRule.code == spec.code))
        if rule is None:
            if key_taken(session, AlertRule, "code", spec.code):
                raise InvalidInput([Problem(0, f"rule code {spec.code!r} is taken", name)])
            rule = AlertRule(code=spec.code)
            session.add(rule)
            added += 1
        else:
            updated += 1
        rule.name, rule.kind, rule.params = spec.name, spec.kind, spec.params
        rule.severity, rule.enabled, rule.classification = spec.severity, spec.enabled, spec.classification
    session.flush()
    return added, updated


def load_default_rules(session: Session) -> tuple[int, int]:
    return load_rules(session, DEFAULT_RULES.read_bytes(), str(DEFAULT_RULES))


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).order_by(AlertRule.code)))


def export_rules(session: Session) -> str:
    rules = [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "severity": r.severity,
            "enabled": r.enabled,
            "classification": Classification.parse(r.classification).name,
            "params": r.params,
        }
        for r in list_rules(session)
    ]
    return dump_yaml({"rules": rules})
