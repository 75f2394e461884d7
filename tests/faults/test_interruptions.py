"""A crawl stopped mid-way — SIGKILL, SIGTERM, one Ctrl-C, two — leaves no gap that the next run does not fill.

Finding 2 of issue 18: the re-crawl stopped paging after the look-back, so list pages the stopped
run never reached were never read, and pages in flight at a SIGKILL or a double SIGINT were never
fetched again.  (The parse workers and writer process of that time are gone since issue 20: a
crawl is one process, so its SIGKILL is the case of a killed worker or writer.)  Each case stops a crawl of the generated site once a third of its articles were
asked for (the site answers article pages slowly, so pages are in flight), then runs one more
crawl: every article is then stored exactly once.
"""

from __future__ import annotations

import json
import signal

import pytest

from liaocheng_news.dedupe.urls import canonical_url
from tests.faults.crawl import Crawl, assert_complete, expect_status, frontier, run_crawl, runs, stored, when


def stopped_crawl(archive_url, home, site, site_server, stop) -> tuple[int, Crawl]:
    site_server.delay = 0.05
    crawl = Crawl(archive_url, home, site_server.url, name="stopped")
    when(lambda: site_server.article_hits() >= len(site.articles) // 3, what="a third of the articles asked for")
    stop(crawl)
    code = crawl.wait()
    site_server.delay = 0
    return code, crawl


@pytest.mark.parametrize("how", ["sigkill", "sigterm", "sigint", "sigint-twice"])
def test_a_stopped_crawl_is_completed_by_the_next_run(how, archive_url, tmp_path, site, site_server):
    def stop(crawl: Crawl) -> None:
        if how == "sigkill":
            crawl.kill()
        elif how == "sigterm":  # as scrapyd, systemd and docker stop a job
            crawl.signal(signal.SIGTERM)
        else:
            crawl.signal(signal.SIGINT)
            if how == "sigint-twice":
                when(lambda: "SIGINT: stopping" in crawl.log(), timeout=30, what="the clean stop begun")
                crawl.signal(signal.SIGINT)

    code, crawl = stopped_crawl(archive_url, tmp_path, site, site_server, stop)
    asked = site_server.requests(articles_only=True)
    kept = set(stored(archive_url))
    assert len(kept) < len(site.articles), "the crawl was stopped before it ended"
    # pages asked for by the stopped run and not stored by it: in flight at the stop, or in its
    # last batch; the next run asks for each of them again
    in_flight = {u for u in asked if canonical_url(u) not in kept}
    # ... unless spooled by the stop (a second SIGINT spools what the store holds): written next run
    spooled = {canonical_url(json.loads(line)["url"]) for path in (tmp_path / "spool").glob("*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()}
    in_flight = {u for u in in_flight if canonical_url(u) not in spooled}
    stopped_run = runs(archive_url)[-1]
    left = frontier(archive_url)

    code_after, log = run_crawl(archive_url, tmp_path, site_server.url, name="after")
    assert code_after == 0, log[-3000:]
    assert_complete(archive_url, site, site_server)
    assert not list((tmp_path / "spool").glob("*.jsonl"))
    assert in_flight <= set(site_server.requests(articles_only=True)[len(asked):])
    after = runs(archive_url)[-1]
    assert after["stats"].get("spool/items_recovered", 0) == len(spooled)
    assert after["stats"]["frontier/resumed_sections"] >= 1
    assert after["stats"]["frontier/sections_unfinished"] == 0
    assert frontier(archive_url) == {"cursors": [], "pending": []}
    expect_status(code_after, after, "finished")

    assert left is not None and left["cursors"], "the stopped run leaves its unfinished passes"
    stopped_after = next(r for r in runs(archive_url) if r["id"] == stopped_run["id"])
    if how == "sigkill":
        assert code == -signal.SIGKILL and stopped_run["status"] == "running"
        assert in_flight and set(left["pending"]) >= {canonical_url(u) for u in in_flight}
    elif how in ("sigint", "sigterm"):
        by = how.upper()
        assert f"{by}: stopping" in crawl.log() and "ending at once" not in crawl.log()
        assert stopped_run["stats"]["frontier/sections_unfinished"] > 0
        assert stopped_run["stats"]["interrupted"] == by
        expect_status(code, stopped_run, "interrupted", crawl.log(), by=by)
    else:
        assert "SIGINT again: ending at once" in crawl.log()
        # cut short: pages in flight, or fetched and spooled (what a page still in the pipelines
        # as the run's end is recorded may reach); either way the next run above completed them
        assert in_flight or spooled
        # ended at once, its run recorded as interrupted by the first signal on the way out
        assert stopped_run["stats"]["interrupted"] == "SIGINT"
        expect_status(code, stopped_run, "interrupted", crawl.log())
    # a run whose process ended without closing it is closed as interrupted by the next crawl
    assert stopped_after["status"] == "interrupted"
