"""Every statement the site runs: reads of the ``api`` schema only, values always bound.

Each function takes a connection from :mod:`.reader` (dict rows, Asia/Shanghai) and returns plain
dicts and lists; :mod:`.app` shapes them into pages and JSON.  The few SQL fragments formatted
into a statement are constants of this module or of :mod:`liaocheng_news.db.health`, never input.
What ``liaocheng-news status`` reads of each portal is read by its own function
(:func:`liaocheng_news.db.health.portal_figures`), whose statements name tables without a schema:
on the site's connections (search path ``api``) those are the api's views.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import psycopg

from liaocheng_news.db import health as db_health
from liaocheng_news.text.fields import SHANGHAI
from liaocheng_news.web.reader import TIME_ZONE

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_STORY_ID = 2**63 - 1


class BadRequest(ValueError):
    """A query parameter the site cannot use; the message says which and why."""


# -- the stories list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoryFilters:
    """Which rows to list.  With no portal or channel, a row is a story's canonical copy; with
    one, a row is a copy on that portal and/or in that channel (a story carried there).  Dates
    are the row's publication day in Asia/Shanghai, both included; a date filter leaves undated
    rows out."""

    portal: str | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def canonical_only(self) -> bool:
        return self.portal is None and self.channel is None

    @property
    def dated_only(self) -> bool:
        return self.since is not None or self.until is not None

    def params(self) -> dict[str, Any]:
        def midnight(day: date | None, shift: int = 0) -> datetime | None:
            return None if day is None else datetime.combine(day + timedelta(days=shift), time(), SHANGHAI)

        return {"channel": self.channel, "canonical": self.canonical_only, "since": midnight(self.since),
                "until": midnight(self.until, 1)}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row of article ``article_id`` published at ``published_at``
    (None: undated; undated rows come after every dated one).  Written ``<µs since 1970>.<id>``
    or ``u.<id>``."""

    published_at: datetime | None
    article_id: int

    _FORM = re.compile(r"^(u|-?\d{1,19})\.(\d{1,19})$")

    def __str__(self) -> str:
        if self.published_at is None:
            return f"u.{self.article_id}"
        return f"{(self.published_at - EPOCH) // timedelta(microseconds=1)}.{self.article_id}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        m = cls._FORM.match(text)
        if not m or int(m.group(2)) > MAX_STORY_ID:
            raise BadRequest(f"before={text!r} is not a position in the list (use the link to the next page)")
        try:
            at = None if m.group(1) == "u" else EPOCH + timedelta(microseconds=int(m.group(1)))
        except OverflowError:
            raise BadRequest(f"before={text!r} names a time out of range") from None
        return cls(at, int(m.group(2)))


# Newest publication first, undated rows after all dated ones: each portal's rows are read in the
# order of the index on (portal, published_at DESC), at most a page from each, and merged; then
# the story figures (api.stories aggregates each story's copies) are read for the page's rows only.
_ROWS = """
WITH page AS (
    SELECT x.* FROM unnest(%(portals)s::text[]) AS p(portal)
    CROSS JOIN LATERAL (
        SELECT a.story_id, a.id AS article_id, a.title, a.published_at, a.portal, a.channel
        FROM api.articles a
        WHERE a.portal = p.portal AND {where}
          AND (NOT %(canonical)s OR a.is_canonical)
          AND (%(channel)s::text IS NULL OR a.channel = %(channel)s)
        ORDER BY {order} LIMIT %(limit)s) AS x
    ORDER BY {order_x} LIMIT %(limit)s
)
SELECT p.story_id AS id, p.article_id, p.title, p.published_at, p.portal, p.channel, s.copies, s.portals
FROM page p JOIN api.stories s ON s.id = p.story_id
ORDER BY {order_p}
"""
_DATED = _ROWS.format(
    where="""a.published_at IS NOT NULL
          AND (%(since)s::timestamptz IS NULL OR a.published_at >= %(since)s)
          AND (%(until)s::timestamptz IS NULL OR a.published_at < %(until)s)
          AND (%(after_at)s::timestamptz IS NULL OR a.published_at <= %(after_at)s)
          AND (%(after_at)s::timestamptz IS NULL OR a.published_at < %(after_at)s OR a.id < %(after_id)s)""",
    order="a.published_at DESC, a.id DESC", order_x="x.published_at DESC, x.article_id DESC",
    order_p="p.published_at DESC, p.article_id DESC")
