"""achie: only Liaocheng articles are kept; the others are counted drops, remembered across runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.items import Article
from liaocheng_news.parsers.achie import is_about_liaocheng
from tests.helpers import latest_stats, replay_crawl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOT_LIAOCHENG = "http://www.achie.org/news/gxq/202303214981.html"


def article(title: str, *body: str) -> Article:
    return Article(url="http://www.achie.org/news/gxq/202401011.html", portal="achie", title=title, body=list(body))


@pytest.mark.parametrize("item", [
    article("聊城实施制造业强市战略", "正文"),
    article("砥砺前行芳华 起航风正劲", "近年来,聊城高新区以推动高质量发展为主线。"),  # only in the body
    article("冠县经济开发区:精品钢板产业集群加快向高端迈进", "正文"),
    article("茌平区铝产业链延链补链", "正文"),
    article("東阿縣阿膠產業", "繁體轉載"),  # a Traditional copy
])
def test_liaocheng_or_a_county_in_title_or_body_is_kept(item):
    assert is_about_liaocheng(item)


@pytest.mark.parametrize("item", [
    article("潍坊高新区:“链长制”推动动力装备产业集群提质", "高新区新签约动力装备配套项目12个。"),
    article("国家高新区综合评价结果发布", "178家国家高新区参评,经济开发区、度假区同步评价。"),
])
def test_high_tech_zones_elsewhere_are_not_liaocheng(item):
    assert not is_about_liaocheng(item)


def crawl(url, home, replay_dir) -> dict:
    replay_crawl("achie", url=url, home=home, replay_dir=replay_dir)
    return latest_stats(url)["achie"]


def test_replay_crawl_drops_other_cities_and_does_not_fetch_them_again(archive_url, tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "achie", replay / "achie")
    first = crawl(archive_url, tmp_path, replay)
    with psycopg.connect(archive_url) as conn:
        rows = dict(conn.execute("SELECT url, channel FROM articles WHERE portal = 'achie'").fetchall())
    assert canonical_url(NOT_LIAOCHENG) not in rows
    assert rows == {
        canonical_url("http://www.achie.org/news/cygh/202208104532.html"): "产业规划",
        canonical_url("http://www.achie.org/news/gxq/202210114618.html"): "高新区新闻",
        canonical_url("http://www.achie.org/news/jjkfq/202303214977.html"): "经济开发区新闻",
    }
    assert first["articles_fetched"] == 4
    assert first["items_dropped/not_liaocheng"] == 1 and first["items_dropped"] == 1
    assert first["achie/not_liaocheng_urls"] == [canonical_url(NOT_LIAOCHENG)]

    second = crawl(archive_url, tmp_path, replay)
    assert second["articles_fetched"] == 0, second
    assert second["articles_skipped_not_liaocheng"] == 1
    assert second["achie/not_liaocheng_urls"] == [canonical_url(NOT_LIAOCHENG)]  # carried on while the list still shows it
