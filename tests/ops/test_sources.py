"""Sources as declarations: the checks of a declaration, the operator's sources file (clear errors,
bad tables left out), ``liaocheng-news sources``, and a source added by file alone: listed by
``scrapy list``, crawled from replay and checked by check-portals with no code change."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from liaocheng_news.counties import COUNTY_NAMES, county_of
from liaocheng_news.declaration import Issues, Listing, Portal, SourceError, pattern_host
from liaocheng_news.ops.replay import ReplayServer
from liaocheng_news.portals import BUILT_IN
from liaocheng_news.sources import load
from liaocheng_news.spiders.source import numbered_list_url
from tests.helpers import latest_stats, replay_crawl

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

GOOD = r'''
[[source]]
name = "gaotang_cc"
title = "高唐信息港"
hosts = ["gaotang.cc"]
kind = "aggregator"
county = "高唐县"
article = '^https?://(?:www\.)?gaotang\.cc/html/\d{4}/\d{4}/\d{10}\.htm$'
[[source.lists]]
url = "https://gaotang.cc/news/lcxw/"
channel = "高唐新闻"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- counties ------------------------------------------------------------------------------------

def test_county_labels_read_as_the_canonical_names():
    assert county_of("今日临清") == "临清市" and county_of("临清") == "临清市" and county_of("临清市") == "临清市"
    assert county_of("茌平县") == "茌平区" and county_of(" 今日 高唐 ") == "高唐县"
    assert county_of("江北水城旅游度假区") == "度假区" and county_of("聊城高新区") == "高新区"
    # whole labels only: a national site's column, the city, nothing
    assert county_of("高新区新闻") is None and county_of("今日聊城") is None and county_of(None) is None
    assert len(COUNTY_NAMES) == len(set(COUNTY_NAMES)) == 11


# --- a declaration ---------------------------------------------------------------------------------

def portal(**changes) -> Portal:
    values = dict(name="x_src", title="X", hosts=("x.cn",), kind="aggregator",
                  lists=(Listing("http://www.x.cn/news/", "新闻"),), article=r"^https?://www\.x\.cn/a/\d+\.html$")
    return Portal(**{**values, **changes})


@pytest.mark.parametrize("changes, message", [
    ({"name": "X-Src"}, "lower-case"),
    ({"kind": "blog"}, "kind 'blog'"),
    ({"hosts": ("http://x.cn/",)}, "not a host name"),
    ({"county": "临清"}, "use '临清市'"),
    ({"county": "济南市"}, "not a county of Liaocheng"),
    ({"lists": ()}, "declare the list pages"),
    ({"lists": (Listing("http://www.y.cn/news/", "新闻"),)}, "not on the source's hosts"),
    ({"lists": (Listing("ftp://www.x.cn/news/", "新闻"),)}, "not an http(s) URL"),
    ({"lists": (Listing("http://www.x.cn/a/", "新闻"), Listing("http://www.x.cn/b/", "新闻"))}, "channels must differ"),
    ({"lists": (Listing("http://www.x.cn/a/", "新闻", numbered="index.html"),)}, "{n} or {n1}"),
    ({"lists": (Listing("http://www.x.cn/a/", "新闻", numbered="p/{n}.html"),)}, "last path segment"),
    ({"article": r"^https?://www\.x\.cn/(a/\d+$"}, "not a valid regular expression"),
    ({"article": r"https?://.*\.html$"}, "name its host literally"),
    ({"article": r"^https?://www\.y\.cn/a/\d+\.html$"}, "matches host www.y.cn"),
    ({"template": "trs"}, "'<parser>/<version>'"),
    ({"encoding": "klingon"}, "not a known character set"),
    ({"issues": Issues("http://www.x.cn/{date:%Y%m%d}/1.htm")}, "not both"),
    ({"lists": (), "issues": Issues("http://www.x.cn/paper/1.htm")}, "must hold the date"),
    ({"lists": (), "issues": Issues("http://www.y.cn/{date:%Y%m%d}/1.htm")}, "not on the source's hosts"),
    ({"lists": (), "issues": Issues("http://www.x.cn/{edition}/{date:%Y%m%d}/1.htm")}, "editions exactly"),
    ({"lists": (), "issues": Issues("http://www.x.cn/{date:%Y%m%d}/{page}.htm")}, "may use only"),
    ({"lists": (), "issues": Issues("http://www.x.cn/{date:%Y%m%d}/1.htm", pages=r"^https?://www\.y\.cn/")},
     "matches host www.y.cn"),
])
def test_a_declaration_that_cannot_be_crawled_says_why(changes, message):
    with pytest.raises(SourceError, match=re.escape(message)):
        portal(**changes)


def test_hosts_are_normalised_and_subdomains_belong_to_them():
    source = portal(hosts=("WWW.X.cn",), lists=(Listing("http://news.x.cn/", "新闻"),))
    assert source.hosts == ("x.cn",)


@pytest.mark.parametrize("pattern, host", [
    (r"^https?://(www\.)?liaocheng\.cc/html/\d+\.htm$", "liaocheng.cc"),
    (r"^https?://(?:www|news)\.lcxw\.cn/(?:[a-z]+/)+\d+\.html$", "lcxw.cn"),
    (r"^http://sthjj\.liaocheng\.gov\.cn/x$", "sthjj.liaocheng.gov.cn"),
    (r"^https?://[a-z]+\.x\.cn/", None),
    (r"https?://x\.cn/", None),
])
def test_the_host_of_an_article_pattern(pattern, host):
    assert pattern_host(pattern) == host


def test_the_channel_is_the_county_where_the_source_says_so():
    county_site = portal(county="临清市")
    assert county_site.channel("政策文件") == "临清市"  # the source's county over its column
    aggregator = portal(lists=(Listing("http://www.x.cn/", "今日聊城"), Listing("http://www.x.cn/gt/", "县区", county="高唐县")))
    assert aggregator.channel("今日阳谷", "今日聊城") == "阳谷县"  # the page names its county
    assert aggregator.channel(None, "县区") == "高唐县"  # the list's county
    assert aggregator.channel("社会", "今日聊城") == "社会"  # no county: the page's channel
    assert aggregator.channel(None, "今日聊城") == "今日聊城"  # … else the list's label


def test_numbered_list_pages():
    assert numbered_list_url("http://x.cn/a/list_1061.html", 2, "{stem}_{n1}.html") == "http://x.cn/a/list_1061_1.html"
    assert numbered_list_url("http://x.cn/a/index.html", 4, "{stem}_{n1}.html") == "http://x.cn/a/index_3.html"
    assert numbered_list_url("http://x.cn/xwzx/", 2, "index_{n1}.htm") == "http://x.cn/xwzx/index_1.htm"
    assert numbered_list_url("http://x.cn/xwzx/", 1, "index_{n1}.htm") is None


# --- the sources file ---------------------------------------------------------------------------------

def test_a_valid_file_declares_its_sources(tmp_path):
    portals, errors = load(write(tmp_path, GOOD), BUILT_IN)
    assert errors == []
    [source] = portals
    assert (source.name, source.county, source.hosts, source.origin) == (
        "gaotang_cc", "高唐县", ("gaotang.cc",), str(tmp_path / "sources.toml"))
    assert source.sections == {"高唐新闻": "https://gaotang.cc/news/lcxw/"}


def table(**keys) -> str:
    values = {"name": '"x_src"', "title": '"X"', "hosts": '["x.cn"]', "kind": '"aggregator"',
              "article": r"'^https?://www\.x\.cn/a/\d+\.html$'", **keys}
    lines = [f"{k} = {v}" for k, v in values.items() if v is not None]
    return "[[source]]\n" + "\n".join(lines) + '\n[[source.lists]]\nurl = "http://www.x.cn/news/"\nchannel = "新闻"\n'


@pytest.mark.parametrize("text, message", [
    (GOOD + table(colour='"red"'), "unknown key(s) colour"),
    (GOOD + table(hosts='"x.cn"'), "hosts must be a list"),
    (GOOD + table(article=None), "missing article"),
    (GOOD + table(name='"lcxw"'), "the name 'lcxw' is taken by a built-in source"),
    (GOOD + table(name='"base"'), "the name 'base' is taken"),  # a spider/parser module's name
    (GOOD + table(template='"lcrb/nope"'), "parser lcrb has the templates lcrb/founder-pc"),
    (GOOD + table(template='"nope/trs"'), "no built-in parser 'nope'"),
    (GOOD + table(kind='"mirror"'), "kind 'mirror' is not one of"),
    (GOOD + table(hosts='["x.cn", "lcxw.cn"]'), "host(s) lcxw.cn (lcxw) belong to another source"),
    (GOOD + table() + '[[source.lists]]\nurl = "http://www.x.cn/b/"\nchannel = "b"\npages = 2\n', "lists #2: unknown key(s) pages"),
    (GOOD + table() + "[source.issues]\nurl = 'http://www.x.cn/{date:%Y}/1.htm'\n", "not both"),
    (GOOD + "[[source]\nname = 1\n", "Expected ']]'"),  # not TOML
    ('sources = ["x"]\n' + GOOD, "unknown top-level key(s) sources"),
])
def test_a_bad_table_is_left_out_with_a_clear_error(tmp_path, text, message):
    portals, errors = load(write(tmp_path, text), BUILT_IN)
    assert any(message in error for error in errors), errors
    assert all(str(tmp_path / "sources.toml") in error for error in errors)
    if "Expected" not in message:  # a file that is no TOML declares nothing; otherwise the good table loads
        assert [p.name for p in portals] == ["gaotang_cc"]


def test_duplicate_names_and_hosts_keep_the_first(tmp_path):
    portals, errors = load(write(tmp_path, GOOD + GOOD + GOOD.replace('"gaotang_cc"', '"gaotang_two"')), BUILT_IN)
    assert [p.name for p in portals] == ["gaotang_cc"]
    assert errors == [f"{tmp_path / 'sources.toml'}: [[source]] #2 (gaotang_cc): the name 'gaotang_cc' is "
                      "declared already by [[source]] #1",
                      f"{tmp_path / 'sources.toml'}: [[source]] #3 (gaotang_two): host(s) gaotang.cc (gaotang_cc) "
                      "belong to another source already"]


def test_a_subdomain_of_a_built_in_host_may_be_a_source(tmp_path):
    text = table(name='"liaocheng_jyty"', hosts='["jyty.liaocheng.gov.cn"]',
                 article=r"'^https?://jyty\.liaocheng\.gov\.cn/a/\d+\.html$'").replace("www.x.cn", "jyty.liaocheng.gov.cn")
    portals, errors = load(write(tmp_path, text), BUILT_IN)
    assert errors == [] and [p.name for p in portals] == ["liaocheng_jyty"]


# --- liaocheng-news sources ---------------------------------------------------------------------------

def run_cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "LIAOCHENG_NEWS_SOURCES_FILE"}
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**environ, "LIAOCHENG_NEWS_HOME": str(home), **env})


def test_the_sources_command_lists_every_source_and_checks_the_file(tmp_path):
    write(tmp_path, GOOD + table(colour='"red"'))
    done = run_cli(tmp_path, "sources")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "kind", "county"]
    names = [line.split()[0] for line in lines[1:] if line.strip() and not line[0].isdigit()]
    assert names == [n for n, s in BUILT_IN.items() if s.crawled] + ["gaotang_cc"]
    assert "unknown key(s) colour" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("unknown key(s) colour") == 1  # logged once, as the file loaded

    (tmp_path / "other").mkdir()
    other = write(tmp_path / "other", GOOD)
    checked = run_cli(tmp_path / "empty", "sources", "--file", str(other), "--json")
    assert checked.returncode == 0, checked.stderr
    records = [json.loads(line) for line in checked.stdout.splitlines()]
    assert records[-1]["name"] == "gaotang_cc" and records[-1]["read_by"] == "reader"
    assert {r["name"]: r["read_by"] for r in records}["linqing_gov"] == "liaocheng_gov/trs"
    missing = run_cli(tmp_path, "sources", "--file", str(tmp_path / "nope.toml"))
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_a_named_sources_file_that_is_missing_is_an_error(tmp_path):
    done = run_cli(tmp_path, "sources", LIAOCHENG_NEWS_SOURCES_FILE=str(tmp_path / "gone.toml"))
    assert done.returncode == 1 and "no such file" in done.stderr


# --- a source added by file alone ---------------------------------------------------------------------

def gaotang_pages(replay: Path) -> Path:
    """liaocheng_cc's recorded pages as a stand-in for 高唐信息港 (the same CMS), under gaotang.cc."""
    folder = replay / "gaotang_cc"
    folder.mkdir(parents=True)
    for path in (FIXTURES / "liaocheng_cc").iterdir():
        if path.name.endswith(".expected.json"):
            continue
        data = path.read_bytes().replace(b"liaocheng.cc", b"gaotang.cc")
        (folder / path.name).write_bytes(data)
    return folder


