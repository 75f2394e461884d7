"""Log records no handler would take are not even made.

Scrapy sets its own logger to DEBUG (``scrapy.utils.log.DEFAULT_LOGGING``) and its root handler
leaves the root logger at NOTSET, so that every handler decides by its own level; the price is a
``LogRecord`` built, and walked past every handler, for each record below all of them: two per
article page (``Crawled (200)`` and ``Scraped from``) at the default LOG_LEVEL.  When the engine
starts (every handler is installed by then: Scrapy's or the console's, the log file's, the
``log_count/*`` counter), this extension raises the root logger and any logger set lower (Scrapy's)
to the lowest level any handler takes (:func:`settle`), and puts them back when the engine stops
(with several crawlers in one process: when the last engine stops, settled again meanwhile).
A record an operator or a counter sees now is still made: the levels are raised only up to the
lowest handler's, and not at all while any handler takes every level (NOTSET: pytest's log
capture, for one).

Settings: ``LOG_LEVELS_SETTLED`` (default on; off raises ``NotConfigured``).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured


def _loggers() -> list[logging.Logger]:
    return [logging.root, *(logger for logger in logging.Logger.manager.loggerDict.values()
                            if isinstance(logger, logging.Logger))]


def lowest_handled_level() -> int:
    """The lowest level any handler of any logger takes (NOTSET when one takes every record, or
    when there is no handler at all: Python's last resort then decides).  A NullHandler (a
    library's, charset_normalizer's) takes nothing."""
    levels = [handler.level for logger in _loggers() for handler in logger.handlers
              if not isinstance(handler, logging.NullHandler)]
    return min(levels) if levels else logging.NOTSET


def settle() -> dict[logging.Logger, int]:
    """Raise every logger set below the lowest level any handler takes (the root logger included)
    to that level; returns the loggers changed and their former levels."""
    lowest = lowest_handled_level()
    if lowest <= logging.NOTSET:
        return {}
    changed = {}
    for logger in _loggers():
        if logger.level < lowest and (logger.level != logging.NOTSET or logger is logging.root):
            changed[logger] = logger.level
            logger.setLevel(lowest)
    return changed


# Shared by every crawler of the process (`liaocheng-news crawl` runs all its portals in one): the
# loggers raised, with their levels before and as raised, and how many engines are running.
_RAISED: dict[logging.Logger, tuple[int, int]] = {}
_RUNNING = [0]


def _restore() -> None:
    """The levels as they were, where nothing else has changed them since."""
    for logger, (before, settled) in _RAISED.items():
        if logger.level == settled:
            logger.setLevel(before)
    _RAISED.clear()


def _resettle() -> None:
    """From the levels as they were: raised to what every handler installed now takes (a crawler
    started later may have added a handler that takes more)."""
    _restore()
    for logger, before in settle().items():
        _RAISED[logger] = (before, logger.level)


class LogLevels:
    def __init__(self):
        self.running = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("LOG_LEVELS_SETTLED"):
            raise NotConfigured("LOG_LEVELS_SETTLED is off")
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        if not self.running:
            self.running = True
            _RUNNING[0] += 1
        _resettle()

    def engine_stopped(self) -> None:
        """The levels put back when the process's last engine stops (settled again for the others
        till then)."""
        if self.running:
            self.running = False
            _RUNNING[0] -= 1
        if _RUNNING[0] == 0:
            _restore()
        else:
            _resettle()
