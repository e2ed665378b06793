"""Charts as inline SVG, drawn here without JavaScript, fonts or anything from the network.

A printed committee paper must look the same in a browser, in WeasyPrint and on paper, so the charts are
plain rectangles and text. Every segment also carries its count as text and the legend names each status,
so the chart reads in black and white and to a screen reader (``<title>`` elements).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from html import escape

from nigran.reports.model import STATUS_LABELS, STATUSES

COLOURS = {
    "achieved": "#1b5e20",
    "on_track": "#66bb6a",
    "at_risk": "#f9a825",
    "off_track": "#c62828",
    "no_data": "#9e9e9e",
}
TEXT_ON = {
    "achieved": "#ffffff",
    "on_track": "#0b2e0d",
    "at_risk": "#2b1d00",
    "off_track": "#ffffff",
    "no_data": "#1a1a1a",
}
FONT = 'font-family="Noto Sans, DejaVu Sans, sans-serif"'

#: A generous average advance of a 9 px Noto Sans character, so a label measured with it fits its column.
CHAR_PX = 5.6
LINE_PX = 10


def label_lines(text: str, width_px: float, max_lines: int = 2) -> list[str]:
    """``text`` wrapped to lines that fit ``width_px``; only the last line is shortened (with "…") if the
    whole does not fit, so a label is never cut at the chart's left edge."""
    limit = max(8, int(width_px / CHAR_PX))
    lines = textwrap.wrap(text, limit) or [""]
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], rest[: limit - 1].rstrip() + "…"]
    return lines


def _label_svg(text: str, x: float, y_mid: float, width_px: float) -> str:
    """Right-aligned label, vertically centred on ``y_mid``, one ``<tspan>`` per line."""
    lines = label_lines(text, width_px)
    first = y_mid + 3 - (len(lines) - 1) * LINE_PX / 2
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{first + n * LINE_PX:.1f}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    return f'<text font-size="9" text-anchor="end" {FONT}><title>{escape(text)}</title>{spans}</text>'


def legend(y: float, width: float) -> str:
    parts, x = [], 0.0
    step = width / len(STATUSES)
    for key in STATUSES:
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{COLOURS[key]}"/>'
            f'<text x="{x + 14:.1f}" y="{y + 9:.1f}" font-size="9" {FONT}>{STATUS_LABELS[key]}</text>'
        )
        x += step
    return "".join(parts)


def status_bars(
    rows: Sequence[tuple[str, dict[str, int]]],
    *,
    width: int = 680,
    label_width: int = 210,
    title: str = "Status of objectives",
) -> str:
    """One stacked horizontal bar per row (e.g. per section): how many objectives stand in each band."""
    bar_h, top = 16, 4
    step = max(
        bar_h + 7, max((len(label_lines(r[0], label_width - 8)) for r in rows), default=1) * LINE_PX + 6
    )
    height = top + len(rows) * step + 24
    plot = width - label_width - 40
    biggest = max((sum(c.values()) for _, c in rows), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
    ]
    for n, (label, counts) in enumerate(rows):
        y = top + n * step
        out.append(_label_svg(label, label_width - 6, y + bar_h / 2, label_width - 8))
        x = float(label_width)
        for key in STATUSES:
            value = counts.get(key, 0)
            if not value:
                continue
            w = plot * value / biggest
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[key]}">'
                f"<title>{escape(label)}: {value} {STATUS_LABELS[key].lower()}</title></rect>"
            )
            if w >= 12:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 12}" font-size="9" text-anchor="middle" '
                    f'fill="{TEXT_ON[key]}" {FONT}>{value}</text>'
                )
            x += w
        total = sum(counts.values())
        out.append(f'<text x="{x + 4:.1f}" y="{y + 12}" font-size="9" fill="#444" {FONT}>{total}</text>')
    out.append(legend(height - 14, width - 40))
    out.append("</svg>")
    return "".join(out)


def share_bar(counts: dict[str, int], *, width: int = 680, title: str = "Objectives by status") -> str:
    """One full-width bar of shares (100%), for the executive summary's headline."""
    total = sum(counts.values())
    height = 58
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for key in STATUSES:
        value = counts.get(key, 0)
        if not value or not total:
            continue
        w = width * value / total
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="26" fill="{COLOURS[key]}"/>')
        if w >= 34:
            out.append(
                f'<text x="{x + w / 2:.1f}" y="17" font-size="10" text-anchor="middle" fill="{TEXT_ON[key]}" '
                f"{FONT}>{round(100 * value / total)}%</text>"
            )
        x += w
    if not total:
        out.append(f'<rect x="0" y="0" width="{width}" height="26" fill="#eeeeee"/>')
    out.append(legend(38, width))
    out.append("</svg>")
    return "".join(out)


def score_bars(
    rows: Sequence[tuple[str, float | None]],
    *,
    width: int = 680,
    label_width: int = 210,
    title: str = "Scores",
) -> str:
    """Horizontal bars of scores 0–100%; a row without data says so instead of drawing a zero."""
    bar_h = 12
    step = max(
        bar_h + 6, max((len(label_lines(r[0], label_width - 8)) for r in rows), default=1) * LINE_PX + 4
    )
    height = len(rows) * step + 6
    plot = width - label_width - 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(rows):
        y = 2 + n * step
        out.append(
            _label_svg(label, label_width - 6, y + bar_h / 2, label_width - 8)
            + f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_h}" fill="#f1f1f1"/>'
        )
        if value is None:
            out.append(
                f'<text x="{label_width + 4}" y="{y + 10}" font-size="9" fill="#555" {FONT}>no data</text>'
            )
            continue
        w = plot * max(0.0, min(1.0, value))
        out.append(
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#37474f"/>'
            f'<text x="{label_width + plot + 4}" y="{y + 10}" font-size="9" {FONT}>'
            f"{round(100 * value)}%</text>"
        )
    out.append("</svg>")
    return "".join(out)
