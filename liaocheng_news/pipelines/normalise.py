"""Second stage: script normalisation of every text field (liaocheng_news.text.normalise)."""

from __future__ import annotations

from liaocheng_news.pipelines import drop
from liaocheng_news.text.normalise import Normaliser


class NormalisePipeline:
    def __init__(self, crawler, normaliser: Normaliser):
        self.crawler = crawler
        self.normaliser = normaliser

    @classmethod
    def from_crawler(cls, crawler):
        extra = crawler.settings.getlist("NORMALISE_SPAM_PHRASES")
        return cls(crawler, Normaliser(extra_spam_phrases=extra))

    def process_item(self, item):
        item = self.normaliser.article(item)
        stats = self.crawler.stats
        for key, count in item.normalisation.items():
            if count:
                stats.inc_value(f"normalise/{key}", count)
        if item.normalisation.get("converted_from_traditional"):
            stats.inc_value("normalise/items_converted")
        # a title of spam or invisible characters, a body that only repeated the title: nothing left
        if not item.title:
            raise drop(self.crawler, "empty_title_after_normalisation", item)
        if not item.body:
            raise drop(self.crawler, "empty_body_after_normalisation", item)
        return item
