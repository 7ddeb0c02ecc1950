"""Small, accessible SVG charts drawn on the server, each with a table beside or under it.

Charts take disclosure-controlled cells (`lms.reports.disclosure.Cell`): a hidden cell is drawn as
no bar and the text `[c]`, so neither its length, its label nor its `aria-label` gives it away.
Each chart is 400 units wide with its labels on their own line, so text stays readable on a 360 px
phone. Colours are from the Okabe–Ito palette, which people with colour-blindness can tell apart,
and targets are drawn as a dashed line as well as in another colour.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from lms.core.i18n import _
from lms.reports.disclosure import Cell

BAR = "#0072B2"  # Okabe–Ito blue
TARGET = "#D55E00"  # Okabe–Ito vermillion
WIDTH = 400


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, Cell, float | None]], *, unit: str = "") -> Markup:
    """Horizontal bars, one per row (label, cell, optional target drawn as a dashed line)."""
    if not rows:
        return Markup("")
    row_height, bar_height, value_room = 46, 18, 56
    height = row_height * len(rows) + 8
    largest = max(max(cell.number or 0, target or 0) for _label, cell, target in rows) or 1
    scale = (WIDTH - value_room) / largest
    described = "; ".join(_described(label, cell, target, unit) for label, cell, target in rows)
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(described)}</desc>'
    ]
    for index, (label, cell, target) in enumerate(rows):
        y = 4 + index * row_height
        parts.append(f'<text x="0" y="{y + 14}" font-size="14">{escape(label)}</text>')
        bar = (cell.number or 0) * scale
        if bar:
            parts.append(f'<rect x="0" y="{y + 20}" width="{bar:.1f}" height="{bar_height}" fill="{BAR}"/>')
        parts.append(
            f'<text x="{bar + 6:.1f}" y="{y + 34}" font-size="14" font-weight="bold">'
            f"{escape(cell.shown)}{unit if not cell.hidden else ''}</text>"
        )
        if target:
            x = target * scale
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 16}" y2="{y + 42}" stroke="{TARGET}" '
                'stroke-width="3" stroke-dasharray="4 2"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def column_chart(chart_id: str, title: str, rows: list[tuple[str, float]], *, maximum: float = 100) -> Markup:
    """Vertical columns over time (the attendance rate per week, in per cent: not counts of people)."""
    if not rows:
        return Markup("")
    height, bottom, left = 200, 28, 34
    step = (WIDTH - left) / len(rows)
    every = max(1, round(len(rows) / 8))
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<line x1="{left}" x2="{WIDTH}" y1="{height - bottom}" y2="{height - bottom}" stroke="#505a5f"/>'
        f'<text x="{left - 4}" y="16" font-size="12" text-anchor="end">{maximum:.0f}%</text>'
        f'<text x="{left - 4}" y="{height - bottom}" font-size="12" text-anchor="end">0</text>'
    ]
    for index, (label, value) in enumerate(rows):
        bar = (height - bottom - 12) * min(value, maximum) / maximum
        x = left + index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"><title>{escape(label)}: {escape(_fmt(value))}%</title></rect>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'font-size="12">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def _described(label: str, cell: Cell, target: float | None, unit: str) -> str:
    shown = cell.shown + ("" if cell.hidden else unit)
    if target:
        return _("%(label)s: %(value)s of a target of %(target)s", label=label, value=shown, target=_fmt(target))
    return f"{label}: {shown}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
