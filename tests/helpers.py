"""Small builders shared by the tests."""

from __future__ import annotations

import asyncio
from datetime import datetime

from liaocheng_news.dedupe.sketch import fingerprint
from liaocheng_news.items import Article
from liaocheng_news.text.fields import SHANGHAI as SH

PARAGRAPHS = [
    "10月8日上午，在山东易斯特工程工具有限公司生产车间内，几十台机床正开足马力运行，工人们忙着把加工好的盾构机刀具刀圈放到货架上。",
    "项目是发展的支撑、转型的依托。高新区紧紧围绕新旧动能转换重大工程，坚定不移地实施项目立区发展战略，以优质高效投入促进产业水平提升。",
    "双招双引是经济工作的生命线。高新区紧紧围绕产业体系，坚持项目对接、拓展市场、对外宣传多措并举，努力形成储备一批、在谈一批、签约一批的招商格局。",
    "制造业是实体经济的根基。高新区实施制造业强区战略，扎实开展制造业项目招引行动，今年以来共谋划制造业项目35个，新签约过亿元制造业项目19个。",
]


def article(url: str = "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html", *, body=None,
            title: str = "高新区产业发展提质增效", portal: str = "lcxw", **fields) -> Article:
    a = Article(url=url, portal=portal, title=title, body=list(body or PARAGRAPHS),
                published_at=fields.pop("published_at", datetime(2026, 1, 22, 11, 2, 37, tzinfo=SH)), **fields)
    a.content_hash = fingerprint(a.body_text)
    return a


def run(coro):
    return asyncio.run(coro)


def replay_crawl(*args: str, url: str, home, replay_dir, env: dict | None = None, expect: int = 0):
    """``liaocheng-news crawl --no-seed --replay-dir DIR ARGS…`` in a subprocess, into the archive at ``url``.

    ``args`` are spider names and crawl options (``-a name=value``, ``-s NAME=VALUE``); ``expect``
    the exit status (0: every run finished; 3 degraded, 1 failed: liaocheng_news.outcomes).
    """
    import os
    import subprocess
    import sys

    environ = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url, "LIAOCHENG_NEWS_HOME": str(home),
               "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", **(env or {})}
    result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed",
                             "--replay-dir", str(replay_dir), *args],
                            env=environ, capture_output=True, text=True, timeout=600)
    assert result.returncode == expect, result.stderr[-4000:]
    return result


def latest_stats(url: str) -> dict[str, dict]:
    """spider -> the stats of its latest crawl run."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT DISTINCT ON (spider) spider, stats FROM crawl_runs "
                            "ORDER BY spider, id DESC").fetchall()
    return {spider: stats for spider, stats in rows}


def project_crawler(spidercls, **settings):
    """A crawler of ``spidercls`` with the project's settings (``settings`` on top), its
    extensions made and its spider created, as a crawl has them when the spider opens."""
    from scrapy.settings import SETTINGS_PRIORITIES
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    project = get_project_settings()
    own = {name: project[name] for name in project  # the reactor is the test runner's
           if project.getpriority(name) >= SETTINGS_PRIORITIES["project"] and name != "TWISTED_REACTOR"}
    crawler = get_crawler(spidercls, {**own, **settings})
    crawler.spider = crawler._create_spider()
    return crawler
