"""The scheduler's decisions without scrapyd: the calendar, the skip rule, spreading, the state file."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapyd_client.exceptions import ErrorResponse

from liaocheng_news.ops import scheduling as sch
from liaocheng_news.ops.scheduling import ConfigError, Entry, Node, NodeError, NodeStatus, Schedule
from liaocheng_news.text.fields import SHANGHAI as SH
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "schedule.toml.example"
A, B = Node("http://a:6800/"), Node("http://b:6800/")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def schedule(*entries: Entry, nodes=(A, B), state: Path | None = None) -> Schedule:
    return Schedule(nodes=tuple(nodes), entries=tuple(entries), state_path=state)


def every(name: str, text: str = "2h", spider: str | None = None, **kw) -> Entry:
    return Entry(name=name, spider=spider or name, every=sch.parse_duration(text), **kw)


# -- durations and the calendar -------------------------------------------------------------------
@pytest.mark.parametrize("text, seconds", [("2h", 7200), ("90m", 5400), ("1h30m", 5400), ("1d", 86400),
                                           ("45s", 45), ("1.5h", 5400), ("2w", 1209600)])
def test_parse_duration(text, seconds):
    assert sch.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "2h foo", "0m", "-1h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError):
        sch.parse_duration(text)


def test_every_is_due_when_the_interval_has_passed_with_a_little_slack():
    entry = every("lcxw", "2h")
    last = sh(2026, 1, 22, 10, 0, 3)
    assert sch.due(entry, None, last, SH)[0]  # never scheduled: due at once
    assert not sch.due(entry, last, last + timedelta(minutes=30), SH)[0]
    assert not sch.due(entry, last, last + timedelta(minutes=110), SH)[0]
    # a 10-minute timer that lands seconds short of 2 h still runs it now, not at the next tick
    assert sch.due(entry, last, sh(2026, 1, 22, 12, 0, 1), SH)[0]
    assert sch.slack(timedelta(hours=2)) == timedelta(minutes=5)
    assert sch.slack(timedelta(minutes=20)) == timedelta(minutes=1)


def test_at_runs_once_after_the_time_of_day_in_shanghai_and_catches_up_once():
    entry = Entry("lcrb", "lcrb", at=(sh(2026, 1, 1, 7, 0).timetz().replace(tzinfo=None),))
    yesterday = sh(2026, 1, 21, 7, 0, 20)
    assert not sch.due(entry, yesterday, sh(2026, 1, 22, 6, 59), SH)[0]
    is_due, why = sch.due(entry, yesterday, sh(2026, 1, 22, 7, 0), SH)
    assert is_due and "07:00" in why
    # 07:00 Shanghai is 23:00 UTC the day before: the zone is applied, not the host's
    assert sch.due(entry, yesterday, datetime(2026, 1, 21, 23, 5, tzinfo=timezone.utc), SH)[0]
    # the scheduler was down all morning: one catch-up run in the afternoon, then not again
    assert sch.due(entry, yesterday, sh(2026, 1, 22, 15, 0), SH)[0]
    ran = sh(2026, 1, 22, 15, 0)
    is_due, why = sch.due(entry, ran, sh(2026, 1, 22, 23, 50), SH)
    assert not is_due and "2026-01-23 07:00" in why
    assert sch.due(entry, None, sh(2026, 1, 22, 3, 0), SH)[0]  # never ran: run now


def test_several_times_a_day():
    raw = {"at": ["19:00", "07:00"]}
    entry = sch._entry("lcrb", raw, {})
    assert [t.hour for t in entry.at] == [7, 19]
    morning = sh(2026, 1, 22, 7, 0, 5)
    is_due, why = sch.due(entry, morning, sh(2026, 1, 22, 12, 0), SH)
    assert not is_due and "2026-01-22 19:00" in why
    assert sch.due(entry, morning, sh(2026, 1, 22, 19, 1), SH)[0]


# -- the plan ------------------------------------------------------------------------------------------
NOW = sh(2026, 1, 22, 12, 0)


def test_spreads_due_spiders_over_the_least_busy_nodes():
    entries = [every(n) for n in ("lcxw", "yybnet", "lcrb", "achie")]
    decisions = sch.plan(schedule(*entries), {}, [NodeStatus(A), NodeStatus(B)], NOW)
    assert [(d.entry.name, d.action, d.node.url) for d in decisions] == [
        ("lcxw", "schedule", A.url), ("yybnet", "schedule", B.url),
        ("lcrb", "schedule", A.url), ("achie", "schedule", B.url)]
    # a node busy with other work gets jobs only once the other has caught up
    decisions = sch.plan(schedule(*entries), {}, [NodeStatus(A, load=3), NodeStatus(B)], NOW)
    assert [d.node.url for d in decisions] == [B.url, B.url, B.url, A.url]


def test_skips_a_spider_still_pending_or_running_on_any_node():
    statuses = [NodeStatus(A), NodeStatus(B, load=1, active={"yybnet": "job-7"})]
    decisions = sch.plan(schedule(every("lcxw"), every("yybnet")), {}, statuses, NOW)
    assert [(d.entry.name, d.action) for d in decisions] == [("lcxw", "schedule"), ("yybnet", "skip")]
    assert "job-7" in decisions[1].reason and B.url in decisions[1].reason
    assert decisions[0].node == A  # B is busier


def test_a_spider_whose_last_node_is_silent_waits_for_it():
    """Its job may still run there: starting it on the other node could run it twice."""
    statuses = [NodeStatus(A, error="connection refused"), NodeStatus(B)]
    last = {"lcxw": NOW - timedelta(hours=3), "yybnet": NOW - timedelta(hours=4)}
    decisions = sch.plan(schedule(every("lcxw"), every("yybnet")), last, statuses, NOW,
                         last_nodes={"lcxw": A.url, "yybnet": B.url})
    assert [(d.entry.name, d.action) for d in decisions] == [("lcxw", "skip"), ("yybnet", "schedule")]
    assert A.url in decisions[0].reason and "does not answer" in decisions[0].reason
    assert decisions[1].node == B


def test_two_entries_of_one_spider_never_run_together():
    deep = every("lcxw-deep", "7d", spider="lcxw", args={"max_pages": "200"})
    decisions = sch.plan(schedule(every("lcxw"), deep), {}, [NodeStatus(A), NodeStatus(B)], NOW)
    assert [d.action for d in decisions] == ["schedule", "skip"]
    assert "scheduled this tick" in decisions[1].reason


def test_not_due_disabled_and_no_node():
    entries = (every("lcxw"), every("yybnet", enabled=False), every("achie"))
    last = {"lcxw": NOW - timedelta(minutes=30)}
    decisions = sch.plan(schedule(*entries), last, [NodeStatus(A, error="down"), NodeStatus(B, error="down")], NOW)
    assert [d.action for d in decisions] == ["wait", "disabled", "skip"]
    assert "no node is reachable" in decisions[2].reason


# -- the configuration ---------------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_loads():
    cfg = sch.load_schedule(EXAMPLE, environ={"SCRAPYD_USERNAME": "op", "SCRAPYD_PASSWORD": "pw"})
    by_name = {e.name: e for e in cfg.entries}
    assert by_name["lcxw"].every == timedelta(hours=2)
    assert by_name["yybnet"].every == timedelta(hours=3)
    assert [t.strftime("%H:%M") for t in by_name["lcrb"].at] == ["07:00"]
    assert cfg.timezone.key == "Asia/Shanghai" and cfg.project == "liaocheng_news"
    assert cfg.nodes == (Node("http://127.0.0.1:6800/", "op", "pw"),)


def test_credentials_come_from_the_environment_only(tmp_path):
    path = write(tmp_path, 'nodes = ["http://${NODE_HOST}:6800", {url = "http://b:6800", '
                           'username_env = "B_USER", password_env = "B_PASS"}]\n'
                           '[spiders.lcxw]\nevery = "2h"\n')
    cfg = sch.load_schedule(path, environ={"NODE_HOST": "10.0.0.5", "SCRAPYD_USERNAME": "a",
                                           "SCRAPYD_PASSWORD": "x", "B_USER": "b", "B_PASS": "y"})
    assert cfg.nodes == (Node("http://10.0.0.5:6800/", "a", "x"), Node("http://b:6800/", "b", "y"))
    with pytest.raises(ConfigError, match="unset variable"):
        sch.load_schedule(path, environ={})
    path = write(tmp_path, 'nodes = [{url = "http://a:6800", password = "secret"}]\n[spiders.lcxw]\nevery = "2h"\n')
    with pytest.raises(ConfigError, match="never from this file"):
        sch.load_schedule(path, environ={})


def test_defaults_merge_and_values_are_written_as_scrapy_reads_them(tmp_path):
    path = write(tmp_path, 'nodes = ["http://a:6800"]\n'
                           '[defaults.settings]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\n'
                           '[spiders.lcxw]\nevery = "2h"\nsettings = { DOWNLOAD_DELAY = 2.5 }\n'
                           'args = { max_pages = 3 }\n')
    entry = sch.load_schedule(path, environ={}).entries[0]
    assert entry.settings == {"DOWNLOAD_DELAY": "2.5", "AUTOTHROTTLE_ENABLED": "False"}
    assert entry.args == {"max_pages": "3"}


@pytest.mark.parametrize("text, message", [
    ('[spiders.lcxw]\nevery = "2h"\n', "nodes"),
    ('nodes = ["http://a"]\n', "no \\[spiders"),
    ('nodes = ["http://a"]\n[spiders.lcxw]\n', "exactly one"),
    ('nodes = ["http://a"]\n[spiders.lcxw]\nevery = "2h"\nat = "07:00"\n', "exactly one"),
    ('nodes = ["http://a"]\n[spiders.lcxw]\nat = "7am"\n', "time of day"),
    ('nodes = ["http://a"]\n[spiders.lcxw]\nevery = "2h"\nevry = 1\n', "unknown keys"),
    ('nodes = ["http://a"]\ntimezone = "Mars/Olympus"\n[spiders.lcxw]\nevery = "2h"\n', "time zone"),
    ('nodes = ["a:6800"]\n[spiders.lcxw]\nevery = "2h"\n', "http"),
    ('nodes = [\n', "schedule.toml"),
])
def test_bad_configurations_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        sch.load_schedule(write(tmp_path, text), environ={})


# -- a tick, with a fake scrapyd -----------------------------------------------------------------------------
class FakeScrapyd:
    """Answers like scrapyd-client's ScrapydClient; records schedule.json calls."""

    def __init__(self, down=(), active=None, refuse=()):
        self.down, self.active, self.refuse = set(down), active or {}, set(refuse)
        self.calls: list[tuple] = []

    def __call__(self, node: Node):
        fake = self

        class Client:
            def daemonstatus(self):
                if node.url in fake.down:
                    raise ConnectionError("connection refused")
                return {"pending": 0, "running": len(fake.active.get(node.url, {}))}

            def jobs(self, project):
                return {"pending": [], "running": [{"id": j, "spider": s}
                                                   for s, j in fake.active.get(node.url, {}).items()]}

            def schedule(self, project, spider, args):
                if spider in fake.refuse:
                    raise ErrorResponse(f"spider '{spider}' not found")
                fields = dict(a for a in args if a[0] not in ("setting", "jobid", "priority"))
                settings = dict(v.split("=", 1) for k, v in args if k == "setting")
                jobid = dict(args)["jobid"]
                fake.calls.append((node.url, project, spider, jobid, settings, fields))
                return jobid

        return Client()


