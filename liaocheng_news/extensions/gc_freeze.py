"""Garbage collection tuned for a crawl: the start-up heap frozen, young objects collected in bulk.

A crawl's process holds about 80,000 objects of imported modules (Scrapy, Twisted, lxml,
psycopg, the parsers) that live until it exits, and Python's collector walks them again on every
full collection.  When the engine starts, this extension moves everything that exists into the
permanent generation (``gc.freeze()``), without a full collection first: it would find a few dozen
unreachable objects (30 measured) for ~50 ms of every crawl's start.  Objects made during the
crawl are collected as before, but the youngest generation only every ``GC_GEN0_THRESHOLD``
allocations (Python's default, 700, runs it about once per page for a few hundred µs each
time).  Measured with ``bench/crawl.py`` (see docs/performance.md).

Settings: ``GC_FREEZE`` (default on; off raises ``NotConfigured``), ``GC_GEN0_THRESHOLD``.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured


class GcFreeze:
    def __init__(self, gen0_threshold: int):
        self.gen0_threshold = gen0_threshold

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GC_FREEZE"):
            raise NotConfigured("GC_FREEZE is off")
        extension = cls(crawler.settings.getint("GC_GEN0_THRESHOLD"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        gc.freeze()
        if self.gen0_threshold:
            gc.set_threshold(self.gen0_threshold, *gc.get_threshold()[1:])
