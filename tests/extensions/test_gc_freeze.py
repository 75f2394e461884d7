"""GcFreeze: the heap a crawl starts with is frozen when its engine starts; off with GC_FREEZE."""

from __future__ import annotations

import gc
import weakref

import pytest
from pydispatch import dispatcher
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from liaocheng_news.extensions.gc_freeze import GcFreeze


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with a collector that sees everything


def test_the_start_up_heap_is_frozen_when_the_engine_starts(unfrozen):
    crawler = get_crawler(Spider, {"GC_FREEZE": True})
    extension = GcFreeze.from_crawler(crawler)
    receivers = dispatcher.liveReceivers(dispatcher.getAllReceivers(crawler.signals.sender, signals.engine_started))
    assert extension.engine_started in list(receivers)
    assert gc.get_freeze_count() == 0
    extension.engine_started()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules of a Scrapy process, at least
    made_later = [[i] for i in range(1000)]
    assert gc.get_freeze_count() == frozen  # what the crawl makes is collected as before
    assert made_later


def test_garbage_of_the_start_up_is_collected_not_frozen(unfrozen):
    extension = GcFreeze.from_crawler(get_crawler(Spider, {"GC_FREEZE": True}))

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.disable()  # no collection before the engine starts
    try:
        del a, b
        assert gone() is not None  # a cycle: only the collector frees it
        extension.engine_started()
        assert gone() is None
    finally:
        gc.enable()


def test_gc_freeze_off_switches_the_extension_off():
    with pytest.raises(NotConfigured):
        GcFreeze.from_crawler(get_crawler(Spider, {"GC_FREEZE": False}))
