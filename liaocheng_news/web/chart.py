"""A small line chart of counts per day, drawn on the server as inline SVG.

One ``<circle class="point">`` per day (with a ``<title>`` naming the day and its count, and
``data-day``/``data-count`` for tests and scrapers), joined by a polyline.  Colours come from the
site's stylesheet (classes only: no inline style, which the Content-Security-Policy forbids).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from liaocheng_news.web.models import DayCount

WIDTH, HEIGHT, PAD = 184, 44, 4


def day_chart(days: list[DayCount], label: str) -> Markup:
    """The SVG of ``days`` (oldest first); ``label`` names the chart for screen readers."""
    top = max((d.articles for d in days), default=0)
    step = (WIDTH - 2 * PAD) / max(len(days) - 1, 1)
    points = []
    for i, d in enumerate(days):
        x = PAD + i * step
        y = HEIGHT - PAD - (d.articles / top * (HEIGHT - 2 * PAD) if top else 0)
        points.append((round(x, 1), round(y, 1), d))
    total = sum(d.articles for d in days)
    summary = f"{label}: {total} in {len(days)} days, at most {top} a day"
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-label="{escape(summary)}">',
             f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>']
    if points:
        parts.append('<polyline class="line" points="' + " ".join(f"{x},{y}" for x, y, _ in points) + '"/>')
    for x, y, d in points:
        parts.append(f'<circle class="point" cx="{x}" cy="{y}" r="2" data-day="{d.day.isoformat()}" '
                     f'data-count="{d.articles}"><title>{d.day.isoformat()}: {d.articles}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
