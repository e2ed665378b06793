"""Evaluation of the alert rules: ``evaluate(session, month=None) -> list[Alert]``.

Computed per classification level. For each rule and each level L (never below the rule's own), a finding
is computed from the rows at or below L only (incidents, forecasts, submissions), and stored at the
highest level among the rows it actually used. When that level is below L the finding is the very same as
the one computed at that lower level, and is not stored twice. So an alert never summarises anything above
its own classification, a reader cleared to L sees exactly the alerts computed from what they may see, and
the guard (``classification <= clearance``) keeps every higher one from them. The work is done by the
system over the caller's own transaction (a session bound to the same connection); the caller gets back
only the alerts the guard lets them see.

Idempotent: an alert is keyed by (rule, unit, month, level); evaluating again updates its figures and
evidence, and an escalation alert whose rule no longer fires for that month is marked ``withdrawn``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import PRINCIPAL_KEY, GuardedSession, principal_of
from nigran.access.principal import Principal, Role
from nigran.alerts.models import Alert, AlertRule
from nigran.alerts.rules import compare
from nigran.core.errors import AccessDenied
from nigran.core.problems import InvalidInput, Problem
from nigran.storage.base import utcnow

#: Roles that may run an evaluation (it writes alerts at every level, as the system).
EVALUATE_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST})
#: At most this many incident ids are kept as an alert's evidence (the count is kept in full).
MAX_EVIDENCE_IDS = 200


@dataclass
class Finding:
    """What a rule found for one unit and month at one level, before it is stored."""

    rule: AlertRule
    unit_kind: str
    unit_code: str
    unit_name: str | None
    province_code: str | None
    month: str
    severity: str
    band: str
    title: str
    level: Classification
    measure: str | None = None
    value: float | None = None
    baseline: float | None = None
    change_pct: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def parse_month(text: str) -> str:
    """``YYYY-MM`` checked, or :class:`InvalidInput` naming ``--month``."""
    value = str(text).strip()
    try:
        year, month = (int(p) for p in value.split("-"))
        if len(value) != 7 or not (1900 <= year <= 2200 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise InvalidInput([Problem(0, f"{text!r} is not a month: write YYYY-MM", "--month")]) from None
    return f"{year:04d}-{month:02d}"


def month_add(month: str, delta: int) -> str:
    y, m = (int(p) for p in month.split("-"))
    index = y * 12 + (m - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(p) for p in month.split("-"))
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def latest_month(session: Session) -> str | None:
    """The month of the most recent incident the session's reader may see."""
    from nigran.incidents.models import Incident

    last = session.scalar(select(func.max(Incident.date)).where(Incident.duplicate_of_id.is_(None)))
    return f"{last.year:04d}-{last.month:02d}" if last is not None else None


@contextmanager
def as_system(session: Session) -> Iterator[Session]:
    """A system session over ``session``'s own connection and transaction (commits with it)."""
    if principal_of(session).is_system:
        yield session
        return
    system = GuardedSession(bind=session.connection(), info={PRINCIPAL_KEY: Principal.system()})
    try:
        yield system
        system.flush()
    finally:
        system.close()


def require_evaluator(who: Principal) -> None:
    if not who.is_system and who.role not in EVALUATE_ROLES:
        raise AccessDenied(f"{who.username} ({who.role}) may not evaluate alert rules")


def evaluate(session: Session, month: str | None = None) -> list[Alert]:
    """Evaluate every enabled rule for ``month`` (YYYY-MM; default: the latest month with incidents the
    caller may see); returns the alerts raised or updated that the caller may see."""
    who = principal_of(session)
    require_evaluator(who)
    month = parse_month(month) if month else latest_month(session)
    if month is None:
        return []
    with as_system(session) as system:
        ids = evaluate_as_system(system, month)
    if not ids:
        return []
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id)))


def evaluate_as_system(system: Session, month: str) -> list[int]:
    rules = list(system.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)))
    ids: list[int] = []
    for rule in rules:
        if rule.kind == "escalation":
            findings = escalation(system, rule, month)
        elif rule.kind == "forecast":
            findings = forecast(system, rule)
        elif rule.kind == "indicator":
            findings = indicator(system, rule)
        else:
            continue
        ids += _store(system, rule, findings, month if rule.kind == "escalation" else None)
    return ids


