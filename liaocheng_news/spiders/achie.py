"""achie — 中国高新院 news centre: a national site, of which only Liaocheng articles are kept.

The parser reads every article; this spider keeps those that name Liaocheng or one of its
counties/districts in title or body (:func:`liaocheng_news.parsers.achie.is_about_liaocheng`)
and drops the rest, counted as ``items_dropped/not_liaocheng``.

A dropped article is not in the archive, so the archive check alone would fetch it again on
every run.  The URLs dropped as not Liaocheng are therefore kept in the run's stats
(``achie/not_liaocheng_urls``, stored with the crawl run) and read back from the spider's last
runs: a list link found there is skipped (``articles_skipped_not_liaocheng``) and carried into
this run's list, so it stays remembered while the site still lists it.
"""

from __future__ import annotations

import logging

from scrapy.http import Response

from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.items import Article
from liaocheng_news.parsers.achie import is_about_liaocheng
from liaocheng_news.portals import PORTALS
from liaocheng_news.spiders.source import SourceSpider

logger = logging.getLogger(__name__)

STATS_KEY = "achie/not_liaocheng_urls"
RUNS_READ = 5  # recent runs whose dropped URLs are remembered (a failed run must not forget them)
MAX_REMEMBERED = 5000


class AchieSpider(SourceSpider):
    # the whole news centre (lists: liaocheng_news.portals) holds every column; later pages by the
    # list's 下一页 link (list_<typeid>_<n>.html); an article's column comes from its breadcrumb
    source = PORTALS["achie"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._remembered: set[str] | None = None
        self._not_liaocheng: dict[str, None] = {}  # insertion-ordered: the oldest are forgotten first

    async def remembered_not_liaocheng(self) -> set[str]:
        """Canonical URLs that earlier runs dropped as not about Liaocheng."""
        if self._remembered is None:
            self._remembered = set()
            if self.archive is not None:
                try:
                    runs = await (await self.archive.archive()).runs(limit=RUNS_READ, spider=self.name)
                except ArchiveUnavailable:
                    runs = []
                for run in runs:
                    self._remembered.update((run.get("stats") or {}).get(STATS_KEY) or [])
        return self._remembered

    def _remember(self, url: str) -> None:
        url = canonical_url(url)
        self._not_liaocheng.pop(url, None)  # seen again: now the newest
        self._not_liaocheng[url] = None
        while len(self._not_liaocheng) > MAX_REMEMBERED:
            self._not_liaocheng.pop(next(iter(self._not_liaocheng)))

    def closed(self, reason: str) -> None:
        # written once, when the run ends (recorded with the run's stats in crawl_runs)
        if self._not_liaocheng:
            self.crawler.stats.set_value(STATS_KEY, list(self._not_liaocheng))

    async def to_fetch(self, links: list[str]) -> tuple[list[str], int]:
        remembered = await self.remembered_not_liaocheng()
        keep = []
        for link in links:
            if canonical_url(link) in remembered:
                self.crawler.stats.inc_value("articles_skipped_not_liaocheng")
                self._remember(link)
            else:
                keep.append(link)
        return await super().to_fetch(keep)

    async def parse_article(self, response: Response, channel: str | None = None):
        async for item in super().parse_article(response, channel):
            if isinstance(item, Article) and not is_about_liaocheng(item):
                self._remember(response.url)
                self.drop("not_liaocheng", response.url, item.title, level=logging.INFO)
                continue
            yield item
