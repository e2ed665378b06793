"""Printing scores, submissions and the review queue for the terminal. Nothing here computes a figure or
reads the database: the services hand over data, and JSON/CSV come from :mod:`score_output`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from nigran.cli_support import console, new_table
from nigran.core.wording import plural
from nigran.monitoring import score_output
from nigran.monitoring.scorecards import CycleComparison
from nigran.monitoring.scoring import IndicatorScore, MilestoneScore, Node
from nigran.monitoring.service import QueueItem

COLOURS = {"achieved": "green", "on_track": "cyan", "at_risk": "yellow", "off_track": "red", "no_data": "dim"}
NONE = "–"


def pct(x: float | None) -> str:
    return NONE if x is None else f"{100 * x:.0f}%"


def number(x: float | None) -> str:
    """A figure in full (never cut): up to two decimals, thousands separated."""
    if x is None:
        return NONE
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def day(x: date | datetime | None) -> str:
    if x is None:
        return NONE
    return x.strftime("%Y-%m-%d %H:%M") if isinstance(x, datetime) else x.isoformat()


def _status(s: str) -> str:
    return f"[{COLOURS.get(s, 'white')}]{s.replace('_', ' ')}[/]"


def _change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return NONE
    points = round(100 * (after - before))
    return "±0 pts" if points == 0 else f"{points:+d} pts"


def print_score(comparison: CycleComparison, by: str | None) -> None:
    fs = comparison.current
    rows = score_output.rows(comparison, by or "section")
    prev = comparison.previous
    since = f"{_change(prev.score if prev else None, fs.score)} since {prev.cycle.code if prev else NONE}"
    console.print(
        f"[bold]{fs.code}[/bold] {fs.title}\n"
        f"Cycle {fs.cycle.code} ({day(fs.cycle.period_start)} to {day(fs.cycle.period_end)}): "
        f"score {pct(fs.score)}, {_status(fs.status)} ({since})\n"
        f"Objectives achieved: {fs.objectives_achieved} of {len(fs.objectives())} "
        f"({pct(fs.share_objectives_achieved)}); data completeness {pct(fs.completeness)}; "
        f"timeliness {pct(fs.timeliness)}",
        highlight=False,
    )
    entity_level = (by or "section") in ("entity", "province")
    columns = ["code", "title", "score", "status", "change", "complete", "on time", "items"]
    table = new_table(
        *columns,
        *(["overdue"] if entity_level else []),
        numeric=("score", "change", "complete", "on time", "items", "overdue"),
        keep=("code",),
        title=f"by {by or 'section'}",
    )
    for r in rows:
        cells = [
            r["code"],
            r["title"],
            pct(r["score"]),
            _status(r["status"]),
            _change(r["previous_score"], r["score"]),
            pct(r["completeness"]),
            pct(r["timeliness"]),
            str(r["items"]),
        ]
        table.add_row(*cells, *([str(r["overdue"])] if entity_level else []))
    console.print(table)
    console.print("Scores use verified values only; see docs/methodology.md. Drill down: --drill CODE")


def print_drill(comparison: CycleComparison, code: str) -> None:
    node: Node = score_output.find(comparison.current, code)
    console.print(
        f"[bold]{node.code}[/bold] {node.title}: score {pct(node.score)}, {_status(node.status)}",
        highlight=False,
    )
    for leaf in score_output.leaves(node):
        console.print(_leaf_text(leaf), highlight=False)


def _leaf_text(leaf: IndicatorScore | MilestoneScore) -> str:
    """One item as a few lines: a table of eleven columns cannot be read in 80."""
    lines = [f"\n[bold]{leaf.code}[/bold] {leaf.title}", f"  score {pct(leaf.score)}, {_status(leaf.status)}"]
    if isinstance(leaf, IndicatorScore):
        unit = f" {leaf.unit}" if leaf.unit else ""
        lines[1] += (
            f"; value {number(leaf.value)}{unit} ({leaf.aggregation}); expected {number(leaf.expected)}; "
            f"baseline {number(leaf.baseline)}"
        )
        if leaf.basis:
            lines.append(f"  from: {leaf.basis}")
    else:
        lines[1] += f"; reported {leaf.reported_status or NONE}; due {day(leaf.due_date)}"
    if leaf.reason:
        lines.append(f"  {leaf.reason}")
    for ev in leaf.evidence:
        lines.append(
            f"  submission {ev.submission_id}: {ev.entity}, {day(ev.period_start)} to {day(ev.period_end)}, "
            f"verified by {ev.verified_by or NONE}; evidence: {ev.evidence or NONE}"
        )
    return "\n".join(lines)


def print_queue(items: list[QueueItem]) -> None:
    if not items:
        console.print("Nothing awaits review.")
        return
    table = new_table("id", "entity", "item", "value", "submitted", numeric=("id",))
    table.columns[2].min_width = max(len(q.item_code) for q in items)  # a code is never cut
    for q in items:
        value = (
            f"{number(q.value)} {q.unit or ''}".strip()
            if q.kind == "indicator"
            else (q.milestone_status or NONE).replace("_", " ")
        )
        mark = "\n(yours: four eyes)" if q.own else ""
        table.add_row(
            f"{q.submission_id}{'*' if q.state == 'resubmitted' else ''}",
            f"{q.entity}\n{q.entity_name}",
            f"{q.item_code}\n{q.item_title}",
            f"{value}\nfor {q.cycle}{mark}",
            f"{q.submitted_at:%Y-%m-%d}\n{q.submitted_by or NONE}" if q.submitted_at else NONE,
        )
    console.print(table)
    resubmitted = sum(1 for q in items if q.state == "resubmitted")
    console.print(
        f"{plural(len(items), 'submission')} {'awaits' if len(items) == 1 else 'await'} review, oldest first"
        + (f"; * resubmitted after a return ({resubmitted})" if resubmitted else "")
        + ".",
        highlight=False,
    )


def history_rows(sub: Any) -> list[list[str]]:
    rows = []
    for e in sub.events:
        reported = number(e.value) if e.value is not None else (e.milestone_status or NONE)
        rows.append(
            [
                str(e.seq),
                f"{e.action}\n{e.from_state or 'new'} → {e.to_state}",
                f"{e.actor}\n{day(e.at)}",
                reported,
                "\n".join(x for x in (e.evidence, e.comment and f"comment: {e.comment}") if x) or NONE,
            ]
        )
    return rows