def _store(
    system: Session, rule: AlertRule, findings: list[Finding], withdraw_month: str | None
) -> list[int]:
    months = {f.month for f in findings} | ({withdraw_month} if withdraw_month else set())
    existing = {
        (a.unit_code, a.month, Classification.parse(a.classification)): a
        for a in system.scalars(select(Alert).where(Alert.rule_id == rule.id, Alert.month.in_(months)))
    }
    touched: list[Alert] = []
    seen = set()
    for f in findings:
        key = (f.unit_code, f.month, f.level)
        seen.add(key)
        alert = existing.get(key)
        if alert is None:
            alert = Alert(rule_id=rule.id, unit_code=f.unit_code, month=f.month, classification=f.level)
            alert.raised_at = utcnow()
            system.add(alert)
        elif alert.status == "withdrawn":
            alert.status = "open"
        alert.kind, alert.unit_kind, alert.unit_name = rule.kind, f.unit_kind, f.unit_name
        alert.province_code, alert.severity, alert.band, alert.title = (
            f.province_code,
            f.severity,
            f.band,
            f.title,
        )
        alert.measure, alert.value, alert.baseline, alert.change_pct = (
            f.measure,
            f.value,
            f.baseline,
            f.change_pct,
        )
        alert.evidence = f.evidence
        touched.append(alert)
    if withdraw_month:
        for key, alert in existing.items():
            if key[1] == withdraw_month and key not in seen and alert.status == "open":
                alert.status = "withdrawn"
    system.flush()
    return [a.id for a in touched]


# ---- escalation -------------------------------------------------------------------------------------------


@cache
def _names() -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    from nigran.geo.gazetteer import Gazetteer

    gz = Gazetteer.bundled()
    districts = {d.code: (d.name, d.province_code) for d in gz.districts}
    provinces = {code: unit.name for code, unit in gz.provinces.items()}
    return districts, provinces


def unit_name(unit_kind: str, code: str) -> tuple[str | None, str | None]:
    """(name, province code) of a district or province code."""
    districts, provinces = _names()
    if unit_kind == "district":
        name, province = districts.get(code, (None, None))
        return name, province
    return provinces.get(code), code


def _levels(rule: AlertRule) -> list[Classification]:
    floor = Classification.parse(rule.classification)
    return [level for level in Classification if level >= floor]


def escalation(system: Session, rule: AlertRule, month: str) -> list[Finding]:
    """Escalation findings of ``rule`` for ``month``, per unit and level (see the module's docstring)."""
    from nigran.incidents.models import Incident

    p = rule.params
    n = int(p.get("baseline_months", 6))
    unit_kind, measure = p.get("unit", "district"), p.get("measure", "incidents")
    window = [month_add(month, -k) for k in range(n, -1, -1)]  # baseline months, then the month
    start, end = month_bounds(window[0])[0], month_bounds(month)[1]
    unit_col = Incident.district_code if unit_kind == "district" else Incident.province_code
    rows = system.execute(
        select(Incident.id, Incident.year, Incident.month, unit_col, Incident.killed, Incident.classification)
        .where(Incident.duplicate_of_id.is_(None), Incident.date >= start, Incident.date <= end)
        .where(unit_col.is_not(None))
    ).all()
    findings = []
    for level in _levels(rule):
        by_unit: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            if Classification.parse(row[5]) <= level:
                by_unit[row[3]].append(row)
        for code, unit_rows in sorted(by_unit.items()):
            found = _escalation_unit(rule, level, unit_kind, code, measure, window, unit_rows)
            if found is not None:
                findings.append(found)
    return findings


def _month_values(window: list[str], rows: list[Any], measure: str) -> dict[str, float | None]:
    """Per month of the window: incidents, or fatalities (the sum of the figures given; ``None`` when the
    month has incidents but none gives a figure — unknown is not zero)."""
    count: dict[str, int] = defaultdict(int)
    killed: dict[str, int] = defaultdict(int)
    known: dict[str, int] = defaultdict(int)
    for row in rows:
        key = f"{row[1]:04d}-{row[2]:02d}"
        count[key] += 1
        if row[4] is not None:
            killed[key] += row[4]
            known[key] += 1
    if measure == "incidents":
        return {m: float(count[m]) for m in window}
    return {m: (float(killed[m]) if known[m] or not count[m] else None) for m in window}