def test_a_source_added_by_file_is_listed_crawled_and_checked(archive_url, tmp_path):
    write(tmp_path, GOOD)
    replay = tmp_path / "replay"
    gaotang_pages(replay)
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True, timeout=120,
                            cwd=ROOT, env={**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path)})
    assert "gaotang_cc" in listed.stdout.split(), listed.stderr

    replay_crawl("gaotang_cc", url=archive_url, home=tmp_path, replay_dir=replay)
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT url, title, published_at, body, channel FROM articles WHERE portal = 'gaotang_cc' "
                            "ORDER BY url").fetchall()
    assert len(rows) == 3 and all(r[1] and r[2] and r[3] for r in rows), rows
    assert {r[4] for r in rows} == {"高唐县"} and all(r[0].startswith("https://gaotang.cc/html/") for r in rows)
    replay_crawl("gaotang_cc", url=archive_url, home=tmp_path, replay_dir=replay)
    assert latest_stats(archive_url)["gaotang_cc"]["articles_fetched"] == 0

    with ReplayServer(replay) as server:
        checked = run_cli(tmp_path, "check-portals", "--replay-url", server.url, "--json", "gaotang_cc")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    row = json.loads(checked.stdout)
    assert (row["verdict"], row["extraction"], row["links"]) == ("ok", "fallback", 3)


