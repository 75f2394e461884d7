"""Rendering in the real Chromium: the lcxw_app share pages, escalation, and no browser where none is needed.

Tests marked ``browser`` start Debian's Chromium (``apt-get install chromium``) through
Playwright; run them alone with ``pytest -m browser``.  The no-browser test needs none.  The crawls go through the real CLI,
replay server, scrapy-playwright, pipelines and archive.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.parsers import NotAnArticle, Page, get_parser
from tests.browser.crawl import TellingChromium, crawl, latest_stats, stored
from tests.browser.snapshots import FIXTURES, render_pages, shell_fixtures

HERE = Path(__file__).resolve().parent
STATIC_PORTAL = "lcxw"  # a portal whose pages are static HTML
SHELL_SLUG = "article-20260122-151679"  # the lcxw article the escalation test turns into a shell


def expected(portal: str, slug: str) -> dict:
    return json.loads((FIXTURES / portal / f"{slug}.expected.json").read_text(encoding="utf-8"))


def meta(portal: str, slug: str) -> dict:
    return json.loads((FIXTURES / portal / f"{slug}.meta.json").read_text(encoding="utf-8"))


def as_expected(article) -> dict:
    data = article.to_dict()
    data["published_at"] = article.published_at.isoformat() if article.published_at else None
    return data


def assert_row_is(row: dict, want: dict) -> None:
    """An archived row against a fixture's expected fields (after the normalise pipeline)."""
    assert row["title"] == want["title"]
    assert row["published_at"] == datetime.fromisoformat(want["published_at"])
    assert row["body"].split("\n") == want["body"]
    for key in ("channel", "source", "editor", "reviewer", "edition", "page_no"):
        assert row[key] == want[key], key
    assert list(row["authors"]) == want["authors"]
    assert [image["url"] for image in row["images"]] == [image["url"] for image in want["images"]]


@pytest.mark.browser
def test_chromium_renders_the_share_pages_and_the_parser_reads_them():
    pages = shell_fixtures("lcxw_app")
    assert len([slug for slug in pages if slug.startswith("article-")]) >= 3
    rendered = asyncio.run(render_pages(FIXTURES, pages))
    parser = get_parser("lcxw_app")
    for slug, url in pages.items():
        page = Page(url, rendered[slug].encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
        if meta("lcxw_app", slug)["kind"] == "list":
            listing = parser.parse_list(page)
            assert listing.links == expected("lcxw_app", slug)["links"]
            continue
        want = expected("lcxw_app", slug)
        got = {k: v for k, v in as_expected(parser.parse(page)).items() if k in want}
        assert got == want, slug
        # the shell alone holds no article: the parser needs the browser
        shell = (FIXTURES / "lcxw_app" / meta("lcxw_app", slug)["body_file"]).read_bytes()
        with pytest.raises(NotAnArticle):
            parser.parse(Page(url, shell, {"Content-Type": "text/html; charset=utf-8"}))


@pytest.mark.browser
def test_replay_crawl_of_lcxw_app_stores_complete_articles(archive_url, tmp_path):
    chromium = TellingChromium.make(tmp_path)
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "lcxw_app", replay / "lcxw_app")
    crawl("lcxw_app", url=archive_url, home=tmp_path, replay_dir=replay, chromium=chromium.path)

    rows = stored(archive_url, "lcxw_app")
    articles = [slug for slug, m in ((p.name.removesuffix(".meta.json"), meta("lcxw_app", p.name.removesuffix(".meta.json")))
                                     for p in (FIXTURES / "lcxw_app").glob("*.meta.json")) if m["kind"] == "article"]
    assert len(articles) >= 3
    for slug in articles:
        want = expected("lcxw_app", slug)
        assert_row_is(rows[canonical_url(want["url"])], want)
    assert all(row["extraction"] == "portal" and row["url"].startswith("https://app.lcxw.cn/") for row in rows.values())

    stats = latest_stats(archive_url)["lcxw_app"]
    assert stats["render/requests"] == 1 + len(articles)  # the list and each article
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]  # no page left open
    assert stats["playwright/page_count/max_concurrent"] <= 4
    assert chromium.launch_count == 1  # one browser for the whole crawl

    # run again: nothing new, so only the list page is rendered
    crawl("lcxw_app", url=archive_url, home=tmp_path, replay_dir=replay, chromium=chromium.path)
    again = latest_stats(archive_url)["lcxw_app"]
    assert again["articles_fetched"] == 0 and again["render/requests"] == 1


