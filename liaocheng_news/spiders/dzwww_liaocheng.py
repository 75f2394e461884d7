"""dzwww_liaocheng — 大众网·聊城: column lists, numbered ``default_<n>.htm`` pages."""

from __future__ import annotations

import re

from liaocheng_news.spiders.base import PortalSpider, numbered_page

_FIRST = re.compile(r"default\.htm$")


class DzwwwLiaochengSpider(PortalSpider):
    name = "dzwww_liaocheng"
    # channel label -> first list page (/lcxw/ and /hailiao/ are known columns; default.htm guessed)
    sections = {
        "聊城新闻": "http://liaocheng.dzwww.com/lcxw/default.htm",
        "海聊": "http://liaocheng.dzwww.com/hailiao/default.htm",
    }

    def list_page_url(self, first_url: str, n: int) -> str | None:
        """Page n of a column: ``default.htm`` -> ``default_<n-1>.htm`` (dzwww's TRS numbering)."""
        return numbered_page(first_url, n, _FIRST, "default_{n1}.htm")
