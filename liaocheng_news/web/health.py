"""Each portal's health at a glance: the rows of the portals page, and when one needs attention.

A portal needs attention (the page marks it red and says why) when the crawler knows it and
  * it was never crawled, or no article was first seen on it today or yesterday;
  * its last run ended with anything but ``finished``, or counted errors;
  * its last run is still ``running`` after :data:`STALE_RUN` (its process probably died).
Drift checks (``liaocheng-news check-portals``) are not recorded in the archive yet, so the last
drift-check result is always "never" until they are.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from liaocheng_news.portals import PORTALS
from liaocheng_news.web.models import DayCount, LastRun, PortalHealth
from liaocheng_news.web.queries import FILL_FIELDS

STALE_RUN = timedelta(hours=12)
QUIET_DAYS = 2  # no new article on this many days (today included) needs attention


def last_run(row: dict | None) -> LastRun | None:
    if row is None:
        return None
    stats = row["stats"] or {}
    return LastRun(id=row["id"], status=row["status"], started_at=row["started_at"], finished_at=row["finished_at"],
                   pages=stats.get("pages_fetched", 0), articles=stats.get("articles_fetched", 0),
                   errors=stats.get("errors", 0), fallbacks=stats.get("fallback_extractions", 0))


def attention(crawled: bool, run: LastRun | None, per_day: list[DayCount], now: datetime) -> list[str]:
    """Why a portal needs attention (empty: it looks healthy)."""
    if not crawled:
        return []
    reasons = []
    if run is None:
        reasons.append("never crawled")
    else:
        if run.status == "running":
            if now - run.started_at > STALE_RUN:
                reasons.append(f"last run (#{run.id}) still running after {STALE_RUN.total_seconds() / 3600:.0f} hours")
        elif run.status != "finished":
            reasons.append(f"last run (#{run.id}) ended {run.status}")
        if run.errors:
            reasons.append(f"last run (#{run.id}) counted {run.errors} error{'s' if run.errors != 1 else ''}")
    if not any(d.articles for d in per_day[-QUIET_DAYS:]):
        reasons.append(f"no new article in {QUIET_DAYS} days")
    return reasons


def crawled() -> list[str]:
    """The portals the crawler reads (those with hosts; mirror and unknown come only by import)."""
    return sorted(name for name, p in PORTALS.items() if p.hosts)


def report(names: list[str], found: dict[str, Any], today: date, days: int, now: datetime) -> list[PortalHealth]:
    """The portals page's rows for ``names`` from :func:`liaocheng_news.web.queries.portals`."""
    runs, crawled_names = found["last_runs"], set(crawled())
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
        run = last_run(runs.get(name))
        rows.append(PortalHealth(
            portal=name, title=PORTALS[name].title if name in PORTALS else None, crawled=name in crawled_names,
            last_run=run, per_day=per_day, window_articles=sum(d.articles for d in per_day),
            last_new_day=max((d.day for d in per_day if d.articles), default=None),
            fill_articles=filled["articles"] if filled else 0, fill_rates=fill, last_drift_check=None,
            attention=attention(name in crawled_names, run, per_day, now)))
    return rows
