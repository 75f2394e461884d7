"""The shared base of every portal spider: lists, pagination, incremental fetching, parsing.

A portal spider declares only what is specific to its portal:

* ``name`` — the portal's name (also its parser module and fixture folder);
* ``sections`` — channel label → first list page URL;
* ``list_page_url(first_url, n)`` — the URL of list page ``n``, when pages are numbered
  rather than linked by a "下一页" link.

Which links on a list page are articles, and the "下一页" link, are read by the portal's
parser (``parse_list``), so a check of a portal needs no spider.

Everything else lives here: robots.txt and politeness come from the settings; a list page's
article links are checked against the archive in one query (nothing is held in memory), so a
URL already archived is not fetched again unless it is young enough to be re-checked and was
last fetched more than RECHECK_INTERVAL_HOURS ago; pagination stops after
INCREMENTAL_LOOKBACK_PAGES pages that held nothing new.  Article pages go to the portal's
parser (liaocheng_news.parsers), with no Scrapy in the parser.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone

import scrapy
from scrapy import signals
from scrapy.http import Response

from liaocheng_news.db.crawler import archive_for
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.items import Article
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import DecodeError, NotAnArticle, Page
from liaocheng_news.workers import WorkerLost, parse_article_page, parse_pool, warm_parser

logger = logging.getLogger(__name__)


def page_from_response(response: Response) -> Page:
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
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._start_workers, signal=signals.spider_opened)
        return spider

    def _start_workers(self, spider) -> None:
        """Boot the parse workers while robots.txt and the first lists download (not awaited:
        the crawl does not wait for them)."""
        self._warming = asyncio.ensure_future(self._warm_workers())

    async def _warm_workers(self) -> None:
        try:
            await parse_pool(self.crawler).start(warm_parser, self.name)
        except Exception as exc:  # noqa: BLE001 - the first parse starts them again, or says why
            logger.warning("parse workers did not start ahead of the crawl: %s", exc)

    async def parse_page(self, page: Page) -> Article:
        """The parser's article for ``page``, parsed in a worker process (liaocheng_news.workers)."""
        pool = parse_pool(self.crawler)
        if pool.inline:
            return self.parser.parse(page)
        return await pool.run(parse_article_page, self.name, page.url, page.body, page.headers, page.status)

    @property
    def parser(self):
        if self._parser is None:
            self._parser = get_parser(self.name)
        return self._parser

    @property
    def max_pages(self) -> int:
        return self._max_pages or self.settings.getint("MAX_LIST_PAGES", 50)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.list_requests():
            yield request


    async def to_fetch(self, links: list[str]) -> tuple[list[str], int]:
        """Which of ``links`` to download, and how many of them are new to the archive."""
        canon = {link: canonical_url(link) for link in links}
        try:
            archive = await archive_for(self.crawler)
            known = await archive.known_urls(canon.values())
        except ArchiveUnavailable:
            known = {}
        now = datetime.now(timezone.utc)
        max_age = timedelta(days=self.settings.getfloat("RECHECK_MAX_AGE_DAYS", 2))
        interval = timedelta(hours=self.settings.getfloat("RECHECK_INTERVAL_HOURS", 6))
        fetch, new = [], 0
        for link in links:
            seen = known.get(canon[link])
            if seen is None:
                fetch.append(link)
                new += 1
                continue
            born = seen["published_at"] or seen["first_seen"]
            if born and now - born < max_age and now - seen["last_seen"] >= interval:
                self.crawler.stats.inc_value("articles_rechecked")
                fetch.append(link)
            else:
                self.crawler.stats.inc_value("articles_skipped_known")
        return fetch, new

    async def parse_list(self, response: Response, channel: str, first_url: str, n: int, stale: int):
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("list_pages_fetched")
        try:
            page = page_from_response(response)
            listing = self.parser.parse_list(page)
            links = listing.links
        except DecodeError as exc:
            stats.inc_value("items_dropped")
            stats.inc_value("items_dropped/bad_encoding")
            logger.warning("list page %s does not decode: %s", response.url, exc)
            return
        if not links:
            stats.inc_value("list_pages_without_links")
            logger.warning("no article links on list page %s", response.url)
        fetch, new = await self.to_fetch(links)
        for url in fetch:
            yield response.follow(url, callback=self.parse_article, cb_kwargs={"channel": channel})
        stale = 0 if new else stale + 1
        lookback = self.settings.getint("INCREMENTAL_LOOKBACK_PAGES", 1)
        if stale > lookback or n >= self.max_pages or not links:
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
        try:
            article = await self.parse_page(page_from_response(response))
        except WorkerLost as exc:
            stats.inc_value("items_dropped")
            stats.inc_value("items_dropped/parser_crashed")
            logger.error("dropped (parser_crashed): %s — %s", response.url, exc)
            return
        except DecodeError as exc:
            stats.inc_value("items_dropped")
            stats.inc_value("items_dropped/bad_encoding")
            logger.warning("dropped (bad_encoding): %s — %s", response.url, exc)
            return
        except NotAnArticle as exc:
            stats.inc_value("items_dropped")
            stats.inc_value("items_dropped/not_an_article")
            logger.warning("dropped (not_an_article): %s — %s", response.url, exc)
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
