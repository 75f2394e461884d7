"""The spool: lines checked one by one, files on disk before they count, an unwritable spool said."""

from __future__ import annotations

import json
import os

import pytest

from liaocheng_news.items import article_to_json
from liaocheng_news.pipelines.spool import Spool, article_from_line
from liaocheng_news.pipelines.store import SPOOL_UNWRITABLE, StorePipeline
from tests.helpers import article, project_crawler, run
from tests.pipelines.test_store import Dummy, articles, settings_for


def line(**changes) -> str:
    data = article_to_json(article())
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("text, reason", [
    ("null", "not a JSON object but NoneType"),
    ("[1, 2]", "not a JSON object but list"),
    ('"x"', "not a JSON object but str"),
    ("{not json", "Expecting property name"),
    (line(portal=None), "no portal"),
    (line(url=""), "no url"),
    (line(title=7), "no title"),
    (line(body="one string"), "body is not a list of paragraphs"),
    (line(body=[]), "body is not a list of paragraphs"),
    (line(source=["x"]), "source is not text"),
    (line(authors="张三"), "authors is not a list of names"),
    (line(published_at="yesterday"), "not an article"),
])
def test_a_line_that_is_not_an_article_says_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        article_from_line(text)


def test_a_spooled_article_comes_back_whole():
    original = article()
    back = article_from_line(json.dumps(article_to_json(original), ensure_ascii=False))
    assert back == original


def test_a_spool_file_is_fsynced_and_renamed_into_place(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = Spool(tmp_path).write([article()], "lcxw")
    assert [p for p in tmp_path.iterdir()] == [path]  # no temporary file left behind
    # the file's bytes (under its temporary name) and then its folder: only then is it written
    assert len(synced) == 2 and synced[0].endswith(".tmp") and synced[1] == str(tmp_path)
    assert Spool.read(path).articles == [article()]


def test_a_spool_that_cannot_be_written_leaves_no_partial_file(tmp_path):
    (tmp_path / "spool").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        Spool(tmp_path / "spool").write([article()], "lcxw")


def test_items_neither_archive_nor_spool_takes_stop_the_crawl_and_are_counted(tmp_path):
    (tmp_path / "spool").write_text("not a folder")  # the spool cannot be written
    settings = settings_for(f"postgresql://nobody@/nothing?host={tmp_path}", tmp_path)  # nor the archive

    async def go():
        crawler = project_crawler(Dummy, **settings)
        pipeline = StorePipeline.from_crawler(crawler)
        await pipeline.open_spider()
        for item in articles(3):
            await pipeline.process_item(item)
        await pipeline.close_spider()
        pipeline.spider_closed(crawler.spider, "finished")  # the crawl was closing already
        return crawler.stats

    stats = run(go())
    assert stats.get_value("items_unsaved") == 3 and not stats.get_value("items_spooled")
    assert stats.get_value("spool/unwritable").endswith("spool: File exists")
    assert stats.get_value("finish_reason") == SPOOL_UNWRITABLE
