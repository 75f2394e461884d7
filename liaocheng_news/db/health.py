"""The archive's figures of each portal's health, and the drift checks recorded for it.

What ``liaocheng-news status`` (and a status page) shows per portal: the last run, articles
archived in the last 24 hours and 7 days, when the last new one came, the share of failed
requests and of fallback extractions over the last 7 days of runs, how often published_at,
source and authors are filled, and the last ``check-portals`` result (``drift_checks``,
migration 6).  Every value is bound; nothing is formatted into SQL.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

from psycopg.rows import dict_row

WINDOW_DAYS = 7

_LAST_RUNS = """
SELECT DISTINCT ON (spider) spider, id, started_at, finished_at, status, host, pid,
       stats->>'status_detail' AS detail
FROM crawl_runs WHERE spider = ANY(%(portals)s) ORDER BY spider, id DESC
"""

_RUN_FIGURES = """
SELECT spider, count(*) AS runs,
       coalesce(sum((stats->>'pages_fetched')::bigint), 0)::bigint AS pages,
       coalesce(sum((stats->>'errors')::bigint), 0)::bigint AS errors,
       coalesce(sum((stats->>'articles_fetched')::bigint), 0)::bigint AS articles,
       coalesce(sum((stats->>'fallback_extractions')::bigint), 0)::bigint AS fallbacks
FROM crawl_runs
WHERE spider = ANY(%(portals)s) AND started_at > now() - make_interval(days => %(days)s) AND status <> 'running'
GROUP BY spider
"""

_ARTICLES = """
SELECT portal,
       count(*) FILTER (WHERE first_seen > now() - interval '24 hours') AS new_24h,
       count(*) FILTER (WHERE first_seen > now() - make_interval(days => %(days)s)) AS new_7d,
       max(first_seen) AS last_new,
       avg((published_at IS NOT NULL)::int) FILTER (WHERE first_seen > now() - make_interval(days => %(days)s))
           AS published_at_fill,
       avg((coalesce(source, '') <> '')::int) FILTER (WHERE first_seen > now() - make_interval(days => %(days)s))
           AS source_fill,
       avg((cardinality(authors) > 0)::int) FILTER (WHERE first_seen > now() - make_interval(days => %(days)s))
           AS authors_fill
FROM articles WHERE portal = ANY(%(portals)s) GROUP BY portal
"""

_LAST_DRIFT = """
SELECT DISTINCT ON (portal) portal, checked_at, verdict, detail, replay
FROM drift_checks WHERE portal = ANY(%(portals)s) ORDER BY portal, checked_at DESC, id DESC
"""


async def portal_health(pool, portals: Iterable[str], days: int = WINDOW_DAYS) -> dict[str, dict]:
    """portal -> ``{"last_run", "runs", "articles", "drift"}`` (each a dict, or None when there is none)."""
    portals = list(portals)
    params = {"portals": portals, "days": days}
    out: dict[str, dict] = {p: {"last_run": None, "runs": None, "articles": None, "drift": None} for p in portals}
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        for key, query, column in (("last_run", _LAST_RUNS, "spider"), ("runs", _RUN_FIGURES, "spider"),
                                   ("articles", _ARTICLES, "portal"), ("drift", _LAST_DRIFT, "portal")):
            await cur.execute(query, params)
            for row in await cur.fetchall():
                out[row.pop(column)][key] = row
    return out


async def record_drift_checks(pool, checks: Iterable[dict], replay: bool) -> int:
    """Store check-portals results (dicts with portal, verdict, detail, list_url, links,
    article_url, extraction, filled); returns how many."""
    rows = [(c["portal"], c["verdict"], c.get("detail") or "", c.get("list_url"), c.get("links") or 0,
             c.get("article_url"), c.get("extraction"), list(c.get("filled") or []), replay, socket.gethostname())
            for c in checks]
    async with pool.connection() as conn:
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO drift_checks (portal, verdict, detail, list_url, links, article_url, extraction, "
                "filled, replay, host) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return len(rows)
