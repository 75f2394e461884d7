"""lcrb — 聊城日报 / 聊城晚报 e-paper, crawled by issue date.

For each date of a range and each edition, the issue's first layout page
(``/<paper|lcwb>/pc/layout/<YYYYMM>/<DD>/node_01.html``) gives the page list (版面); every page
gives its articles, which go through the same archive check as list links elsewhere (an
archived article is not fetched again).  An issue that does not exist (404: no paper that day,
or not yet published) is skipped quietly and counted as ``lcrb/issues_missing``.

Spider arguments:

* ``since`` / ``until`` (``2024-01-01`` or ``20240101``): backfill that range (inclusive).
  ``until`` alone means "from the last archived issue up to ``until``";
  ``since`` alone means "from ``since`` up to today".
* ``editions``: comma-separated path names (``paper`` = 聊城日报, ``lcwb`` = 聊城晚报; default both).

Without dates an ongoing crawl takes the issues from the last archived one (re-read, for pages
published late) up to today (Asia/Shanghai); with an empty archive the last
``LCRB_DAYS_BACK`` days, and never more than ``LCRB_MAX_CATCHUP_DAYS`` days (settings.py): a
longer gap is a backfill, asked for with ``since``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime, timedelta

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from liaocheng_news.db.archive import DATABASE_ERRORS
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.parsers.base import DecodeError
from liaocheng_news.parsers.lcrb import EDITIONS, HOST
from liaocheng_news.spiders.base import PortalSpider, page_from_response
from liaocheng_news.text.fields import SHANGHAI, parse_date

logger = logging.getLogger(__name__)


def parse_day(text: str | date | None) -> date | None:
    """``2024-03-29`` / ``20240329`` / ``2024/3/29`` -> a date; None for None or ""; ValueError otherwise."""
    if text is None or text == "":
        return None
    if isinstance(text, date):
        return text
    value = parse_date(str(text).strip())
    if value is None:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")
    return value


def issue_dates(since: date, until: date) -> list[date]:
    """Every date from ``since`` to ``until``, both included, oldest first (empty if reversed)."""
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


def ongoing_range(latest: datetime | None, today: date, *, days_back: int, max_days: int) -> tuple[date, date]:
    """The dates an ongoing crawl reads: from the last archived issue (inclusive) to today.

    An empty archive gives the last ``days_back`` days; a last issue older than ``max_days``
    is not caught up in full (only the last ``max_days`` days are read).
    """
    if latest is None:
        return today - timedelta(days=max(days_back, 1) - 1), today
    last = latest.astimezone(SHANGHAI).date()
    since = max(min(last, today), today - timedelta(days=max(max_days, 1) - 1))
    return since, today


def layout_url(edition_dir: str, day: date, page: int = 1) -> str:
    return f"http://{HOST}/{edition_dir}/pc/layout/{day:%Y%m}/{day:%d}/node_{page:02d}.html"


class LcrbSpider(PortalSpider):
    name = "lcrb"
    # what the replay tests pass: the fixtures hold the issue of this date
    replay_args = {"since": "2024-03-29", "until": "2024-03-29"}

    def __init__(self, *args, since: str | None = None, until: str | None = None,
                 editions: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = parse_day(since)
        self.until = parse_day(until)
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        names = [e.strip() for e in (editions or ",".join(EDITIONS)).split(",") if e.strip()]
        unknown = [e for e in names if e not in EDITIONS]
        if unknown:
            raise ValueError(f"unknown edition(s) {unknown}; known: {', '.join(EDITIONS)}")
        self.editions = names

    async def date_range(self) -> tuple[date, date]:
        """The dates to crawl: the arguments, else since the last archived issue."""
        today = today_in_shanghai()
        if self.since:
            return self.since, self.until or today
        latest = None
        if self.archive is not None:
            try:
                latest = await (await self.archive.archive()).latest_published(self.name)
            except ArchiveUnavailable:
                pass
        since, until = ongoing_range(latest, today, days_back=self.settings.getint("LCRB_DAYS_BACK"),
                                     max_days=self.settings.getint("LCRB_MAX_CATCHUP_DAYS"))
        if self.until:
            since, until = min(since, self.until), self.until
        return since, until

    async def start(self) -> AsyncIterator[scrapy.Request]:
        since, until = await self.date_range()
        days = issue_dates(since, until)
        logger.info("lcrb: issues %s to %s (%d days), editions %s", since, until, len(days), ",".join(self.editions))
        self.crawler.stats.set_value("lcrb/issue_days", len(days))
        for day in reversed(days):  # newest first
            for edition_dir in self.editions:
                yield scrapy.Request(layout_url(edition_dir, day), callback=self.parse_layout,
                                     errback=self.issue_missing,
                                     cb_kwargs={"channel": EDITIONS[edition_dir], "first": True})

    @classmethod
    def probe_urls(cls, replay: bool = False) -> list[str]:
        """Today's first 聊城日报 page (the recorded issue's, on a replay)."""
        day = parse_day(cls.replay_args["since"]) if replay else today_in_shanghai()
        return [layout_url("paper", day)]

    def list_requests(self) -> Iterable[scrapy.Request]:  # not used: start() builds issue requests
        return []

    async def parse_layout(self, response: Response, channel: str, first: bool = False):
        """A page (版面): its articles; on an issue's first page also the issue's other pages."""
        stats = self.crawler.stats
        stats.inc_value("pages_fetched")
        stats.inc_value("list_pages_fetched")
        page = page_from_response(response)
        try:
            listing = self.parser.parse_list(page)
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
            return
        if first:
            stats.inc_value("lcrb/issues_found")
            for url in self.parser.page_links(page):
                if url != response.url:
                    yield scrapy.Request(url, callback=self.parse_layout, cb_kwargs={"channel": channel})
        if not listing.links:
            stats.inc_value("list_pages_without_links")
            logger.warning("no article links on layout page %s", response.url)
        try:
            fetch, _new = await self.to_fetch(listing.links)
        except DATABASE_ERRORS:  # the archive cannot say which are known: all fetched (stored as unchanged)
            fetch = listing.links
        for url in fetch:
            yield response.follow(url, callback=self.parse_article, cb_kwargs={"channel": channel})

    def issue_missing(self, failure: Failure):
        """No issue at this date (404 and other HTTP errors of a first page): skipped, counted."""
        self.crawler.stats.inc_value("lcrb/issues_missing")
        logger.info("lcrb: no issue at %s (%s)", failure.request.url, failure.getErrorMessage())