# --- the parser a declaration makes ---------------------------------------------------------------

def test_links_are_read_as_the_source_crawls_them():
    from liaocheng_news.parsers import get_parser

    lqxxg = get_parser("lqxxg")
    assert lqxxg.is_article_url("http://www.Lqxxg.cn/news/newslq2084.html")  # hosts compare case-insensitively
    assert lqxxg.link("http://www.Lqxxg.cn/news/newslq2084.html#top") == "http://www.lqxxg.cn/news/newslq2084.html"
    assert not lqxxg.is_article_url("http://www.lqxxg.cn/news/list-lq.html")
    qlwb = get_parser("qlwb_liaocheng")
    assert qlwb.link("https://sjb.qlwb.com.cn/html/2011-04/29/content_120585.htm?div=-1") == \
        "https://sjb.qlwb.com.cn/html/2011-04/29/content_120585.htm"


def test_an_encoding_hint_applies_to_pages_that_declare_no_charset():
    from liaocheng_news.parsers import Page
    from liaocheng_news.parsers.declared import declared_parser

    source = portal(encoding="gb18030")
    parser = declared_parser(source)
    text = "<html><head><title>临清新闻</title></head><body><p>临清市召开会议。</p></body></html>"
    bare = parser.hinted(Page("http://www.x.cn/a/1.html", text.encode("gbk"), {"Content-Type": "text/html"}))
    assert bare.header("content-type") == "text/html; charset=gb18030" and "临清市召开会议" in bare.text
    declared = Page("http://www.x.cn/a/1.html", text.replace("<head>", '<head><meta charset="utf-8">').encode(),
                    {"Content-Type": "text/html"})
    assert parser.hinted(declared).header("content-type") == "text/html"  # its own declaration stands


