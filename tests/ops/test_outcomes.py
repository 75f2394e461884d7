"""Finding 1 and 3 of issue 17: a crawl says what happened, in few lines, with progress and the table last."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from liaocheng_news import outcomes
from liaocheng_news.spiders import portal_spiders

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PORTALS = sorted(portal_spiders())  # every crawled source (21)
# a crawl that cannot hang: short timeouts, no politeness waits (nothing answers anyway)
FAST_FAILURE = ["-s", "DOWNLOAD_TIMEOUT=3", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "RETRY_TIMES=1", "-s", "RETRY_BACKOFF_BASE=0.05", "-s", "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=5000"]


def crawl(*args, url, home, timeout=300, **extra):
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(home), "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", **extra}
    environ.pop("LIAOCHENG_NEWS_DATABASE_URL", None)
    if url:
        environ["LIAOCHENG_NEWS_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", *args], env=environ,
                          capture_output=True, text=True, timeout=timeout)


def runs(url) -> list[tuple[str, str, dict]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT spider, status, stats FROM crawl_runs ORDER BY id").fetchall()


def table(stderr: str) -> dict[str, str]:
    """spider -> status, from the summary table."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("spider ") and " status " in line)
    rows = {}
    for line in lines[start + 1:]:
        parts = line.split()
        if len(parts) < 3 or not parts[2].isdigit():
            break
        rows[parts[0]] = parts[1]
    return rows


def test_a_crawl_without_network_fails_in_few_lines_and_says_every_portal_failed(archive_url, tmp_path):
    """The sandbox has no internet: every portal's host fails to resolve.  861ef7e exited 0 with
    every run `finished` after 3,058 lines."""
    result = crawl(*FAST_FAILURE, url=archive_url, home=tmp_path)
    lines = result.stderr.splitlines()
    assert result.returncode == outcomes.EXIT_CODES[outcomes.FAILED], result.stderr[-3000:]
    assert len(lines) < 30, result.stderr
    rows = table(result.stderr)
    assert len(PORTALS) >= 21 and {p: rows[p] for p in PORTALS} == dict.fromkeys(PORTALS, "failed")
    assert rows["import"] == "finished"  # the empty archive got its seed corpus
    assert "liaocheng-news: every portal failed: nothing fetched" in result.stderr
    assert sum(str(tmp_path / "logs" / "crawl.log") in line for line in lines) == 1  # where the log is, once
    assert sum("DNS lookup failed" in line for line in lines) <= 2  # its first one, and the count
    assert "Traceback" not in result.stderr and "Overridden settings" not in result.stderr
    assert "Disabled" not in result.stderr
    recorded = {spider: (status, stats) for spider, status, stats in runs(archive_url)}
    assert all(recorded[p][0] == "failed" and recorded[p][1]["status_detail"].startswith("nothing fetched")
               for p in PORTALS)


def test_an_issue_range_without_issues_fails(archive_url, tmp_path):
    """A scheduled lcrb job that fetched no page (every issue missing) is failed, not finished."""
    result = crawl("--no-seed", "--replay", "lcrb", "-a", "since=2024-03-20", "-a", "until=2024-03-26",
                   url=archive_url, home=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    (spider, status, stats), = runs(archive_url)
    assert (spider, status) == ("lcrb", "failed")
    assert stats["lcrb/issues_missing"] == 14 and stats.get("responses/ok", 0) == 0


def test_list_pages_without_article_links_fail(archive_url, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "achie", site / "achie")
    for meta in (site / "achie").glob("*.meta.json"):
        if json.loads(meta.read_text(encoding="utf-8")).get("kind") == "list":
            meta.with_name(meta.name.replace(".meta.json", ".html")).write_text(
                "<html><body><p>栏目改版中</p></body></html>", encoding="utf-8")
    result = crawl("--no-seed", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert table(result.stderr) == {"achie": "failed"}
    (_, status, stats), = runs(archive_url)
    assert status == "failed" and stats["status_detail"].startswith("no article link on any of")


def test_a_replay_crawl_prints_progress_and_the_summary_last(archive_url, tmp_path):
    result = crawl("--no-seed", "--replay", "lcxw", "lcrb", "-s", "PROGRESS_INTERVAL=0.05", "-s", "DOWNLOAD_DELAY=0.2",
                   url=archive_url, home=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    progress = [line for line in lines if line.startswith("progress ")]
    assert any(re.match(r"progress lcxw: pages \d+  articles \d+  stored \d+  errors 0  \d:\d\d:\d\d", p)
               for p in progress), lines
    header = next(i for i, line in enumerate(lines) if line.startswith("spider "))
    assert header == len(lines) - 3 and [line.split()[:2] for line in lines[header + 1:]] == [
        ["lcxw", "finished"], ["lcrb", "finished"]]
    assert all(i < header for i, line in enumerate(lines) if line.startswith("progress "))
    assert [status for _, status, _ in runs(archive_url)] == ["finished", "finished"]


def test_the_full_log_is_in_a_private_rotated_file_and_v_brings_it_back(archive_url, tmp_path):
    quiet = crawl("--no-seed", "--replay", "achie", url=archive_url, home=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    log = tmp_path / "logs" / "crawl.log"
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700 and stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text(encoding="utf-8")
    assert "Overridden settings" in text and "run status: finished" in text and "Spider closed (finished)" in text
    assert "Overridden settings" not in quiet.stderr
    loud = crawl("--no-seed", "--replay", "achie", "-v", url=archive_url, home=tmp_path)
    assert loud.returncode == 0 and "Overridden settings" in loud.stderr and "run status: finished" in loud.stderr


def test_the_embedded_archive_says_nothing_after_the_summary(tmp_path):
    """With the embedded PostgreSQL, nothing (no server shutdown chatter) follows the table."""
    home = tmp_path / "h"
    try:
        result = crawl("--no-seed", "--replay", "achie", url=None, home=home)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stderr.splitlines()[-1].split()[:2] == ["achie", "finished"]
    finally:
        from liaocheng_news.db.server import stop_embedded

        if (home / "pgdata").exists():
            stop_embedded(home / "pgdata")


def test_import_and_normalize_show_progress(archive_url, tmp_path):
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path), "LIAOCHENG_NEWS_DATABASE_URL": archive_url,
               "LIAOCHENG_NEWS_PROGRESS_INTERVAL": "0.01"}
    big = tmp_path / "big.txt"
    big.write_text("聊城發展產業。\n" * 300_000, encoding="utf-8")
    normal = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "normalize", str(big)], env=environ,
                            capture_output=True, text=True, timeout=300)
    assert normal.returncode == 0 and normal.stdout.count("聊城发展产业。") == 300_000
    assert re.search(r"progress normalize: [\d,]+ of [\d,]+ bytes \(\d+ %\)", normal.stderr), normal.stderr[:500]
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for n in range(40):
        (dumps / f"{n:02d}.txt").write_text(f"聊城新闻网\n第{n}条新闻的标题\n2024-03-0{n % 9 + 1} 来源：聊城日报\n"
                                            + "正文段落，讲述聊城的发展。" * 20 + "\n", encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "import", str(dumps)], env=environ,
                              capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert re.search(r"progress import: pages \d+  articles \d+  stored \d+", imported.stderr), imported.stderr
    assert imported.stderr.splitlines()[-1].split()[:2] == ["import", "finished"]


