"""Writes a framework back into the file format, as seen by the reader's clearance.

The output is the same shape ``load`` reads, so export → load round-trips without loss. Items above the
reader's clearance are absent because the session never returns them, not because this module filters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nigran.access.classification import Classification
from nigran.policy import schema
from nigran.policy.models import Action, Framework, Indicator, Milestone, Objective, Responsibility, Section


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != [] and value != {}:
        out[key] = value


def _level(obj: Any, parent: Classification) -> str | None:
    level = Classification.parse(obj.classification)
    return level.name if level != parent else None


def _responsible(rows: list[Responsibility]) -> list[dict[str, str]] | None:
    return [{"entity": r.entity.code, "role": r.role} for r in rows] or None


def _emit(obj: Any, fields: dict[str, schema.Field], special: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """The item's keys in the order of :mod:`schema`: stored fields from their attribute (left out at their
    default unless ``always``), structured ones from ``special``; input aliases and unknown kinds skipped."""
    out: dict[str, Any] = {}
    for f in fields.values():
        if f.name in special:
            _put(out, f.name, special[f.name]())
        elif f.stored:
            value = getattr(obj, f.attr)  # type: ignore[arg-type]
            if f.kind == "entity":
                value = value.code if value is not None else None
            if f.always or value != f.default:
                _put(out, f.name, value)
    return out


def _predecessor(fw: Framework) -> str | None:
    """The predecessor's code only if this reader may see it: its code is its metadata, at its level.

    A predecessor in the database is a link (``predecessor_id``) that the guard resolves to nothing for a
    reader without clearance; only a predecessor that was never loaded is kept as the file's own text.
    """
    if fw.predecessor_id is not None:
        return fw.predecessor.code if fw.predecessor is not None else None
    return (fw.extra or {}).get("predecessor_code")


def framework_to_dict(fw: Framework) -> dict[str, Any]:
    level = Classification.parse(fw.classification)
    out = _emit(
        fw,
        schema.FRAMEWORK,
        {
            "classification": lambda: level.name,
            "period": lambda: {"start": fw.period_start, "end": fw.period_end},
            "predecessor": lambda: _predecessor(fw),
            "illustrative": lambda: (fw.extra or {}).get("illustrative"),
            "sections": lambda: [
                _section(s, level) for s in fw.sections if s.parent_id is None and s.parent is None
            ],
        },
    )
    out.setdefault("sections", [])
    return {"format": "nigran-framework/1", "framework": out}


def _section(s: Section, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(s.classification)
    return _emit(
        s,
        schema.SECTION,
        {
            "classification": lambda: _level(s, parent),
            "sections": lambda: [_section(c, level) for c in s.subsections],
            "objectives": lambda: [_objective(o, level) for o in s.objectives],
        },
    )


def _objective(o: Objective, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(o.classification)
    return _emit(
        o,
        schema.OBJECTIVE,
        {
            "classification": lambda: _level(o, parent),
            "indicators": lambda: [indicator_to_dict(i, level) for i in o.indicators],
            "actions": lambda: [_action(a, level) for a in o.actions],
        },
    )


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _band(i: Indicator) -> dict[str, Any] | None:
    if i.band_min is None and i.band_max is None:
        return None
    return {"min": _number(i.band_min), "max": _number(i.band_max)}


def _baseline(i: Indicator) -> dict[str, Any] | None:
    if i.baseline_value is None:
        return None
    baseline: dict[str, Any] = {"value": _number(i.baseline_value)}
    _put(baseline, "date", i.baseline_date)
    return baseline


def indicator_to_dict(i: Indicator, parent: Classification = Classification.PUBLIC) -> dict[str, Any]:
    return _emit(
        i,
        schema.INDICATOR,
        {
            "classification": lambda: _level(i, parent),
            "band": lambda: _band(i),
            "baseline": lambda: _baseline(i),
            "targets": lambda: {t.year: _number(t.value) for t in i.targets},
            "responsible": lambda: _responsible(i.responsibilities),
        },
    )


def _action(a: Action, parent: Classification) -> dict[str, Any]:
    level = Classification.parse(a.classification)
    return _emit(
        a,
        schema.ACTION,
        {
            "classification": lambda: _level(a, parent),
            "responsible": lambda: _responsible(a.responsibilities),
            "milestones": lambda: [_milestone(m, a, level) for m in a.milestones],
        },
    )


def _milestone(m: Milestone, a: Action, parent: Classification) -> dict[str, Any]:
    return _emit(
        m,
        schema.MILESTONE,
        {
            "classification": lambda: _level(m, parent),
            "owner": lambda: m.owner.code if m.owner and m.owner is not a.owner else None,
        },
    )
