"""E-papers by date (lcrb, qlwb_liaocheng): issue dates (range arguments, since the last archived
issue), the pages of an issue that are read, and replay crawls by date."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.parsers import Page, get_parser
from liaocheng_news.portals import PORTALS
from liaocheng_news.spiders import epaper
from liaocheng_news.spiders.declared import LcrbSpider, QlwbLiaochengSpider
from liaocheng_news.spiders.epaper import issue_dates, ongoing_range, parse_day
from tests.helpers import latest_stats, project_crawler, replay_crawl
from tests.parsers.test_fixtures import load_fixtures

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SH = timezone(timedelta(hours=8))
TODAY = date(2024, 4, 2)


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2024-03-29", "20240329", "2024/3/29", " 2024-03-29 "])
def test_parse_day_reads_the_usual_forms(text):
    assert parse_day(text) == date(2024, 3, 29)


def test_parse_day_rejects_garbage_and_passes_none():
    assert parse_day(None) is None and parse_day("") is None
    with pytest.raises(ValueError):
        parse_day("last tuesday")
    with pytest.raises(ValueError):
        parse_day("2024-02-30")


def test_issue_dates_are_inclusive_and_ordered():
    assert issue_dates(date(2024, 2, 27), date(2024, 3, 1)) == [
        date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    assert issue_dates(date(2024, 3, 29), date(2024, 3, 29)) == [date(2024, 3, 29)]
    assert issue_dates(date(2024, 3, 30), date(2024, 3, 29)) == []


def test_ongoing_range_starts_at_the_last_archived_issue():
    # published_at is stored in UTC: 2024-03-28T16:00Z is the issue of 2024-03-29 in Shanghai
    latest = datetime(2024, 3, 28, 16, 0, tzinfo=timezone.utc)
    assert ongoing_range(latest, TODAY, days_back=7, max_days=31) == (date(2024, 3, 29), TODAY)


def test_ongoing_range_on_an_empty_archive_takes_the_last_days():
    assert ongoing_range(None, TODAY, days_back=7, max_days=31) == (date(2024, 3, 27), TODAY)
    assert ongoing_range(None, TODAY, days_back=1, max_days=31) == (TODAY, TODAY)


def test_ongoing_range_is_bounded_and_never_in_the_future():
    old = datetime(2023, 1, 1, tzinfo=SH)
    assert ongoing_range(old, TODAY, days_back=7, max_days=31) == (TODAY - timedelta(days=30), TODAY)
    future = datetime(2024, 5, 1, tzinfo=SH)
    assert ongoing_range(future, TODAY, days_back=7, max_days=31) == (TODAY, TODAY)


def layout_url(edition: str, day: date) -> str:
    return PORTALS["lcrb"].issues.url_of(day, edition)


def test_issue_urls_follow_the_founder_schemes():
    assert layout_url("paper", date(2024, 3, 9)) == "http://lcrb.lcxw.cn/paper/pc/layout/202403/09/node_01.html"
    assert layout_url("lcwb", date(2024, 3, 29)) == "http://lcrb.lcxw.cn/lcwb/pc/layout/202403/29/node_01.html"
    assert (PORTALS["qlwb_liaocheng"].issues.url_of(date(2011, 4, 9))
            == "https://sjb.qlwb.com.cn/html/2011-04/09/node_1.htm")


# --- the spider's first requests ------------------------------------------------------------------

class FakeArchive:
    def __init__(self, latest):
        self.latest = latest
        self.asked: list[str] = []

    async def latest_published(self, portal):
        self.asked.append(portal)
        return self.latest


def first_requests(monkeypatch, archive, spidercls=LcrbSpider, **kwargs) -> list[str]:
    async def fake_archive(extension):
        if archive is None:
            raise ArchiveUnavailable("no database in this test")
        return archive

    monkeypatch.setattr(ArchiveExtension, "archive", fake_archive)
    monkeypatch.setattr(epaper, "today_in_shanghai", lambda: TODAY)
    crawler = project_crawler(spidercls, LCRB_DAYS_BACK=3)
    spider = spidercls.from_crawler(crawler, **kwargs)

    async def collect():
        return [request.url async for request in spider.start()]

    return asyncio.run(collect())


def test_a_range_argument_asks_for_every_issue_of_both_editions(monkeypatch):
    archive = FakeArchive(datetime(2024, 3, 31, tzinfo=SH))
    urls = first_requests(monkeypatch, archive, since="2024-03-28", until="20240329")
    assert urls == [
        "http://lcrb.lcxw.cn/paper/pc/layout/202403/29/node_01.html",
        "http://lcrb.lcxw.cn/lcwb/pc/layout/202403/29/node_01.html",
        "http://lcrb.lcxw.cn/paper/pc/layout/202403/28/node_01.html",
        "http://lcrb.lcxw.cn/lcwb/pc/layout/202403/28/node_01.html",
    ]
    assert archive.asked == []  # an explicit range does not depend on the archive


def test_without_arguments_the_crawl_resumes_at_the_last_archived_issue(monkeypatch):
    archive = FakeArchive(datetime(2024, 3, 31, 0, 0, tzinfo=SH))
    urls = first_requests(monkeypatch, archive, editions="paper")
    assert archive.asked == ["lcrb"]
    assert urls == [layout_url("paper", TODAY - timedelta(days=n)) for n in range(3)]  # 04-02, 04-01, 03-31


def test_without_arguments_and_an_empty_archive_the_last_days_are_read(monkeypatch):
    urls = first_requests(monkeypatch, FakeArchive(None), editions="lcwb")
    assert urls == [layout_url("lcwb", TODAY - timedelta(days=n)) for n in range(3)]  # LCRB_DAYS_BACK = 3


def test_an_unreachable_archive_falls_back_to_the_last_days(monkeypatch):
    urls = first_requests(monkeypatch, None, editions="paper")
    assert len(urls) == 3


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        LcrbSpider(since="2024-03-30", until="2024-03-29")
    with pytest.raises(ValueError):
        LcrbSpider(editions="paper,qlwb")
    with pytest.raises(ValueError):  # a paper declared without editions has none to choose
        QlwbLiaochengSpider(editions="paper")


def test_a_paper_without_editions_asks_for_one_issue_a_day(monkeypatch):
    archive = FakeArchive(datetime(2024, 3, 31, tzinfo=SH))
    urls = first_requests(monkeypatch, archive, QlwbLiaochengSpider, since="2011-04-28", until="2011-04-29")
    assert urls == ["https://sjb.qlwb.com.cn/html/2011-04/29/node_1.htm",
                    "https://sjb.qlwb.com.cn/html/2011-04/28/node_1.htm"]


# --- the pages of an issue ---------------------------------------------------------------------------

def fixture_page(portal: str, slug: str) -> Page:
    return next(f for f in load_fixtures(portal) if f.slug == slug).page()


def test_an_issue_is_read_on_the_pages_its_label_names():
    """qlwb_liaocheng keeps the pages whose page-list label holds 今日聊城 (R01-R04), not A01."""
    pages = get_parser("qlwb_liaocheng").page_links(fixture_page("qlwb_liaocheng", "layout-20110429-node-1"))
    assert pages == [f"https://sjb.qlwb.com.cn/html/2011-04/29/node_{n}.htm" for n in (101, 102, 103, 104)]


def test_lcrb_reads_every_page_of_an_issue_and_its_first():
    first = fixture_page("lcrb", "layout-paper-20240329-node01")
    pages = get_parser("lcrb").page_links(first)
    assert first.url in pages and len(pages) >= 2


# --- replay crawl of the recorded 2024-03-29 issue -------------------------------------------------

def crawl(url, home, replay_dir, *args):
    replay_crawl("lcrb", *args, url=url, home=home, replay_dir=replay_dir)
    return latest_stats(url)["lcrb"]


def test_replay_crawl_of_an_issue_is_complete_then_incremental(archive_url, tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "lcrb", replay / "lcrb")
    args = ("-a", "since=2024-03-28", "-a", "until=2024-03-29")  # 03-28 has no issue recorded: a 404, skipped
    first = crawl(archive_url, tmp_path, replay, *args)
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT url, title, published_at, body, channel, edition, page_no, page_name "
                            "FROM articles WHERE portal = 'lcrb' ORDER BY url").fetchall()
    complete = [r for r in rows if all(r[1:])]
    assert len(complete) == 4, rows
    by_url = {r[0]: r for r in rows}
    assert by_url["http://lcrb.lcxw.cn/paper/pc/content/content_47880.html"][5:] == ("聊城日报", "2", "综合新闻")
    assert by_url["http://lcrb.lcxw.cn/lcwb/pc/content/content_21877.html"][5:] == ("聊城晚报", "1", "今日聊城")
    assert first["articles_fetched"] == 4 and first["items_stored"] == 4
    assert first["list_pages_fetched"] == 3  # 日报 node_01 + node_02, 晚报 node_01
    assert first["lcrb/issues_missing"] == 2  # both editions of 2024-03-28

    second = crawl(archive_url, tmp_path, replay, *args)
    assert second["articles_fetched"] == 0, second
    assert second["list_pages_fetched"] == 3


def test_replay_crawl_of_a_paper_reads_only_its_edition_pages(archive_url, tmp_path):
    """qlwb_liaocheng on 2011-04-29: the first page (A01) gives the page list; of the 今日聊城
    pages only R04 is recorded (R01-R03 are 404s); A01's own articles are not fetched."""
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "qlwb_liaocheng", replay / "qlwb_liaocheng")
    replay_crawl("qlwb_liaocheng", url=archive_url, home=tmp_path, replay_dir=replay)
    stats = latest_stats(archive_url)["qlwb_liaocheng"]
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT url, channel, published_at FROM articles WHERE portal = 'qlwb_liaocheng' "
                            "ORDER BY url").fetchall()
    assert [r[0] for r in rows] == [f"https://sjb.qlwb.com.cn/html/2011-04/29/content_{n}.htm"
                                    for n in (120583, 120584, 120585)]  # no ?div=, no A01 article
    assert {r[1] for r in rows} == {"今日聊城"}
    assert stats["articles_fetched"] == 3 and stats["qlwb_liaocheng/issues_found"] == 1
    assert stats["list_pages_fetched"] == 2  # node_1 and node_104 (node_101 … 103 are not recorded)
