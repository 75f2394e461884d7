"""The crawl frontier in the archive (migration 0005): sections, cursors, pending article URLs.

What a run has reached survives the run: a *cursor* is the next list page of an unfinished pass
over a section, a *pending* URL an article a list page gave that is not stored yet.  The crawl's
side (which passes a run makes, when a pass ends) is :mod:`liaocheng_news.extensions.frontier`;
this module only reads and writes the rows, every value bound as a parameter.

Several processes (scrapyd nodes) may crawl one archive at once.  A run *leases* the cursors and
pending URLs it works on: their ``owner`` is a random token for which the run holds a
session-level advisory lock (:class:`Lease`, on a connection of its own).  A lease lives exactly as
long as that lock: when the run ends, is killed or loses its connection, PostgreSQL drops the lock
and the rows are free for the next run to claim, at once and on any node.  Claims are single
``UPDATE … RETURNING`` statements (one winner per row); a run moves or deletes a cursor only while
it owns it (``WHERE owner = token``), so a cursor taken over by another run is never moved by two.
Planning a portal is serialised per portal (a transaction-level advisory lock), so two runs that
start together do not both begin a pass at the top of a section.  Pending rows are upserts and
their deletion is idempotent: two runs fetching one article store one row (articles.url is unique).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg

logger = logging.getLogger(__name__)

# pg_advisory_lock(LEASE_CLASS, token) is a run's lease; (PLAN_CLASS, hashtext(portal)) serialises planning
LEASE_CLASS = 73_118
PLAN_CLASS = 73_119
LEASE_CHECK_SECONDS = 5.0  # how often the lease's connection is checked before it is relied on

# the tokens whose lease is alive: their advisory lock is held in this database
_LIVE = """live AS MATERIALIZED (
    SELECT l.objid::bigint AS token FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::bigint = %(cls)s
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"""
_FREE = "(owner IS NULL OR owner = %(me)s OR owner NOT IN (SELECT token FROM live))"


@dataclass(frozen=True)
class Cursor:
    id: int
    section: str
    url: str
    page_no: int
    stop_at_known: bool
    resumed: bool  # left by an earlier run (False: the pass at the section's top this run begins)


@dataclass(frozen=True)
class PendingUrl:
    url: str  # canonical
    fetch_url: str
    section: str | None
    attempts: int


class Lease:
    """A run's lease token, held as a session-level advisory lock on a connection of its own."""

    def __init__(self, url: str, connect_timeout: float = 10):
        self.url = url
        self.connect_timeout = max(1, int(connect_timeout))
        self.token = 0
        self.conn: psycopg.AsyncConnection | None = None
        self._checked = 0.0
        self._held = False
        self._guard = asyncio.Lock()

    async def acquire(self) -> int:
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                          connect_timeout=self.connect_timeout)
        while True:
            token = secrets.randbelow(2**31 - 2) + 1
            cur = await self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LEASE_CLASS, token))
            if (await cur.fetchone())[0]:
                self.token, self._checked, self._held = token, time.monotonic(), True
                return token

    async def ensure(self) -> None:
        """Hold the lock again after a lost connection (a restarted server).  Never raises: while it
        cannot be taken, this run's rows look free to other runs, and a row one of them claims is
        no longer moved by this run (``WHERE owner = token``)."""
        async with self._guard:
            if self._held and self.conn is not None and not self.conn.closed and not self.conn.broken \
                    and time.monotonic() - self._checked < LEASE_CHECK_SECONDS:
                return
            try:
                if self.conn is not None and not self.conn.closed and not self.conn.broken:
                    await self.conn.execute("SELECT 1")
                else:
                    await self.close()
                    self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                                      connect_timeout=self.connect_timeout)
                    self._held = False
                if not self._held:
                    cur = await self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LEASE_CLASS, self.token))
                    # not taken: the session that held it lingers on the server, holding it still
                    self._held = bool((await cur.fetchone())[0])
                    if self._held:
                        logger.info("frontier lease taken again after a lost connection")
            except psycopg.Error as exc:
                self._held = False
                logger.debug("frontier lease not held now: %s", exc)
            self._checked = time.monotonic()

    async def close(self) -> None:
        if self.conn is not None:
            try:
                await self.conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.conn = None


