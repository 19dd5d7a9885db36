"""Charts as inline SVG, drawn on the server: no script, no outside request, no colour-only meaning.

A horizontal bar chart with a label and the value written beside every bar (UI.md §2.6: direct labels,
bars over pies). Bars use `currentColor`, so they follow the page's text colour in light and dark themes.
The SVG carries <title> and <desc> for screen readers; the table under each chart holds the same numbers.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 500
LABEL_W = 195
VALUE_W = 85
ROW_H = 26
BAR_H = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no data, drawn as an empty row saying so
    text: str  # the value as the table shows it


def bar_chart(chart_id: str, *, title: str, desc: str, bars: Sequence[Bar]) -> SafeString:
    top = max((b.value or 0 for b in bars), default=0)
    scale = (WIDTH - LABEL_W - VALUE_W) / top if top > 0 else 0
    height = max(len(bars), 1) * ROW_H + 8
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="13" font-family="inherit">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * ROW_H
        mid = y + ROW_H / 2
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{mid:.1f}" text-anchor="end" dominant-baseline="middle" '
            f'fill="currentColor">{escape(bar.label)}</text>'
        )
        length = (bar.value or 0) * scale
        if length > 0:
            parts.append(
                f'<rect x="{LABEL_W}" y="{mid - BAR_H / 2:.1f}" width="{max(length, 1):.1f}" '
                f'height="{BAR_H}" rx="2" fill="currentColor" fill-opacity="0.55"/>'
            )
        parts.append(
            f'<text x="{LABEL_W + length + 6:.1f}" y="{mid:.1f}" dominant-baseline="middle" '
            f'fill="currentColor">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
