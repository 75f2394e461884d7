"""Third stage: one canonical URL per article, a body fingerprint, repeats within a run dropped.

Copies of a story at other URLs are never dropped (provenance is kept); the store places
each article in its story (liaocheng_news.db.stories), serialised in the database.
"""

from __future__ import annotations

from functools import cached_property

from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.pipelines import drop


class DedupePipeline:
    def __init__(self, crawler, mirror_hosts: dict[str, str]):
        self.crawler = crawler
        self.mirror_hosts = mirror_hosts
        self.seen: set[str] = set()  # canonical URLs of this run (bounded by one run)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, dict(crawler.settings.getdict("MIRROR_HOSTS")))

    @cached_property
    def fingerprint(self):
        """The body fingerprint, imported with the first article (a crawl with nothing new never
        imports the sketches' numpy)."""
        from liaocheng_news.dedupe.sketch import fingerprint

        return fingerprint

    def process_item(self, item):
        item.url = canonical_url(item.url, self.mirror_hosts)
        item.content_hash = self.fingerprint(item.body_text)
        if item.url in self.seen:
            self.crawler.stats.inc_value("items_duplicate")
            raise drop(self.crawler, "duplicate_in_run", item)
        self.seen.add(item.url)
        return item
