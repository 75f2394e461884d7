"""liaocheng_gov — 聊城市人民政府: news sections, numbered TRS list pages."""

from __future__ import annotations

import re

from liaocheng_news.spiders.base import PortalSpider, numbered_page

_FIRST = re.compile(r"(list_\d+)\.html$")


class LiaochengGovSpider(PortalSpider):
    name = "liaocheng_gov"
    # channel label -> first list page (known form list_<channel>.html; folders and channel ids guessed)
    sections = {
        "政务要闻": "http://www.liaocheng.gov.cn/xwzx/zwyw/list_1061.html",
        "部门动态": "http://www.liaocheng.gov.cn/xwzx/bmdt/list_1062.html",
        "县区动态": "http://www.liaocheng.gov.cn/xwzx/xqdt/list_1063.html",
    }

    def list_page_url(self, first_url: str, n: int) -> str | None:
        """Page n of a list: ``list_1061.html`` -> ``list_1061_<n-1>.html`` (TRS numbering, known)."""
        return numbered_page(first_url, n, _FIRST, "{m}_{n1}.html")
