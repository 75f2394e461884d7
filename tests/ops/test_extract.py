"""``liaocheng-news extract``: stored pages in, one export-shaped JSON object per page out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liaocheng_news.cli import EXPORT_FIELDS, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LCRB = FIXTURES / "lcrb" / "content-47875.html"
LCXW = FIXTURES / "lcxw" / "article-20260122-151679.html"
LIST = FIXTURES / "lcxw" / "list-yaowen-shehui-index.html"
PROSE = "".join(f"<p>第{i}段:聊城市今年新建改建农村公路三百公里,惠及沿线群众二十余万人,群众出行条件明显改善。</p>" for i in range(3))
PAGE = f"""<html><head><meta charset="utf-8"><title>农村公路建设提速_某某新闻网</title></head><body>
<h1>农村公路建设提速</h1><div class="info">2026-03-02 09:10 来源：某某日报</div><div class="content">{PROSE}</div></body></html>"""


def extract(capsys, *args: str) -> tuple[int, list[dict], list[str]]:
    status = main(["extract", *args])
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    return status, records, [line for line in captured.err.splitlines() if line.strip()]


def test_fixture_pages_give_export_records_with_template_and_page(capsys) -> None:
    status, records, errors = extract(capsys, str(LCRB), str(LCXW))
    assert (status, errors) == (0, [])
    assert [r["page"] for r in records] == [str(LCRB), str(LCXW)]
    for r in records:
        assert set(EXPORT_FIELDS) | {"template", "extraction_checks", "page"} == set(r)
    lcrb, lcxw = records
    assert lcrb["url"] == json.loads((FIXTURES / "lcrb" / "content-47875.meta.json").read_text())["url"]
    assert (lcrb["portal"], lcrb["template"], lcrb["extraction"]) == ("lcrb", "lcrb/founder-pc", "portal")
    assert lcrb["title"] == "图片新闻" and lcrb["published_at"] == "2024-03-29T00:00:00+08:00"
    assert lcrb["body"].startswith("3月24日,度假区湖西街道姜堤乐园") and lcrb["story_id"] is None
    assert lcxw["template"] == "lcxw/current"


def test_url_option_and_the_reader_for_a_page_of_no_known_portal(capsys, tmp_path) -> None:
    page = tmp_path / "story.html"
    page.write_text(PAGE, encoding="utf-8")
    status, records, _ = extract(capsys, str(page), "--url", "https://news.example.org/2026/0302/1.html")
    assert status == 0
    (r,) = records
    assert (r["portal"], r["template"], r["extraction"]) == ("unknown", "generic", "fallback")
    assert (r["title"], r["source"], r["published_at"]) == ("农村公路建设提速", "某某日报", "2026-03-02T09:10:00+08:00")
    assert r["body"].count("\n") == 2


def test_portal_option_overrides_the_urls_portal(capsys) -> None:
    status, records, _ = extract(capsys, str(LCXW), "--portal", "unknown")
    assert status == 0 and records[0]["template"] == "generic" and records[0]["portal"] == "unknown"


def test_bad_pages_are_one_line_each_and_the_others_still_print(capsys, tmp_path) -> None:
    broken_meta = tmp_path / "x.html"
    broken_meta.write_text(PAGE, encoding="utf-8")
    (tmp_path / "x.meta.json").write_text("{not json", encoding="utf-8")
    status, records, errors = extract(capsys, str(tmp_path / "missing.html"), str(LCRB), str(broken_meta))
    assert status == 66
    assert [r["page"] for r in records] == [str(LCRB)]
    assert len(errors) == 2
    assert "missing.html: cannot read" in errors[0] and "x.meta.json: not readable JSON" in errors[1]


def test_a_list_page_and_undecodable_bytes_are_not_articles(capsys, tmp_path) -> None:
    noise = tmp_path / "noise.html"
    noise.write_bytes(b"<html><body>" + bytes((i * 37 + 11) % 256 for i in range(4000)) + b"</body></html>")
    status, records, errors = extract(capsys, str(LIST))
    assert (status, records) == (65, []) and "NotAnArticle" in errors[0]
    status, records, errors = extract(capsys, str(noise), "--url", "https://www.lcxw.cn/yaowen/shehui/20260122/1.html")
    assert (status, records) == (65, []) and "DecodeError" in errors[0]


@pytest.mark.parametrize(("args", "message"), [
    (["a.html", "b.html", "--url", "https://x.org/"], "--url names one page's URL"),
    (["a.html", "--portal", "nowhere"], "no parser for portal 'nowhere'"),
])
def test_usage_errors(capsys, args: list[str], message: str) -> None:
    status, records, errors = extract(capsys, *args)
    assert (status, records) == (64, []) and message in errors[0]


def test_the_command_in_its_own_process_reads_many_pages_and_never_shows_a_traceback(tmp_path) -> None:
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(b"\x00\xff" * 50)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "liaocheng_news.cli", "extract", str(LCRB), str(garbage), str(LCXW)],
        capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 66  # garbage.html has no URL
    assert [json.loads(line)["page"] for line in done.stdout.splitlines()] == [str(LCRB), str(LCXW)]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
