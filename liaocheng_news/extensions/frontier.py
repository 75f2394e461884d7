"""The crawl's frontier: which list pages a run reads, where it stops, and what it leaves for the next.

A run reads each section of its portal in *passes* (:class:`Pass`), each a walk down the list
pages from one page by the "下一页" link (or ``list_page_url``):

* the pass at the top (page 1) of every section, which may stop after INCREMENTAL_LOOKBACK_PAGES
  pages with nothing new only when everything below was read before (the section was crawled
  before); a section never crawled is read to its end;
* one pass for every cursor an earlier run left (:mod:`liaocheng_news.db.frontier`): an interrupted
  run, a database lost past its retries, MAX_LIST_PAGES reached.  It resumes at the page where that
  run stopped, with the same rule.

After each list page the page's article links that are to be fetched are recorded as pending and
the cursor moves to the next page, in one transaction, before any of those requests is made: a run
killed at any moment leaves a cursor at or before the page it was reading and every article it was
fetching pending.  Pending URLs are claimed and fetched by the next run; a URL is no longer pending
once its item is stored (the store pipeline), or its page is dropped or gone (:meth:`resolve`).
A pass that meets a page another pass of this run has asked for ends there (the passes joined).

A pass ends *finished* (end of the list, the look-back, joined) or *unfinished* (its cursor stays
for the next run).  Stats: ``frontier/sections_finished`` and ``frontier/sections_unfinished``
(kept current during the run: a section whose passes are still running counts as unfinished, so
an interrupted run's record says so), ``frontier/resumed_sections``, ``frontier/pending_articles``
(pending URLs of earlier runs fetched now), ``frontier/pending_abandoned`` (given up after
FRONTIER_PENDING_MAX_ATTEMPTS runs), ``frontier/leases_lost``, ``frontier/write_failures``.

Without an archive (ARCHIVE_ENABLED off) or when the frontier cannot be read at the start, the
passes are the sections' tops and nothing is recorded.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.exceptions import NotConfigured

from liaocheng_news.db.archive import DATABASE_ERRORS
from liaocheng_news.db.frontier import Cursor, FrontierStore, Lease, PendingUrl
from liaocheng_news.db.retry import with_retries
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.extensions.archive import ArchiveExtension

logger = logging.getLogger(__name__)

RUNNING, FINISHED, UNFINISHED = "running", "finished", "unfinished"
ABANDONED_LOGGED = 20  # URLs named in the log when pending URLs are given up


@dataclass(eq=False)
class Pass:
    """A walk down one section's list pages in this run."""

    id: int
    section: str
    first_url: str
    url: str  # the list page it reads next
    n: int  # that page's number in the section
    stop_at_known: bool
    cursor: Cursor | None = None  # its row (None: not recorded)
    state: str = RUNNING
    reason: str = ""


@dataclass
class Section:
    label: str
    passes: list[Pass] = field(default_factory=list)
    pages: int = 0  # list pages asked for in this run (MAX_LIST_PAGES per section and run)
    asked: dict[str, Pass] = field(default_factory=dict)  # list page URL -> the pass that asked for it
    resumed: bool = False


