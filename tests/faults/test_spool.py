"""A spool that cannot lose items: unwritable spools stop the crawl, bad lines never block good ones.

Finding 5 of issue 18: with a read-only or full spool 43–64 articles were lost while the run said
``spooled 0`` and exited 0; one malformed spool line (``null``, ``[1, 2]``, an object without
``portal``) stopped every later crawl before it opened; a truncated spool file was set aside
whole.  Here the archive's database stops taking connections mid-crawl while the spool is
read-only or full: a tmpfs mounted read-only or filled up when the tests run as root and may
mount, else a folder without write permission (read-only) and a file-size limit of the crawl
process (RLIMIT_FSIZE, full).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from liaocheng_news.dedupe.sketch import fingerprint
from liaocheng_news.items import article_to_json
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import Page
from tests.faults.crawl import Crawl, assert_complete, expect_status, run_crawl, runs, when
from tests.pipelines.test_store import cut_off

QUICK = ("-s", "ARCHIVE_WRITE_RETRIES=1", "-s", "ARCHIVE_RETRY_BACKOFF=0.2", "-s", "ARCHIVE_CONNECT_TIMEOUT=1")


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def unwritable_spool(spool: Path, kind: str):
    """The spool folder made read-only or full for the duration; yields (how, preexec for the crawl)."""
    spool.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and _mount("-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", str(spool)):
        try:
            if kind == "readonly":
                assert _mount("-o", "remount,ro", str(spool))
            else:
                with (spool / "filler").open("wb", buffering=0) as fh:  # fill it to the last byte
                    try:
                        while True:
                            fh.write(b"\0" * 512)
                    except OSError:
                        pass
            yield f"tmpfs ({kind})", None
        finally:
            subprocess.run(["umount", str(spool)], check=True)
        return
    if kind == "readonly":
        if os.geteuid() == 0:
            pytest.skip("root without mount: no read-only folder can be made")
        spool.chmod(0o555)
        try:
            yield "a folder without write permission", None
        finally:
            spool.chmod(0o700)
        return
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    yield "RLIMIT_FSIZE=0 on the crawl", lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (0, limit))


@pytest.mark.parametrize("kind", ["readonly", "full"])
def test_neither_archive_nor_spool_stops_the_crawl_and_the_next_run_stores_everything(
        kind, archive_url, pg_admin_url, tmp_path, site, site_server):
    dbname = conninfo_to_dict(archive_url)["dbname"]
    site_server.delay = 0.03
    try:
        with unwritable_spool(tmp_path / "spool", kind) as (how, preexec):
            crawl = Crawl(archive_url, tmp_path, site_server.url, *QUICK, name="unwritable", preexec=preexec)
            when(lambda: site_server.article_hits() >= len(site.articles) // 3, what="a third of the articles")
            cut_off(pg_admin_url, dbname, allow=False)  # the archive is lost: items must go to the spool
            code = crawl.wait()
            log = crawl.log()
            site_server.delay = 0
            assert list((tmp_path / "spool").glob("*.jsonl")) == [], how
    finally:
        cut_off(pg_admin_url, dbname, allow=True)
    expect_status(code, None, "failed", log)  # the run's record cannot be written: its archive is lost
    # closed for it, or (the archive lost while the crawl was closing) recorded as its close reason
    assert "Closing spider (spool_unwritable)" in log or "close reason is recorded as spool_unwritable" in log
    assert "could be neither written to the archive nor spooled" in log
    assert "'finish_reason': 'spool_unwritable'" in log and "'items_unsaved':" in log
    # the command's summary: the run failed, and why
    assert re.search(r"^lcxw\s+failed\s", log, re.M)
    # why: the close reason, or (the last batch met the spool as the engine closed) the items lost
    assert re.search(r"^liaocheng-news: every portal failed: (close reason spool_unwritable|\d+ items neither "
                     r"stored nor spooled)$", log, re.M), log[-3000:]

    code, log = run_crawl(archive_url, tmp_path, site_server.url, name="after")
    assert code == 0, log[-3000:]
    assert_complete(archive_url, site, site_server)
    expect_status(code, runs(archive_url)[-1], "finished")


def spooled_line(site, url: str) -> str:
    """A spool line of one of the site's articles, as the store writes it."""
    article = get_parser("lcxw").parse(Page(url, site.pages[url].body, {"content-type": "text/html; charset=utf-8"}))
    article.content_hash = fingerprint(article.body_text)
    return json.dumps(article_to_json(article), ensure_ascii=False)


def test_bad_spool_lines_are_set_aside_and_the_good_ones_written(archive_url, tmp_path, site, site_server):
    spool = tmp_path / "spool"
    spool.mkdir(parents=True)
    good = [spooled_line(site, url) for url in site.articles[:5]]
    bad = ["null", "[1, 2]", json.dumps({"url": site.articles[9], "title": "没有门户", "body": ["正文"]}),
           '"just a string"', "{not json"]
    mixed = spool / "20251201T000000000000-lcxw-aaaaaaaa.jsonl"
    mixed.write_text("\n".join([good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2], bad[4]]) + "\n",
                     encoding="utf-8")
    truncated = spool / "20251201T000001000000-lcxw-bbbbbbbb.jsonl"
    truncated.write_bytes(("\n".join(good[3:5]) + "\n").encode() + good[0].encode()[:200])  # cut mid-line
    invalid = spool / "20251201T000002000000-lcxw-cccccccc.jsonl"
    invalid.write_bytes(b"\xff\xfe not utf-8\n")

    code, log = run_crawl(archive_url, tmp_path, site_server.url)
    assert code == 0, log[-3000:]
    run = runs(archive_url)[-1]
    assert run["stats"]["spool/items_recovered"] == 5 and run["stats"]["spool/bad_lines"] == 7
    assert list(spool.glob("*.jsonl")) == []
    noted = {p.name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
             for p in (spool / "bad").glob("*.jsonl")}
    assert sorted((n["line"], n["text"]) for n in noted[mixed.name]) == [(2, bad[0]), (4, bad[1]), (5, bad[2]),
                                                                          (6, bad[3]), (8, bad[4])]
    assert all(n["file"] == str(mixed) and n["error"] for n in noted[mixed.name])
    assert [n["line"] for n in noted[truncated.name]] == [3] and "truncated" in noted[truncated.name][0]["error"]
    assert [n["line"] for n in noted[invalid.name]] == [1] and "UTF-8" in noted[invalid.name][0]["error"]
    assert_complete(archive_url, site, site_server)
    expect_status(code, run, "finished")
