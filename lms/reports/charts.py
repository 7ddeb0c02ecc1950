"""Small, accessible SVG charts drawn on the server, each with a table beside or under it.

Charts take disclosure-controlled cells (`lms.reports.disclosure.Cell`): a hidden cell is drawn as
no bar and the text `[c]`, so neither its length, its label nor its `aria-label` gives it away.
Text in charts is page text or large for the chart's width, so it stays readable on a 360 px phone.
Colours are from the Okabe–Ito palette, which people with colour-blindness can tell apart, and
targets are drawn as a dashed line as well as in another colour.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from lms.core.i18n import _
from lms.reports.disclosure import Cell

BAR = "#0072B2"  # Okabe–Ito blue
TARGET = "#D55E00"  # Okabe–Ito vermillion
WIDTH = 400


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, Cell, float | None]], *, unit: str = "") -> Markup:
    """Horizontal bars, one per row (label, cell, optional target drawn as a dashed line).

    Labels and values are page text, at the page's size on any screen; each bar is a small SVG that
    stretches to the row's width (a width attribute, so the CSP needs no inline style), mirrored by
    the stylesheet in right-to-left languages."""
    if not rows:
        return Markup("")
    largest = max(max(cell.number or 0, target or 0) for _label, cell, target in rows) or 1
    described = "; ".join(_described(label, cell, target, unit) for label, cell, target in rows)
    parts = [f'<div class="bar-chart" id="{chart_id}" role="img" aria-label="{escape(title)}: {escape(described)}">']
    for label, cell, target in rows:
        bar = (cell.number or 0) / largest * 100
        marks = f'<rect x="0" y="2" width="{bar:.2f}" height="16" fill="{BAR}"/>' if bar else ""
        if target:
            x = min(target / largest * 100, 99.5)
            marks += (
                f'<line x1="{x:.2f}" x2="{x:.2f}" y1="0" y2="20" stroke="{TARGET}" stroke-width="3" '
                'stroke-dasharray="4 2" vector-effect="non-scaling-stroke"/>'
            )
        value = escape(cell.shown) + ("" if cell.hidden else escape(unit))
        parts.append(
            f'<div class="bar-row" aria-hidden="true"><span class="bar-label"><bdi>{escape(label)}</bdi></span>'
            f'<span class="bar-value">{value}</span>'
            f'<svg class="bar" viewBox="0 0 100 20" preserveAspectRatio="none" focusable="false" '
            f'xmlns="http://www.w3.org/2000/svg">{marks}</svg></div>'
        )
    parts.append("</div>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def column_chart(chart_id: str, title: str, rows: list[tuple[str, Cell]], *, maximum: float = 100) -> Markup:
    """Vertical columns over time (the attendance rate per week, in per cent); a hidden week has none."""
    if not rows:
        return Markup("")
    height, bottom, left = 200, 30, 50
    step = (WIDTH - left) / len(rows)
    every = max(1, round(len(rows) / 5))
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<line x1="{left}" x2="{WIDTH}" y1="{height - bottom}" y2="{height - bottom}" stroke="#505a5f"/>'
        f'<text x="{left - 4}" y="16" font-size="14" text-anchor="end">{maximum:.0f}%</text>'
        f'<text x="{left - 4}" y="{height - bottom}" font-size="14" text-anchor="end">0</text>'
    ]
    for index, (label, cell) in enumerate(rows):
        bar = (height - bottom - 12) * min(cell.number or 0, maximum) / maximum
        x = left + index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"><title>{escape(label)}: {escape(_shown(cell, "%"))}</title></rect>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'font-size="14">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def _shown(cell: Cell, unit: str) -> str:
    return cell.shown + ("" if cell.hidden else unit)


def _described(label: str, cell: Cell, target: float | None, unit: str) -> str:
    shown = _shown(cell, unit)
    if target:
        return _("%(label)s: %(value)s of a target of %(target)s", label=label, value=shown, target=_fmt(target))
    return f"{label}: {shown}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
