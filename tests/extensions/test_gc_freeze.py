"""GcFreeze: the heap a crawl starts with is frozen when its engine starts, young objects are
collected in bulk; off with GC_FREEZE."""

from __future__ import annotations

import gc

import pytest
from pydispatch import dispatcher
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured

from liaocheng_news.extensions.gc_freeze import GcFreeze
from tests.helpers import project_crawler


class Lcxw(Spider):
    name = "lcxw"


@pytest.fixture
def untuned():
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with a collector that sees everything
    gc.set_threshold(*threshold)


def test_the_start_up_heap_is_frozen_and_young_objects_wait_for_the_threshold(untuned):
    crawler = project_crawler(Lcxw)
    extension = crawler.get_extension(GcFreeze)
    receivers = dispatcher.liveReceivers(dispatcher.getAllReceivers(crawler.signals.sender, signals.engine_started))
    assert extension.engine_started in list(receivers)
    assert gc.get_freeze_count() == 0
    extension.engine_started()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules of a Scrapy process, at least
    made_later = [[i] for i in range(1000)]
    assert gc.get_freeze_count() == frozen  # what the crawl makes is collected as before
    assert made_later
    assert gc.get_threshold()[0] == crawler.settings.getint("GC_GEN0_THRESHOLD") > 700


def test_gc_freeze_off_switches_the_extension_off():
    with pytest.raises(NotConfigured):
        GcFreeze.from_crawler(project_crawler(Lcxw, GC_FREEZE=False))
