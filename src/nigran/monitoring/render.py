"""Printing scores for the terminal, and as JSON or CSV for other tools. Nothing here computes a figure."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date, datetime
from typing import Any

import typer
from rich.table import Table

from nigran.cli_support import console, fail
from nigran.monitoring.scorecards import CycleComparison, ScorecardRow, scorecard
from nigran.monitoring.scoring import FrameworkScore, IndicatorScore, MilestoneScore, Node

COLOURS = {"achieved": "green", "on_track": "cyan", "at_risk": "yellow", "off_track": "red", "no_data": "dim"}


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _default(value: object) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


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


def _status(s: str) -> str:
    return f"[{COLOURS.get(s, 'white')}]{s}[/]"


def _change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "–"
    points = round(100 * (after - before))
    return "±0 pts" if points == 0 else f"{points:+d} pts"


def _rows(comparison: CycleComparison, by: str) -> list[ScorecardRow]:
    return scorecard(comparison.current, by)


def render_score(comparison: CycleComparison, by: str | None, fmt: str, drill: str | None) -> None:
    fs = comparison.current
    if drill:
        node = fs.find(drill)
        if node is None:
            fail(f"{drill} is not part of {fs.code} (or you may not see it)")
        _drill(node, fmt)  # type: ignore[arg-type]
        return
    if fmt == "json":
        payload = _rows_dicts(comparison, by) if by else to_dict(fs)
        typer.echo(json.dumps(payload, default=_default, indent=2, ensure_ascii=False))
        return
    rows = _rows_dicts(comparison, by or "section")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["code"])
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(out.getvalue().rstrip("\n"))
        return
    prev = comparison.previous
    since = f"{_change(prev.score if prev else None, fs.score)} since {prev.cycle.code if prev else '–'}"
    period = f"{fs.cycle.period_start}..{fs.cycle.period_end}"
    console.print(
        f"[bold]{fs.code}[/bold] {fs.title} — cycle {fs.cycle.code} ({period})\n"
        f"Score {pct(fs.score)} {_status(fs.status)} ({since}); objectives achieved "
        f"{fs.objectives_achieved}/{len(fs.objectives())} = {pct(fs.share_objectives_achieved)}; "
        f"data completeness {pct(fs.completeness)}; timeliness {pct(fs.timeliness)}",
        highlight=False,
    )
    table = Table(
        "code",
        "title",
        "score",
        "status",
        "change",
        "complete",
        "on time",
        "items",
        "overdue",
        title=f"by {by or 'section'}",
        title_justify="left",
    )
    for r in rows:
        table.add_row(
            r["code"],
            r["title"][:60],
            pct(r["score"]),
            _status(r["status"]),
            _change(r["previous_score"], r["score"]),
            pct(r["completeness"]),
            pct(r["timeliness"]),
            str(r["items"]),
            str(r["overdue"]) if r["level"] in ("entity", "province") else "–",
        )
    console.print(table)
    console.print("Scores use verified values only; see docs/methodology.md. Drill down: --drill CODE")


def _rows_dicts(comparison: CycleComparison, by: str) -> list[dict[str, Any]]:
    try:
        rows = _rows(comparison, by)
    except ValueError as exc:
        fail(str(exc), 2)
    before: dict[str, float | None] = {}
    if comparison.previous is not None:
        before = {r.code: r.score for r in scorecard(comparison.previous, by)}
    out = []
    for r in rows:
        d = dataclasses.asdict(r)
        d["counts"] = ";".join(f"{k}={v}" for k, v in r.counts.items())
        d["drill"] = " ".join(r.drill)
        d["previous_score"] = before.get(r.code)
        out.append(d)
    return out


def _drill(node: Node, fmt: str) -> None:
    leaves: list[IndicatorScore | MilestoneScore]
    if isinstance(node, IndicatorScore | MilestoneScore):
        leaves = [node]
    elif hasattr(node, "items"):
        leaves = node.items()  # type: ignore[attr-defined]
    else:
        leaves = [
            i
            for o in (node.all_objectives() if hasattr(node, "all_objectives") else node.objectives())  # type: ignore[attr-defined]
            for i in o.items()
        ]
    if fmt == "json":
        typer.echo(json.dumps([to_dict(x) for x in leaves], default=_default, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{node.code}[/bold] {node.title}: score {pct(node.score)} {_status(node.status)}")
    table = Table(
        "item",
        "score",
        "status",
        "value",
        "expected",
        "baseline",
        "period",
        "submission",
        "entity",
        "verified by",
        "evidence",
    )
    table.columns[0].no_wrap = True
    for leaf in leaves:
        ev = leaf.evidence[0] if leaf.evidence else None
        value = (
            f"{leaf.value:g}"
            if isinstance(leaf, IndicatorScore) and leaf.value is not None
            else (leaf.reported_status or "")
            if isinstance(leaf, MilestoneScore)
            else ""
        )
        expected = (
            f"{leaf.expected:g}" if isinstance(leaf, IndicatorScore) and leaf.expected is not None else ""
        )
        baseline = (
            f"{leaf.baseline:g}" if isinstance(leaf, IndicatorScore) and leaf.baseline is not None else ""
        )
        table.add_row(
            leaf.code,
            pct(leaf.score),
            _status(leaf.status),
            value or (getattr(leaf, "reason", "") or ""),
            expected,
            baseline,
            f"{ev.period_start}..{ev.period_end}" if ev else "",
            str(ev.submission_id) if ev else "",
            ev.entity if ev else "",
            ev.verified_by or "" if ev else "",
            (ev.evidence or "")[:40] if ev else "",
        )
    console.print(table)