def classify_change(
    current: float, baseline: float, bands: list[dict[str, Any]], low_count: dict[str, Any]
) -> tuple[dict[str, Any] | None, float | None]:
    """The band ``current`` falls in against ``baseline`` (or ``None``), and the change in per cent
    (``None`` when the baseline is 0). The low-count guard: no band while the baseline is at most
    ``baseline_max`` and the current count at most ``current_max``."""
    b_max, c_max = low_count.get("baseline_max"), low_count.get("current_max")
    if b_max is not None and c_max is not None and baseline <= b_max and current <= c_max:
        return None, (None if baseline == 0 else (current - baseline) / baseline * 100)
    if baseline == 0:
        return (bands[-1] if current > 0 and bands else None), None
    change = (current - baseline) / baseline * 100
    hit = None
    for band in bands:  # sorted by min_change_pct, lowest first: the last one reached wins
        if band.get("min_change_pct") is not None and change >= band["min_change_pct"] - 1e-9:
            hit = band
    return hit, change


def _escalation_unit(
    rule: AlertRule,
    level: Classification,
    unit_kind: str,
    code: str,
    measure: str,
    window: list[str],
    rows: list[Any],
) -> Finding | None:
    used = max([Classification.parse(rule.classification)] + [Classification.parse(r[5]) for r in rows])
    if used != level:
        return None  # the same finding is stored at the lower level it really has
    month = window[-1]
    values = _month_values(window, rows, measure)
    current = values[month]
    known = [v for m, v in values.items() if m != month and v is not None]
    if current is None or current <= 0 or not known:
        return None
    baseline = sum(known) / len(known)
    band, change = classify_change(
        current, baseline, rule.params.get("bands") or [], rule.params.get("low_count") or {}
    )
    if band is None:
        return None
    name, province = unit_name(unit_kind, code)
    current_ids = sorted(r[0] for r in rows if f"{r[1]:04d}-{r[2]:02d}" == month)
    what = "incidents" if measure == "incidents" else "fatalities"
    shown_change = "new" if change is None else f"{change:+.0f}%"
    title = (
        f"{band['name']} in {what} in {name or code}: {current:g} in {month} against a mean of "
        f"{baseline:.1f} over the previous {len(window) - 1} months ({shown_change})"
    )
    evidence = {
        "series": values,
        "baseline_months": len(window) - 1,
        "baseline_months_known": len(known),
        "incident_ids": current_ids[:MAX_EVIDENCE_IDS],
        "incidents_in_month": len(current_ids),
        "bands": rule.params.get("bands"),
        "low_count": rule.params.get("low_count"),
        "method": "ACLED Conflict Change Map bands against the unit's own baseline",
    }
    return Finding(
        rule,
        unit_kind,
        code,
        name,
        province,
        month,
        band.get("severity", "medium"),
        band["name"],
        title,
        level,
        measure,
        current,
        baseline,
        change,
        evidence,
    )


# ---- forecast thresholds ----------------------------------------------------------------------------------


