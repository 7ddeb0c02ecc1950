"""Small, accessible SVG charts drawn on the server: each has a title and a table alternative beside it."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#1d4f91"
TARGET = "#b10e1e"


def bar_chart(title: str, rows: list[tuple[str, float, float | None]], *, unit: str = "") -> Markup:
    """Horizontal bars, one per row (label, value, optional target drawn as a line)."""
    if not rows:
        return Markup("")
    width, label_width, row_height = 640, 220, 28
    height = row_height * len(rows) + 20
    largest = max(max(value, target or 0) for _label, value, target in rows) or 1
    scale = (width - label_width - 70) / largest
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>'
    ]
    for index, (label, value, target) in enumerate(rows):
        y = 10 + index * row_height
        bar = max(value * scale, 1)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{bar:.1f}" height="18" fill="{BAR}"/>')
        parts.append(
            f'<text x="{label_width + bar + 6:.1f}" y="{y + 17}" font-size="13">{escape(_fmt(value))}{unit}</text>'
        )
        if target:
            x = label_width + target * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 26}" stroke="{TARGET}" stroke-width="3"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def column_chart(title: str, rows: list[tuple[str, float]], *, maximum: float = 100, unit: str = "%") -> Markup:
    """Vertical columns over time (e.g. the attendance rate per week)."""
    if not rows:
        return Markup("")
    width, height, bottom = 640, 220, 40
    step = (width - 40) / len(rows)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="column-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="column-title">{escape(title)}</title>'
        f'<line x1="30" x2="{width}" y1="{height - bottom}" y2="{height - bottom}" stroke="#505a5f"/>'
    ]
    for index, (label, value) in enumerate(rows):
        bar = (height - bottom - 20) * min(value, maximum) / maximum
        x = 30 + index * step
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 4, 2):.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"><title>{escape(label)}: {escape(_fmt(value))}{unit}</title></rect>'
        )
        if len(rows) <= 16 or index % 4 == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text node above is escaped


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
