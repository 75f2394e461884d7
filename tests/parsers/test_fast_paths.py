"""The parsers' fast paths give what their definitions give, on every fixture and real page."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from liaocheng_news.parsers.base import Page
from liaocheng_news.parsers.html import node_text

ROOT = Path(__file__).resolve().parents[2]
REAL_PAGES = Path("/work/shared/realpages/pages")


def _pages() -> list[Page]:
    files = sorted([*ROOT.glob("tests/fixtures/*/*.html"), *REAL_PAGES.glob("*.html")])
    pages = []
    for path in files:
        page = Page(f"https://example.cn/{path.parent.name}/{path.name}", path.read_bytes())
        try:
            _ = page.selector
        except Exception:  # an undecodable fixture (a DecodeError test page)
            continue
        pages.append(page)
    return pages


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    found = _pages()
    assert len(found) > 50
    return found


# node_text's definition: the text nodes outside any script or style, in document order
_DEFINED = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False)


def test_node_text_reads_the_text_nodes_outside_scripts_and_styles(pages) -> None:
    from liaocheng_news.text.fields import clean_space

    checked = with_script = 0
    for page in pages:
        root = page.selector.root
        if isinstance(root, str):
            continue
        for element in root.iter(etree.Element):
            if not isinstance(element.tag, str) or element.tag in ("script", "style"):
                continue
            for sep in ("", " "):
                assert node_text(element, sep) == clean_space(sep.join(_DEFINED(element))), (page.url, element.tag)
            checked += 1
            with_script += element.find(".//script") is not None
    assert checked > 10_000 and with_script > 500  # both paths are exercised
