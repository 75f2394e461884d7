"""LogLevels: records below every handler's level are not made; every record a handler takes
still is; the levels come back when the engine stops."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from pydispatch import dispatcher
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured

from liaocheng_news.extensions.log_levels import LogLevels, lowest_handled_level, settle
from tests.helpers import project_crawler


class Lcxw(Spider):
    name = "lcxw"


class Kept(logging.Handler):
    def __init__(self, level):
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def only(*handlers: logging.Handler):
    """Logging with only ``handlers`` on the root logger (pytest's capture, at NOTSET, set aside
    meanwhile) and Scrapy's and Twisted's loggers at DEBUG and ERROR, as Scrapy's DEFAULT_LOGGING sets them."""
    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    saved = {logger: (list(logger.handlers), logger.level) for logger in logging.Logger.manager.loggerDict.values()
             if isinstance(logger, logging.Logger)}
    saved[root] = (list(root.handlers), root.level)
    for logger, (their, _) in saved.items():
        for handler in their:
            logger.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.NOTSET)
    scrapy_logger.setLevel(logging.DEBUG)
    logging.getLogger("twisted").setLevel(logging.ERROR)
    try:
        yield
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        for logger, (their, level) in saved.items():
            for handler in their:
                logger.addHandler(handler)
            logger.setLevel(level)


def test_records_below_every_handler_are_not_made_and_the_rest_are():
    warning, info = Kept(logging.WARNING), Kept(logging.INFO)
    with only(warning, info):
        _settled_records(warning, info)


def _settled_records(warning, info):
    engine = logging.getLogger("scrapy.core.engine")
    assert engine.isEnabledFor(logging.DEBUG)  # Scrapy's logger lets everything through
    assert lowest_handled_level() == logging.INFO
    changed = settle()
    assert changed[logging.getLogger("scrapy")] == logging.DEBUG and changed[logging.getLogger()] == logging.NOTSET
    assert not engine.isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("liaocheng_news.spiders.base").isEnabledFor(logging.DEBUG)
    engine.debug("Crawled (200) <GET https://www.lcxw.cn/>")
    engine.info("Spider opened")
    logging.getLogger("lcxw").warning("fallback extraction")
    assert [r.getMessage() for r in info.records] == ["Spider opened", "fallback extraction"]
    assert [r.getMessage() for r in warning.records] == ["fallback extraction"]
    assert logging.getLogger("twisted").level == logging.ERROR  # a logger set higher is left alone


def test_a_handler_that_takes_every_level_keeps_every_record():
    everything = Kept(logging.NOTSET)
    with only(everything, Kept(logging.ERROR)):
        assert settle() == {}
        logging.getLogger("scrapy.core.engine").debug("Crawled (200)")
    assert [r.getMessage() for r in everything.records] == ["Crawled (200)"]


def test_the_extension_settles_when_the_engine_starts_and_restores_when_it_stops():
    crawler = project_crawler(Lcxw)
    extension = crawler.get_extension(LogLevels)
    for signal, receiver in ((signals.engine_started, extension.engine_started),
                             (signals.engine_stopped, extension.engine_stopped)):
        assert receiver in list(dispatcher.liveReceivers(dispatcher.getAllReceivers(crawler.signals.sender, signal)))
    with only(Kept(logging.WARNING)):
        extension.engine_started()
        assert logging.getLogger().level == logging.WARNING and logging.getLogger("scrapy").level == logging.WARNING
        extension.engine_stopped()
        assert logging.getLogger().level == logging.NOTSET and logging.getLogger("scrapy").level == logging.DEBUG


def test_crawlers_of_one_process_keep_the_levels_settled_till_the_last_engine_stops():
    """`liaocheng-news crawl` runs its portals in one process: the first engine to stop leaves the
    levels settled for the others, a later crawler's handler that takes more is heeded, and the
    last engine to stop puts the levels back."""
    first, second = (project_crawler(Lcxw).get_extension(LogLevels) for _ in range(2))
    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    with only(Kept(logging.WARNING)):
        first.engine_started()
        more = Kept(logging.INFO)  # the second crawler's handler (a spider run at LOG_LEVEL=INFO)
        root.addHandler(more)
        try:
            second.engine_started()
            assert (root.level, scrapy_logger.level) == (logging.INFO, logging.INFO)
            first.engine_stopped()
            assert scrapy_logger.level == logging.INFO  # still settled while the second one runs
            second.engine_stopped()
            assert (root.level, scrapy_logger.level) == (logging.NOTSET, logging.DEBUG)
        finally:
            root.removeHandler(more)


def test_off_with_its_setting():
    with pytest.raises(NotConfigured):
        LogLevels.from_crawler(project_crawler(Lcxw, LOG_LEVELS_SETTLED=False))


def test_a_library_s_null_handler_takes_nothing():
    kept = Kept(logging.WARNING)
    library = logging.getLogger("charset_normalizer")
    null = logging.NullHandler()
    with only(kept):
        library.addHandler(null)  # what charset_normalizer does on import
        try:
            assert lowest_handled_level() == logging.WARNING
            settle()
            assert not logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
        finally:
            library.removeHandler(null)
