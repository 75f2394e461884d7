"""The shared base of every portal spider: lists, pagination, incremental fetching, parsing.

A portal spider declares only what is specific to its portal:

* ``name`` — the portal's name (also its parser module and fixture folder); its hosts in
  :mod:`liaocheng_news.portals` are the only hosts it may request (``allowed_hosts`` overrides);
* ``sections`` — channel label → first list page URL;
* ``list_page_url(first_url, n)`` — the URL of list page ``n``, when pages are numbered
  rather than linked by a "下一页" link.

Which links on a list page are articles, and the "下一页" link, are read by the portal's
parser (``parse_list``), so a check of a portal needs no spider.

Everything else lives here:

* robots.txt and politeness come from the settings; only http(s) requests to the portal's hosts
  leave the crawl (:mod:`liaocheng_news.middlewares.containment`);
* each section is read in passes the crawl frontier plans (:mod:`liaocheng_news.extensions.frontier`):
  from its first page, and from wherever an earlier run stopped; article URLs an earlier run listed
  but did not store are fetched again;
* a list page's article links are checked against the archive in one query (:meth:`to_fetch`,
  nothing held in memory; a database blip is waited out with retries, past them the section is
  left unfinished for the next run): a URL already archived is not fetched again unless it is
  young enough to be re-checked and was last fetched more than RECHECK_INTERVAL_HOURS ago;
  a pass may stop after INCREMENTAL_LOOKBACK_PAGES pages that held nothing new when the section
  was read to its end before;
* an article page goes to the portal's parser (liaocheng_news.parsers, no Scrapy in it), in this
  process, within the ceilings of :mod:`liaocheng_news.limits`, and leaves the callback as an
  :class:`~liaocheng_news.items.Article` with its channel, listed URL and fetch time; the item
  pipelines then normalise it, key it and store it;
* an article page that came back as an app shell (the parser finds no article, the markup is
  scripts and almost no text: :mod:`liaocheng_news.app_shell`) is requested once more through the
  browser (``render/escalations``) instead of being dropped; the page is parsed once each time;
* every page that yields nothing is a counted, logged drop (:meth:`drop`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from liaocheng_news.app_shell import looks_like_app_shell
from liaocheng_news.counts import count_drop
from liaocheng_news.db.archive import DATABASE_ERRORS
from liaocheng_news.db.retry import with_retries
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.extensions.stop import StopRequest
from liaocheng_news.extensions.frontier import CrawlFrontier, Pass
from liaocheng_news.limits import item_too_long, page_too_heavy
from liaocheng_news.middlewares.containment import count_refusal, refusal, spider_hosts
from liaocheng_news.middlewares.frontier import ARTICLE_META, listed_url
from liaocheng_news.middlewares.render import render_meta
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_ORIGINAL_URL
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import DecodeError, ListPage, NotAnArticle, Page

logger = logging.getLogger(__name__)


def page_from_response(response: Response) -> Page:
    """The parsers' view of a Scrapy response (URL, bytes, headers, status)."""
    headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
    return Page(url=response.url, body=response.body, headers=headers, status=response.status)


def numbered_page(first_url: str, n: int, first: re.Pattern[str], template: str) -> str | None:
    """Page ``n`` of a list whose first page matches ``first``; ``template`` may use ``{m}`` (the
    first pattern group), ``{n}`` (the page number) and ``{n1}`` (n - 1, TRS numbering)."""
    match = first.search(first_url)
    if n < 2 or not match:
        return None
    page = template.format(m=match.group(1) if first.groups else "", n=n, n1=n - 1)
    return first_url[: match.start()] + page + first_url[match.end():]


