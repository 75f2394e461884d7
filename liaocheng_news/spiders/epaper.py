"""The spider of an e-paper read by issue date (lcrb, qlwb_liaocheng …): its ``issues`` declaration.

For each date of a range and each edition, the issue's first page (``issues.url`` of that date)
gives the issue's pages (版面: the parser's ``page_links``, which a declaration may narrow to the
pages whose label holds ``issues.page_label``); every page gives its articles, which go through
the same archive check as list links elsewhere (an archived article is not fetched again).  The
first page's own articles are read when it is one of the issue's pages.  An issue that does not
exist (404: no paper that day, or not yet published) is skipped quietly and counted as
``<name>/issues_missing``.

Spider arguments:

* ``since`` / ``until`` (``2024-01-01`` or ``20240101``): backfill that range (inclusive).
  ``until`` alone means "from the last archived issue up to ``until``";
  ``since`` alone means "from ``since`` up to today".
* ``editions``: comma-separated edition names, for a paper declared with editions
  (lcrb: ``paper`` = 聊城日报, ``lcwb`` = 聊城晚报; default all).

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
from liaocheng_news.spiders.base import page_from_response
from liaocheng_news.spiders.source import SourceSpider
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


class EpaperSpider(SourceSpider):
    def __init__(self, *args, since: str | None = None, until: str | None = None,
                 editions: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = parse_day(since)
        self.until = parse_day(until)
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        known = self.source.issues.editions
        if editions and not known:
            raise ValueError(f"{self.name} has no editions to choose from")
        names = [e.strip() for e in (editions or ",".join(known)).split(",") if e.strip()] or [""]
        unknown = [e for e in names if e not in known and e != ""]
        if unknown:
            raise ValueError(f"unknown edition(s) {unknown}; known: {', '.join(known)}")
        self.editions = names

    @property
    def issue_channel(self) -> str:
        """The channel label of the issue's articles, when their pages name none."""
        return self.source.issues.channel or self.source.title

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
        logger.info("%s: issues %s to %s (%d days), editions %s", self.name, since, until, len(days),
                    ",".join(self.editions) or "-")
        self.crawler.stats.set_value(f"{self.name}/issue_days", len(days))
        for day in reversed(days):  # newest first
            for edition in self.editions:
                yield scrapy.Request(self.source.issues.url_of(day, edition), callback=self.parse_layout,
                                     errback=self.issue_missing,
                                     cb_kwargs={"channel": self.issue_channel, "first": True})

    @classmethod
    def probe_urls(cls, replay: bool = False) -> list[str]:
        """Today's first page of the first edition (the recorded issue's, on a replay)."""
        issues = cls.source.issues
        day = parse_day(dict(cls.source.replay_args).get("since")) if replay else None
        return [issues.url_of(day or today_in_shanghai(), (issues.editions or ("",))[0])]

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
            pages = self.parser.page_links(page) if first else []
        except DecodeError as exc:
            self.drop("bad_encoding", response.url, exc)
            return
        if first:
            stats.inc_value(f"{self.name}/issues_found")
            for url in pages:
                if url != response.url:
                    yield scrapy.Request(url, callback=self.parse_layout, cb_kwargs={"channel": channel})
            if pages and response.url not in pages:
                return  # the first page is not one of the pages to read (issues.page_label)
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
        self.crawler.stats.inc_value(f"{self.name}/issues_missing")
        logger.info("%s: no issue at %s (%s)", self.name, failure.request.url, failure.getErrorMessage())
