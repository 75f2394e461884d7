"""Finding 4 of issue 17, one test per rough edge, through the real command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from liaocheng_news.ops.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = ROOT / "liaocheng_news" / "seeds"


def env(url: str | None, home, **extra) -> dict:
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(home), "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", **extra}
    environ.pop("LIAOCHENG_NEWS_DATABASE_URL", None)
    if url is not None:
        environ["LIAOCHENG_NEWS_DATABASE_URL"] = url
    return environ


def cli(*args, url=None, home, input=None, **extra):
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", *args], env=env(url, home, **extra),
                          capture_output=True, text=input is None or isinstance(input, str), input=input,
                          timeout=300)


def piped_to_head(*args, url, home) -> subprocess.CompletedProcess:
    """``liaocheng-news ARGS | head -1`` in a shell with pipefail: the command's own exit status and stderr."""
    command = " ".join([sys.executable, "-m", "liaocheng_news.ops.cli", *args])
    script = f"set -o pipefail; {command} 2>{home}/err | head -1 >/dev/null; echo $? > {home}/rc"
    subprocess.run(["bash", "-c", script], env=env(url, home), timeout=300, check=False)
    return subprocess.CompletedProcess(args, int((home / "rc").read_text()), "", (home / "err").read_text())


def test_replay_is_a_flag_and_the_spiders_stay_spiders(archive_url, tmp_path):
    """`crawl --replay lcxw yybnet` crawls lcxw and yybnet from the checkout's recorded pages
    (861ef7e took lcxw for the replay folder and exited 66)."""
    result = cli("crawl", "--no-seed", "--replay", "lcxw", "yybnet", url=archive_url, home=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    table = [line.split()[:2] for line in result.stderr.splitlines() if line.startswith(("lcxw ", "yybnet "))]
    assert table == [["lcxw", "finished"], ["yybnet", "finished"]]


def test_check_portals_says_replay_as_crawl_does(archive_url, tmp_path):
    """--replay (the checkout's pages), --replay-dir DIR and --replay-url URL in check-portals too."""
    by_flag = cli("check-portals", "--replay", "--json", "--no-record", "lcxw", url=archive_url, home=tmp_path)
    assert by_flag.returncode == 0, by_flag.stderr
    assert json.loads(by_flag.stdout)["verdict"] == "ok"
    (tmp_path / "site").mkdir()
    shutil.copytree(FIXTURES / "achie", tmp_path / "site" / "achie")
    by_dir = cli("check-portals", "--replay-dir", str(tmp_path / "site"), "--json", "--no-record", "achie",
                 url=archive_url, home=tmp_path)
    assert by_dir.returncode == 0 and json.loads(by_dir.stdout)["verdict"] == "ok", by_dir.stderr
    with ReplayServer(FIXTURES) as server:
        by_url = cli("check-portals", "--replay-url", server.url, "--json", "--no-record", "yybnet",
                     url=archive_url, home=tmp_path)
    assert by_url.returncode == 0 and json.loads(by_url.stdout)["verdict"] == "ok", by_url.stderr


@pytest.mark.parametrize("command", [["export"], ["runs", "--limit", "5000"], ["normalize", "{big}"]])
def test_a_reader_that_stops_reading_ends_the_command_quietly(command, archive_url, tmp_path):
    """`export | head -1` (and runs, normalize): exit 0, no BrokenPipeError traceback.  Each writes
    far more than a pipe holds, so the reader is gone while the command still writes."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for n in range(60):
        (dumps / f"{n:02d}.txt").write_text(f"聊城新闻网\n第{n}条：聊城市召开会议\n2024-03-01 来源：聊城日报\n"
                                            + f"第{n}条新闻的正文，讲述聊城的发展与变化。" * 120 + "\n", encoding="utf-8")
    assert cli("import", str(dumps), url=archive_url, home=tmp_path).returncode == 0
    with psycopg.connect(archive_url) as conn:
        conn.execute("INSERT INTO crawl_runs (spider, status) SELECT 'lcxw', 'finished' FROM generate_series(1, 3000)")
    big = tmp_path / "big.txt"
    big.write_text("聊城新闻。\n" * 200_000, encoding="utf-8")
    result = piped_to_head(*[part.format(big=big) for part in command], url=archive_url, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_export_stories_as_csv_is_refused_clearly(archive_url, tmp_path):
    result = cli("export", "--stories", "--format", "csv", url=archive_url, home=tmp_path)
    assert result.returncode == 64 and result.stdout == ""
    assert "--stories writes JSON Lines only" in result.stderr


def test_normalize_reads_gbk_like_import(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("聊城發(fā)展產(chǎn)業(yè)。\n朱镕基题写的两个字。\n".encode("gbk"))
    result = cli("normalize", str(path), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["聊城发展产业。", "朱镕基题写的两个字。"]


def test_an_import_that_imports_nothing_fails_with_a_message(archive_url, tmp_path):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "a.txt").write_bytes(b"\xff\xfe\x00\xd8 not text at all \x81")
    (dumps / "b.txt").write_bytes(b"\x80\x81\x82\xff" * 10)
    result = cli("import", str(dumps), url=archive_url, home=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "no article imported from 2 files (2 dropped)" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_of_an_unknown_portal_says_so(archive_url, tmp_path):
    result = cli("export", "--portal", "nosuch", url=archive_url, home=tmp_path)
    assert result.returncode == 64 and "unknown portal 'nosuch'" in result.stderr and "lcxw" in result.stderr


@pytest.mark.parametrize("command", [["runs"], ["export"], ["crawl", "--replay", "lcxw"], ["status"]])
def test_a_database_url_that_is_no_url_is_one_line_and_2(command, tmp_path):
    result = cli(*command, url="not-a-url", home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("liaocheng-news: LIAOCHENG_NEWS_DATABASE_URL is not")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["runs"], ["crawl", "--replay", "lcxw"], ["import", str(SEEDS)]])
def test_an_unusable_home_is_one_line_and_2(command, tmp_path):
    home = tmp_path / "a-file"
    home.write_text("not a folder")
    result = cli(*command, home=home)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("liaocheng-news:")]
    assert lines and "LIAOCHENG_NEWS_HOME" in lines[-1] and "cannot be used" in lines[-1]
    assert "Traceback" not in result.stderr


def test_an_unknown_command_is_a_usage_error(tmp_path):
    result = cli("nosuch", home=tmp_path)
    assert result.returncode == 64 and "invalid choice" in result.stderr


def test_runs_has_help(tmp_path):
    result = cli("runs", "--help", home=tmp_path)
    assert result.returncode == 0
    assert "Recent crawl runs" in result.stdout and "--limit LIMIT" in result.stdout and "how many runs" in result.stdout


def test_the_launcher_installs_once_for_every_command(tmp_path):
    """`./lcnews test` then another command does not reinstall: one installation (the union of the
    extras) for all, quiet; a changed pyproject.toml does reinstall."""
    launcher = (ROOT / "lcnews").read_text(encoding="utf-8")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    # a stand-in python that records every pip call (and answers the import check)
    calls = tmp_path / "calls"
    fake = venv / "bin" / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 0\n')
    fake.chmod(0o755)
    for name in ("liaocheng-news",):
        tool = venv / "bin" / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(0o755)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "lcnews").write_text(launcher, encoding="utf-8")
    (checkout / "lcnews").chmod(0o755)
    shutil.copy(ROOT / "pyproject.toml", checkout / "pyproject.toml")
    environ = {**os.environ, "LIAOCHENG_NEWS_VENV": str(venv), "LIAOCHENG_NEWS_CHROMIUM": "/bin/true"}

    def run(*args):
        return subprocess.run([str(checkout / "lcnews"), *args], env=environ, capture_output=True, text=True,
                              timeout=60)

    first = run("test", "--version")
    installs = [line for line in calls.read_text().splitlines() if " -e " in f" {line} "]
    assert len(installs) == 1 and "[test,deploy]" in installs[0], calls.read_text()
    assert len(first.stderr.splitlines()) <= 2, first.stderr  # one "installing" line, no pip/setuptools chatter
    for args in (("export",), ("test",), ("runs",), ("crawl",)):
        again = run(*args)
        assert again.stderr == "", again.stderr
    assert sum(" -e " in f" {line} " for line in calls.read_text().splitlines()) == 1
    with (checkout / "pyproject.toml").open("a") as fh:
        fh.write("\n# changed\n")
    run("runs")
    assert sum(" -e " in f" {line} " for line in calls.read_text().splitlines()) == 2
