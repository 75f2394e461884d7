"""Politeness by default: robots.txt (also on a replay), throttling, identification, backoff."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from scrapy import Request, Spider
from scrapy.http import HtmlResponse

from liaocheng_news.middlewares.backoff import BackoffRetryMiddleware
from tests.helpers import latest_stats, project_crawler, replay_crawl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_default_settings_are_polite():
    code = ("from scrapy.utils.project import get_project_settings as g; s = g(); "
            "print(s['USER_AGENT']); print(s.getbool('ROBOTSTXT_OBEY'), s.getbool('AUTOTHROTTLE_ENABLED'), "
            "s.getint('CONCURRENT_REQUESTS_PER_DOMAIN'), s.getfloat('DOWNLOAD_DELAY'))")
    env = {**os.environ, "LIAOCHENG_NEWS_CONTACT": "ops@example.org", "SCRAPY_SETTINGS_MODULE": "liaocheng_news.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    agent, flags = out.splitlines()
    assert agent.startswith("liaocheng-news/") and "ops@example.org" in agent
    assert flags == "True True 2 1.0"


class Dummy(Spider):
    name = "dummy"


def test_server_errors_are_retried_with_growing_waits():
    crawler = project_crawler(Dummy, RETRY_BACKOFF_BASE=0.05, RETRY_TIMES=2)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://www.lcxw.cn/a.html")

    async def go():
        waits = []
        current = request
        for _ in range(3):
            started = time.perf_counter()
            result = await mw.process_response(current, HtmlResponse(current.url, status=503, request=current))
            waits.append(time.perf_counter() - started)
            if not isinstance(result, Request):
                return waits, result
            current = result
        return waits, current

    waits, final = asyncio.run(go())
    assert waits[0] >= 0.05 and waits[1] >= 0.1  # 0.05 s, then 0.1 s
    assert final.status == 503  # given up after RETRY_TIMES
    assert crawler.stats.get_value("retry/backoff_seconds") == 0.05 + 0.1


def test_robots_txt_of_the_portal_is_obeyed_on_a_replay(archive_url, tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "lcxw", replay / "lcxw")
    (replay / "lcxw" / "robots.txt").write_text("User-agent: *\nDisallow: /yaowen/shehui/2026\n", encoding="utf-8")
    (replay / "lcxw" / "robots.meta.json").write_text(json.dumps({
        "url": "https://www.lcxw.cn/robots.txt", "kind": "robots", "status": 200, "body_file": "robots.txt",
        "headers": {"Content-Type": "text/plain"}}), encoding="utf-8")
    replay_crawl("lcxw", url=archive_url, home=tmp_path, replay_dir=replay)
    stats = latest_stats(archive_url)["lcxw"]
    assert stats["robotstxt/forbidden"] == 1  # the one 2026 article under the disallowed path
    assert stats["items_stored"] == 4
