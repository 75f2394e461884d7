"""Re-checking young articles: fetched again at most once per interval, a change kept as a revision."""

import json
import shutil
from pathlib import Path

import psycopg

from liaocheng_news.dedupe.urls import canonical_url
from tests.helpers import latest_stats, replay_crawl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ARTICLE = "article-20260122-151679"


def test_young_articles_are_rechecked_once_per_interval_and_changes_become_revisions(archive_url, tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "lcxw", replay / "lcxw")
    crawl = lambda: replay_crawl("lcxw", url=archive_url, home=tmp_path, replay_dir=replay)  # noqa: E731
    crawl()
    url = canonical_url(json.loads((replay / "lcxw" / f"{ARTICLE}.meta.json").read_text(encoding="utf-8"))["url"])

    # the article is young (published an hour ago) and was last fetched 7 hours ago: due again
    with psycopg.connect(archive_url) as conn:
        conn.execute("UPDATE articles SET published_at = now() - interval '1 hour', "
                     "last_seen = now() - interval '7 hours' WHERE url = %s", (url,))
    page = replay / "lcxw" / f"{ARTICLE}.html"
    page.write_bytes(page.read_bytes().replace("3200余个".encode(), "3500余个".encode()))  # the portal corrects a figure
    crawl()
    stats = latest_stats(archive_url)["lcxw"]
    assert stats["articles_fetched"] == 1 and stats["articles_rechecked"] == 1
    assert stats["items_revised"] == 1
    with psycopg.connect(archive_url) as conn:
        revision, body = conn.execute("SELECT revision, body FROM articles WHERE url = %s", (url,)).fetchone()
        old = conn.execute("SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id "
                           "WHERE a.url = %s", (url,)).fetchall()
    assert revision == 2 and "3500余个" in body
    assert len(old) == 1 and "3200余个" in old[0][0]

    # just re-checked: not fetched again within the interval
    crawl()
    assert latest_stats(archive_url)["lcxw"]["articles_fetched"] == 0
