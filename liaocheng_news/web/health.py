"""Each portal's health at a glance: the rows of the portals page, and when one needs attention.

Which portals: every source the crawler reads (:data:`liaocheng_news.portals.PORTALS` with hosts:
the built-in ones and the operator's), with its kind, and any other portal the archive holds
(mirror and unknown copies, which only come by import).  Whether a crawled portal needs attention
is what ``liaocheng-news status`` says: :func:`liaocheng_news.attention.assess` with the
portal's limits (:func:`liaocheng_news.attention.thresholds`, PORTAL_THRESHOLDS in the settings:
government sources publish rarely and get longer silences), over the figures read by the
statements of :mod:`liaocheng_news.db.health` through the api's views.  The last drift check
(``liaocheng-news check-portals``) is shown when the api has a view of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from liaocheng_news.attention import assess
from liaocheng_news.portals import PORTALS
from liaocheng_news.web.models import DayCount, DriftCheck, LastRun, PortalHealth
from liaocheng_news.web.queries import FILL_FIELDS


def last_run(row: dict | None) -> LastRun | None:
    if row is None:
        return None
    stats = row["stats"] or {}
    return LastRun(id=row["id"], status=row["status"], started_at=row["started_at"], finished_at=row["finished_at"],
                   pages=stats.get("pages_fetched", 0), articles=stats.get("articles_fetched", 0),
                   errors=stats.get("errors", 0), fallbacks=stats.get("fallback_extractions", 0),
                   detail=row["detail"] or None)


def crawled() -> list[str]:
    """The portals the crawler reads (those with hosts; mirror and unknown come only by import)."""
    return sorted(name for name, p in PORTALS.items() if p.hosts)


def report(names: list[str], found: dict[str, Any], today: date, days: int, now: datetime,
           limits: Callable[[str], dict]) -> list[PortalHealth]:
    """The portals page's rows for ``names`` from :func:`liaocheng_news.web.queries.portals` (read
    with ``judged=crawled()``); ``limits(portal)`` is the portal's attention thresholds."""
    crawled_names = set(crawled())
    window = [today - timedelta(days=days - 1 - i) for i in range(days)]
    counts: dict[str, dict[date, int]] = {}
    for row in found["per_day"]:
        counts.setdefault(row["portal"], {})[row["day"]] = row["articles"]
    rows = []
    for name in names:
        by_day = counts.get(name, {})
        per_day = [DayCount(day=d, articles=by_day.get(d, 0)) for d in window]
        filled = found["filled"].get(name)
        fill = {f: (filled[f] / filled["articles"] if filled else None) for f in FILL_FIELDS}
        figures = found["health"][name]
        is_crawled = name in crawled_names
        check = figures["drift"]
        rows.append(PortalHealth(
            portal=name, title=PORTALS[name].title if name in PORTALS else None,
            kind=PORTALS[name].kind if name in PORTALS else None, crawled=is_crawled,
            last_run=last_run(figures["last_run"]), per_day=per_day, window_articles=sum(d.articles for d in per_day),
            last_new_day=max((d.day for d in per_day if d.articles), default=None),
            fill_articles=filled["articles"] if filled else 0, fill_rates=fill,
            last_drift_check=DriftCheck(**check) if check else None,
            attention=assess(name, figures, limits(name), now)["attention"] if is_crawled else []))
    return rows