@pytest.mark.browser
def test_a_static_portal_crawl_starts_no_browser(archive_url, tmp_path):
    chromium = TellingChromium.make(tmp_path)
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / STATIC_PORTAL, replay / STATIC_PORTAL)
    result = crawl(STATIC_PORTAL, url=archive_url, home=tmp_path, replay_dir=replay, chromium=chromium.path)

    assert len(stored(archive_url, STATIC_PORTAL)) >= 3
    assert chromium.launch_count == 0  # Chromium was never executed
    stats = latest_stats(archive_url)[STATIC_PORTAL]
    assert not [key for key in stats if key.startswith("playwright/")], stats
    assert not [key for key, value in stats.items() if key.startswith("render/") and value], stats
    assert "Starting download handler" not in result.stderr  # not even the Playwright driver


@pytest.mark.browser
def test_an_app_shell_instead_of_an_article_is_rendered_once(archive_url, tmp_path):
    """A static portal's article page comes back as an app shell: one browser fetch makes it whole."""
    chromium = TellingChromium.make(tmp_path)
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / STATIC_PORTAL, replay / STATIC_PORTAL)
    shutil.copy(HERE / "escalation" / "article-shell.html", replay / STATIC_PORTAL / f"{SHELL_SLUG}.html")
    data = replay / STATIC_PORTAL / "api"
    data.mkdir()
    shutil.copy(HERE / "escalation" / "article-data.json", data / "detail-151679.json")
    (data / "detail-151679.meta.json").write_text(json.dumps({
        "url": "https://www.lcxw.cn/api/content/detail?id=151679", "kind": "data", "status": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8"}, "body_file": "detail-151679.json"}))
    want = expected(STATIC_PORTAL, SHELL_SLUG)

    crawl(STATIC_PORTAL, url=archive_url, home=tmp_path, replay_dir=replay, chromium=chromium.path)

    rows = stored(archive_url, STATIC_PORTAL)
    assert_row_is(rows[canonical_url(want["url"])], want)
    assert rows[canonical_url(want["url"])]["extraction"] == "portal"
    stats = latest_stats(archive_url)[STATIC_PORTAL]
    assert stats["render/escalations"] == 1 and stats["render/requests"] == 1  # only that page
    assert stats.get("items_dropped", 0) == 0
    assert chromium.launch_count == 1


def test_without_a_browser_static_portals_still_crawl_and_unrendered_requests_are_reported(archive_url, tmp_path):
    replay = tmp_path / "replay"
    for portal in ("lcxw_app", STATIC_PORTAL):
        shutil.copytree(FIXTURES / portal, replay / portal)
    result = crawl("lcxw_app", STATIC_PORTAL, url=archive_url, home=tmp_path, replay_dir=replay,
                   chromium=tmp_path / "no-such-chromium", expect=1)  # lcxw_app fetched nothing: failed

    assert len(stored(archive_url, STATIC_PORTAL)) >= 3
    assert stored(archive_url, "lcxw_app") == {}
    stats = latest_stats(archive_url)
    assert stats["lcxw_app"]["render/unavailable"] == 1  # the list page; nothing behind it was reached
    assert "could not render https://app.lcxw.cn/share/list.html?channel=latest: no browser at" in result.stderr
    assert "1 request(s) of lcxw_app could not be rendered" in (tmp_path / "logs" / "crawl.log").read_text()
    assert "Traceback" not in result.stderr

