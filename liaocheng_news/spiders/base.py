"""The shared base of every portal spider: lists, pagination, incremental fetching, parsing.

A portal spider declares only what is specific to its portal:

* ``name`` — the portal's name (also its parser module and fixture folder);
* ``sections`` — channel label → first list page URL;
* ``list_page_url(first_url, n)`` — the URL of list page ``n``, when pages are numbered
  rather than linked by a "下一页" link.

Which links on a list page are articles, and the "下一页" link, are read by the portal's
parser (``parse_list``), so a check of a portal needs no spider.

Everything else lives here:

* robots.txt and politeness come from the settings;
* a list page's article links are checked against the archive in one query (:meth:`to_fetch`,
  nothing held in memory): a URL already archived is not fetched again unless it is young enough
  to be re-checked and was last fetched more than RECHECK_INTERVAL_HOURS ago; pagination stops
  after INCREMENTAL_LOOKBACK_PAGES pages that held nothing new;
* an article page goes to the portal's parser (liaocheng_news.parsers, no Scrapy in it), in this
  process, and leaves the callback as an :class:`~liaocheng_news.items.Article` with its channel,
  listed URL and fetch time; the item pipelines then normalise it, key it and store it;
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
from scrapy.http import Response

from liaocheng_news.app_shell import looks_like_app_shell
from liaocheng_news.counts import count_drop
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.middlewares.render import render_meta
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_ORIGINAL_URL
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import DecodeError, NotAnArticle, Page

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
        for channel, url in self.sections.items():
            yield scrapy.Request(url, callback=self.parse_list,
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
    def max_pages(self) -> int:
        return self._max_pages or self.settings.getint("MAX_LIST_PAGES")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.list_requests():
            yield request

    def drop(self, reason: str, url: str, detail: object = "", level: int = logging.WARNING) -> None:
        """A page that yields nothing: counted by reason (``items_dropped/<reason>``) and logged."""
        count_drop(self.crawler.stats, reason, url, str(detail), level)

    async def to_fetch(self, links: list[str]) -> tuple[list[str], int]:
        """Which of ``links`` to download, and how many of them are new to the archive."""
        canon = {link: canonical_url(link) for link in links}
        known: dict = {}
        if self.archive is not None and canon:
            try:
                known = await (await self.archive.archive()).known_urls(canon.values())
            except ArchiveUnavailable:
                pass  # the crawl is stopping (extensions.archive); nothing is skipped meanwhile
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

    async def parse_list(self, response: Response, channel: str, first_url: str, n: int, stale: int):
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("list_pages_fetched")
        try:
            listing = self.parser.parse_list(page_from_response(response))
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
            return
        links = listing.links
        if not links:
            stats.inc_value("list_pages_without_links")
            logger.warning("no article links on list page %s", response.url)
        fetch, new = await self.to_fetch(links)
        for url in fetch:
            yield response.follow(url, callback=self.parse_article, cb_kwargs={"channel": channel})
        stale = 0 if new else stale + 1
        if stale > self.settings.getint("INCREMENTAL_LOOKBACK_PAGES") or n >= self.max_pages or not links:
            return
        next_url = self.list_page_url(first_url, n + 1) or listing.next_page
        if next_url:
            yield scrapy.Request(next_url, callback=self.parse_list,
                                 cb_kwargs={"channel": channel, "first_url": first_url, "n": n + 1,
                                            "stale": stale})

    async def parse_article(self, response: Response, channel: str | None = None):
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("articles_fetched")
        page = page_from_response(response)
        try:
            article = self.parser.parse(page)
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
            return
        except NotAnArticle as exc:
            if self.is_app_shell(response, page):
                logger.info("app shell instead of an article, fetching it again with the browser: %s",
                            response.url)
                yield self.with_browser(response)
            else:
                self.drop("not_an_article", response.url, exc)
            return
        if article.extraction == "fallback":
            stats.inc_value("fallback_extractions")
            logger.warning("fallback extraction (portal selectors found no body): %s", response.url)
        if not article.channel:
            article.channel = channel
        # a redirected article is archived under the URL its list links, so the next run
        # recognises the link instead of fetching it again
        redirected = response.meta.get("redirect_urls")
        if redirected:
            article.url = redirected[0]
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
