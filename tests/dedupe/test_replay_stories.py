"""Stories in the archive a replay crawl builds: the copies issue 14 found split are one story.

The recorded achie and lcrb pages are crawled first (their excerpts of seed 003 share one
paragraph: two stories, as far as anyone can tell), then the seed dumps are imported: seed 003
bridges them and seed 004 joins achie's copy of it.  Each story's canonical copy is its fullest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from liaocheng_news.dedupe.urls import canonical_url
from tests.helpers import latest_stats, replay_crawl

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ACHIE_004 = canonical_url("http://www.achie.org/news/cygh/202208104532.html")  # seed 004's article, 340 characters
ACHIE_003 = canonical_url("http://www.achie.org/news/gxq/202210114618.html")  # three paragraphs of seed 003
LCRB_003 = canonical_url("http://lcrb.lcxw.cn/paper/pc/content/content_47880.html")  # seed 003 on the e-paper, shortened


def import_seeds(url: str, home: Path) -> None:
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url, "LIAOCHENG_NEWS_HOME": str(home),
           "LIAOCHENG_NEWS_LOG_LEVEL": "INFO"}
    result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "import", str(ROOT / "liaocheng_news" / "seeds")],
                            env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]


def test_the_replay_archive_groups_the_seeds_with_their_portal_copies(archive_url, tmp_path):
    replay_crawl("achie", "lcrb", url=archive_url, home=tmp_path, replay_dir=FIXTURES)
    with psycopg.connect(archive_url) as conn:
        before = dict(conn.execute("SELECT url, story_id FROM articles").fetchall())
    assert {ACHIE_004, ACHIE_003, LCRB_003} <= before.keys()
    assert before[ACHIE_003] != before[LCRB_003]  # one shared paragraph is not enough

    import_seeds(archive_url, tmp_path)
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT url, story_id, portal, extraction, content_chars FROM articles").fetchall()
        story = {url: s for url, s, *_ in rows}
        seed = {Path(url).name[:3]: url for url, *_ in rows if url.startswith("file:")}
        assert sorted(seed) == ["000", "001", "002", "003", "004"]

        s004 = story[seed["004"]]
        assert story[ACHIE_004] == s004
        s003 = story[seed["003"]]
        assert story[LCRB_003] == story[ACHIE_003] == s003 != s004
        # nothing else joined these two stories, and the other seeds stand alone
        members = {s: sorted(u for u, t in story.items() if t == s) for s in (s003, s004)}
        assert members == {s003: sorted([seed["003"], LCRB_003, ACHIE_003]), s004: sorted([seed["004"], ACHIE_004])}
        assert len({story[seed[k]] for k in ("000", "001", "002")} | {s003, s004}) == 5

        # the excerpt's story the seed bridged in redirects to it; both ids resolve
        for held in (before[ACHIE_003], before[LCRB_003], before[ACHIE_004]):
            assert conn.execute("SELECT story_live_id(%s)", (held,)).fetchone()[0] == story[ACHIE_003 if held != before[ACHIE_004] else ACHIE_004]
        assert conn.execute("SELECT count(*) FROM story_redirects WHERE reason = 'merged'").fetchone()[0] == 1
    # the import's run counted the merge it made
    assert latest_stats(archive_url)["import"].get("dedupe/stories_merged") == 1
    with psycopg.connect(archive_url) as conn:

        # each story's canonical copy is its fullest copy: the seed's full text, not a portal's excerpt
        sizes = {url: chars for url, _, _, _, chars in rows}
        for s in (s003, s004):
            canonical = conn.execute("SELECT a.url FROM stories s JOIN articles a ON a.id = s.canonical_article_id "
                                     "WHERE s.id = %s", (s,)).fetchone()[0]
            assert canonical == max(members[s], key=sizes.get)
            assert canonical.startswith("file:")
            assert all(sizes[u] < 0.9 * sizes[canonical] for u in members[s] if u != canonical)  # the others are excerpts
