"""Finding 2 of issue 17: a stopped crawl closes its runs, keeps what it fetched, and is quick about it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import psycopg

from liaocheng_news.ops.replay import ReplayServer
from tests.db.test_server import reachable_home  # noqa: F401 - the fixture: a home the embedded server may use

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
# items stay in the store's batch until the spider closes: a stop has something to write or spool
HOLD_BATCH = ["-s", "ARCHIVE_BATCH_SIZE=1000", "-s", "ARCHIVE_FLUSH_SECONDS=1000"]


class Crawl:
    """``liaocheng-news crawl`` in the background, its stderr read line by line as it comes."""

    def __init__(self, *args, home, url=None, **env):
        environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(home), "LIAOCHENG_NEWS_LOG_LEVEL": "DEBUG",
                   "LIAOCHENG_NEWS_PROGRESS_INTERVAL": "0.1", **env}
        environ.pop("LIAOCHENG_NEWS_DATABASE_URL", None)
        if url:
            environ["LIAOCHENG_NEWS_DATABASE_URL"] = url
        self.proc = subprocess.Popen([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed", *args],
                                     env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.log = Path(home) / "logs" / "crawl.log"
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout=60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            if self.proc.poll() is not None:
                raise AssertionError("the crawl ended first:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError("timed out:\n" + "\n".join(self.lines[-40:]))

    def articles(self) -> int:
        """Articles fetched so far, by the progress lines."""
        best = {}
        for line in self.lines:
            if line.startswith("progress "):
                name, _, rest = line[len("progress "):].partition(": ")
                words = rest.split()
                best[name] = int(words[words.index("articles") + 1])
        return sum(best.values())

    def logged(self, text: str) -> bool:
        return self.log.exists() and text in self.log.read_text(encoding="utf-8", errors="replace")

    def finish(self, timeout=30.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code


def runs(url):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, spider, status, pid, host, stats FROM crawl_runs ORDER BY id").fetchall()


def stored_urls(url) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT url FROM articles")]


def spooled_urls(home: Path) -> list[str]:
    return [json.loads(line)["url"] for path in sorted((home / "spool").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def site(tmp_path, *portals) -> Path:
    folder = tmp_path / "site"
    for portal in portals:
        shutil.copytree(FIXTURES / portal, folder / portal)
    return folder


class HangingReplay(ReplayServer):
    """Recorded pages, but after the first ``serve`` article pages every further one hangs (a
    portal that stops answering mid-crawl): a stop cannot wait for those downloads."""

    def __init__(self, directory, serve: int):
        super().__init__(directory)
        self.serve = serve
        self.served = 0
        self.released = threading.Event()

    def _serve(self, handler):
        if re.search(r"/\d+\.html$", handler.path):  # an article page
            with self._lock:
                self.served += 1
                hang = self.served > self.serve
            if hang:
                self.released.wait(60)
                return
        super()._serve(handler)

    def stop(self):
        self.released.set()
        super().stop()


def test_one_sigint_stops_within_5_s_writes_what_was_fetched_and_closes_runs_interrupted(archive_url, tmp_path):
    """SIGINT while downloads hang: the stop waits STOP_GRACE_SECONDS for them, then writes the
    batch, records the run and ends: within 5 s in all."""
    with HangingReplay(site(tmp_path, "lcxw"), serve=2) as server:
        crawl = Crawl("--replay-url", server.url, "lcxw", *HOLD_BATCH, home=tmp_path, url=archive_url)
        crawl.wait_for(lambda c: c.articles() >= 2)
        asked = time.monotonic()
        crawl.proc.send_signal(signal.SIGINT)
        code = crawl.finish()
        took = time.monotonic() - asked
    assert code == 130, "\n".join(crawl.lines)
    assert took < 5, took
    (_, _, status, pid, _, stats), = runs(archive_url)
    assert status == "interrupted" and pid == crawl.proc.pid  # the run knew its process
    assert stats["interrupted"] == "SIGINT" and stats["status_detail"] == "stopped by SIGINT"
    # what came through the pipelines is in the archive (it was reachable: nothing spooled)
    assert stats["item_scraped_count"] == 2 and stats["items_stored"] == 2 and stats.get("items_spooled", 0) == 0
    assert len(stored_urls(archive_url)) == 2
    assert "liaocheng-news: interrupted by SIGINT" in crawl.lines


def test_no_browser_is_launched_after_a_stop(archive_url, tmp_path):
    """lcxw_app's list page only renders in Chromium; a stop asked while it waits for its turn
    (the politeness delay) drops it: no browser starts."""
    replay = site(tmp_path, "lcxw_app")
    crawl = Crawl("--replay-dir", str(replay), "lcxw_app", "-s", "DOWNLOAD_DELAY=4", "-s", "AUTOTHROTTLE_ENABLED=False",
                  home=tmp_path, url=archive_url)
    crawl.wait_for(lambda c: c.logged("app.lcxw.cn/robots.txt"))
    asked = time.monotonic()
    crawl.proc.send_signal(signal.SIGTERM)
    code = crawl.finish()
    assert code == 143 and time.monotonic() - asked < 5, "\n".join(crawl.lines)
    (_, _, status, _, _, stats), = runs(archive_url)
    assert status == "interrupted" and stats["interrupted"] == "SIGTERM"
    assert stats.get("stop/requests_dropped", 0) >= 1
    assert "playwright/browser_count" not in stats and "playwright/page_count" not in stats


def test_a_second_sigint_ends_at_once_with_the_run_interrupted_and_spools_nothing_twice(archive_url, tmp_path):
    replay = site(tmp_path, "lcxw")
    with HangingReplay(replay, serve=2) as server:
        crawl = Crawl("--replay-url", server.url, "lcxw", *HOLD_BATCH, home=tmp_path, url=archive_url)
        crawl.wait_for(lambda c: c.articles() >= 2)
        crawl.proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        asked = time.monotonic()
        crawl.proc.send_signal(signal.SIGINT)
        code = crawl.finish()
        took = time.monotonic() - asked
    assert code == 130 and took < 2, "\n".join(crawl.lines)
    (run_id, _, status, pid, _, _), = runs(archive_url)
    assert (status, pid) == ("interrupted", crawl.proc.pid)  # recorded on the way out (shutdown.py)
    stored, spooled = stored_urls(archive_url), spooled_urls(tmp_path)
    assert stored == [] and len(spooled) == 2 == len(set(spooled))  # the batch, spooled once
    # the next crawl on this host writes the spool first; it has no run left open to close
    again = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed", "--replay-dir",
                            str(replay), "lcxw"],
                           env={**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path), "LIAOCHENG_NEWS_DATABASE_URL": archive_url},
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    (_, _, closed, _, _, old), (_, _, status, _, _, new) = runs(archive_url)
    assert closed == "interrupted" and old["status_detail"] == "stopped by SIGINT"
    assert status == "finished" and "runs/stale_closed" not in new
    assert list((tmp_path / "spool").glob("*.jsonl")) == []
    assert new["spool/items_recovered"] == 2
    # nothing fetched twice: the second crawl fetched only the three articles neither stored nor spooled
    assert new["articles_fetched"] == 3 and new["items_stored"] == 5  # 3 fetched, 2 from the spool
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*), max(revision) FROM articles").fetchone() == (5, 1)


def _postmaster(home: Path) -> int | None:
    from liaocheng_news.db import layout, postmaster

    info = postmaster.running(layout.find_data_dir(home))
    return info.pid if info else None


def test_a_killed_crawl_leaves_its_postmaster_which_the_next_crawl_adopts_and_stops(reachable_home, tmp_path):
    """kill -9 of a crawl leaves the embedded PostgreSQL running (a killed process runs no
    clean-up); the next command adopts it (db.server), closes the run the dead crawl left open,
    and stops the server when it is done."""
    replay = site(tmp_path, "achie")
    crawl = Crawl("--replay-dir", str(replay), "achie", "-s", "DOWNLOAD_DELAY=0.5", "-s", "AUTOTHROTTLE_ENABLED=False",
                  home=reachable_home)
    crawl.wait_for(lambda c: c.articles() >= 1)
    crawl.proc.send_signal(signal.SIGKILL)
    crawl.finish()
    orphan = _postmaster(reachable_home)
    assert orphan is not None and psutil.pid_exists(orphan)
    env = {**os.environ, "LIAOCHENG_NEWS_HOME": str(reachable_home), "LIAOCHENG_NEWS_LOG_LEVEL": "INFO"}
    env.pop("LIAOCHENG_NEWS_DATABASE_URL", None)
    again = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed", "--replay-dir",
                            str(replay), "achie"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    log = (reachable_home / "logs" / "crawl.log").read_text(encoding="utf-8")
    assert f"adopting the PostgreSQL of" in log and f"(pid {orphan})" in log
    assert "closed 1 run(s) left running by processes that ended" in log
    assert "closed 1 run(s) left running" in again.stderr  # the console says so too
    deadline = time.monotonic() + 30
    while psutil.pid_exists(orphan) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not psutil.pid_exists(orphan) and _postmaster(reachable_home) is None
