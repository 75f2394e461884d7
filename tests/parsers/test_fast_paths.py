"""The parsers' fast paths give what their definitions give, on every fixture, and on every real page
of shared/realpages where that folder exists."""

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
    assert 0 < with_script < checked  # both paths are exercised
    if REAL_PAGES.is_dir():  # with the real pages (where that folder exists), on many of each
        assert checked > 10_000 and with_script > 500


def _css_queries() -> set[str]:
    """Every CSS query of every parser: its templates' selectors, list links, next page."""
    from liaocheng_news.parsers import get_parser, parser_names
    from liaocheng_news.parsers.html import CHROME_SELECTORS
    from liaocheng_news.portals import PORTALS

    queries = set(CHROME_SELECTORS)
    names = set(parser_names()) | {name for name, source in PORTALS.items() if source.crawled}
    for name in names:
        parser = get_parser(name)
        groups = [parser.list_links, parser.next_page]
        for version in parser.versions:
            groups += [getattr(version, attribute) for attribute in (
                "anchors", "title", "subtitle", "body", "info", "byline", "breadcrumb", "print_note", "chrome")]
        queries.update(q.strip() for group in groups for q in group)
    return {q for q in queries if not q.startswith(("/", "./", "("))}


def test_css_ids_are_matched_as_the_plain_translation_matches(pages) -> None:
    from parsel.csstranslator import HTMLTranslator

    from liaocheng_news.parsers.html import _xpath_of, select

    queries = _css_queries()
    rewritten = [q for q in queries if _xpath_of(q) != HTMLTranslator().css_to_xpath(q)]
    assert len(rewritten) >= 5  # the id queries of several portals
    plain = {q: etree.XPath(HTMLTranslator().css_to_xpath(q), smart_strings=False) for q in rewritten}
    found = 0
    for page in pages:
        root = page.selector.root
        if isinstance(root, str):
            continue
        for query in rewritten:
            expected = plain[query](root)
            assert select(root, query) == expected, (page.url, query)
            found += bool(expected)
    assert found > 20  # the ids are found on pages, not only missed


def test_the_hanzi_of_a_text_are_its_unified_ideographs_in_order() -> None:
    from liaocheng_news.parsers.encoding import _hanzi
    from tests.parsers.test_base import _decodings

    texts = [*_decodings(), "a\ud800中\udfff文b", "𠀀中𪚥文" * 3000, "中" * 5000 + "x" * 9000 + "文"]
    for text in texts:
        defined = "".join(c for c in text if "\u4e00" <= c <= "\u9fff")
        assert _hanzi(text) == defined
        assert _hanzi(text, 3000) == defined[:3000]
