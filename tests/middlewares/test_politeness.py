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


def _respond(mw, request, status, headers=None):
    return asyncio.run(mw.process_response(request, HtmlResponse(request.url, status=status, headers=headers or {},
                                                                 request=request)))


def test_retry_after_in_seconds_is_waited_on_429_and_503():
    crawler = project_crawler(Dummy, RETRY_BACKOFF_BASE=0.01, RETRY_TIMES=2)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://www.lcxw.cn/a.html")
    for status in (429, 503):
        started = time.perf_counter()
        retry = _respond(mw, request, status, {"Retry-After": "1"})
        assert isinstance(retry, Request) and time.perf_counter() - started >= 1.0  # not the 0.01 s backoff
    assert crawler.stats.get_value("retry/retry_after") == 2


def test_retry_after_as_an_http_date_and_too_long_a_wait():
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from liaocheng_news.middlewares.backoff import retry_after_seconds

    now = datetime(2026, 1, 22, 8, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert retry_after_seconds("120") == 120 and retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    crawler = project_crawler(Dummy, RETRY_BACKOFF_BASE=0.01, RETRY_BACKOFF_MAX=5)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://www.lcxw.cn/a.html")
    started = time.perf_counter()
    final = _respond(mw, request, 503, {"Retry-After": "3600"})  # an hour: not retried in this run
    assert final.status == 503 and time.perf_counter() - started < 0.5
    assert crawler.stats.get_value("retry/retry_after_too_long") == 1


def test_a_stop_ends_a_backoff_wait_and_gives_the_retry_up():
    from liaocheng_news.extensions.stop import StopRequest

    crawler = project_crawler(Dummy, RETRY_BACKOFF_BASE=30)
    stop = crawler.get_extension(StopRequest)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://www.lcxw.cn/a.html")

    async def go():
        asyncio.get_running_loop().call_later(0.2, stop.request, "SIGINT")
        started = time.perf_counter()
        result = await mw.process_response(request, HtmlResponse(request.url, status=503, request=request))
        return result, time.perf_counter() - started

    result, waited = asyncio.run(go())
    assert waited < 2 and isinstance(result, HtmlResponse) and result.status == 503  # the failure stands
    assert crawler.stats.get_value("interrupted") == "SIGINT"
