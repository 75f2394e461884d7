"""Deployment end to end: real scrapyd daemons (auth on), the real egg, the real scheduler.

The crawls replay the recorded portal pages under tests/fixtures from a server on 127.0.0.1
(REPLAY_URL as a per-job setting) into the test's archive (LIAOCHENG_NEWS_DATABASE_URL in the
daemons' environment).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from liaocheng_news.spiders import portal_spiders
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.portals import PORTALS
from liaocheng_news.ops.replay import ReplayServer

from .conftest import PROJECT, PYTHON, ROOT, deploy_egg, run_scheduler

pytestmark = pytest.mark.scrapyd

FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = ROOT / "liaocheng_news" / "seeds"


@pytest.fixture
def replay():
    server = ReplayServer(FIXTURES).start()
    yield server
    server.stop()


def write_schedule(path: Path, nodes, replay_url: str, spiders: dict[str, dict], state: Path) -> Path:
    """A schedule file like deploy/schedule.toml.example, in replay mode."""
    lines = [f"nodes = {json.dumps([n.url for n in nodes])}", f"state = {json.dumps(str(state))}",
             "[defaults.settings]", f"REPLAY_URL = {json.dumps(replay_url)}",
             "DOWNLOAD_DELAY = 0", "AUTOTHROTTLE_ENABLED = false", "RETRY_BACKOFF_BASE = 0.1"]
    for name, spec in spiders.items():
        lines.append(f"[spiders.{name}]")
        lines += [f"{key} = {json.dumps(value) if not isinstance(value, dict) else _inline(value)}"
                  for key, value in spec.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _inline(table: dict) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + " }"


def recorded_articles(portal: str) -> set[str]:
    """Canonical URLs of the recorded articles that the portal's recorded list pages link to."""
    metas = [json.loads(p.read_text(encoding="utf-8")) for p in (FIXTURES / portal).glob("*.meta.json")]
    articles = {m["url"] for m in metas if m.get("kind") == "article"}
    linked = set()
    for p in (FIXTURES / portal).glob("*.expected.json"):
        linked.update(json.loads(p.read_text(encoding="utf-8")).get("links") or [])
    return {canonical_url(u) for u in articles & linked}


JOB_ID_HINT = ("crawl_runs.job_id does not hold the scrapyd job id: scrapyd 1.6 no longer sets SCRAPY_JOB; "
               "it passes the id as the spider argument _job (read getattr(spider, '_job', None))")


def crawl_runs(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT job_id, id, spider, status, finished_at, stats FROM crawl_runs "
                            "ORDER BY id").fetchall()
    return [{"job_id": r[0], "id": r[1], "spider": r[2], "status": r[3], "finished_at": r[4], "stats": r[5]}
            for r in rows]


def duplicate_urls(url: str) -> list:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT url, count(*) FROM articles GROUP BY url HAVING count(*) > 1").fetchall()


