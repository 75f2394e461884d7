"""The template that read each article is stored with it (migration 0003)."""

import psycopg

from liaocheng_news.db.archive import Archive
from tests.helpers import article, run

FIRST = "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
SECOND = "https://www.lcxw.cn/yaowen/shehui/20260122/151680.html"


def _templates(url):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT url, template, revision FROM articles ORDER BY url").fetchall()


def _store(url, *articles):
    async def go():
        archive = await Archive.open(url)
        try:
            for a in articles:
                await archive.store([a])
        finally:
            await archive.close()

    run(go())


def test_the_template_is_stored_and_a_revision_records_the_new_one(archive_url):
    _store(archive_url, article(FIRST, template="lcrb/founder-pc"), article(SECOND))
    assert _templates(archive_url) == [(FIRST, "lcrb/founder-pc", 1), (SECOND, None, 1)]
    # the portal redesigned: the same URL is read by the reader, with a changed body
    _store(archive_url, article(FIRST, template="generic", body=["改版后的正文第一段，内容有所变化。"]))
    assert _templates(archive_url) == [(FIRST, "generic", 2), (SECOND, None, 1)]