# --- on scrapyd: the egg carries the built-in sources, the node's home the sources file ----------------

from tests.deploy.conftest import (  # noqa: E402 - the deployment tests' real scrapyd daemons
    PROJECT, deploy_egg, run_scheduler, scrapyd_credentials, scrapyd_env, start_scrapyd)

__all__ = ["scrapyd_credentials", "scrapyd_env", "start_scrapyd"]  # fixtures this module uses


@pytest.mark.scrapyd
@pytest.mark.slow
def test_a_source_in_the_nodes_home_is_listed_and_scheduled_by_scrapyd(start_scrapyd, scrapyd_env, archive_url,
                                                                       tmp_path):
    home = Path(scrapyd_env["LIAOCHENG_NEWS_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    write(home, GOOD)
    replay = tmp_path / "replay"
    gaotang_pages(replay)
    node = start_scrapyd()
    deploy_egg(node)
    assert "gaotang_cc" in node.api("listspiders.json", {"project": PROJECT})["spiders"]
    with ReplayServer(replay) as server:
        config = tmp_path / "schedule.toml"
        config.write_text(f'nodes = ["{node.url}"]\nstate = "{tmp_path / "state.json"}"\n'
                          f'[defaults.settings]\nREPLAY_URL = "{server.url}"\nDOWNLOAD_DELAY = 0\n'
                          '[spiders.gaotang_cc]\nevery = "2h"\n', encoding="utf-8")
        tick = run_scheduler(config, {"SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password})
        assert tick.returncode == 0 and ": scheduled gaotang_cc" in tick.stdout, tick.stdout + tick.stderr
        node.wait_idle(timeout=120)
    with psycopg.connect(archive_url) as conn:
        channels = conn.execute("SELECT channel FROM articles WHERE portal = 'gaotang_cc'").fetchall()
    assert channels == [("高唐县",)] * 3, node.tail_log()
