"""FastStatsCollector: the same stats as Scrapy's MemoryStatsCollector, and its warning."""

from __future__ import annotations

import warnings

import pytest
from scrapy import Spider
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.statscollectors import MemoryStatsCollector

from liaocheng_news.extensions.stats import FastStatsCollector
from tests.helpers import project_crawler


class Lcxw(Spider):
    name = "lcxw"


def _exercise(stats) -> dict:
    stats.open_spider()
    stats.inc_value("pages_fetched")
    stats.inc_value("pages_fetched", 2)
    stats.inc_value("items_dropped/too_large", start=10)
    stats.set_value("run_status", "finished")
    stats.max_value("memory", 5)
    stats.max_value("memory", 3)
    stats.min_value("first", 7)
    stats.min_value("first", 4)
    seen = dict(stats.get_stats())
    assert stats.get_value("pages_fetched") == 3 and stats.get_value("absent", "none") == "none"
    stats.close_spider(reason="finished")
    return seen


def test_the_project_crawls_with_it_and_it_counts_as_scrapy_s():
    crawler = project_crawler(Lcxw)
    assert type(crawler.stats) is FastStatsCollector
    fast = _exercise(crawler.stats)
    assert fast == _exercise(MemoryStatsCollector(project_crawler(Lcxw)))
    assert fast == {"pages_fetched": 3, "items_dropped/too_large": 11, "run_status": "finished", "memory": 5,
                    "first": 4}
    assert crawler.stats.spider_stats["lcxw"]["pages_fetched"] == 3  # kept after close, as Scrapy's
    crawler.stats.clear_stats()
    assert crawler.stats.get_stats() == {}
    # what makes it fast: no method reached through Scrapy's per-access wrapper (which caches each
    # wrapped method on the collector as _cached_<name>)
    scrapy_s = MemoryStatsCollector(project_crawler(Lcxw))
    _exercise(scrapy_s)
    assert [name for name in vars(scrapy_s) if name.startswith("_cached_")]  # Scrapy's does, so this can tell
    assert not [name for name in vars(crawler.stats) if name.startswith("_cached_")]


def test_a_spider_argument_still_warns():
    stats = project_crawler(Lcxw).stats
    with pytest.warns(ScrapyDeprecationWarning, match="spider"):
        stats.inc_value("x", spider=object())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats.inc_value("x")
