"""The shared base spider's pure helpers."""

import re

from liaocheng_news.spiders.base import numbered_page


def test_numbered_list_pages():
    trs = re.compile(r"(list_\d+)\.html$")
    assert numbered_page("http://x.cn/a/list_1061.html", 1, trs, "{m}_{n1}.html") is None
    assert numbered_page("http://x.cn/a/list_1061.html", 3, trs, "{m}_{n1}.html") == "http://x.cn/a/list_1061_2.html"
    dz = re.compile(r"default\.htm$")
    assert numbered_page("http://x.cn/lcxw/default.htm", 2, dz, "default_{n1}.htm") == "http://x.cn/lcxw/default_1.htm"
    assert numbered_page("http://x.cn/lcxw/", 2, dz, "default_{n1}.htm") is None  # not a numbered list


def _crash(*args):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_page_that_kills_its_parse_worker_is_dropped_and_counted(monkeypatch):
    import json
    from pathlib import Path

    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from liaocheng_news.spiders import base
    from liaocheng_news.spiders.lcxw import LcxwSpider
    from tests.helpers import run

    page = Path(__file__).parent.parent / "fixtures" / "lcxw" / "article-20260122-151679.html"
    meta = json.loads(page.with_name(page.stem + ".meta.json").read_text(encoding="utf-8"))
    response = HtmlResponse(meta["url"], body=page.read_bytes(), headers=meta["headers"])
    monkeypatch.setattr(base, "parse_article_page", _crash)
    crawler = get_crawler(LcxwSpider, {"CPU_WORKERS": 1})
    spider = LcxwSpider.from_crawler(crawler)

    async def go():
        try:
            return [item async for item in spider.parse_article(response)]
        finally:
            await base.parse_pool(crawler).close()

    assert run(go()) == []
    assert crawler.stats.get_value("items_dropped/parser_crashed") == 1
    assert crawler.stats.get_value("items_dropped") == 1