class CrawlFrontier:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        s = crawler.settings
        self.retries = s.getint("ARCHIVE_WRITE_RETRIES")
        self.backoff = s.getfloat("ARCHIVE_RETRY_BACKOFF")
        self.max_attempts = s.getint("FRONTIER_PENDING_MAX_ATTEMPTS")
        self.pending_per_run = s.getint("FRONTIER_PENDING_PER_RUN")
        self.portal: str | None = None
        self.store: FrontierStore | None = None
        self.lease: Lease | None = None
        self.pool = None
        self.sections: dict[str, Section] = {}
        self._ids = itertools.count(-1, -1)  # ids of passes without a cursor
        self._resolved: set[str] = set()
        self._finished: list[int] = []  # cursors of passes finished without a page read

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("FRONTIER_ENABLED"):
            raise NotConfigured("FRONTIER_ENABLED is off")
        ext = cls(crawler)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # -- the start of a run ------------------------------------------------------------------
    async def start(self, portal: str, sections: dict[str, str]) -> tuple[list[Pass], list[PendingUrl]]:
        """This run's passes over ``sections`` (label -> first list page) and the pending article
        URLs of earlier runs it fetches."""
        self.portal = portal
        owner = self.crawler.get_extension(ArchiveExtension)
        cursors: list[Cursor] | None = None
        pending: list[PendingUrl] = []
        if owner is not None:
            try:
                cursors, pending = await self._open(owner, portal, sections)
            except DATABASE_ERRORS as exc:
                self.stats.set_value("frontier/unavailable", str(exc).strip().splitlines()[0] if str(exc) else "")
                logger.error("%s: the crawl frontier cannot be read (%s): reading the sections' first pages, "
                             "nothing recorded for the next run", portal, exc)
                await self._close_lease()
                self.store = None
        if cursors is None:
            cursors = [Cursor(next(self._ids), label, url, 1, True, resumed=False) for label, url in sections.items()]
            recorded = False
        else:
            recorded = True
        passes = []
        for c in cursors:
            section = self.sections.setdefault(c.section, Section(c.section))
            p = Pass(c.id, c.section, sections[c.section], c.url, c.page_no, c.stop_at_known,
                     cursor=c if recorded else None)
            section.passes.append(p)
            section.resumed = section.resumed or c.resumed
            passes.append(p)
            if c.resumed:
                logger.info("%s/%s: resuming an unfinished pass at list page %d (%s)", portal, c.section, c.page_no, c.url)
        self.stats.set_value("frontier/resumed_sections", sum(1 for s in self.sections.values() if s.resumed))
        self.stats.set_value("frontier/pending_articles", len(pending))
        self._count_sections()
        return passes, pending

    async def _open(self, owner: ArchiveExtension, portal: str, sections: dict[str, str]):
        archive = await owner.archive()
        self.pool = archive.pool
        self.lease = Lease(archive.url, self.crawler.settings.getfloat("ARCHIVE_CONNECT_TIMEOUT"))
        token = await self._retrying(self.lease.acquire, "taking the frontier lease")
        self.store = FrontierStore(archive.pool, token, owner.run_id)
        cursors = await self._retrying(lambda: self.store.plan(portal, sections), "planning the sections")
        pending, abandoned = await self._retrying(
            lambda: self.store.claim_pending(portal, self.pending_per_run, self.max_attempts), "claiming pending URLs")
        if abandoned:
            self.stats.inc_value("frontier/pending_abandoned", len(abandoned))
            logger.error("%s: %d article URL(s) listed but never stored after %d runs, given up: %s%s", portal,
                         len(abandoned), self.max_attempts, ", ".join(abandoned[:ABANDONED_LOGGED]),
                         " …" if len(abandoned) > ABANDONED_LOGGED else "")
        return cursors, pending

    async def _retrying(self, operation, what: str):
        return await with_retries(operation, retries=self.retries, backoff=self.backoff, what=what,
                                  stats=self.stats, error_key="frontier/db_errors", pool=self.pool)

    # -- passes --------------------------------------------------------------------------------
    def asking(self, p: Pass, url: str) -> bool:
        """``p`` asks for list page ``url``: False when the section's list pages of this run are
        used up (MAX_LIST_PAGES per section and run)."""
        section = self.sections[p.section]
        if section.pages >= self.max_pages():
            return False
        section.pages += 1
        section.asked.setdefault(url, p)
        return True

    def max_pages(self) -> int:
        spider = self.crawler.spider
        return getattr(spider, "max_pages", None) or self.crawler.settings.getint("MAX_LIST_PAGES")

    def joins(self, p: Pass, url: str) -> bool:
        """Another pass of this run asked for ``url`` and reads on from there for ``p``."""
        other = self.sections[p.section].asked.get(url)
        return other is not None and other is not p and other.stop_at_known <= p.stop_at_known

    async def page_read(self, p: Pass, links: list[str], next_url: str | None) -> bool:
        """Record a list page of ``p``: its ``links`` pending, the pass at ``next_url`` (None: the pass
        is over).  False when it could not be recorded (the pass must stop: it is unfinished)."""
        if next_url is not None:
            p.url, p.n = next_url, p.n + 1
        if self.store is None or p.cursor is None:
            return True
        canon: dict[str, str] = {}
        for link in links:
            canon.setdefault(canonical_url(link), link)
        async def record():
            await self.lease.ensure()
            return await self.store.page_read(self.portal, p.cursor, list(canon.items()),
                                              (next_url, p.n) if next_url else None)

        try:
            kept = await self._retrying(record, "recording a list page")
        except DATABASE_ERRORS as exc:
            self.stats.inc_value("frontier/write_failures")
            logger.error("%s/%s: list page %d could not be recorded (%s): the section is left unfinished",
                         self.portal, p.section, p.n, exc)
            return False
        if not kept:
            self.stats.inc_value("frontier/leases_lost")
            logger.warning("%s/%s: another run took over this pass at list page %d", self.portal, p.section, p.n)
            return False
        return True

    def end(self, p: Pass, finished: bool, reason: str, recorded: bool = False) -> None:
        """``p`` is over, ``finished`` or not; a finished pass's cursor is deleted with the next
        :meth:`flush` unless ``recorded`` (by :meth:`page_read`) already."""
        if p.state != RUNNING:
            return
        p.state, p.reason = (FINISHED if finished else UNFINISHED), reason
        if finished and not recorded and p.cursor is not None:
            self._finished.append(p.cursor.id)
        level = logging.DEBUG if finished else logging.WARNING
        logger.log(level, "%s/%s: pass %s at list page %d (%s): %s", self.portal, p.section,
                   p.state, p.n, p.url, reason)
        self._count_sections()

    def _count_sections(self) -> None:
        finished = sum(1 for s in self.sections.values() if s.passes and all(p.state == FINISHED for p in s.passes))
        self.stats.set_value("frontier/sections_finished", finished)
        self.stats.set_value("frontier/sections_unfinished", len(self.sections) - finished)

    def pass_of(self, cursor: int | None) -> Pass | None:
        if cursor is None:
            return None
        for section in self.sections.values():
            for p in section.passes:
                if p.id == cursor:
                    return p
        return None

    # -- pending articles ------------------------------------------------------------------
    def resolve(self, url: str) -> None:
        """An article URL that is no longer pending (its page was dropped or is gone); recorded with
        the next :meth:`flush`."""
        self._resolved.add(canonical_url(url))

    async def flush(self, stored: list[str] = ()) -> None:
        """Pending URLs done with: ``stored`` (canonical URLs of stored items) and the resolved ones."""
        urls, self._resolved = self._resolved | set(stored), set()
        finished, self._finished = self._finished, []
        if self.store is None:
            return
        try:
            await self.store.finish(self.portal, finished)
        except DATABASE_ERRORS as exc:  # read again by the next run, and ended the same way
            self._finished += finished
            logger.warning("could not record %d finished passes in the frontier: %s", len(finished), exc)
        if not urls:
            return
        try:
            await self.store.resolve(urls)
        except DATABASE_ERRORS as exc:
            # fetched again by a later run, and then stored as unchanged: nothing is lost
            self._resolved |= urls
            logger.warning("could not mark %d article URLs as done in the frontier: %s", len(urls), exc)

    def item_dropped(self, item, response, exception, spider) -> None:
        url = getattr(item, "url", None)
        if url:
            self.resolve(url)

    async def spider_closed(self, spider, reason) -> None:
        await self._close_lease()

    async def _close_lease(self) -> None:
        if self.lease is not None:
            await self.lease.close()  # the lock goes with it: this run's cursors are free to resume