def test_tick_schedules_records_state_and_dry_run_records_nothing(tmp_path):
    state = tmp_path / "state.json"
    cfg = schedule(every("lcxw", settings={"REPLAY_URL": "http://127.0.0.1:1"}),
                   every("yybnet", "3h", args={"max_pages": "2"}), state=state)
    fake, out = FakeScrapyd(), io.StringIO()
    assert sch.run_tick(cfg, dry_run=True, now=NOW, out=out, client=fake) == 0
    assert not state.exists() and fake.calls == [] and out.getvalue().count("would schedule") == 2

    assert sch.run_tick(cfg, now=NOW, out=io.StringIO(), client=fake) == 0
    assert [(c[0], c[2], c[4], c[5]) for c in fake.calls] == [
        (A.url, "lcxw", {"REPLAY_URL": "http://127.0.0.1:1"}, {}), (B.url, "yybnet", {}, {"max_pages": "2"})]
    recorded = json.loads(state.read_text())["entries"]
    assert recorded["lcxw"]["job"] == fake.calls[0][3] and recorded["lcxw"]["job"].startswith("lcxw-20260122T1200")
    assert datetime.fromisoformat(recorded["yybnet"]["last_scheduled"]) == NOW

    # an hour later nothing is due; three hours later both are
    assert sch.run_tick(cfg, now=NOW + timedelta(hours=1), out=io.StringIO(), client=fake) == 0
    assert len(fake.calls) == 2
    sch.run_tick(cfg, now=NOW + timedelta(hours=3), out=io.StringIO(), client=fake)
    assert len(fake.calls) == 4