def test_deploy_schedule_once_and_no_second_start(start_scrapyd, archive_url, replay, tmp_path):
    started = time.monotonic()
    node = start_scrapyd()

    # auth is on: no credentials, or wrong ones, are refused
    assert node.request("daemonstatus.json", auth=False)[0] == 401
    assert node.request("listprojects.json", auth=(node.username, "wrong"))[0] == 401
    assert node.request("daemonstatus.json")[0] == 200

    # build and deploy the egg as an operator does; the egg lists the spiders
    out = deploy_egg(node)
    assert f"deployed {PROJECT}" in out
    spiders = node.api("listspiders.json", {"project": PROJECT})["spiders"]
    assert {"lcxw", "yybnet", "import"} <= set(spiders)

    # the job processes import the package from the egg, not from this checkout
    probe = subprocess.run(
        [PYTHON, "-c", "from scrapyd.runner import project_environment\n"
                       f"with project_environment('{PROJECT}'):\n"
                       "    import liaocheng_news.db.migrate as m, liaocheng_news\n"
                       "    print(liaocheng_news.__file__); print([x.version for x in m.available()])"],
        cwd=node.workdir, env={**os.environ, "SCRAPY_PROJECT": PROJECT}, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    module_file, versions = probe.stdout.splitlines()[-2:]
    assert str(node.workdir / "eggs") in module_file and ".egg" in module_file, module_file
    assert json.loads(versions), "the migrations are not readable from the egg"

    # tick 1 schedules both spiders; a small delay keeps them busy while tick 2 runs
    state = tmp_path / "state.json"
    spiders_spec = {"lcxw": {"every": "2h", "settings": {"DOWNLOAD_DELAY": 0.5}},
                    "yybnet": {"every": "3h", "settings": {"DOWNLOAD_DELAY": 0.5}}}
    config = write_schedule(tmp_path / "schedule.toml", [node], replay.url, spiders_spec, state)
    tick1 = run_scheduler(config, {"SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password})
    assert tick1.returncode == 0, tick1.stdout + tick1.stderr
    scheduled = {name: rec["job"] for name, rec in json.loads(state.read_text())["entries"].items()}
    assert set(scheduled) == {"lcxw", "yybnet"}, tick1.stdout

    # tick 2 with a fresh state (so both are due again) while the jobs are still active
    before = node.jobs()
    active = {j["id"] for j in before["pending"] + before["running"]}
    assert active == set(scheduled.values()), before
    config2 = write_schedule(tmp_path / "schedule2.toml", [node], replay.url, spiders_spec, tmp_path / "s2.json")
    tick2 = run_scheduler(config2, {"SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password})
    assert tick2.returncode == 0, tick2.stdout + tick2.stderr
    assert tick2.stdout.count("still active") == 2, tick2.stdout
    assert ": scheduled " not in tick2.stdout
    assert not (tmp_path / "s2.json").exists()

    # wait for both jobs; exactly the two scheduled jobs ran
    jobs = node.wait_idle(timeout=120)
    assert sorted(j["id"] for j in jobs["finished"]) == sorted(scheduled.values()), jobs

    # one finished run per job, and the articles of each run are in the archive
    runs = {r["spider"]: r for r in crawl_runs(archive_url)}
    assert sorted(runs) == sorted(scheduled), runs
    with psycopg.connect(archive_url) as conn:
        for spider, job in scheduled.items():
            run = runs[spider]
            assert run["status"] == "finished" and run["finished_at"], node.job_log(spider, job)[-3000:]
            stored = {r[0] for r in conn.execute(
                "SELECT url FROM articles WHERE crawl_run_id = %s AND portal = %s", (run["id"], spider))}
            expected = recorded_articles(spider)
            assert expected and expected <= stored, (spider, expected - stored, node.job_log(spider, job)[-3000:])

    # not due again by the real state; due again by a fresh state now that nothing runs
    tick3 = run_scheduler(config, {"SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password})
    assert tick3.stdout.count(": wait") == 2 and ": scheduled " not in tick3.stdout, tick3.stdout
    dry = run_scheduler(config2, {"SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password},
                        "--dry-run")
    assert dry.stdout.count("would schedule") == 2, dry.stdout
    assert len(node.jobs()["finished"]) == 2
    # each run is recorded under its scrapyd job id (what `liaocheng-news runs` shows operators)
    assert {r["spider"]: r["job_id"] for r in runs.values()} == scheduled, JOB_ID_HINT
    print(f"single node: {time.monotonic() - started:.1f}s")


def four_spiders() -> dict[str, dict]:
    """Four schedule entries over distinct spiders: the static portals with recorded pages,
    then the seed import (with the packaged seeds) if fewer than four portals exist yet."""
    spiders = portal_spiders()
    portals = [p for p in sorted(spiders) if (FIXTURES / p).is_dir() and not PORTALS[p].needs_browser]
    entries = {}
    for p in portals[:4]:  # with the arguments that point a spider at its recorded pages (lcrb: the issue date)
        replay_args = spiders[p].replay_args
        entries[p] = {"every": "2h", **({"args": dict(replay_args)} if replay_args else {})}
    if len(entries) < 4:
        entries["import"] = {"every": "1d", "args": {"paths": str(SEEDS)}}
    return entries


def test_two_nodes_share_one_archive(start_scrapyd, archive_url, replay, tmp_path):
    started = time.monotonic()
    nodes = [start_scrapyd(), start_scrapyd()]
    version = str(int(time.time()))
    for node in nodes:
        deploy_egg(node, version)
    creds = {"SCRAPYD_USERNAME": nodes[0].username, "SCRAPYD_PASSWORD": nodes[0].password}

    # the same spider on both nodes at once: both store the same URLs, concurrently
    settings = [("setting", f"REPLAY_URL={replay.url}"), ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_ENABLED=False")]
    twins = {}
    for i, node in enumerate(nodes):
        job = f"lcxw-twin-{i}"
        node.api("schedule.json", [("project", PROJECT), ("spider", "lcxw"), ("jobid", job), *settings], post=True)
        twins[job] = node
    for node in nodes:
        node.wait_idle(timeout=120)

    # the scheduler spreads four spiders over both nodes
    entries = four_spiders()
    assert len(entries) >= 3, entries
    config = write_schedule(tmp_path / "schedule.toml", nodes, replay.url, entries, tmp_path / "state.json")
    tick = run_scheduler(config, creds)
    assert tick.returncode == 0, tick.stdout + tick.stderr
    assert tick.stdout.count(": scheduled ") == len(entries), tick.stdout
    per_node = {}
    for node in nodes:
        jobs = node.wait_idle(timeout=120)
        per_node[node.url] = [j for j in jobs["finished"] if not j["id"].startswith("lcxw-twin-")]
    assert all(per_node.values()), per_node  # both nodes got scheduled jobs
    assert sum(len(v) for v in per_node.values()) == len(entries)

    runs = crawl_runs(archive_url)
    twin_runs, later = runs[:2], runs[2:]  # the twins ran (and finished) before the scheduler's tick
    assert [r["spider"] for r in twin_runs] == ["lcxw", "lcxw"], runs
    for run in twin_runs:
        assert run["status"] == "finished", [n.job_log("lcxw", j)[-3000:] for j, n in twins.items()]
        assert run["stats"].get("errors", 0) == 0 and run["stats"].get("items_spooled", 0) == 0, run["stats"]
    assert sorted(r["spider"] for r in later) == sorted(s for s in entries), later
    assert all(r["status"] == "finished" for r in later), later
    assert duplicate_urls(archive_url) == []
    with psycopg.connect(archive_url) as conn:
        lcxw = {r[0] for r in conn.execute("SELECT url FROM articles WHERE portal = 'lcxw'")}
    assert recorded_articles("lcxw") <= lcxw
    scheduled_jobs = {j["id"] for jobs in per_node.values() for j in jobs}
    assert {r["job_id"] for r in runs} == scheduled_jobs | set(twins), JOB_ID_HINT
    print(f"two nodes ({', '.join(entries)}): {time.monotonic() - started:.1f}s")
