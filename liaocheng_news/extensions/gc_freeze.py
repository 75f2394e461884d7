"""Freezes the heap the crawl starts with, so garbage collection scans only what the crawl makes.

A crawl's process holds about 130,000 objects of imported modules (Scrapy, Twisted, lxml,
psycopg, the parsers) that live until it exits, and Python's collector walks them again on every
full collection.  When the engine starts, this extension collects once and moves everything
that exists into the permanent generation (``gc.freeze()``); objects made during the crawl are
collected as before.  Measured with ``bench/crawl.py`` (2,000 pages): the crawl's process spends
0.60 s in the collector without it, 0.34–0.49 s with it.

Setting: ``GC_FREEZE`` (default on); off raises ``NotConfigured``.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured


class GcFreeze:
    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GC_FREEZE", True):
            raise NotConfigured("GC_FREEZE is off")
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        gc.collect()  # garbage of the start-up is freed, not frozen
        gc.freeze()
