"""The spider of a declared source with list pages: its declaration says it all.

A subclass sets ``source`` (a :class:`~liaocheng_news.declaration.Portal`) and gets its name,
its sections (channel label -> first list page), the numbering of its list pages (a list
without ``numbered`` leads on by its 下一页 link, read by the parser) and its replay arguments;
every article leaves with the channel the declaration decides (channel = county:
:meth:`~liaocheng_news.declaration.Portal.channel`, with the county of the list it was found
on).  The crawl itself is :class:`~liaocheng_news.spiders.base.PortalSpider`'s.
"""

from __future__ import annotations

import re
from typing import ClassVar

from scrapy.http import Response

from liaocheng_news.declaration import Portal
from liaocheng_news.items import Article
from liaocheng_news.spiders.base import PortalSpider, numbered_page

_LAST_SEGMENT = re.compile(r"([^/?#]*?)(?:\.[A-Za-z0-9]+)?$")


def numbered_list_url(first_url: str, n: int, numbered: str) -> str | None:
    """Page ``n`` of a list whose pages are ``numbered`` (``"{stem}_{n1}.html"``: the last path
    segment of ``first_url`` replaced; ``list_1061.html`` -> ``list_1061_1.html`` for n = 2)."""
    return numbered_page(first_url.split("?", 1)[0].split("#", 1)[0], n, _LAST_SEGMENT,
                         numbered.replace("{stem}", "{m}"))


class SourceSpider(PortalSpider):
    source: ClassVar[Portal]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        source = cls.__dict__.get("source")
        if source is not None:
            cls.name = source.name
            cls.sections = source.sections
            cls.replay_args = dict(source.replay_args)

    def list_page_url(self, first_url: str, n: int) -> str | None:
        listing = next((item for item in self.source.lists if item.url == first_url), None)
        if listing is None or listing.numbered is None:
            return None
        return numbered_list_url(first_url, n, listing.numbered)

    async def parse_article(self, response: Response, channel: str | None = None):
        async for item in super().parse_article(response, channel):
            if isinstance(item, Article):
                item.channel = self.source.channel(item.channel, channel)
            yield item
