"""Scores as data for other tools (JSON, CSV), and the choice of format: the part of ``nigran score`` a web
route would share. Nothing here computes a figure (that is :mod:`scoring`) or prints (that is the CLI)."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from nigran.core import jsonout
from nigran.core.cells import csv_writer
from nigran.core.errors import NotFound
from nigran.monitoring.scorecards import CycleComparison, scorecard
from nigran.monitoring.scoring import FrameworkScore, IndicatorScore, MilestoneScore, Node

FORMATS = ("table", "json", "csv")


def to_dict(node: Any) -> Any:
    """A score tree (or any of its nodes) as plain data, with ``submission_ids`` spelled out on leaves."""
    if isinstance(node, list | tuple):
        return [to_dict(x) for x in node]
    if isinstance(node, dict):
        return {k: to_dict(v) for k, v in node.items()}
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    data = {f.name: to_dict(getattr(node, f.name)) for f in dataclasses.fields(node)}
    if isinstance(node, IndicatorScore | MilestoneScore):
        data["submission_ids"] = node.submission_ids
    if isinstance(node, FrameworkScore):
        data["share_objectives_achieved"] = node.share_objectives_achieved
        data["objectives_achieved"] = node.objectives_achieved
        data["objectives_total"] = len(node.objectives())
    return data


def rows(comparison: CycleComparison, by: str) -> list[dict[str, Any]]:
    """The scorecard ``by`` section, objective, entity or province, each row with its previous score."""
    before: dict[str, float | None] = {}
    if comparison.previous is not None:
        before = {r.code: r.score for r in scorecard(comparison.previous, by)}
    out = []
    for r in scorecard(comparison.current, by):
        d = dataclasses.asdict(r)
        d["counts"] = ";".join(f"{k}={v}" for k, v in r.counts.items())
        d["drill"] = " ".join(r.drill)
        d["previous_score"] = before.get(r.code)
        out.append(d)
    return out


def find(fs: FrameworkScore, code: str) -> Node:
    node = fs.find(code)
    if node is None:
        raise NotFound(f"{code} is not part of {fs.code} (or you may not see it)")
    return node


def leaves(node: Node) -> list[IndicatorScore | MilestoneScore]:
    """The indicators and milestones behind a node (the node itself for a leaf)."""
    if isinstance(node, IndicatorScore | MilestoneScore):
        return [node]
    if hasattr(node, "items"):
        return node.items()  # type: ignore[no-any-return, attr-defined]
    objectives = node.all_objectives() if hasattr(node, "all_objectives") else node.objectives()  # type: ignore[attr-defined]
    return [i for o in objectives for i in o.items()]


DRILL_COLUMNS = (
    "code", "title", "score", "status", "value", "unit", "aggregation", "expected", "baseline", "basis",
    "period_start", "period_end", "submission_ids", "entities", "verified_by", "reason",
)  # fmt: skip


def drill_rows(node: Node) -> list[dict[str, Any]]:
    out = []
    for leaf in leaves(node):
        ev = leaf.evidence
        ind = leaf if isinstance(leaf, IndicatorScore) else None
        out.append(
            {
                "code": leaf.code,
                "title": leaf.title,
                "score": leaf.score,
                "status": leaf.status,
                "value": ind.value if ind else getattr(leaf, "reported_status", None),
                "unit": ind.unit if ind else None,
                "aggregation": ind.aggregation if ind else None,
                "expected": ind.expected if ind else None,
                "baseline": ind.baseline if ind else None,
                "basis": ind.basis if ind else None,
                "period_start": min((e.period_start for e in ev), default=None),
                "period_end": max((e.period_end for e in ev), default=None),
                "submission_ids": " ".join(str(e.submission_id) for e in ev),
                "entities": " ".join(dict.fromkeys(e.entity for e in ev)),
                "verified_by": " ".join(dict.fromkeys(e.verified_by or "" for e in ev)).strip(),
                "reason": leaf.reason,
            }
        )
    return out


def _csv(records: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in records:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue()


def export(comparison: CycleComparison, fmt: str, by: str | None = None, drill: str | None = None) -> str:
    """The scores as JSON (the whole tree, a scorecard, or the leaves behind ``drill``) or CSV."""
    fs = comparison.current
    if drill:
        node = find(fs, drill)
        if fmt == "json":
            return jsonout.dumps([to_dict(x) for x in leaves(node)], indent=2) + "\n"
        return _csv(drill_rows(node), list(DRILL_COLUMNS))
    if fmt == "json":
        return jsonout.dumps(rows(comparison, by) if by else to_dict(fs), indent=2) + "\n"
    records = rows(comparison, by or "section")
    columns = list(records[0]) if records else ["code"]
    return _csv(records, columns)
