"""When the reader runs beside a template: :func:`~liaocheng_news.parsers.reader.may_find` says no
only where the reader indeed finds nothing, so skipping the reader never loses a field.

Checked on every page at hand: the reconstructed fixtures of this repository (tests/fixtures),
and the real pages of shared/realpages where that folder exists (38 outlets, GBK and UTF-8).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from liaocheng_news.parsers import Page, get_parser, parser_names
from liaocheng_news.parsers.crosscheck import reader_needed
from liaocheng_news.parsers.reader import may_find, read_page
from liaocheng_news.text.fields import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]
REALPAGES = Path("/work/shared/realpages")
GATED = ("authors", "editor", "reviewer", "time")


def _local_pages() -> list[tuple[str, Path, dict]]:
    pages = []
    for meta_path in sorted((ROOT / "tests" / "fixtures").glob("*/*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("kind") == "article":
            pages.append((meta["url"], meta_path.with_name(meta_path.name.removesuffix(".meta.json") + ".html"),
                          meta.get("headers") or {}))
    return pages


def _real_pages() -> list[tuple[str, Path, dict]]:
    if not (REALPAGES / "manifest.json").exists():
        return []
    manifest = json.loads((REALPAGES / "manifest.json").read_text(encoding="utf-8"))
    return [(entry["url"], REALPAGES / entry["file"], {}) for entry in manifest]


PAGES = _local_pages() + _real_pages()
# the pages of portals with a parser module (a declared source without one has no template of its own)
TEMPLATE_PAGES = [(url, path, headers) for url, path, headers in _local_pages() if path.parent.name in parser_names()]


def _page(url: str, path: Path, headers: dict) -> Page:
    return Page(url, path.read_bytes(), headers)


@pytest.mark.parametrize(("url", "path", "headers"), PAGES, ids=[p.name for _, p, _ in PAGES])
def test_the_reader_finds_nothing_where_may_find_says_it_cannot(url: str, path: Path, headers: dict) -> None:
    page = _page(url, path, headers)
    reading = read_page(page)
    if reading is None:
        return  # nothing to lose
    found = {"authors": reading.authors, "editor": reading.editor, "reviewer": reading.reviewer,
             "time": reading.date_has_time}
    for name in GATED:
        if not may_find(page, [name]):
            assert not found[name], f"{path.name}: the reader found {name} {found[name]!r} where may_find said no"


def test_may_find_rules_out_fields_on_many_pages() -> None:
    """The gate is not vacuous: on the pages at hand it rules out the byline fields often."""
    ruled_out = {name: 0 for name in GATED}
    for url, path, headers in PAGES:
        page = _page(url, path, headers)
        for name in GATED:
            ruled_out[name] += not may_find(page, [name])
    assert len(PAGES) >= 20
    assert ruled_out["editor"] >= 3 and ruled_out["reviewer"] >= 3 and ruled_out["authors"] >= 3, ruled_out
    assert not any(may_find(_page(*PAGES[0]), [name]) is not True for name in ("published_at", "source"))


@pytest.mark.parametrize(("url", "path", "headers"), TEMPLATE_PAGES, ids=[p.name for _, p, _ in TEMPLATE_PAGES])
def test_a_template_page_reads_the_same_compared_or_not(url: str, path: Path, headers: dict) -> None:
    """Off the sample, the reader runs only where it may add something: the article is the same."""
    parser = get_parser(path.parent.name)
    plain = parser.parse(_page(url, path, headers), compare=False)
    full = parser.parse(_page(url, path, headers), compare=True)
    checks = set(full.extraction_checks) - {"compared"}
    assert set(plain.extraction_checks) == {c for c in checks if not c.startswith("disagree/")}
    assert {**vars(plain), "extraction_checks": None} == {**vars(full), "extraction_checks": None}


def test_reader_needed_on_a_title_the_head_does_not_name_and_on_a_missing_field() -> None:
    html = """<html><head><meta charset="utf-8"><title>聊城农村公路建设提速_聊城新闻网</title></head><body>
<h1>聊城农村公路建设提速</h1><p>编辑:李明</p></body></html>"""
    page = Page("https://example.org/a.html", html.encode("utf-8"), {})
    full = {"title": "聊城农村公路建设提速", "published_at": None, "source": "聊城日报", "authors": ["王磊"],
            "editor": "李明", "reviewer": "刘飞"}
    assert reader_needed(full, page)  # no date: the reader may find one (the URL, the text)
    full["published_at"] = datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI)
    assert not reader_needed(full, page)
    assert reader_needed({**full, "title": "热点推荐"}, page)  # the head does not name it
    assert reader_needed({**full, "editor": None}, page)  # 编辑: is on the page
    assert not reader_needed({**full, "reviewer": None}, page)  # no 审核 label anywhere
    assert not reader_needed({**full, "published_at": datetime(2026, 3, 2, tzinfo=SHANGHAI)}, page)  # no time on it