def test_scrapy_crawl_exits_with_the_run_status(archive_url, tmp_path):
    """What scrapyd runs (`scrapy crawl`): a failed run exits 1 (scrapyd logs `Process died:
    exitstatus=1`) and the job's log ends with the run's status line."""
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path), "LIAOCHENG_NEWS_DATABASE_URL": archive_url}
    failed = subprocess.run([sys.executable, "-m", "scrapy.cmdline", "crawl", "achie", *FAST_FAILURE],
                            cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1, failed.stderr[-3000:]
    assert "run status: failed (nothing fetched" in failed.stderr
    from liaocheng_news.ops.replay import ReplayServer

    with ReplayServer(FIXTURES) as server:
        ok = subprocess.run([sys.executable, "-m", "scrapy.cmdline", "crawl", "achie", "-s", f"REPLAY_URL={server.url}",
                             "-s", "DOWNLOAD_DELAY=0"], cwd=ROOT, env=environ, capture_output=True, text=True,
                            timeout=300)
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert "run status: finished" in ok.stderr
    assert [status for _, status, _ in runs(archive_url)] == ["failed", "finished"]


@pytest.mark.parametrize("reason, stats, status", [
    ("finished", {"responses/ok": 3}, "finished"),
    ("finished", {"responses/ok": 3, "errors": 1}, "degraded"),
    ("finished", {"responses/ok": 3, "items_spooled": 2}, "degraded"),
    ("finished", {"responses/ok": 3, "frontier/sections_unfinished": 1}, "degraded"),
    ("finished", {"responses/ok": 3, "archive/list_check_failures": 1}, "degraded"),
    ("closespider_timeout", {"responses/ok": 3}, "degraded"),
    ("finished", {"responses/error": 4}, "failed"),
    ("finished", {"responses/ok": 2, "list_pages_fetched": 2, "list_pages_without_links": 2}, "failed"),
    ("archive_unavailable", {"responses/ok": 3}, "failed"),
    ("spool_unwritable", {"responses/ok": 3, "interrupted": "SIGINT"}, "failed"),
    # the last batch met the unwritable spool as the engine closed for another reason
    ("finished", {"responses/ok": 3, "finish_reason": "spool_unwritable", "items_unsaved": 50,
                  "frontier/sections_unfinished": 4}, "failed"),
    ("finished", {"responses/ok": 3, "items_unsaved": 1}, "failed"),  # an item lost is never a success
    ("shutdown", {"responses/ok": 3}, "interrupted"),
    ("finished", {"interrupted": "SIGTERM"}, "interrupted"),
    ("finished", {"import/files": 5, "item_scraped_count": 5}, "finished"),
    ("finished", {"import/files": 2, "items_dropped": 2}, "failed"),
])
def test_the_status_rules(reason, stats, status):
    assert outcomes.run_status(reason, stats)[0] == status


def test_exit_codes_follow_the_worst_run():
    assert outcomes.exit_code(outcomes.worst(["finished", "degraded"])) == 3
    assert outcomes.exit_code(outcomes.worst(["degraded", "failed", "finished"])) == 1
    assert outcomes.exit_code(outcomes.worst(["failed", "interrupted"]), "SIGINT") == 130
    assert outcomes.exit_code("interrupted", "SIGTERM") == 143
    assert outcomes.exit_code(outcomes.worst([])) == 0