# Undated rows, newest id first: one scan over the portals together (the id order of the primary
# key), since an index on (portal, published_at) keeps no order among a portal's undated rows.
_UNDATED = """
WITH page AS (
    SELECT a.story_id, a.id AS article_id, a.title, a.published_at, a.portal, a.channel
    FROM api.articles a
    WHERE a.portal = ANY(%(portals)s::text[]) AND a.published_at IS NULL
      AND (%(after_id)s::bigint IS NULL OR a.id < %(after_id)s)
      AND (NOT %(canonical)s OR a.is_canonical)
      AND (%(channel)s::text IS NULL OR a.channel = %(channel)s)
    ORDER BY a.id DESC LIMIT %(limit)s
)
SELECT p.story_id AS id, p.article_id, p.title, p.published_at, p.portal, p.channel, s.copies, s.portals
FROM page p JOIN api.stories s ON s.id = p.story_id
ORDER BY p.article_id DESC
"""


async def stories(conn: psycopg.AsyncConnection, filters: StoryFilters, portals: list[str], after: Cursor | None,
                  limit: int) -> tuple[list[dict], Cursor | None]:
    """A page of rows from ``portals`` (the portals that can match the filters) and the cursor of
    the next page (None on the last)."""
    params = {**filters.params(), "portals": portals, "limit": limit + 1,
              "after_at": after.published_at if after else None, "after_id": after.article_id if after else None}
    rows = []
    if after is None or after.published_at is not None:
        rows = await (await conn.execute(_DATED, params)).fetchall()
    if len(rows) <= limit and not filters.dated_only:
        undated_after = after.article_id if after is not None and after.published_at is None else None
        rows += await (await conn.execute(_UNDATED, {**params, "after_id": undated_after,
                                                     "limit": limit + 1 - len(rows)})).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor(rows[-1]["published_at"], rows[-1]["article_id"]) if more else None)


_FACETS = "SELECT portal, channel FROM api.articles GROUP BY portal, channel ORDER BY 1, 2"


async def facets(conn: psycopg.AsyncConnection) -> dict[str, list[str]]:
    """portal -> its channels, for every portal the archive holds (the filter form's choices and
    the portals a list reads)."""
    out: dict[str, list[str]] = {}
    for r in await (await conn.execute(_FACETS)).fetchall():
        channels = out.setdefault(r["portal"], [])
        if r["channel"]:
            channels.append(r["channel"])
    return out


# -- one story ---------------------------------------------------------------------------------------

async def resolve_story(conn: psycopg.AsyncConnection, story_id: int) -> int | None:
    """The live story a story id resolves to (itself when live; a merged or emptied story's
    successor), None for an id never handed out.  api.story_ids is the api's redirect table."""
    if not 0 < story_id <= MAX_STORY_ID:
        return None
    row = await (await conn.execute("SELECT story_id FROM api.story_ids WHERE id = %s", (story_id,))).fetchone()
    return row["story_id"] if row else None


_COPY_COLUMNS = """a.id, a.url, a.portal, a.channel, a.title, a.subtitle, a.published_at, a.source, a.authors,
    a.editor, a.reviewer, a.body, a.images, a.edition, a.page_no, a.page_name, a.extraction,
    to_jsonb(a) ->> 'template' AS template, a.normalisation, a.is_canonical, a.revision, a.first_seen,
    a.last_seen, a.last_changed, a.crawl_run_id"""
# ``template``: the template that read the copy, where the api has the column (later than v1's
# first cut); NULL otherwise.

_REVISION_COLUMNS = """r.id, r.article_id, r.revision, r.title, r.subtitle, r.published_at, r.source, r.authors,
    r.editor, r.reviewer, r.body, r.images, r.valid_from, r.superseded_at"""


async def story(conn: psycopg.AsyncConnection, story_id: int) -> dict | None:
    """A live story with all its copies (canonical first, then by first seen) and every earlier
    version of each; None when ``story_id`` is not a live story."""
    row = await (await conn.execute(
        "SELECT id, canonical_article_id, copies, portals, first_seen, last_seen, first_published_at "
        "FROM api.stories WHERE id = %s", (story_id,))).fetchone()
    if row is None:
        return None
    copies = await (await conn.execute(
        f"SELECT {_COPY_COLUMNS} FROM api.articles a WHERE a.story_id = %s "
        "ORDER BY a.is_canonical DESC, a.first_seen, a.id", (story_id,))).fetchall()
    revisions = await (await conn.execute(
        f"SELECT {_REVISION_COLUMNS} FROM api.revisions r WHERE r.article_id = ANY(%s) "
        "ORDER BY r.article_id, r.revision", ([c["id"] for c in copies],))).fetchall()
    return {**row, "copy_rows": copies, "revision_rows": revisions}