def forecast(system: Session, rule: AlertRule) -> list[Finding]:
    """Findings from the stored forecasts (``nigran.risk.forecast.current``); none while that module is
    absent."""
    from nigran.core.modules import optional_import

    module = optional_import("nigran.risk.forecast")
    current = getattr(module, "current", None) if module is not None else None
    if current is None:
        return []
    p = rule.params
    unit_kind, horizon = p.get("unit", "district"), int(p.get("horizon", 1))
    best: dict[tuple[str, str, Classification], Finding] = {}
    floor = Classification.parse(rule.classification)
    for f in current(system, unit_kind=unit_kind):
        if int(getattr(f, "horizon", 0)) != horizon:
            continue
        p_fatal, p_ge10 = getattr(f, "p_fatal", None), getattr(f, "p_ge10", None)
        reasons = []
        if p.get("p_fatal") is not None and p_fatal is not None and p_fatal >= p["p_fatal"]:
            reasons.append(f"P(fatal attack) {p_fatal:.2f} ≥ {p['p_fatal']:.2f}")
        if p.get("p_ge10") is not None and p_ge10 is not None and p_ge10 >= p["p_ge10"]:
            reasons.append(f"P(≥10 fatalities) {p_ge10:.2f} ≥ {p['p_ge10']:.2f}")
        if not reasons:
            continue
        level = max(floor, Classification.parse(getattr(f, "classification", None) or Classification.PUBLIC))
        code, target = str(f.unit_code), str(f.target_month)[:7]
        name, province = unit_name(unit_kind, code)
        prob = max(x for x in (p_fatal, p_ge10) if x is not None)
        previous = best.get((code, target, level))
        if previous is not None and (previous.value or 0) >= prob:
            continue
        evidence = {
            "forecast": {
                k: getattr(f, k, None)
                for k in (
                    "unit_code",
                    "target_month",
                    "horizon",
                    "measure",
                    "mean",
                    "quantiles",
                    "p_fatal",
                    "p_ge10",
                    "model",
                    "origin",
                    "id",
                )
            },
            "reasons": reasons,
        }
        title = f"forecast for {name or code}, {target} ({horizon} month(s) ahead): {'; '.join(reasons)}"
        best[(code, target, level)] = Finding(
            rule,
            unit_kind,
            code,
            name,
            province,
            target,
            rule.severity,
            "forecast threshold",
            title,
            level,
            "probability",
            float(prob),
            None,
            None,
            evidence,
        )
    return list(best.values())


# ---- indicator thresholds ---------------------------------------------------------------------------------


def indicator(system: Session, rule: AlertRule) -> list[Finding]:
    """Findings from the latest verified value of the rule's indicator, per level."""
    from nigran.monitoring.models import Submission
    from nigran.policy.models import Framework, Indicator

    p = rule.params
    ind = system.scalar(
        select(Indicator)
        .join(Framework, Indicator.framework_id == Framework.id)
        .where(Framework.code == p.get("framework"), Indicator.code == p.get("indicator"))
    )
    if ind is None:
        return []
    subs = list(
        system.scalars(
            select(Submission)
            .where(
                Submission.indicator_id == ind.id,
                Submission.state == "verified",
                Submission.value.is_not(None),
            )
            .order_by(Submission.period_end.desc(), Submission.id.desc())
        )
    )
    out = []
    for level in _levels(rule):
        if Classification.parse(ind.classification) > level:
            continue
        latest = next((s for s in subs if Classification.parse(s.classification) <= level), None)
        if latest is None or latest.value is None:
            continue
        value = float(latest.value)
        used = [
            Classification.parse(rule.classification),
            Classification.parse(ind.classification),
            Classification.parse(latest.classification),
        ]
        reason = None
        target_value = None
        if p.get("behind_target"):
            year = latest.period_end.year
            target = next(
                (
                    t
                    for t in ind.targets
                    if t.year == year and Classification.parse(t.classification) <= level
                ),
                None,
            )
            if target is not None:
                used.append(Classification.parse(target.classification))
                target_value = float(target.value)
                if _behind(ind.direction, value, target_value, ind.band_min, ind.band_max):
                    reason = f"behind its {year} target ({value:g} against {target_value:g}, {ind.direction})"
        threshold = p.get("threshold")
        if (
            reason is None
            and p.get("comparison")
            and threshold is not None
            and compare(value, p["comparison"], float(threshold))
        ):
            reason = f"{value:g} {p['comparison']} {float(p['threshold']):g}"
        if reason is None or max(used) != level:
            continue
        code = f"{p['framework']}:{p['indicator']}"
        month = f"{latest.period_end.year:04d}-{latest.period_end.month:02d}"
        title = f"indicator {code} ({ind.name[:120]}): latest verified value {reason}"
        evidence = {
            "submission_ids": [latest.id],
            "period": [latest.period_start.isoformat(), latest.period_end.isoformat()],
            "target": target_value,
            "direction": ind.direction,
        }
        out.append(
            Finding(
                rule,
                "indicator",
                code,
                ind.name[:300],
                None,
                month,
                rule.severity,
                "indicator threshold",
                title,
                level,
                "value",
                value,
                target_value,
                None,
                evidence,
            )
        )
    return out


def _behind(direction: str, value: float, target: float, low: float | None, high: float | None) -> bool:
    if direction == "decrease":
        return value > target
    if direction == "maintain" and low is not None and high is not None:
        return not low <= value <= high
    return value < target