def test_tick_with_a_node_down_or_a_refused_job_reports_failure_and_retries_next_tick(tmp_path):
    state = tmp_path / "state.json"
    cfg = schedule(every("lcxw"), every("yybnet"), every("achie"), state=state)
    fake, out = FakeScrapyd(down={A.url}, refuse={"achie"}), io.StringIO()
    assert sch.run_tick(cfg, now=NOW, out=out, client=fake) == sch.EXIT_PARTIAL
    assert {c[0] for c in fake.calls} == {B.url} and len(fake.calls) == 2
    assert "unusable" in out.getvalue() and "FAILED" in out.getvalue()
    assert set(json.loads(state.read_text())["entries"]) == {"lcxw", "yybnet"}  # achie stays due


def test_main_exits_64_on_a_bad_configuration(tmp_path, capsys):
    assert sch.main(["--config", str(tmp_path / "missing.toml"), "--once"]) == sch.EXIT_USAGE
    assert "no schedule file" in capsys.readouterr().err


# -- the scrapyd client, against loopback servers that misbehave ------------------------------------------
def test_a_node_refusing_the_credentials_is_named_with_a_hint(tmp_path):
    from liaocheng_news.ops.replay import ReplayServer

    # scrapyd answers a request without valid credentials with 401 and an HTML page
    (tmp_path / "status.html").write_text("<html><body>Unauthorized</body></html>", encoding="utf-8")
    (tmp_path / "status.meta.json").write_text(json.dumps({
        "url": "http://scrapyd.test/daemonstatus.json", "status": 401, "headers": {"Content-Type": "text/html"}}))
    with ReplayServer(tmp_path) as server:
        node = Node(f"{server.url}/http/scrapyd.test/", "user", "wrong")
        with pytest.raises(NodeError, match="daemonstatus.json: not a scrapyd answer.*SCRAPYD_USERNAME"):
            sch.ask(node, "daemonstatus", sch.scrapyd(node).daemonstatus, timeout=10)
        assert server.fetched("http://scrapyd.test/daemonstatus.json") == 1


def test_a_node_that_does_not_answer_is_given_up_after_the_timeout():
    import socket
    import time

    with socket.socket() as listener:  # takes the connection (the kernel's backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        node = Node(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        started = time.monotonic()
        with pytest.raises(NodeError, match="listjobs.json: no answer within 0.5 s"):
            sch.ask(node, "listjobs", lambda: sch.scrapyd(node).jobs("liaocheng_news"), timeout=0.5)
        assert time.monotonic() - started < 5


def test_a_node_without_credentials_sends_none(tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))  # credentials come from the environment, never a file
    assert sch.scrapyd(Node("http://127.0.0.1:6800/")).auth is None
    assert sch.scrapyd(Node("http://127.0.0.1:6800/", "user", "pw")).auth is not None


def test_schedule_fields_carry_the_job_id_priority_settings_and_arguments():
    assert sch.schedule_args("lcxw-1", {"DOWNLOAD_DELAY": "2"}, {"max_pages": "3"}, priority=1.5) == [
        ("jobid", "lcxw-1"), ("priority", "1.5"), ("setting", "DOWNLOAD_DELAY=2"), ("max_pages", "3")]