# -- search ------------------------------------------------------------------------------------------

MAX_QUERY = 200  # characters of a search


async def search(conn: psycopg.AsyncConnection, query: str, limit: int) -> tuple[list[str], list[dict]]:
    """The query's terms (as api.search_snippet marks them) and api.search's hits, best first."""
    if len(query) > MAX_QUERY:
        raise BadRequest(f"a search may have at most {MAX_QUERY} characters")
    terms = (await (await conn.execute("SELECT api.search_terms(%s) AS t", (query,))).fetchone())["t"]
    hits = await (await conn.execute(
        "SELECT article_id, story_id, url, portal, title, published_at, rank, snippet FROM api.search(%s, %s)",
        (query, limit))).fetchall()
    return terms, hits


# -- portals ----------------------------------------------------------------------------------------

FILL_FIELDS = tuple(db_health.FILLED)  # the fields whose fill rates the portals page shows
# The chart: the articles first seen on each day (Asia/Shanghai) of the window by portal,
# read from the index on first_seen alone (it carries the portal: migration 0006).
_PER_DAY = ("SELECT portal, (first_seen AT TIME ZONE %(tz)s)::date AS day, count(*) AS articles "
            "FROM api.articles WHERE first_seen >= %(start)s GROUP BY 1, 2")
# The fill rates: how many articles first seen since ``fill_start`` had each field (filled as
# db.health defines it, for ``status`` too), by portal (read through the index on first_seen: only
# the last days' rows).
_FILLS = ("SELECT portal, count(*) AS fill_articles, "
          + ", ".join(f"count(*) FILTER (WHERE {db_health.FILLED[f]}) AS {f}" for f in FILL_FIELDS)
          + " FROM api.articles WHERE first_seen >= %(fill_start)s GROUP BY 1")


async def has_drift_checks(conn: psycopg.AsyncConnection) -> bool:
    """Whether the api has its view of the drift checks (``api.drift_checks``, migration 0006; an
    archive migrated before it has none).  Asked once, when the site starts."""
    return (await (await conn.execute("SELECT to_regclass('api.drift_checks') IS NOT NULL AS v")).fetchone())["v"]


async def portals(conn: psycopg.AsyncConnection, names: list[str], judged: Collection[str], now: datetime, days: int,
                  fill_days: int, *, drift: bool) -> dict[str, Any]:
    """For the portals ``names``: for the ``days`` days up to ``now``'s (Asia/Shanghai) the
    articles first seen on each one each day (:data:`_PER_DAY`); over the last ``fill_days`` of
    them, how many articles had each field (:data:`_FILLS`); and ``health``: portal -> the figures
    ``liaocheng-news status`` judges a portal by (:func:`liaocheng_news.db.health.portal_figures`,
    on the api's views), read in full for the portals in ``judged`` (those the crawler reads) and
    for the others their last run only.  ``drift``: whether the api has a view of the drift checks
    (:func:`has_drift_checks`)."""
    today = now.astimezone(SHANGHAI).date()

    def midnight(back: int) -> datetime:
        return datetime.combine(today - timedelta(days=back - 1), time(), SHANGHAI)

    per_day = await (await conn.execute(_PER_DAY, {"tz": TIME_ZONE, "start": midnight(days)})).fetchall()
    filled = {r["portal"]: {"articles": r["fill_articles"], **{f: r[f] for f in FILL_FIELDS}}
              for r in await (await conn.execute(_FILLS, {"fill_start": midnight(fill_days)})).fetchall()}
    health = await db_health.portal_figures(conn, names, now, drift=drift, judged=judged)
    return {"per_day": [{"portal": r["portal"], "day": r["day"], "articles": r["articles"]} for r in per_day],
            "filled": filled, "health": health}


# -- runs -------------------------------------------------------------------------------------------

async def runs(conn: psycopg.AsyncConnection, spider: str | None, before: int | None, limit: int) -> list[dict]:
    """Crawl runs, newest first (``before``: ids below it only)."""
    return await (await conn.execute(
        "SELECT id, spider, started_at, finished_at, status, host, job_id, stats FROM api.crawl_runs "
        "WHERE (%(spider)s::text IS NULL OR spider = %(spider)s) AND (%(before)s::bigint IS NULL OR id < %(before)s) "
        "ORDER BY id DESC LIMIT %(limit)s", {"spider": spider, "before": before, "limit": limit})).fetchall()
