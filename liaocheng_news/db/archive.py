"""The archive's queries: upserts with revisions, crawl runs, incremental look-ups, export.

Every statement binds its values as parameters; nothing is formatted into SQL.
One :class:`Archive` owns an async connection pool, so the crawl's event loop never waits
on the database while it downloads.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from liaocheng_news.db import migrate as migrations
from liaocheng_news.db.server import ArchiveUnavailable, database_url
from liaocheng_news.items import STORED_FIELDS, Article, fields_by

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10
# what a merge of the search index's pending list meets when this login may never make it
_MERGE_REFUSED = (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable, psycopg.errors.UndefinedObject)
# what a failing database (not bad data) raises: a write that meets one is retried later
DATABASE_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout, ArchiveUnavailable, OSError)


@dataclass(frozen=True)
class StoreResult:
    url: str
    article_id: int
    outcome: str  # new | unchanged | revised
    story_id: int | None = None
    placement: str | None = None  # new_story | copy | exact (from db.stories), None when unchanged
    created: bool = False  # a story was created for this article
    merged: tuple[int, ...] = ()  # the stories this article bridged into story_id (their ids now redirect)


# the articles columns an item's fields are written to (the url first), and how a value is bound
ARTICLE_COLUMNS = STORED_FIELDS
_BIND = {
    "body": lambda a: a.body_text,
    "authors": lambda a: list(a.authors),
    "images": lambda a: Jsonb([{"url": i.url, "caption": i.caption} for i in a.images]),
    "normalisation": lambda a: Jsonb(dict(a.normalisation)),
}
_VALUES = [_BIND.get(c) or (lambda a, c=c: getattr(a, c)) for c in ARTICLE_COLUMNS]
# an exported article: its stored fields, the archive's (story_id) and the row's bookkeeping
EXPORT_FIELDS = (*ARTICLE_COLUMNS, *fields_by("archive"), "is_canonical", "revision", "first_seen", "last_seen")

# New rows by binary COPY (half the CPU of an INSERT a row, in this process and in PostgreSQL):
# the columns and their types (an item's column not named here is text; a test holds them to the
# table's).  COPY fires the table's statement and row triggers, as the INSERT did.
_ARTICLE_TYPES = {"published_at": "timestamptz", "authors": "text[]", "images": "jsonb", "normalisation": "jsonb"}
_NEW_ROW = {"id": "int8", **{c: _ARTICLE_TYPES.get(c, "text") for c in ARTICLE_COLUMNS}, "story_id": "int8",
            "content_chars": "int4", "crawl_run_id": "int8", "first_seen": "timestamptz", "last_seen": "timestamptz",
            "last_changed": "timestamptz"}
_COPY_NEW = f"COPY articles ({', '.join(_NEW_ROW)}) FROM STDIN (FORMAT BINARY)"

# the batch's archived URLs, locked (in id order: two writers never wait on each other in a cycle)
_SELECT_FOR_UPDATE = """
SELECT url, id, content_hash, title, subtitle, story_id
FROM articles WHERE url = ANY(%s::text[]) ORDER BY id FOR UPDATE
"""

# the columns an earlier version keeps in article_revisions
_REVISED = ("title", "subtitle", "published_at", "source", "authors", "editor", "reviewer", "body", "images",
            "content_hash")
_KEEP_REVISION = f"""
INSERT INTO article_revisions (article_id, revision, {", ".join(_REVISED)}, valid_from, superseded_at)
SELECT id, revision, {", ".join(_REVISED)}, last_changed, %s
FROM articles WHERE id = %s
"""

_UPDATE = f"""
UPDATE articles SET {", ".join(f"{c} = %s" for c in ARTICLE_COLUMNS[1:])}, story_id = %s, content_chars = %s,
       revision = revision + 1, last_seen = %s, last_changed = %s, crawl_run_id = %s
