"""save-fixture against a local server: bytes, headers and the parser's output are recorded."""

import json
import subprocess
import sys
from pathlib import Path

from liaocheng_news.ops.replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_save_fixture_records_a_page_that_the_fixture_test_can_use(tmp_path):
    source = json.loads(next((FIXTURES / "lcxw").glob("article-2026*.meta.json")).read_text(encoding="utf-8"))
    with ReplayServer(FIXTURES) as server:
        host_path = source["url"].split("://", 1)[1]
        local = f"{server.url}/https/{host_path}"
        result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "save-fixture", local,
                                 "--portal", "lcxw", "--name", "recorded", "--dir", str(tmp_path)],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "lcxw"
    meta = json.loads((folder / "recorded.meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "recorded.expected.json").read_text(encoding="utf-8"))
    original = next(p for p in (FIXTURES / "lcxw").glob("*.meta.json")
                    if json.loads(p.read_text(encoding="utf-8"))["url"] == source["url"])
    assert (folder / "recorded.html").read_bytes() == original.with_name(original.name.replace(".meta.json", ".html")).read_bytes()
    assert meta["provenance"]["recorded"] is True and meta["url"] == local and meta["kind"] == "article"
    assert "content-type" in {k.lower() for k in meta["headers"]}
    assert expected["title"] and expected["body"] and expected["extraction"] == "portal"


def test_save_fixture_reports_a_missing_page_without_a_traceback(tmp_path):
    with ReplayServer(FIXTURES) as server:
        result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "save-fixture",
                                 f"{server.url}/https/www.lcxw.cn/nothing.html", "--portal", "lcxw",
                                 "--dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "HTTP 404" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lcxw").exists()
