"""The archive's figures of each portal's health, and the drift checks recorded for it.

What ``liaocheng-news status`` (and a status page) shows per portal: the last run, articles
archived in the last 24 hours and 7 days, when the last new one came, the share of failed
requests and of fallback extractions over the last 7 days of runs, how often published_at,
source and authors are filled, and the last ``check-portals`` result (``drift_checks``,
migration 6).  Every value is bound; the only pieces formatted into SQL are this module's
constants (the FILLED conditions), never input.
"""

from __future__ import annotations

import socket
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta, timezone

from psycopg.rows import dict_row

WINDOW_DAYS = 7

# Each portal's last run: the one that started last (ties: the higher id), through the index on
# (spider, started_at DESC).  Only columns api.crawl_runs also has (the site reads this statement
# through the api's views).
_LAST_RUNS = """
SELECT r.* FROM unnest(%(portals)s::text[]) AS n(spider) CROSS JOIN LATERAL (
    SELECT c.spider, c.id, c.started_at, c.finished_at, c.status, c.host, c.stats,
           c.stats->>'status_detail' AS detail
    FROM crawl_runs c WHERE c.spider = n.spider ORDER BY c.started_at DESC, c.id DESC LIMIT 1) AS r
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

# When a field of an article counts as filled: the one definition of ``*_fill`` here and of the
# web page's fill rates.  A text is filled when it holds more than whitespace (``_BLANK``: ASCII
# whitespace, NBSP and the ideographic space U+3000); title and body are never
# stored empty, so a plain comparison does (the body's by its length, which PostgreSQL reads from
# the value's header without fetching or decompressing the text).  NULL is never filled.
_BLANK = r"E' \t\n\r\f\x0b\u00a0\u3000'"
FILLED = {
    "title": "title <> ''",
    "published_at": "published_at IS NOT NULL",
    "body": "octet_length(body) > 0",
    "source": f"btrim(source, {_BLANK}) <> ''",
    "authors": "cardinality(authors) > 0",
    "editor": f"btrim(editor, {_BLANK}) <> ''",
    "reviewer": f"btrim(reviewer, {_BLANK}) <> ''",
    "channel": f"btrim(channel, {_BLANK}) <> ''",
    "images": "images <> '[]'::jsonb",
}

# The articles figures of each portal, read from the last days' rows alone (through the index on
# first_seen, which carries the portal: migration 0006): new in the last 24 hours and ``days`` days,
# the newest first seen, and how many of those days' articles are dated, have a source, have authors.
_ARTICLES = f"""
SELECT portal, count(*) FILTER (WHERE first_seen > %(day_ago)s) AS new_24h, count(*) AS new_7d,
       max(first_seen) AS last_new,
       count(*) FILTER (WHERE {FILLED["published_at"]}) AS dated,
       count(*) FILTER (WHERE {FILLED["source"]}) AS sourced,
       count(*) FILTER (WHERE {FILLED["authors"]}) AS authored
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


async def portal_figures(conn, portals: Iterable[str], now: datetime, days: int = WINDOW_DAYS, *,
                         drift: bool = True, judged: Collection[str] | None = None) -> dict[str, dict]:
    """portal -> ``{"last_run", "runs", "articles", "drift"}`` (each a dict, or None when there is
    none): what ``liaocheng-news status`` and the web's portals page judge a portal by.  The last
    run is the one that started last (ties: the higher id).  Tables are named without a schema, so
    on a connection whose search path is ``api`` (the site's) they are the api's views.
    ``judged``: the portals whose run, articles and drift figures are read (default: all; the
    others get their last run alone).  ``drift=False``: no drift check is read (an archive whose
    api has no view of them)."""
    portals = list(portals)
    figured = portals if judged is None else [p for p in portals if p in judged]
    out: dict[str, dict] = {p: {"last_run": None, "runs": None, "articles": None, "drift": None} for p in portals}
    cur = conn.cursor(row_factory=dict_row)
    for key, query, column, names in (("last_run", _LAST_RUNS, "spider", portals),
                                      ("runs", _RUN_FIGURES, "spider", figured),
                                      ("drift", _LAST_DRIFT, "portal", figured if drift else [])):
        if names:
            await cur.execute(query, {"portals": names, "days": days})
            for row in await cur.fetchall():
                out[row.pop(column)][key] = row
    for portal, figures in (await article_figures(conn, figured, now, days)).items():
        out[portal]["articles"] = figures
    return out


async def portal_health(pool, portals: Iterable[str], days: int = WINDOW_DAYS) -> dict[str, dict]:
    """:func:`portal_figures` of ``portals`` now, on a connection of ``pool``."""
    async with pool.connection() as conn:
        return await portal_figures(conn, portals, datetime.now(timezone.utc), days)


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
