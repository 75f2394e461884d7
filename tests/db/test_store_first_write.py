"""The first write of a crawl's process: the store's modules (stories, search) are imported with it,
after the archive's pool has opened its connections (a crawl that finds nothing new never loads
them).  Run in a fresh process, where nothing has imported them before, as in a crawl."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psycopg

from tests.conftest import ROOT

_FIRST_WRITE = textwrap.dedent("""
    import asyncio, sys
    from liaocheng_news.db.archive import Archive
    from tests.helpers import article

    async def main(url):
        archive = await Archive.open(url)
        try:
            # as in a crawl: the pool's connection has answered queries (the list pages' archive check)
            # before the first write
            await archive.known_urls(["https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"])
            assert "liaocheng_news.db.search" not in sys.modules, "imported before the first write"
            batch = [article(f"https://www.lcxw.cn/yaowen/shehui/20260122/{n}.html", title=f"第{n}篇稿件的标题",
                             body=[f"第{n}篇稿件的正文，讲聊城高新区的项目建设和招商引资的进展情况。" * 3])
                     for n in range(151680, 151685)]
            results = await archive.store(batch)
            print(",".join(r.outcome for r in results))
        finally:
            await archive.close()

    asyncio.run(main(sys.argv[1]))
""")


def test_the_first_batch_of_a_fresh_process_is_stored_with_its_search_documents(archive_url):
    done = subprocess.run([sys.executable, "-c", _FIRST_WRITE, archive_url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == ",".join(["new"] * 5)
    with psycopg.connect(archive_url) as conn:
        documents = conn.execute("SELECT count(*), min(cardinality(tokens)) FROM article_search s "
                                 "JOIN articles a ON a.id = s.article_id").fetchone()
    assert documents[0] == 5 and documents[1] > 10