WHERE id = %s
"""

_TOUCH = "UPDATE articles SET last_seen = greatest(last_seen, %s) WHERE id = %s"


_EXPORT_COLUMNS = ", ".join(f"a.{c}" for c in ("id", *EXPORT_FIELDS) if c != "is_canonical")


def _row_values(a: Article) -> list[Any]:
    return [value(a) for value in _VALUES]


def _changed(row: dict, a: Article) -> bool:
    """Content changed: the body (by hash) or a headline field differs."""
    return (
        row["content_hash"] != a.content_hash
        or row["title"] != a.title
        or (row["subtitle"] or None) != (a.subtitle or None)
    )


class Archive:
    """An open archive.  Use ``await Archive.open()`` and ``await archive.close()``."""

    def __init__(self, url: str, pool: AsyncConnectionPool):
        self.url = url
        self.pool = pool
        self._unmerged = 0  # bytes of the index's pending list this archive wrote since its last merge
        self._merge_refused = False  # a merge failed: not tried again (the log says so once)

    # -- lifecycle ----------------------------------------------------------------------
    @classmethod
    async def open(cls, url: str | None = None, home: str | None = None, *, min_size: int = 1,
                   max_size: int = 4, timeout: float = CONNECT_TIMEOUT, migrate: bool = True) -> "Archive":
        """Reach the archive, apply pending migrations (unless ``migrate`` is false: a reader's
        login may not, and reads only the ``api`` schema), open a pool.

        Raises :class:`ArchiveUnavailable` with a clear message when it cannot be reached.
        """
        url = database_url(home, url)
        try:
            conn = await psycopg.AsyncConnection.connect(url, connect_timeout=max(1, int(timeout)))
        except psycopg.OperationalError as exc:
            raise ArchiveUnavailable(
                f"cannot reach the archive database ({_redact(url)}): {str(exc).strip()}. "
                "Check LIAOCHENG_NEWS_DATABASE_URL, or unset it to use the embedded archive."
            ) from exc
        try:
            applied = await migrations.migrate(conn) if migrate else None
            if applied:
                logger.info("archive schema migrated: applied versions %s", applied)
        finally:
            await conn.close()
        pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False, timeout=timeout,
                                   kwargs={"connect_timeout": max(1, int(timeout))})
        await pool.open(wait=True, timeout=timeout)
        return cls(url, pool)

    @classmethod
    async def from_settings(cls, settings, *, migrate: bool = True) -> "Archive":
        """The archive Scrapy ``settings`` name (LIAOCHENG_NEWS_DATABASE_URL, LIAOCHENG_NEWS_HOME,
        ARCHIVE_CONNECT_TIMEOUT): the crawl and the command line's checks open the same one."""
        return await cls.open(url=settings.get("LIAOCHENG_NEWS_DATABASE_URL"),
                              home=settings.get("LIAOCHENG_NEWS_HOME"),
                              timeout=settings.getfloat("ARCHIVE_CONNECT_TIMEOUT"), migrate=migrate)

    async def close(self) -> None:
        try:
            if self._unmerged and not self._merge_refused:  # consumers: what this archive left pending
                try:
                    async with self.pool.connection() as conn:
                        await self._merge_search(conn)
                except DATABASE_ERRORS as exc:
                    logger.warning("could not merge the search index's pending list: %s", exc or type(exc).__name__)
        finally:
            await self.pool.close()

    async def _merge_search(self, conn) -> None:
        """Merge the search index's pending list (db/search.py): after a store's commit, or at
        close.  A failure costs only speed (the next merge, or autovacuum, takes the list): it is
        logged, never raised — the articles are committed."""
        from liaocheng_news.db import search

        self._unmerged = 0
        if self._merge_refused:
            return
        try:
            await search.merge(conn)
        except _MERGE_REFUSED as exc:  # a login that does not own the index: said once, not per batch
            self._merge_refused = True
            logger.warning("could not merge the search index's pending list (not tried again by this archive; "
                           "autovacuum merges it): %s", exc or type(exc).__name__)
        except psycopg.Error as exc:  # a passing failure (a lost connection): the next merge tries again
            logger.warning("could not merge the search index's pending list (tried again with the next "
                           "batches): %s", exc or type(exc).__name__)

    async def __aenter__(self) -> "Archive":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # -- crawl runs -----------------------------------------------------------------------
    async def start_run(self, spider: str, job_id: str | None = None) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO crawl_runs (spider, host, job_id) VALUES (%s, %s, %s) RETURNING id",
                (spider, socket.gethostname(), job_id),
            )
            return (await cur.fetchone())[0]

    async def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE crawl_runs SET finished_at = now(), status = %s, stats = %s WHERE id = %s",
                (status, Jsonb(_jsonable(stats)), run_id),
            )

    async def runs(self, limit: int = 20, spider: str | None = None) -> list[dict]:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT id, spider, started_at, finished_at, status, host, job_id, stats FROM crawl_runs "
                "WHERE (%(spider)s::text IS NULL OR spider = %(spider)s) ORDER BY id DESC LIMIT %(limit)s",
                {"spider": spider, "limit": limit},
            )
            return await cur.fetchall()

    # -- writing --------------------------------------------------------------------------
    async def store(self, articles: Sequence[Article], run_id: int | None = None,
                    now: datetime | None = None) -> list[StoreResult]:
        """Upsert a batch in one transaction; changed articles keep their old version as a revision.

        New and changed articles are placed in their stories together, before their rows are
        written (``db.stories``: one decision path for the whole batch), so each row is written
        once, with its story id.  A URL given twice is written in order: the second as a re-sighting
        or a revision of the first.
        """
        now = now or datetime.now(timezone.utc)
        results: list[StoreResult | None] = [None] * len(articles)
        async with self.pool.connection() as conn:
            async with conn.transaction():
                pending = list(range(len(articles)))
                while pending:
                    first: dict[str, int] = {}
                    for i in pending:
                        first.setdefault(articles[i].url, i)
                    rows = sorted(first.values())
                    listed: list[int] = []
                    written = await self._store_distinct(conn, [articles[i] for i in rows], run_id, now, listed)
                    self._unmerged += sum(listed)
                    for i, result in zip(rows, written, strict=True):
                        results[i] = result
                    pending = [i for i in pending if first[articles[i].url] != i]
            from liaocheng_news.db.search import MERGE_PENDING_BYTES

            if self._unmerged >= MERGE_PENDING_BYTES:  # after the commit: no lock held meanwhile
                await self._merge_search(conn)
        return results  # type: ignore[return-value]

    @staticmethod
    async def _store_distinct(conn, articles: Sequence[Article], run_id, now,
                              listed: list[int] | None = None) -> list[StoreResult]:
        """Store articles with distinct URLs: archived ones touched when unchanged, else revised;
        the new and the revised placed in their stories (``stories.plan``), then every row written
        once, with its story id: the stories' own writes, touches and revisions in one pipeline,
        the new rows by COPY, the search documents and the stories' last writes in a second
        pipeline.  ``listed`` gets the bytes its search documents added to the index's pending list."""
        from liaocheng_news.db import search, stories  # with the first write: a crawl that finds nothing new needs no sketches

        cur = conn.cursor(row_factory=dict_row)
        async with conn.pipeline():
            # the story decision is serialised across processes; its lock comes before any row
            # lock, so two writers of the same URLs cannot deadlock
            await stories.lock(conn)
            await search.claim(conn)  # consumers (0004): this transaction writes its search documents
            await cur.execute(_SELECT_FOR_UPDATE, ([a.url for a in articles],))
            old = {r["url"]: r for r in await cur.fetchall()}
        unchanged = [a for a in articles if a.url in old and not _changed(old[a.url], a)]
        placed = [a for a in articles if a.url not in old or _changed(old[a.url], a)]
        planned = await stories.plan(conn, [
            stories.Placing(a.title, a.body_text, a.content_hash, article_id=old[a.url]["id"] if a.url in old else None,
                            previous=old[a.url]["story_id"] if a.url in old else None) for a in placed])
        where = {a.url: (item, p, aid) for a, item, p, aid in
                 zip(placed, planned.items, planned.placements, planned.article_ids, strict=True)}
        revised = [a for a in placed if a.url in old]
        new = [a for a in placed if a.url not in old]
        wcur = conn.cursor()
        async with conn.pipeline():
            await stories.write(conn, planned)
            if unchanged:  # a spooled item keeps the time it was fetched
                await wcur.executemany(_TOUCH, [(a.fetched_at or now, old[a.url]["id"]) for a in unchanged])
            if revised:
                await wcur.executemany(_KEEP_REVISION, [(now, old[a.url]["id"]) for a in revised])
                await wcur.executemany(_UPDATE, [
                    [*_row_values(a)[1:], where[a.url][1].story_id, where[a.url][0].sketch.size,
                     a.fetched_at or now, now, run_id, old[a.url]["id"]] for a in revised])
        if new:  # (a COPY is not allowed in a pipeline: between the two)
            async with wcur.copy(_COPY_NEW) as copy:
                copy.set_types(list(_NEW_ROW.values()))
                for a in new:
                    await copy.write_row([where[a.url][2], *_row_values(a), where[a.url][1].story_id,
                                          where[a.url][0].sketch.size, run_id, a.fetched_at or now, a.fetched_at or now,
                                          now])
        async with conn.pipeline():
            # consumers (0004): the search documents of the new and revised rows
            document_bytes = await search.write(wcur, [where[a.url][2] for a in placed], placed)
            await stories.finish(conn, planned)
        results = []
        for a in articles:
            if a.url in where:
                _, p, aid = where[a.url]
                results.append(StoreResult(a.url, aid, "revised" if a.url in old else "new", p.story_id, p.outcome,
                                           p.created, p.merged))
            else:
                results.append(StoreResult(a.url, old[a.url]["id"], "unchanged", old[a.url]["story_id"]))
        if listed is not None:
            listed.append(document_bytes)
        return results

    # -- incremental crawling -----------------------------------------------------------------
    async def known_urls(self, urls: Iterable[str]) -> dict[str, dict[str, datetime | None]]:
        """Of ``urls``, those already archived, with when each was last fetched."""
        urls = list(dict.fromkeys(urls))
        if not urls:
            return {}
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT url, last_seen, published_at, first_seen FROM articles "
                                     "WHERE url = ANY(%s)", (urls,))
            return {r[0]: {"last_seen": r[1], "published_at": r[2], "first_seen": r[3]}
                    for r in await cur.fetchall()}

    async def latest_published(self, portal: str) -> datetime | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT max(published_at) FROM articles WHERE portal = %s", (portal,))
            return (await cur.fetchone())[0]

    async def is_empty(self) -> bool:
        """No article at all (one index probe, where count() reads every row)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT NOT EXISTS (SELECT 1 FROM articles)")
            return (await cur.fetchone())[0]

    async def count(self, portal: str | None = None) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM articles WHERE (%(p)s::text IS NULL OR portal = %(p)s)", {"p": portal})
            return (await cur.fetchone())[0]

    # -- reading ----------------------------------------------------------------------------
    async def export(self, portal: str | None = None, since: datetime | None = None
                     ) -> AsyncIterator[dict[str, Any]]:
        """Every article (one dict each), oldest first, streamed with a server-side cursor."""
        query = f"""
            SELECT {_EXPORT_COLUMNS}, (s.canonical_article_id = a.id) AS is_canonical
            FROM articles a LEFT JOIN stories s ON s.id = a.story_id
            WHERE (%(portal)s::text IS NULL OR a.portal = %(portal)s)
              AND (%(since)s::timestamptz IS NULL OR a.published_at >= %(since)s)
            ORDER BY a.published_at NULLS LAST, a.id
        """
        async for row in self._stream(query, {"portal": portal, "since": since}):
            yield row

    async def export_stories(self, portal: str | None = None, since: datetime | None = None
                             ) -> AsyncIterator[dict[str, Any]]:
        """One dict per story: its canonical copy and the URLs of all its copies (streamed)."""
        query = f"""
            SELECT s.id AS story_id, x.copies, {_EXPORT_COLUMNS}, true AS is_canonical
            FROM stories s
            JOIN articles a ON a.id = s.canonical_article_id
            CROSS JOIN LATERAL (
                SELECT json_agg(json_build_object('url', c.url, 'portal', c.portal)
                                ORDER BY c.first_seen, c.id) AS copies,
                       bool_or(c.portal = %(portal)s) AS has_portal,
                       max(c.published_at) AS latest
                FROM articles c WHERE c.story_id = s.id) AS x
            WHERE (%(portal)s::text IS NULL OR x.has_portal)
              AND (%(since)s::timestamptz IS NULL OR x.latest >= %(since)s)
            ORDER BY s.id
        """
        async for row in self._stream(query, {"portal": portal, "since": since}):
            story_id, copies = row.pop("story_id"), row.pop("copies")
            yield {"story_id": story_id, "canonical": row, "copies": copies}

    async def _stream(self, query: str, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        async with self.pool.connection() as conn:
            async with conn.transaction():
                async with conn.cursor(name="lcn_export", row_factory=dict_row) as cur:
                    await cur.execute(query, params)
                    async for row in cur:
                        yield row

    async def revisions(self, url: str) -> list[dict]:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT r.* FROM article_revisions r JOIN articles a ON a.id = r.article_id "
                "WHERE a.url = %s ORDER BY r.revision", (url,))
            return await cur.fetchall()


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(url)
        if params.get("password"):
            params["password"] = "***"
        return make_conninfo(**params)
    except Exception:  # noqa: BLE001
        return "<unparsable database URL>"


def _jsonable(value: Any) -> Any:
    """Scrapy stats hold datetimes and other non-JSON values."""
    return json.loads(json.dumps(value, default=str))
