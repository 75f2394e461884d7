"""The real spiders, pipelines and archive against recorded pages served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import psycopg
import pytest

from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.parsers import Page, get_parser
from liaocheng_news.portals import BUILT_IN, PORTALS
from liaocheng_news.spiders import portal_spiders
from tests.helpers import latest_stats, replay_crawl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# every declared source with recorded pages (a new declaration with fixtures is crawled here)
STATIC_PORTALS = [p for p in sorted(portal_spiders())
                  if (FIXTURES / p).is_dir() and not PORTALS[p].needs_browser]


def add_article(replay_dir: Path, portal: str) -> str:
    """Copy one recorded article under a new URL and link it from the list page that links it."""
    folder = replay_dir / portal
    metas = {p: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.meta.json"))}
    recorded = {m["url"]: p for p, m in metas.items() if m["kind"] == "article"}
    parser = get_parser(portal)
    for list_meta, meta in metas.items():
        if meta["kind"] != "list":
            continue
        list_html = list_meta.with_name(list_meta.name.replace(".meta.json", ".html"))
        listing = parser.parse_list(Page(meta["url"], list_html.read_bytes(), meta["headers"]))
        old_url = next((url for url in listing.links if url in recorded), None)
        if old_url:
            break
    else:
        raise AssertionError(f"{portal}: no list page links a recorded article")
    source_meta = recorded[old_url]
    # the last number of the URL changed, its width kept (ids of a fixed width: doc_<24 hex>)
    number = re.findall(r"\d+", old_url)[-1]
    changed = str((int(number) + 7919) % 10 ** len(number)).zfill(len(number))
    new_url = old_url[: old_url.rindex(number)] + changed + old_url[old_url.rindex(number) + len(number):]
    # the list's first link to the article (absolute, root-relative or relative, maybe with a query
    # the source drops), in its item (<li> or table row), copied with the new URL
    body = list_html.read_bytes()
    link = getattr(parser, "link", lambda url: url)
    href = next(m for m in re.finditer(rb'<a\s[^>]*?href="([^"]+)"', body)
                if link(urljoin(meta["url"], m.group(1).decode())) == old_url)
    start = max(body.rfind(b"<li", 0, href.start()), body.rfind(b"<tr", 0, href.start()))
    close = b"</li>" if body.startswith(b"<li", start) else b"</tr>"
    end = body.index(close, href.end()) + len(close)
    item = body[start:href.start(1)] + new_url.encode() + body[href.end(1):end]
    list_html.write_bytes(body[:start] + item + body[start:])
    new_meta = dict(metas[source_meta], url=new_url)
    (folder / "zz-new.meta.json").write_text(json.dumps(new_meta, ensure_ascii=False), encoding="utf-8")
    # the same page under a new URL: a new row (an exact copy of a known story)
    shutil.copy(source_meta.with_name(source_meta.name.replace(".meta.json", ".html")), folder / "zz-new.html")
    return new_url


@pytest.mark.parametrize("portal", STATIC_PORTALS)
def test_replay_crawl_is_complete_then_incremental(portal, archive_url, tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / portal, replay / portal)
    replay_crawl(portal, url=archive_url, home=tmp_path, replay_dir=replay)
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT url, title, published_at, body, channel, extraction FROM articles "
                            "WHERE portal = %s", (portal,)).fetchall()
    complete = [r for r in rows if r[1] and r[2] and r[3] and r[4]]
    assert len(complete) >= 3, rows
    county = PORTALS[portal].county
    if county:  # channel = county: every article of a county's source carries it
        assert {r[4] for r in rows} == {county}, rows
    assert all(not r[0].startswith("http://127.0.0.1") for r in rows)  # the portals' real URLs are kept
    first = latest_stats(archive_url)[portal]
    assert first["articles_fetched"] >= 3 and first["items_stored"] >= 3
    # the fixtures are the pages each source's declaration is for: no template failed on one (a
    # source without a template is the reader's by design, never a fallback to alarm about)
    assert first.get("fallback_extractions", 0) == 0, first

    # run again: nothing new, so no article page is downloaded
    replay_crawl(portal, url=archive_url, home=tmp_path, replay_dir=replay)
    second = latest_stats(archive_url)[portal]
    assert second["articles_fetched"] == 0, second
    assert second["pages_fetched"] >= 1

    # a new article linked from the list: exactly that one is fetched
    new_url = add_article(replay, portal)
    replay_crawl(portal, url=archive_url, home=tmp_path, replay_dir=replay)
    third = latest_stats(archive_url)[portal]
    assert third["articles_fetched"] == 1, third
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*) FROM articles WHERE url = %s",
                            (canonical_url(new_url),)).fetchone()[0] == 1
        total = conn.execute("SELECT count(*) FROM articles WHERE portal = %s", (portal,)).fetchone()[0]
    assert total == len(rows) + 1


def test_scrapy_list_shows_the_portals(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LIAOCHENG_NEWS_SOURCES_FILE"}
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2], env={**env, "LIAOCHENG_NEWS_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    names = set(result.stdout.split())
    sources = {name for name, source in BUILT_IN.items() if source.crawled}
    assert {"lcxw", "yybnet", "lcrb", "achie", "liaocheng_gov", "dzwww_liaocheng", "lcxw_app"} <= sources
    assert len(sources) >= 7 + 12  # issue 19: at least twelve new sources
    assert {"linqing_gov", "yanggu_gov", "shenxian_gov", "chiping_gov", "donge_gov", "guanxian_gov",
            "gaotang_gov", "dongchangfu_gov", "qlwb_liaocheng", "liaocheng_cc"} <= sources
    assert names == sources | {"import"}, names ^ (sources | {"import"})


def _archived(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT a.url, a.title, a.body, a.published_at, a.channel, a.content_hash, a.normalisation, "
            "s.canonical_article_id = a.id FROM articles a JOIN stories s ON s.id = a.story_id "
            "ORDER BY a.url").fetchall()


def test_a_crawl_of_a_running_replay_server_is_the_same_crawl(archive_url, empty_database_url, tmp_path):
    """--replay-url (a replay server shared by several crawls) archives what --replay archives."""
    from liaocheng_news.ops.replay import ReplayServer

    replay_crawl("lcxw", url=archive_url, home=tmp_path / "own", replay_dir=FIXTURES)
    with ReplayServer(FIXTURES) as server:
        env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": empty_database_url,
               "LIAOCHENG_NEWS_HOME": str(tmp_path / "shared"), "LIAOCHENG_NEWS_LOG_LEVEL": "INFO"}
        result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed",
                                 "--replay-url", server.url, "lcxw"],
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-4000:]
        assert server.requests, "the crawl went to the running replay server"
    own, shared = _archived(archive_url), _archived(empty_database_url)
    assert len(own) >= 3
    assert shared == own
