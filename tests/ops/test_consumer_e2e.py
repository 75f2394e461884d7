"""A downstream consumer during replay crawls, end to end through the real command (issue 15).

The operator keeps the embedded archive running with ``db serve`` (loopback TCP, passwords) and
makes a read-only login with ``db grant-reader``.  A consumer connects with that login over TCP,
LISTENs on the change channel and, on each notification, runs ``liaocheng-news export
--seq-file … --revisions`` as the same login (``-s LIAOCHENG_NEWS_DATABASE_URL=…``), keeping
every record it receives.  Meanwhile real crawls of recorded pages write the archive: two
portals, then the first again after one of its pages changed (a revision).  At the end the
consumer has received every change exactly once, in order, and its copy equals a full export
and the archive itself.  Every process is a subprocess this test started and waited for, or
``db serve``, stopped by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from liaocheng_news.db.feed import CHANNEL
from tests.db.test_server import reachable_home  # noqa: F401 - a fixture
from tests.ops.test_db import ROOT, Served, _free_port, cli

FIXTURES = ROOT / "tests" / "fixtures"
CHANGED = "article-20260122-151679"  # the lcxw page the portal corrects between crawls
OPERATOR_PASSWORD = "operator-Secret-1"
READER_PASSWORD = "reader-Secret-2"


class Consumer(threading.Thread):
    """What a consumer runs: LISTEN, and on each notification ``export --after`` its last SEQ
    (kept by ``--seq-file``).  ``records`` holds every record received, in the order received."""

    def __init__(self, url: str, workdir: Path):
        super().__init__(daemon=True)
        self.url, self.workdir = url, workdir
        self.seq_file = workdir / "last.seq"
        self.records: list[dict] = []
        self.notified: list[int] = []  # the high-water marks the notifications carried
        self.exports = 0
        self.last = 0
        self.error: BaseException | None = None
        self.done = threading.Event()

    def export(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIAOCHENG_NEWS_")}
        env.update(PGPASSWORD=READER_PASSWORD, LIAOCHENG_NEWS_HOME=str(self.workdir / "home"),
                   LIAOCHENG_NEWS_LOG_LEVEL="WARNING")
        result = subprocess.run(
            [sys.executable, "-m", "liaocheng_news.ops.cli", "export", "--seq-file", str(self.seq_file), "--revisions",
             "-s", f"LIAOCHENG_NEWS_DATABASE_URL={self.url}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        self.records.extend(json.loads(line) for line in result.stdout.splitlines())
        self.last = int(self.seq_file.read_text())
        self.exports += 1

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, password=READER_PASSWORD, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                self.export()  # whatever is there before the first notification
                while not self.done.is_set():
                    notes = list(conn.notifies(timeout=0.2))
                    if notes:  # one export catches up with every notification that came meanwhile
                        self.notified.extend(int(n.payload) for n in notes)
                        self.export()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_for(self, seq: int, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.error is None:
            if self.last >= seq:
                return True
            time.sleep(0.1)
        return False


def _crawl(home: Path, replay: Path, *args: str) -> None:
    result = cli(home, "crawl", "--no-seed", "--replay-dir", str(replay), *args)
    if result.returncode != 0:
        log = home / "logs" / "crawl.log"
        errors = [line for line in log.read_text().splitlines() if "Error" in line] if log.exists() else []
        raise AssertionError(result.stderr[-4000:] + "\n".join(errors[-5:]))


def _latest(records: list[dict]) -> dict[tuple[str, int], dict]:
    """Each row's latest version: what a consumer's copy holds."""
    copy = {}
    for record in records:
        copy[(record["kind"], record["id"])] = record
    return copy


def test_a_consumer_follows_crawls_by_notification_and_holds_the_archive(reachable_home, tmp_path):  # noqa: F811
    home = reachable_home
    replay = tmp_path / "replay"
    for portal in ("lcxw", "yybnet"):
        shutil.copytree(FIXTURES / portal, replay / portal)
    port = _free_port()
    served = Served(home, "--host", "127.0.0.1", "--port", str(port), LIAOCHENG_NEWS_DB_PASSWORD=OPERATOR_PASSWORD)
    consumer = None
    try:
        granted = cli(home, "db", "grant-reader", "consumer", LIAOCHENG_NEWS_READER_PASSWORD=READER_PASSWORD)
        assert granted.returncode == 0, granted.stderr
        url = cli(home, "db", "url", "--user", "consumer").stdout.strip()
        assert url == f"postgresql://consumer@127.0.0.1:{port}/postgres"

        (tmp_path / "consumer").mkdir()
        consumer = Consumer(url, tmp_path / "consumer")
        consumer.start()
        _crawl(home, replay, "lcxw")
        _crawl(home, replay, "yybnet")
        page = replay / "lcxw" / f"{CHANGED}.html"
        page.write_bytes(page.read_bytes().replace("3200余个".encode(), "3500余个".encode()))  # the portal corrects it
        # every known article is due again (the recorded pages are older than a re-check's age)
        _crawl(home, replay, "lcxw", "-s", "RECHECK_MAX_AGE_DAYS=100000", "-s", "RECHECK_INTERVAL_HOURS=0")

        with psycopg.connect(served.url, password=OPERATOR_PASSWORD) as conn:
            high = conn.execute("SELECT greatest((SELECT max(change_seq) FROM articles), "
                                "(SELECT max(change_seq) FROM article_revisions))").fetchone()[0]
            articles = {r[0] for r in conn.execute("SELECT id FROM articles")}
            revisions = {r[0] for r in conn.execute("SELECT id FROM article_revisions")}
        assert consumer.wait_for(high), (consumer.last, high, consumer.error)
    finally:
        if consumer is not None:
            consumer.done.set()
            consumer.join(60)
        code, err = served.stop()
    assert code == 0, err
    assert consumer.error is None and not consumer.is_alive()

    # reached by notifications alone: one after each crawl's batches at least, the last one the end
    assert consumer.exports >= 4 and consumer.notified and max(consumer.notified) == high
    seqs = [r["change_seq"] for r in consumer.records]
    assert seqs == sorted(set(seqs))  # every change once, in order
    copy = _latest(consumer.records)
    assert {i for kind, i in copy if kind == "article"} == articles
    assert {i for kind, i in copy if kind == "revision"} == revisions and len(revisions) == 1
    (revision,) = [r for r in copy.values() if r["kind"] == "revision"]
    revised = copy[("article", revision["article_id"])]
    assert "3200余个" in revision["body"] and "3500余个" in revised["body"] and revised["revision"] == 2
    assert {r["portal"] for r in copy.values()} == {"lcxw", "yybnet"}

    # the copy is what a full export gives (the archive stopped with serve: start it once more)
    full = cli(home, "export", "--after", "0", "--revisions")
    assert full.returncode == 0, full.stderr
    exported = _latest([json.loads(line) for line in full.stdout.splitlines()])
    # but for last_seen: a fetch that finds no change moves only that, and is no change to feed
    differing = {field for key in exported for field in exported[key] if exported[key][field] != copy[key].get(field)}
    assert exported.keys() == copy.keys() and differing == {"last_seen"}
    assert _without_last_seen(copy) == _without_last_seen(exported)


def _without_last_seen(records: dict) -> dict:
    return {key: {k: v for k, v in record.items() if k != "last_seen"} for key, record in records.items()}
