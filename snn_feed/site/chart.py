"""Pure: papers per month as an inline SVG bar chart, drawn here so the page needs no chart
library and no script: each bar links to its month's page and names its count in a tooltip.
Colours come from the style sheet (classes only, no inline style, which the page's
Content-Security-Policy would refuse)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = 8
"""Width of one month's bar, in the chart's own units (the chart scales to the page)."""
GAP = 2
HEIGHT = 120
"""Height of the tallest bar."""
_TOP, _BOTTOM, _LEFT = 14, 18, 30


def papers_per_month(counts: Sequence[tuple[str, int]]) -> Markup:
    """An `<svg>` of `counts` (`("2026-05", 12)` pairs, in any order; `undated` is left out),
    oldest month on the left; empty months between are drawn as gaps of their own."""
    by_month = {ym: n for m, n in counts if (ym := _year_month(m)) is not None}
    if not by_month:
        return Markup("")
    first, last = min(by_month), max(by_month)
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    top = max(by_month.values()) or 1
    width = _LEFT + span * (BAR + GAP)
    height = _TOP + HEIGHT + _BOTTOM
    parts = [
        f'<svg class="chart" id="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">每月论文数 · Papers per month</title>',
        f'<text class="axis" x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{top}</text>',
        f'<text class="axis" x="{_LEFT - 4}" y="{_TOP + HEIGHT}" text-anchor="end">0</text>',
        f'<line class="base" x1="{_LEFT}" y1="{_TOP + HEIGHT}" x2="{width}" y2="{_TOP + HEIGHT}"/>',
    ]
    year, month = first
    for i in range(span):
        key = f"{year}-{month:02d}"
        x = _LEFT + i * (BAR + GAP)
        count = by_month.get((year, month), 0)
        if count:
            h = max(1, round(count / top * HEIGHT))
            label = escape(f"{key}: {count}")
            parts.append(
                f'<a href="{escape(key)}.html"><rect class="bar" x="{x}" y="{_TOP + HEIGHT - h}" '
                f'width="{BAR}" height="{h}"><title>{label}</title></rect></a>'
            )
        if month == 1 or (i == 0 and month <= 10):  # a year's label, not two overlapping
            parts.append(f'<text class="axis" x="{x}" y="{_TOP + HEIGHT + 13}">{year}</text>')
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    parts.append("</svg>")
    return Markup("".join(parts))


def _year_month(key: str) -> tuple[int, int] | None:
    year, _, month = key.partition("-")
    if not (year.isdigit() and month.isdigit()):
        return None
    return int(year), int(month)
