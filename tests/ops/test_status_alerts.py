"""`liaocheng-news status`, drift records and alerts: a portal that stops yielding is noticed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from scrapy.settings import Settings

from liaocheng_news import alerts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
# an alert command: writes its standard input (the payload) to the file named by its argument
RECORDER = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_bytes(sys.stdin.buffer.read())"


def cli(*args, url, home, **env):
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(home), "LIAOCHENG_NEWS_DATABASE_URL": url,
               "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", **env}
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", *args], env=environ,
                          capture_output=True, text=True, timeout=300)


def status_rows(result) -> dict[str, dict]:
    return {r["portal"]: r for r in map(json.loads, result.stdout.splitlines())}


def test_a_portal_that_stops_yielding_fails_its_run_fires_an_alert_and_needs_attention(archive_url, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "achie", site / "achie")
    payload = tmp_path / "alert.json"
    alert = {"LIAOCHENG_NEWS_ALERT_COMMAND": f"{sys.executable} -c '{RECORDER}' {payload}"}
    first = cli("crawl", "--no-seed", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path, **alert)
    assert first.returncode == 0 and not payload.exists(), first.stderr[-2000:]
    assert cli("check-portals", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path).returncode == 0
    healthy = cli("status", "--json", "achie", url=archive_url, home=tmp_path)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    row = status_rows(healthy)["achie"]
    assert row["last_run"]["status"] == "finished" and row["new_24h"] == 3 and row["new_7d"] == 3
    assert row["drift"]["verdict"] == "ok" and row["drift"]["replay"] is True
    assert row["published_at_fill"] == 1.0 and row["error_rate"] == 0 and row["attention"] == []
    with psycopg.connect(archive_url) as conn:  # the consumers' (and the web page's) view of the checks
        checks = conn.execute("SELECT portal, verdict, replay, links > 0, list_url IS NOT NULL FROM api.drift_checks"
                              ).fetchall()
        readable = conn.execute(
            "SELECT has_table_privilege('liaocheng_news_reader', 'api.drift_checks', 'SELECT')").fetchone()[0]
    assert checks == [("achie", "ok", True, True, True)] and readable is True

    # the portal redesigns its list: no article link any more
    for meta in (site / "achie").glob("*.meta.json"):
        if json.loads(meta.read_text(encoding="utf-8")).get("kind") == "list":
            meta.with_name(meta.name.replace(".meta.json", ".html")).write_text(
                "<html><body><div class='v2-list'></div></body></html>", encoding="utf-8")
    second = cli("crawl", "--no-seed", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path, **alert)
    assert second.returncode == 1, second.stderr[-2000:]
    sent = json.loads(payload.read_text(encoding="utf-8"))
    assert (sent["event"], sent["spider"], sent["status"]) == ("run_failed", "achie", "failed")
    assert sent["detail"].startswith("no article link on any of") and sent["run_id"] and sent["host"]
    check = cli("check-portals", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path)
    assert check.returncode == 1
    with psycopg.connect(archive_url) as conn:
        last = conn.execute("SELECT DISTINCT ON (portal) portal, verdict, detail FROM api.drift_checks "
                            "ORDER BY portal, checked_at DESC, id DESC").fetchall()
    assert last == [("achie", "broken", "no article links on the list page")]
    payload.unlink()
    attention = cli("status", "achie", "--alert", url=archive_url, home=tmp_path, **alert)
    assert attention.returncode == 1, attention.stdout + attention.stderr
    assert "achie: needs attention: last run failed (no article link on any of 1 list pages)" in attention.stdout
    assert "achie: needs attention: drift check broken: no article links on the list page" in attention.stdout
    sent = json.loads(payload.read_text(encoding="utf-8"))
    assert sent["event"] == "attention" and "last run failed" in sent["portals"]["achie"][0]


def test_thresholds_per_portal_name_a_silent_portal(archive_url, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "achie", site / "achie")
    assert cli("crawl", "--no-seed", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path).returncode == 0
    with psycopg.connect(archive_url) as conn:  # the articles came three days ago, the run too
        conn.execute("UPDATE articles SET first_seen = now() - interval '3 days'")
        conn.execute("UPDATE crawl_runs SET started_at = now() - interval '3 days'")
    # achie publishes rarely: 14 days of silence are allowed (settings.PORTAL_THRESHOLDS)
    relaxed = cli("status", "--json", "achie", "-s", 'PORTAL_THRESHOLDS={"*": {"max_silence_hours": 48}, '
                  '"achie": {"max_silence_hours": 336}}', url=archive_url, home=tmp_path)
    assert relaxed.returncode == 0 and status_rows(relaxed)["achie"]["attention"] == []
    strict = cli("status", "achie", "-s", 'PORTAL_THRESHOLDS={"*": {"max_silence_hours": 48, "max_run_age_hours": 36}}',
                 url=archive_url, home=tmp_path)
    assert strict.returncode == 1
    assert "achie: needs attention: no new article for 72 h (limit 48 h)" in strict.stdout
    assert "achie: needs attention: last run 72 h ago (limit 36 h)" in strict.stdout
    never = cli("status", "lcxw", url=archive_url, home=tmp_path)
    assert never.returncode == 1 and "lcxw: needs attention: never crawled" in never.stdout


# -- the alert itself ---------------------------------------------------------------------------------
def settings(**values) -> Settings:
    return Settings({"ALERT_TIMEOUT": 2, **values})


def test_an_alert_command_gets_the_payload_on_stdin_without_a_shell(tmp_path):
    out = tmp_path / "got.json"
    marker = tmp_path / "injected"
    command = f"{sys.executable} -c '{RECORDER}' {out} ; touch {marker}"  # `;` is a word, not a shell
    ok = alerts.send(settings(ALERT_COMMAND=command), alerts.payload("run_failed", "lcxw failed", spider="lcxw"))
    assert not marker.exists()
    assert ok is True
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["event"] == "run_failed" and body["spider"] == "lcxw" and body["message"] == "lcxw failed"


def test_a_failing_or_hanging_alert_is_logged_and_never_raised(tmp_path, caplog):
    hanging = f"{sys.executable} -c 'import time; time.sleep(30)'"
    assert alerts.send(settings(ALERT_COMMAND=hanging, ALERT_TIMEOUT=0.5), alerts.payload("x", "y")) is False
    assert "did not finish within 0.5 s" in caplog.text
    assert alerts.send(settings(ALERT_COMMAND="/nonexistent/pager"), alerts.payload("x", "y")) is False
    assert "could not run" in caplog.text
    failing = f"{sys.executable} -c 'import sys; sys.exit(\"pager down\")'"
    assert alerts.send(settings(ALERT_COMMAND=failing), alerts.payload("x", "y")) is False
    assert "exited 1 pager down" in caplog.text
    assert alerts.send(settings(ALERT_WEBHOOK_URL="file:///etc/passwd"), alerts.payload("x", "y")) is False
    assert "must be an http(s) URL" in caplog.text
    assert alerts.send(settings(ALERT_WEBHOOK_URL="http://127.0.0.1:9/hook?token=secret"), alerts.payload("x", "y")) is False
    assert "not reached" in caplog.text and "secret" not in caplog.text


class Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204 if self.path.startswith("/ok") else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_webhook_gets_the_payload_as_json(webhook, caplog):
    assert alerts.send(settings(ALERT_WEBHOOK_URL=f"{webhook}/ok/abc"), alerts.payload("attention", "m", n=1)) is True
    path, kind, body = Hook.received[-1]
    assert path == "/ok/abc" and kind.startswith("application/json") and body["n"] == 1
    assert alerts.send(settings(ALERT_WEBHOOK_URL=f"{webhook}/down"), alerts.payload("attention", "m")) is False
    assert "answered HTTP 500" in caplog.text


def test_an_undeliverable_alert_does_not_change_the_crawl(archive_url, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    result = cli("crawl", "--no-seed", "--replay-dir", str(site), "achie", url=archive_url, home=tmp_path,
                 LIAOCHENG_NEWS_ALERT_COMMAND="/nonexistent/pager", LIAOCHENG_NEWS_ALERT_WEBHOOK="http://127.0.0.1:9/")
    assert result.returncode == 1 and "Traceback" not in result.stderr  # failed, as it was: nothing fetched
    with psycopg.connect(archive_url) as conn:
        status, stats = conn.execute("SELECT status, stats FROM crawl_runs").fetchone()
    assert status == "failed" and stats["alerts/failed"] == 1


def test_the_alert_command_of_an_onfailure_unit(archive_url, tmp_path):
    """deploy/liaocheng-news-alert@.service pipes a failed unit's journal into `liaocheng-news alert`."""
    payload = tmp_path / "alert.json"
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path),
               "LIAOCHENG_NEWS_ALERT_COMMAND": f"{sys.executable} -c '{RECORDER}' {payload}"}
    sent = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "alert", "--event", "unit_failed",
                           "liaocheng-news-crawl.service failed"], input="exit status 1\nevery portal failed\n",
                          env=environ, capture_output=True, text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    body = json.loads(payload.read_text(encoding="utf-8"))
    assert body["event"] == "unit_failed" and body["message"] == "liaocheng-news-crawl.service failed"
    assert "every portal failed" in body["details"]
    unit = (ROOT / "deploy" / "liaocheng-news-crawl.service").read_text(encoding="utf-8")
    assert "OnFailure=liaocheng-news-alert@%n.service" in unit
    assert "liaocheng-news alert --event unit_failed" in (ROOT / "deploy" / "liaocheng-news-alert@.service").read_text()


def test_the_alert_command_without_a_target_says_so_and_fails(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LIAOCHENG_NEWS_ALERT_")}
    sent = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "alert", "crawl failed"],
                          env={**environ, "LIAOCHENG_NEWS_HOME": str(tmp_path)}, input="",
                          capture_output=True, text=True, timeout=60)
    assert sent.returncode == 1 and "Traceback" not in sent.stderr
    assert "no alert sent (set LIAOCHENG_NEWS_ALERT_COMMAND or _WEBHOOK): crawl failed" in sent.stderr
