"""save-fixture writes only inside its folder (finding 7 of issue 18: ``--name ../../X`` wrote outside)."""

import subprocess
import sys
from pathlib import Path

from liaocheng_news.ops.replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_fixture_name_that_leaves_its_folder_is_refused(tmp_path):
    folder = tmp_path / "a" / "b" / "fixtures"
    with ReplayServer(FIXTURES) as server:
        page = f"{server.url}/https/www.lcxw.cn/yaowen/shehui/20260122/151679.html"
        for name in ("../../escaped", str(tmp_path / "escaped"), "sub/dir", "..", ".hidden"):
            result = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "save-fixture", page,
                                     "--portal", "lcxw", "--name", name, "--dir", str(folder)],
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 1 and "plain file name" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
