"""Writes a framework back into the file format, as seen by the reader's clearance.

The output is the same shape ``load`` reads, so export → load round-trips without loss. Items above the
reader's clearance are absent because the session never returns them, not because this module filters.
"""

from __future__ import annotations

from typing import Any

from nigran.access.classification import Classification
from nigran.policy.models import Action, Framework, Indicator, Objective, Responsibility, Section


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != [] and value != {}:
        out[key] = value


def _level(obj: Any, parent: Classification) -> str | None:
    level = Classification.parse(obj.classification)
    return level.name if level != parent else None


def _responsible(rows: list[Responsibility]) -> list[dict[str, str]] | None:
    return [{"entity": r.entity.code, "role": r.role} for r in rows] or None


def framework_to_dict(fw: Framework) -> dict[str, Any]:
    level = Classification.parse(fw.classification)
    out: dict[str, Any] = {"code": fw.code, "title": fw.title}
    _put(out, "title_ur", fw.title_ur)
    out["classification"] = level.name
    out["period"] = {"start": fw.period_start, "end": fw.period_end}
    out["version"] = fw.version
    _put(
        out,
        "predecessor",
        fw.predecessor.code if fw.predecessor else (fw.extra or {}).get("predecessor_code"),
    )
    _put(out, "owner", fw.owner.code if fw.owner else None)
    _put(out, "description", fw.description)
    _put(out, "source", fw.source)
    _put(out, "illustrative", (fw.extra or {}).get("illustrative"))
    out["sections"] = [_section(s, level) for s in fw.sections if s.parent_id is None and s.parent is None]
    return {"format": "nigran-framework/1", "framework": out}


def _section(s: Section, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(s.classification)
    out: dict[str, Any] = {"code": s.code, "title": s.title}
    _put(out, "title_ur", s.title_ur)
    _put(out, "classification", _level(s, parent))
    _put(out, "description", s.description)
    if s.weight != 1.0:
        out["weight"] = s.weight
    _put(out, "sections", [_section(c, level) for c in s.subsections])
    _put(out, "objectives", [_objective(o, level) for o in s.objectives])
    return out


def _objective(o: Objective, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(o.classification)
    out: dict[str, Any] = {"code": o.code, "title": o.title}
    _put(out, "title_ur", o.title_ur)
    _put(out, "classification", _level(o, parent))
    _put(out, "description", o.description)
    if o.weight != 1.0:
        out["weight"] = o.weight
    _put(out, "indicators", [indicator_to_dict(i, level) for i in o.indicators])
    _put(out, "actions", [_action(a, level) for a in o.actions])
    return out


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def indicator_to_dict(i: Indicator, parent: Classification = Classification.PUBLIC) -> dict[str, Any]:
    out: dict[str, Any] = {"code": i.code, "name": i.name}
    _put(out, "name_ur", i.name_ur)
    _put(out, "classification", _level(i, parent))
    _put(out, "definition", i.definition)
    _put(out, "unit", i.unit)
    out["direction"] = i.direction
    if i.band_min is not None or i.band_max is not None:
        out["band"] = {"min": _number(i.band_min), "max": _number(i.band_max)}
    if i.baseline_value is not None:
        baseline: dict[str, Any] = {"value": _number(i.baseline_value)}
        _put(baseline, "date", i.baseline_date)
        out["baseline"] = baseline
    _put(out, "targets", {t.year: _number(t.value) for t in i.targets})
    _put(out, "source", i.data_source)
    out["frequency"] = i.frequency
    if i.weight != 1.0:
        out["weight"] = i.weight
    _put(out, "responsible", _responsible(i.responsibilities))
    if i.illustrative:
        out["illustrative"] = True
    _put(out, "incident_query", i.incident_query)
    return out


def _action(a: Action, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(a.classification)
    out: dict[str, Any] = {"code": a.code, "title": a.title}
    _put(out, "title_ur", a.title_ur)
    _put(out, "classification", _level(a, parent))
    _put(out, "description", a.description)
    _put(out, "owner", a.owner.code if a.owner else None)
    _put(out, "due", a.due_date)
    out["status"] = a.status
    if a.weight != 1.0:
        out["weight"] = a.weight
    _put(out, "responsible", _responsible(a.responsibilities))
    milestones = []
    for m in a.milestones:
        md: dict[str, Any] = {"code": m.code, "title": m.title}
        _put(md, "classification", _level(m, level))
        _put(md, "description", m.description)
        _put(md, "owner", m.owner.code if m.owner and m.owner is not a.owner else None)
        _put(md, "due", m.due_date)
        md["status"] = m.status
        _put(md, "completed_on", m.completed_on)
        milestones.append(md)
    _put(out, "milestones", milestones)
    return out
