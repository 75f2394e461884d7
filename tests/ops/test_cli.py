"""End to end through the real command: import the five seeds, export, import again."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

SEEDS = Path(__file__).resolve().parents[2] / "liaocheng_news" / "seeds"
TRADITIONAL_ONLY = re.compile(r"[產業發們與於這個時會對說經過還進現開關來長問]")
PINYIN_ANNOTATION = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]")


def cli(*args, env_url, home):
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": env_url, "LIAOCHENG_NEWS_HOME": str(home),
           "LIAOCHENG_NEWS_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def export(url, home, *extra):
    result = cli("export", *extra, env_url=url, home=home)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_import_seeds_export_and_reimport_changes_nothing(archive_url, tmp_path):
    result = cli("import", str(SEEDS), env_url=archive_url, home=tmp_path)
    assert result.returncode == 0, result.stderr
    records = export(archive_url, tmp_path)
    assert len(records) == 5
    by_title = {r["title"]: r for r in records}
    yyb = by_title["动能转换聚起发展新优势"]
    assert (yyb["portal"], yyb["channel"], yyb["source"], yyb["authors"]) == ("yybnet", "今日临清", "聊城日报", ["苑莘"])
    assert yyb["published_at"] == "2021-10-28T11:20:00+08:00"
    lcxw = by_title["特别策划·词说聊城丨追高逐新的飞跃“密码”——回眸2024系列报道②"]
    assert (lcxw["portal"], lcxw["source"], lcxw["editor"], lcxw["reviewer"]) == ("lcxw", "新聊城客户端", "李明", "刘飞")
    assert lcxw["published_at"] == "2024-12-20T14:44:41+08:00"
    assert lcxw["normalisation"]["converted_from_traditional"] > 0  # a repaired mirror copy says so
    assert "众鑫精密机械(山东)有限公司" in lcxw["body"]
    achie = next(r for r in records if r["portal"] == "achie")
    assert achie["title"].startswith("聊城实施制造业强市战略")
    assert "重点县(市、区)" in achie["body"] and "生物医药(阿胶+)" in achie["body"]
    for r in records:
        assert not TRADITIONAL_ONLY.search(r["title"] + r["body"]), r["title"]
        assert not PINYIN_ANNOTATION.search(r["body"]), r["title"]
        assert "新闻推荐" not in r["body"] and "相关推荐" not in r["body"] and "评论" not in r["body"][-50:]
        assert r["story_id"] is not None and len(r["content_hash"]) == 64
    assert export(archive_url, tmp_path, "--portal", "yybnet")[0]["title"] == "动能转换聚起发展新优势"
    assert {r["title"] for r in export(archive_url, tmp_path, "--since", "2024-01-01")} == {
        r["title"] for r in records if r["published_at"] and r["published_at"] >= "2024"}

    # importing again changes nothing
    with psycopg.connect(archive_url) as conn:
        before = conn.execute("SELECT url, content_hash, revision, story_id FROM articles ORDER BY url").fetchall()
    assert cli("import", str(SEEDS), env_url=archive_url, home=tmp_path).returncode == 0
    with psycopg.connect(archive_url) as conn:
        after = conn.execute("SELECT url, content_hash, revision, story_id FROM articles ORDER BY url").fetchall()
        revisions = conn.execute("SELECT count(*) FROM article_revisions").fetchone()[0]
    assert after == before and revisions == 0

    runs = cli("runs", "--json", env_url=archive_url, home=tmp_path)
    latest, first = [json.loads(line) for line in runs.stdout.splitlines()][:2]
    assert (latest["spider"], latest["status"]) == ("import", "finished")
    assert first["stats"]["items_stored"] == 5 and latest["stats"]["items_duplicate"] == 5
    assert latest["stats"].get("items_stored", 0) == 0

    table = cli("export", "--format", "csv", env_url=archive_url, home=tmp_path).stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == 5 and json.loads(rows[0]["authors"]) is not None

    stories = export(archive_url, tmp_path, "--stories")
    assert sum(len(s["copies"]) for s in stories) == 5
    assert all(s["canonical"]["url"] in [c["url"] for c in s["copies"]] for s in stories)


def test_normalize_prints_one_paragraph_a_line(tmp_path):
    path = tmp_path / "mirror.txt"
    path.write_text("聊城發(fā)展產(chǎn)業(yè)鏈(liàn)。\n\n很多人禁不住感慨(gǎnkǎi):人工智能(AI)。\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "normalize", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["聊城发展产业链。", "很多人禁不住感慨:人工智能(AI)。"]


def test_unreachable_archive_refuses_with_a_clear_message(tmp_path):
    result = cli("import", str(SEEDS), env_url=f"postgresql://nobody@/x?host={tmp_path}", home=tmp_path)
    assert result.returncode == 2
    assert "cannot reach the archive database" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_main_job_seeds_an_empty_archive_from_the_packaged_corpus(archive_url, tmp_path):
    empty_site = tmp_path / "site"
    empty_site.mkdir()
    result = cli("crawl", "--replay-dir", str(empty_site), "lcxw", env_url=archive_url, home=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]  # lcxw fetched nothing from the empty site: failed
    urls = sorted(r["url"] for r in export(archive_url, tmp_path))
    assert urls == [f"file:///liaocheng_news/seeds/{p.name}" for p in sorted(SEEDS.glob("*.txt"))]
    # a second main job does not import them again: the archive is no longer empty
    assert cli("crawl", "--replay-dir", str(empty_site), "lcxw", env_url=archive_url, home=tmp_path).returncode == 1
    runs = [json.loads(line) for line in cli("runs", "--json", env_url=archive_url, home=tmp_path).stdout.splitlines()]
    assert [r["spider"] for r in runs].count("import") == 1


def test_the_archive_given_with_s_is_the_one_checked_seeded_and_crawled(archive_url, tmp_path):
    """-s LIAOCHENG_NEWS_DATABASE_URL beats the environment for the pre-crawl check and the seed
    decision as for the crawl itself."""
    empty_site = tmp_path / "site"
    empty_site.mkdir()
    unreachable = f"postgresql://nobody@/x?host={tmp_path}"
    result = cli("crawl", "--replay-dir", str(empty_site), "lcxw", "-s", f"LIAOCHENG_NEWS_DATABASE_URL={archive_url}",
                 env_url=unreachable, home=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]  # lcxw: nothing fetched; the seeds imported
    assert "importing the seed corpus" in result.stderr
    runs = cli("runs", "--json", "-s", f"LIAOCHENG_NEWS_DATABASE_URL={archive_url}", env_url=unreachable, home=tmp_path)
    assert sorted(json.loads(line)["spider"] for line in runs.stdout.splitlines()) == ["import", "lcxw"]
    assert cli("runs", env_url=unreachable, home=tmp_path).returncode == 2  # the environment's archive


@pytest.mark.parametrize("args, message", [
    (["crawl", "-s", "FOO", "lcxw"], "wants NAME=VALUE"),
    (["crawl", "lcrb", "-a", "since=2024-13-45"], "not a date"),
    (["crawl", "nosuch"], "unknown spider"),
    (["normalize", "/nonexistent/file.txt"], "cannot read"),
    (["export", "--since", "yesterday"], "ISO date"),
    (["crawl", "--replay-dir", "tests/fixtures", "--replay-url", "http://127.0.0.1:9", "lcxw"], "give one"),
    (["crawl", "--replay-url", "ftp://127.0.0.1/", "lcxw"], "http:// URL"),
])
def test_usage_errors_are_one_clear_line(args, message, archive_url, tmp_path):
    result = cli(*args, env_url=archive_url, home=tmp_path)
    assert result.returncode in (64, 66), result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