class PortalSpider(scrapy.Spider):
    sections: dict[str, str] = {}
    # the hosts this spider may request (middlewares.containment); None: its portal's (portals.py)
    allowed_hosts: tuple[str, ...] | None = None

    def __init__(self, *args, max_pages: int | str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._max_pages = int(max_pages) if max_pages else None
        self._parser = None

    # -- what a portal may override ---------------------------------------------------------
    def list_page_url(self, first_url: str, n: int) -> str | None:
        """The URL of list page ``n`` (2, 3, …) of a section; None when pages are not numbered."""
        return None

    # spider arguments a replay crawl uses unless given (recorded pages have fixed dates)
    replay_args: dict[str, str] = {}

    @classmethod
    def probe_urls(cls, replay: bool = False) -> list[str]:
        """List pages that check-portals reads for this portal (the first one is used)."""
        return list(cls.sections.values())[:1]

    def list_requests(self) -> Iterable[scrapy.Request]:
        """The sections' first list pages, for a crawl without a frontier (no archive)."""
        for channel, url in self.sections.items():
            yield scrapy.Request(url, callback=self.parse_list, errback=self.list_failed,
                                 cb_kwargs={"channel": channel, "first_url": url, "n": 1, "stale": 0})

    # -- the machinery ----------------------------------------------------------------------
    @property
    def parser(self):
        if self._parser is None:
            self._parser = get_parser(self.name)
        return self._parser

    @property
    def archive(self) -> ArchiveExtension | None:
        """The crawl's archive (None when the crawl runs without one: ARCHIVE_ENABLED off)."""
        return self.crawler.get_extension(ArchiveExtension)

    @property
    def frontier(self) -> CrawlFrontier | None:
        """The crawl's frontier (None when FRONTIER_ENABLED is off)."""
        return self.crawler.get_extension(CrawlFrontier)

    @property
    def max_pages(self) -> int:
        return self._max_pages or self.settings.getint("MAX_LIST_PAGES")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        frontier = self.frontier
        if frontier is None:
            for request in self.list_requests():
                yield request
            return
        passes, pending = await frontier.start(self.name, self.sections)
        for p in passes:
            request = self.list_request(p)
            if request is not None:
                yield request
        for item in pending:  # listed by an earlier run, never stored
            yield self.article_request(item.fetch_url, item.section)

    def list_request(self, p: Pass) -> scrapy.Request | None:
        """The request of the list page pass ``p`` reads next (None: this run reads no more of the
        section's pages: the pass stays unfinished)."""
        if not self.frontier.asking(p, p.url):
            self.frontier.end(p, False, f"{self.max_pages} list pages of the section read in this run "
                                        "(MAX_LIST_PAGES); the next run goes on from here")
            return None
        return scrapy.Request(p.url, callback=self.parse_list, errback=self.list_failed, dont_filter=True,
                              cb_kwargs={"channel": p.section, "first_url": p.first_url, "n": p.n, "stale": 0,
                                         "cursor": p.id})

    def article_request(self, url: str, channel: str | None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              cb_kwargs={"channel": channel}, meta={ARTICLE_META: True})

    def drop(self, reason: str, url: str, detail: object = "", level: int = logging.WARNING) -> None:
        """A page that yields nothing: counted by reason (``items_dropped/<reason>``) and logged."""
        count_drop(self.crawler.stats, reason, url, str(detail), level)

    async def to_fetch(self, links: list[str]) -> tuple[list[str], int]:
        """Which of ``links`` to download, and how many of them are new to the archive.

        The archive's look-up is retried while the database fails; past the retries it counts in
        ``archive/list_check_failures`` and its last error (one of ``DATABASE_ERRORS``) is raised:
        the caller decides (a list page's pass is left unfinished, to be resumed by the next run)."""
        canon = {link: canonical_url(link) for link in links}
        known: dict = {}
        if self.archive is not None and canon:
            try:
                archive = await self.archive.archive()
                known = await with_retries(lambda: archive.known_urls(canon.values()),
                                           retries=self.settings.getint("ARCHIVE_WRITE_RETRIES"),
                                           backoff=self.settings.getfloat("ARCHIVE_RETRY_BACKOFF"),
                                           what="the archive check of a list page's links",
                                           stats=self.crawler.stats, error_key="archive/list_check_errors",
                                           pool=archive.pool)
            except DATABASE_ERRORS:
                self.crawler.stats.inc_value("archive/list_check_failures")
                raise
        stats = self.crawler.stats
        now = datetime.now(timezone.utc)
        max_age = timedelta(days=self.settings.getfloat("RECHECK_MAX_AGE_DAYS"))
        interval = timedelta(hours=self.settings.getfloat("RECHECK_INTERVAL_HOURS"))
        fetch, new = [], 0
        for link in links:
            seen = known.get(canon[link])
            if seen is None:
                fetch.append(link)
                new += 1
                continue
            born = seen["published_at"] or seen["first_seen"]
            if born and now - born < max_age and now - seen["last_seen"] >= interval:
                stats.inc_value("articles_rechecked")
                fetch.append(link)
            else:
                stats.inc_value("articles_skipped_known")
        return fetch, new

    def read_list(self, response: Response) -> ListPage | None:
        """The list page's links and next page, or None when the page is dropped (counted)."""
        heavy = page_too_heavy(response.body, self.settings)
        if heavy:
            self.drop("too_large", response.url, heavy)
            return None
        try:
            return self.parser.parse_list(page_from_response(response))
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
        except RecursionError:
            self.drop("too_deep", response.url, "nested deeper than the parser walks")
        return None

    async def parse_list(self, response: Response, channel: str, first_url: str, n: int, stale: int,
                         cursor: int | None = None):
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("list_pages_fetched")
        frontier = self.frontier
        p = frontier.pass_of(cursor) if frontier is not None else None
        listing = self.read_list(response)
        if listing is None:  # a counted drop: the section cannot be read past it
            self._pass_ends(p, True, "the list page was dropped")
            return
        links = listing.links
        if not links:
            stats.inc_value("list_pages_without_links")
            logger.warning("no article links on list page %s", response.url)
        try:
            fetch, new = await self.to_fetch(links)
        except DATABASE_ERRORS as exc:
            logger.error("the archive check of list page %s failed after retries (%s): the section %s is left "
                         "unfinished, the next run resumes it here", response.url, exc, channel)
            self._pass_ends(p, False, "the archive check of its links failed")
            return
        stale = 0 if new else stale + 1
        next_url = (self.list_page_url(first_url, n + 1) or listing.next_page) if links else None
        stop_at_known = p.stop_at_known if p is not None else True
        if stop_at_known and stale > self.settings.getint("INCREMENTAL_LOOKBACK_PAGES"):
            done = "nothing new in the look-back pages"
        elif not links:
            done = "a list page without article links"
        elif not next_url:
            done = "the last list page"
        elif refusal(next_url, spider_hosts(self)):  # 下一页 leaves the portal: the section ends here
            count_refusal(stats, next_url, refusal(next_url, spider_hosts(self)), response.url)
            done = "the next list page is off the portal"
        elif p is not None and frontier.joins(p, next_url):
            done = "joined another pass of this run"
        else:
            done = ""
        recorded = True
        if p is not None:
            recorded = await frontier.page_read(p, fetch, None if done else next_url)
        for url in fetch:
            yield self.article_request(url, channel)
        if p is None:  # no frontier: read on within MAX_LIST_PAGES, nothing recorded
            if not done and n < self.max_pages:
                yield scrapy.Request(next_url, callback=self.parse_list, errback=self.list_failed,
                                     cb_kwargs={"channel": channel, "first_url": first_url, "n": n + 1,
                                                "stale": stale})
            return
        if not recorded:
            frontier.end(p, False, "its progress could not be recorded")
        elif done:
            frontier.end(p, True, done, recorded=True)
        else:
            request = self.list_request(p)
            if request is not None:
                request.cb_kwargs["stale"] = stale
                yield request

    def _pass_ends(self, p: Pass | None, finished: bool, reason: str) -> None:
        if p is not None:
            self.frontier.end(p, finished, reason)

    def stopping(self) -> bool:
        """The crawl was asked to stop (a signal): the requests it drops are not refusals."""
        stop = self.crawler.get_extension(StopRequest)
        return stop is not None and stop.requested

    def list_failed(self, failure: Failure):
        """A list page that could not be downloaded: its pass stays unfinished (the next run reads the
        page again), unless the page is not to be fetched at all (off the portal, robots.txt, too
        large: the section ends there; not a page dropped by a stop).  The failure is logged as
        Scrapy logs it."""
        cb = failure.request.cb_kwargs
        if self.frontier is not None:
            p = self.frontier.pass_of(cb.get("cursor"))
            if failure.check(IgnoreRequest) and not self.stopping():  # off the portal, robots.txt, too large
                self._pass_ends(p, True, f"the list page is not fetched ({failure.getErrorMessage()[:200]})")
            else:
                self._pass_ends(p, False, f"the list page could not be downloaded ({failure.type.__name__})")
        failure.raiseException()

    def article_failed(self, failure: Failure):
        """An article page that could not be downloaded.  Ignored on purpose (off-portal, robots.txt,
        too large: counted where it was dropped) or gone (HTTP 4xx): no longer pending.  Any other
        failure, and a request dropped by a stop, leaves it pending for the next run.  Logged as
        Scrapy logs it."""
        frontier = self.frontier
        if frontier is not None:
            gone = (failure.check(IgnoreRequest) and not self.stopping()) or (
                failure.check(HttpError) and 400 <= failure.value.response.status < 500
                and failure.value.response.status not in (408, 429))
            if gone:
                frontier.resolve(listed_url(failure.request, self.settings.get("REPLAY_URL")))
        failure.raiseException()

    async def parse_article(self, response: Response, channel: str | None = None):
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("articles_fetched")
        heavy = page_too_heavy(response.body, self.settings)
        if heavy:
            self.drop("too_large", response.url, heavy)
            return
        page = page_from_response(response)
        try:
            article = self.parser.parse(page)
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
            return
        except RecursionError:
            self.drop("too_deep", response.url, "nested deeper than the parser walks")
            return
        except NotAnArticle as exc:
            if self.is_app_shell(response, page):
                logger.info("app shell instead of an article, fetching it again with the browser: %s",
                            response.url)
                yield self.with_browser(response)
            else:
                self.drop("not_an_article", response.url, exc)
            return
        too_long = item_too_long(article, self.settings)
        if too_long:
            self.drop(too_long[0], response.url, too_long[1])
            return
        # a fallback is a template that failed; a source declared with no template is read by the
        # reader on every page by design, and counting those would flag it as broken for ever
        if article.extraction == "fallback" and self.parser.versions:
            stats.inc_value("fallback_extractions")
            logger.warning("fallback extraction (portal selectors found no body): %s", response.url)
        if not article.channel:
            article.channel = channel
        # a redirected article is archived under the URL its list links (a portal URL, also on a
        # replay), so the next run recognises the link instead of fetching it again
        if response.meta.get("redirect_urls"):
            article.url = listed_url(response.request, self.settings.get("REPLAY_URL"))
        article.fetched_at = datetime.now(timezone.utc)
        yield article

    # -- app shells --------------------------------------------------------------------------
    def is_app_shell(self, response: Response, page: Page) -> bool:
        """An article page that is a script shell, fetched without the browser (a page rendered
        already is not asked for again), with escalation on (RENDER_ESCALATION)."""
        if page.status >= 400 or "render" in response.meta or not self.settings.getbool("RENDER_ESCALATION"):
            return False
        return self.parser.is_article_url(response.url) and looks_like_app_shell(page.text)

    def with_browser(self, response: Response) -> scrapy.Request:
        """The request of ``response`` again, for the browser (its callback and arguments kept)."""
        meta = {k: v for k, v in response.meta.items() if k != REPLAY_ORIGINAL_URL}
        meta.update(render_meta("escalation"))
        return response.request.replace(url=response.url, meta=meta, dont_filter=True)