class FrontierStore:
    """The frontier's rows in the archive, for one run (its lease token and crawl run id)."""

    def __init__(self, pool, token: int, run_id: int | None):
        self.pool = pool
        self.token = token
        self.run_id = run_id

    def _params(self, **more) -> dict:
        return {"cls": LEASE_CLASS, "me": self.token, "run": self.run_id, **more}

    async def plan(self, portal: str, sections: dict[str, str]) -> list[Cursor]:
        """The passes this run makes over ``sections`` (label -> first list page URL).

        Every free cursor of the portal's sections is claimed (resumed where it stopped); each
        section gets a pass from its first page unless a live run of another process is reading
        its top now.  That pass may stop after the look-back of known pages when the section was
        crawled before (it has a row), or the archive holds the portal's articles from before the
        frontier existed; a section never crawled is read down to its end.
        """
        labels = list(sections)
        async with self.pool.connection() as conn:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (PLAN_CLASS, portal))
                cur = await conn.execute("SELECT section, first_url FROM crawl_sections WHERE portal = %s", (portal,))
                known = {s: u for s, u in await cur.fetchall()}
                legacy = False
                if not known:
                    cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM articles WHERE portal = %s)", (portal,))
                    legacy = (await cur.fetchone())[0]
                moved = [s for s in labels if s in known and known[s] != sections[s]]
                if moved:  # a section's list moved: its old cursors point at pages of the old list
                    await conn.execute("DELETE FROM crawl_cursors WHERE portal = %s AND section = ANY(%s)",
                                       (portal, moved))
                    logger.warning("%s: first list page changed for %s: their unfinished passes start over",
                                   portal, ", ".join(moved))
                await conn.execute(
                    "INSERT INTO crawl_sections (portal, section, first_url) "
                    "SELECT %s, s, u FROM unnest(%s::text[], %s::text[]) AS t(s, u) "
                    "ON CONFLICT (portal, section) DO UPDATE SET first_url = EXCLUDED.first_url",
                    (portal, labels, [sections[s] for s in labels]))
                cur = await conn.execute(
                    f"WITH {_LIVE} UPDATE crawl_cursors SET owner = %(me)s, run_id = %(run)s, head = false, "
                    f"updated_at = now() WHERE portal = %(portal)s AND section = ANY(%(sections)s) AND {_FREE} "
                    "RETURNING id, section, url, page_no, stop_at_known",
                    self._params(portal=portal, sections=labels))
                claimed = sorted((Cursor(*row, resumed=True) for row in await cur.fetchall()), key=lambda c: c.id)
                cur = await conn.execute(
                    f"WITH {_LIVE} SELECT DISTINCT section FROM crawl_cursors WHERE portal = %(portal)s AND head "
                    "AND owner <> %(me)s AND owner IN (SELECT token FROM live)", self._params(portal=portal))
                busy = {r[0] for r in await cur.fetchall()}
                cursors, drop = [], []
                for c in claimed:  # two unfinished passes at one page are one pass (the thorough one)
                    twin = next((o for o in cursors if o.section == c.section and o.url == c.url), None)
                    if twin is None:
                        cursors.append(c)
                        continue
                    keep, gone = (twin, c) if not twin.stop_at_known or c.stop_at_known else (c, twin)
                    cursors[cursors.index(twin)] = keep
                    drop.append(gone.id)
                for label in labels:
                    top = next((c for c in cursors if c.section == label and c.url == sections[label]), None)
                    if top is not None:
                        await conn.execute("UPDATE crawl_cursors SET head = true WHERE id = %s", (top.id,))
                        continue
                    if label in busy:
                        logger.info("%s/%s: another run is reading the top of this section now", portal, label)
                        continue
                    stop_at_known = label in known or legacy
                    cur = await conn.execute(
                        "INSERT INTO crawl_cursors (portal, section, url, page_no, stop_at_known, head, owner, run_id) "
                        "VALUES (%s, %s, %s, 1, %s, true, %s, %s) RETURNING id",
                        (portal, label, sections[label], stop_at_known, self.token, self.run_id))
                    cursors.append(Cursor((await cur.fetchone())[0], label, sections[label], 1, stop_at_known,
                                          resumed=False))
                if drop:
                    await conn.execute("DELETE FROM crawl_cursors WHERE id = ANY(%s)", (drop,))
        return cursors

    async def claim_pending(self, portal: str, limit: int, max_attempts: int) -> tuple[list[PendingUrl], list[str]]:
        """Free pending URLs of ``portal`` claimed for this run (oldest first, at most ``limit``), and
        the URLs given up: claimed by ``max_attempts`` runs and never stored."""
        async with self.pool.connection() as conn:
            async with conn.transaction():
                # stored, but not marked done (a run killed between the two): nothing to fetch
                await conn.execute("DELETE FROM crawl_pending p WHERE portal = %s "
                                   "AND EXISTS (SELECT 1 FROM articles a WHERE a.url = p.url)", (portal,))
                cur = await conn.execute(
                    f"WITH {_LIVE} DELETE FROM crawl_pending WHERE portal = %(portal)s AND attempts >= %(max)s "
                    f"AND {_FREE} RETURNING fetch_url", self._params(portal=portal, max=max_attempts))
                abandoned = [r[0] for r in await cur.fetchall()]
                cur = await conn.execute(
                    f"WITH {_LIVE}, free AS (SELECT url FROM crawl_pending WHERE portal = %(portal)s AND {_FREE} "
                    "ORDER BY discovered_at, url LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
                    "UPDATE crawl_pending p SET owner = %(me)s, attempts = p.attempts + 1, claimed_at = now() "
                    "FROM free WHERE p.portal = %(portal)s AND p.url = free.url "
                    "RETURNING p.url, p.fetch_url, p.section, p.attempts",
                    self._params(portal=portal, limit=limit))
                pending = [PendingUrl(*row) for row in await cur.fetchall()]
        pending.sort(key=lambda p: p.url)
        return pending, abandoned

    async def page_read(self, portal: str, cursor: Cursor, links: Sequence[tuple[str, str]],
                        next_page: tuple[str, int] | None) -> bool:
        """A list page of ``cursor``'s pass is read: its article ``links`` (canonical URL, URL as
        listed) are pending, and the cursor moves to ``next_page`` (url, number), or is deleted when
        the pass is over (None).  One transaction; False when the cursor is no longer this run's."""
        async with self.pool.connection() as conn:
            async with conn.transaction():
                if links:  # (an article stored meanwhile, by this run or another, is not pending)
                    await conn.execute(
                        "INSERT INTO crawl_pending (portal, url, fetch_url, section, owner) "
                        "SELECT %s, u, f, %s, %s FROM unnest(%s::text[], %s::text[]) AS t(u, f) "
                        "WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.url = t.u) "
                        "ON CONFLICT (portal, url) DO UPDATE SET owner = EXCLUDED.owner",
                        (portal, cursor.section, self.token, [u for u, _ in links], [f for _, f in links]))
                if next_page is not None:
                    cur = await conn.execute(
                        "UPDATE crawl_cursors SET url = %s, page_no = %s, run_id = %s, updated_at = now() "
                        "WHERE id = %s AND owner = %s", (*next_page, self.run_id, cursor.id, self.token))
                    return cur.rowcount == 1
                cur = await conn.execute("DELETE FROM crawl_cursors WHERE id = %s AND owner = %s",
                                         (cursor.id, self.token))
                await conn.execute(
                    "UPDATE crawl_sections s SET last_finished = now() WHERE portal = %s AND section = %s "
                    "AND NOT EXISTS (SELECT 1 FROM crawl_cursors c WHERE c.portal = s.portal AND c.section = s.section)",
                    (portal, cursor.section))
                return cur.rowcount == 1

    async def finish(self, portal: str, cursor_ids: Sequence[int]) -> None:
        """Passes that ended without a last page read (their next page is not to be fetched)."""
        if not cursor_ids:
            return
        async with self.pool.connection() as conn:
            async with conn.transaction():
                cur = await conn.execute("DELETE FROM crawl_cursors WHERE id = ANY(%s) AND owner = %s RETURNING section",
                                         (list(cursor_ids), self.token))
                sections = sorted({r[0] for r in await cur.fetchall()})
                await conn.execute(
                    "UPDATE crawl_sections s SET last_finished = now() WHERE portal = %s AND section = ANY(%s) "
                    "AND NOT EXISTS (SELECT 1 FROM crawl_cursors c WHERE c.portal = s.portal AND c.section = s.section)",
                    (portal, sections))

    async def resolve(self, urls: Iterable[str]) -> int:
        """Pending URLs (canonical) that were stored or dropped: no longer pending, for any run."""
        urls = sorted(set(urls))
        if not urls:
            return 0
        async with self.pool.connection() as conn:
            cur = await conn.execute("DELETE FROM crawl_pending WHERE url = ANY(%s)", (urls,))
            return cur.rowcount

    async def summary(self, portal: str | None = None) -> dict[str, dict]:
        """portal/section -> first URL, unfinished passes (page numbers), pending URLs, last finished."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.portal, s.section, s.first_url, s.last_finished, "
                "coalesce((SELECT array_agg(c.page_no ORDER BY c.page_no) FROM crawl_cursors c "
                "          WHERE c.portal = s.portal AND c.section = s.section), '{}'), "
                "(SELECT count(*) FROM crawl_pending p WHERE p.portal = s.portal AND p.section = s.section) "
                "FROM crawl_sections s WHERE (%(p)s::text IS NULL OR s.portal = %(p)s) ORDER BY 1, 2", {"p": portal})
            return {f"{p}/{s}": {"first_url": u, "last_finished": f, "cursors": list(c), "pending": n}
                    for p, s, u, f, c, n in await cur.fetchall()}
