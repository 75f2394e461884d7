"""check-portals against the replay server: healthy portals, and a template change named."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from liaocheng_news.parsers import get_parser
from liaocheng_news.spiders import portal_spiders
from liaocheng_news.portals import PORTALS
from liaocheng_news.ops.replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STATIC = [p for p in portal_spiders() if (FIXTURES / p).is_dir() and not PORTALS[p].needs_browser]


def check(replay_url, *portals):
    result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "check-portals", "--no-record", "--replay-url", replay_url,
                             "--json", *portals], capture_output=True, text=True, timeout=300)
    return result.returncode, {r["portal"]: r for r in map(json.loads, result.stdout.splitlines())}, result


def test_every_portal_is_healthy_on_the_replay():
    with ReplayServer(FIXTURES) as server:
        code, rows, result = check(server.url)
    assert set(STATIC) <= set(rows), result.stderr
    for portal in STATIC:
        assert rows[portal]["verdict"] == "ok", rows[portal]
        read_by = "portal" if get_parser(portal).versions else "fallback"  # no template declared: the reader
        assert rows[portal]["links"] >= 1 and rows[portal]["extraction"] == read_by
        assert {"title", "published_at", "body"} <= set(rows[portal]["filled"])
    assert code == 0, result.stderr


def redesign(html: bytes) -> bytes:
    """A template change: every class and id renamed, so no selector of the old template matches."""
    return re.sub(rb'\b(class|id)="', rb'\1="v2-', html)


def test_a_changed_template_is_named_and_fails_the_check(tmp_path):
    broken = STATIC[0]
    for portal in STATIC:
        shutil.copytree(FIXTURES / portal, tmp_path / portal)
    with ReplayServer(tmp_path) as server:
        _, before, _ = check(server.url, broken)
        article_url = before[broken]["article_url"]
        meta = next(p for p in (tmp_path / broken).glob("*.meta.json")
                    if json.loads(p.read_text(encoding="utf-8"))["url"] == article_url)
        html = meta.with_name(meta.name.replace(".meta.json", ".html"))
        html.write_bytes(redesign(html.read_bytes()))
        code, rows, result = check(server.url)
    assert code == 1
    assert rows[broken]["verdict"] == "broken"
    assert f"broken: {broken}" in result.stderr
    assert all(rows[p]["verdict"] == "ok" for p in STATIC if p != broken)
    # a dead server is reported in the table, for a static and a browser portal alike, not a traceback
    table = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "check-portals", "--no-record", "--replay-url", "http://127.0.0.1:9",
                            broken, "lcxw_app"], capture_output=True, text=True, timeout=180)
    assert table.returncode == 1 and "Traceback" not in table.stderr
    assert [line.split()[0] for line in table.stdout.splitlines()[1:]] == [broken, "lcxw_app"]
    assert all("unreachable" in line for line in table.stdout.splitlines()[1:])
