"""Second stage: script normalisation of every text field (liaocheng_news.text.normalise).

The normaliser (OpenCC's dictionaries, the pinyin tables) is made for the first article, so a
crawl that finds nothing new does not pay for it.
"""

from __future__ import annotations

from functools import cached_property

from liaocheng_news.pipelines import drop


class NormalisePipeline:
    def __init__(self, crawler, spam_phrases: list[str]):
        self.crawler = crawler
        self.spam_phrases = spam_phrases

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getlist("NORMALISE_SPAM_PHRASES"))

    @cached_property
    def normaliser(self):
        from liaocheng_news.text.normalise import Normaliser

        return Normaliser(extra_spam_phrases=self.spam_phrases)

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
