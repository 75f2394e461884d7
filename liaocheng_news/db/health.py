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
from datetime import datetime, timedelta, timezone

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

# The articles figures of each portal, read from the last days' rows alone (through the index on
# first_seen, which carries the portal: migration 0006): new in the last 24 hours and ``days`` days,
# the newest first seen, and how many of those days' articles are dated, have a source, have authors.
_ARTICLES = """
SELECT portal, count(*) FILTER (WHERE first_seen > %(day_ago)s) AS new_24h, count(*) AS new_7d,
       max(first_seen) AS last_new,
       count(*) FILTER (WHERE published_at IS NOT NULL) AS dated,
       count(*) FILTER (WHERE coalesce(source, '') <> '') AS sourced,
       count(*) FILTER (WHERE cardinality(authors) > 0) AS authored
FROM articles WHERE first_seen > %(since)s AND portal = ANY(%(portals)s) GROUP BY portal
"""
# The newest article of a portal with none in those days, read from that portal's rows alone.
_LAST_NEW = """
SELECT p.portal, x.last_new FROM unnest(%(portals)s::text[]) AS p(portal)
CROSS JOIN LATERAL (SELECT max(a.first_seen) AS last_new FROM articles a WHERE a.portal = p.portal) AS x
WHERE x.last_new IS NOT NULL
"""

_LAST_DRIFT = """
SELECT DISTINCT ON (portal) portal, checked_at, verdict, detail, replay
FROM drift_checks WHERE portal = ANY(%(portals)s) ORDER BY portal, checked_at DESC, id DESC
"""


async def article_figures(conn, portals: list[str], now: datetime, days: int = WINDOW_DAYS) -> dict[str, dict]:
    """portal -> its articles figures up to ``now``: ``new_24h``, ``new_7d`` (the last ``days``
    days), ``last_new`` and the shares of those days' articles with ``published_at``, a source and
    authors (``*_fill``; None when there were none).  Portals with no article at all are left out."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_ARTICLES, {"portals": portals, "day_ago": now - timedelta(hours=24),
                                  "since": now - timedelta(days=days)})
    out = {r["portal"]: {"new_24h": r["new_24h"], "new_7d": r["new_7d"], "last_new": r["last_new"],
                         **{key: r[count] / r["new_7d"] for key, count in _SHARES}}
           for r in await cur.fetchall()}
    quiet = [p for p in portals if p not in out]
    if quiet:
        await cur.execute(_LAST_NEW, {"portals": quiet})
        for r in await cur.fetchall():
            out[r["portal"]] = {"new_24h": 0, "new_7d": 0, "last_new": r["last_new"],
                                **{key: None for key, _ in _SHARES}}
    return out


_SHARES = (("published_at_fill", "dated"), ("source_fill", "sourced"), ("authors_fill", "authored"))


async def portal_health(pool, portals: Iterable[str], days: int = WINDOW_DAYS) -> dict[str, dict]:
    """portal -> ``{"last_run", "runs", "articles", "drift"}`` (each a dict, or None when there is none)."""
    portals = list(portals)
    params = {"portals": portals, "days": days}
    out: dict[str, dict] = {p: {"last_run": None, "runs": None, "articles": None, "drift": None} for p in portals}
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        for key, query, column in (("last_run", _LAST_RUNS, "spider"), ("runs", _RUN_FIGURES, "spider"),
                                   ("drift", _LAST_DRIFT, "portal")):
            await cur.execute(query, params)
            for row in await cur.fetchall():
                out[row.pop(column)][key] = row
        for portal, figures in (await article_figures(conn, portals, datetime.now(timezone.utc), days)).items():
            out[portal]["articles"] = figures
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
