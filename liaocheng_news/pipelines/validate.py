"""First stage: how each article was read is counted, and an item without url, title or body is
dropped with a counted reason.

Counted for every article a parser read: ``extraction/template/<template>`` (``lcxw/current``,
``generic``) and ``extraction/check/<check>`` for each of its cross-checks
(:mod:`liaocheng_news.parsers.crosscheck`: ``filled/…``, ``title_not_in_head``, and on the
compared sample ``compared`` with ``disagree/…``, whose rate is ``disagree/<field>`` / ``compared``).
"""

from __future__ import annotations

from datetime import datetime

from liaocheng_news.items import Article
from liaocheng_news.pipelines import drop
from liaocheng_news.text.fields import SHANGHAI


class ValidatePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if not isinstance(item, Article):
            # any other item type is converted, so every later stage sees an Article (itemadapter
            # imported only then: it imports pydantic when installed, ≈ 0.1 s of a crawl's start)
            from itemadapter import ItemAdapter

            item = Article(**ItemAdapter(item).asdict())
        if item.template:  # read by a parser (an imported dump has no template)
            stats = self.crawler.stats
            stats.inc_value(f"extraction/template/{item.template}")
            for check in item.extraction_checks:
                stats.inc_value(f"extraction/check/{check}")
        if not (item.url or "").strip():
            raise drop(self.crawler, "missing_url", item)
        if not (item.title or "").strip():
            raise drop(self.crawler, "missing_title", item)
        item.body = [p for p in (item.body or []) if p and p.strip()]
        if not item.body:
            raise drop(self.crawler, "missing_body", item)
        if item.published_at is None:
            # kept: a missing date is not a reason to lose the article; counted for the run
            self.crawler.stats.inc_value("items_missing_date")
        elif isinstance(item.published_at, datetime) and item.published_at.tzinfo is None:
            item.published_at = item.published_at.replace(tzinfo=SHANGHAI)
        return item
