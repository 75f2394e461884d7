"""A spider for every declared source that has no spider module of its own.

The classes are made here, from :data:`liaocheng_news.portals.PORTALS` (the built-in sources and
the operator's sources file), as module attributes named after the source (``linqing_gov`` ->
``LinqingGovSpider``), so Scrapy's SpiderLoader finds them through SPIDER_MODULES like any
written spider, in ``scrapy list``, ``scrapy crawl``, ``liaocheng-news crawl`` and scrapyd.
A source with lists gets a :class:`~liaocheng_news.spiders.source.SourceSpider`, an e-paper by
date an :class:`~liaocheng_news.spiders.epaper.EpaperSpider`; a module ``spiders/<name>.py``
(achie: its Liaocheng filter) takes the place of the generated class.
"""

from __future__ import annotations

import pkgutil

from liaocheng_news import spiders
from liaocheng_news.declaration import Portal
from liaocheng_news.portals import PORTALS
from liaocheng_news.spiders.epaper import EpaperSpider
from liaocheng_news.spiders.source import SourceSpider

__all__ = ["GENERATED", "spider_class"]

_OWN_MODULES = {info.name for info in pkgutil.iter_modules(spiders.__path__)}  # (also inside an egg)


def spider_class(source: Portal) -> type[SourceSpider]:
    """The spider class of a declared source (by date for an e-paper with issues)."""
    base = EpaperSpider if source.issues is not None else SourceSpider
    name = "".join(part.capitalize() for part in source.name.split("_")) + "Spider"
    return type(name, (base,), {"source": source, "__module__": __name__, "__qualname__": name,
                                "__doc__": f"{source.name} — {source.title} (declared in {source.origin})"})


def _generated() -> dict[str, type[SourceSpider]]:
    classes = (spider_class(s) for s in PORTALS.values() if s.crawled and s.name not in _OWN_MODULES)
    return {cls.__name__: cls for cls in classes}


GENERATED = _generated()
globals().update(GENERATED)
__all__ += list(GENERATED)
