"""Running the real command line against a generated site, and checking what it left.

:class:`Crawl` is ``liaocheng-news crawl -v lcxw --no-seed --replay-url <site>`` in a subprocess
of its own (``-v``: the whole log on its console, copied to a file), to be signalled, killed or
waited for.  :func:`assert_complete` is the suite's invariant: every article page the site
serves is stored exactly once, under its portal URL, and nothing off the portal was requested.

Run statuses and exit codes are the contract's (CONTRACT-17-18.md, decided by
:mod:`liaocheng_news.outcomes`): :func:`expect_status` asserts both, the exit code by the number
the contract names (0 finished, 3 degraded, 1 failed, 130/143 interrupted by SIGINT/SIGTERM).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from liaocheng_news.dedupe.urls import canonical_url

# the contract's exit codes, written out (not read from outcomes.EXIT_CODES: a test of them)
EXIT_CODES = {"finished": 0, "degraded": 3, "failed": 1, "interrupted": 130}
INTERRUPTED_BY = {"SIGINT": 130, "SIGTERM": 143}
ROOT = Path(__file__).resolve().parents[2]


class Crawl:
    """One run of the command line's crawl, started at once; its output is copied to a log file
    by this process (the crawl may run with a file-size limit that its own log must not meet)."""

    def __init__(self, archive_url: str, home: Path, site_url: str, *args: str, name: str = "crawl",
                 preexec: Callable[[], None] | None = None):
        home.mkdir(parents=True, exist_ok=True)
        self.log_path = home.parent / f"{home.name}-{name}-{int(time.time() * 1000)}.log"
        env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": archive_url, "LIAOCHENG_NEWS_HOME": str(home),
               "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "liaocheng_news.ops.cli", "crawl", "-v", "lcxw", "--no-seed", "--replay-url", site_url,
             "-s", "ARCHIVE_FLUSH_SECONDS=1", *args],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=preexec)
        self._pump = threading.Thread(target=self._copy, daemon=True)
        self._pump.start()

    def _copy(self) -> None:
        with self.log_path.open("wb") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    def wait(self, timeout: float = 180) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(10)
            raise AssertionError(f"the crawl did not end in {timeout} s; its log ends:\n{self.log()[-3000:]}")
        self._pump.join(10)
        return code

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def run_crawl(archive_url: str, home: Path, site_url: str, *args: str, **kw) -> tuple[int, str]:
    crawl = Crawl(archive_url, home, site_url, *args, **kw)
    code = crawl.wait()
    return code, crawl.log()


def when(condition: Callable[[], bool], timeout: float = 120, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def stored(archive_url: str, portal: str = "lcxw") -> list[str]:
    with psycopg.connect(archive_url) as conn:
        return [r[0] for r in conn.execute("SELECT url FROM articles WHERE portal = %s ORDER BY url", (portal,))]


def runs(archive_url: str) -> list[dict]:
    """Every crawl run, oldest first: id, status, stats."""
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT id, status, stats FROM crawl_runs ORDER BY id").fetchall()
    return [{"id": i, "status": s, "stats": st or {}} for i, s, st in rows]


def frontier(archive_url: str, portal: str = "lcxw") -> dict | None:
    """What the frontier holds for ``portal``: unfinished passes (section, page) and pending URLs
    (None for an archive without one: the code before migration 5)."""
    with psycopg.connect(archive_url) as conn:
        if conn.execute("SELECT to_regclass('crawl_cursors') IS NULL").fetchone()[0]:
            return None
        cursors = conn.execute("SELECT section, page_no FROM crawl_cursors WHERE portal = %s ORDER BY 1, 2",
                               (portal,)).fetchall()
        pending = [r[0] for r in conn.execute("SELECT url FROM crawl_pending WHERE portal = %s", (portal,))]
    return {"cursors": cursors, "pending": pending}


def expect_status(code: int, run: dict | None, status: str, log: str = "", by: str = "SIGINT") -> None:
    """The command's exit code is the contract's for ``status`` (interrupted ``by`` a signal), and
    so is the run's recorded status (``run``: None when the archive could not record it)."""
    expected = INTERRUPTED_BY[by] if status == "interrupted" else EXIT_CODES[status]
    assert code == expected, (code, status, log[-3000:])
    if run is not None:
        assert run["status"] == status, (run["status"], run["stats"].get("status_detail"))


def assert_complete(archive_url: str, site, server, decoy=None) -> None:
    """The invariant: every article the site serves stored once under its portal URL, no other row,
    and no request off the portal (the site's log, the decoy's)."""
    rows = stored(archive_url)
    expected = site.expected_rows()
    assert len(rows) == len(set(rows))
    missing = sorted(expected - set(rows))
    extra = sorted(set(rows) - expected)
    assert not missing, f"{len(missing)} of {len(expected)} articles never stored, e.g. {missing[:5]}"
    assert not extra, f"rows that are no article of the site: {extra[:5]}"
    assert all(canonical_url(r) == r and "127.0.0.1" not in r for r in rows)
    assert server.off_portal() == [], server.off_portal()[:10]
    if decoy is not None:
        assert decoy.log == []
