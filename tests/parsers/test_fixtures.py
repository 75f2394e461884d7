"""Every source's parser over every stored page of its fixture folder, field by field.

Every built-in source declared in liaocheng_news.portals is here, by its name: a new declaration
with a fixture folder is tested with no change to this file.

Fixture layout (tests/fixtures/<portal>/): ``<slug>.html`` raw bytes as served,
``<slug>.meta.json`` (url, kind, fetched_at, status, headers, provenance) and
``<slug>.expected.json`` (article fields, or ``{"links", "next_page"}`` for a list page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from liaocheng_news.items import Article
from liaocheng_news.parsers import Page, get_parser, parser_names
from liaocheng_news.portals import BUILT_IN

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the built-in sources that are crawled: each has a parser (a module of its own, or its declaration's)
PARSED_PORTALS = [name for name, source in BUILT_IN.items() if source.crawled]
ARTICLE_FIELDS = (
    "url", "portal", "channel", "title", "subtitle", "published_at", "source", "authors", "editor",
    "reviewer", "body", "images", "edition", "page_no", "page_name", "extraction", "template",
)


@dataclass(frozen=True)
class Fixture:
    portal: str
    slug: str
    meta: dict[str, Any]
    expected: dict[str, Any]

    @property
    def html_path(self) -> Path:
        return FIXTURES / self.portal / f"{self.slug}.html"

    def page(self) -> Page:
        return Page(self.meta["url"], self.html_path.read_bytes(), self.meta.get("headers") or {}, self.meta.get("status", 200))


def load_fixtures(portal: str) -> list[Fixture]:
    folder = FIXTURES / portal
    fixtures = []
    for meta_path in sorted(folder.glob("*.meta.json")):
        slug = meta_path.name.removesuffix(".meta.json")
        expected_path = folder / f"{slug}.expected.json"
        fixtures.append(
            Fixture(
                portal,
                slug,
                json.loads(meta_path.read_text(encoding="utf-8")),
                json.loads(expected_path.read_text(encoding="utf-8")) if expected_path.exists() else {},
            )
        )
    return fixtures


ALL = [fixture for portal in PARSED_PORTALS for fixture in load_fixtures(portal)]
ARTICLES = [f for f in ALL if f.meta["kind"] == "article"]
LISTS = [f for f in ALL if f.meta["kind"] == "list"]


def as_json(article: Article) -> dict[str, Any]:
    """The parser's output in the expected-JSON form (ISO dates, images as dicts)."""
    data = article.to_dict()
    data["published_at"] = article.published_at.isoformat() if article.published_at else None
    return {key: data[key] for key in ARTICLE_FIELDS}


def test_portals_with_parsers_are_found() -> None:
    assert {"lcxw", "yybnet", "linqing_gov", "qlwb_liaocheng"} <= set(PARSED_PORTALS)
    assert set(parser_names()) <= set(PARSED_PORTALS)  # every parser module is a declared source's


def test_every_fixture_folder_is_a_declared_source() -> None:
    folders = {path.name for path in FIXTURES.iterdir() if path.is_dir()}
    assert folders == set(PARSED_PORTALS)


@pytest.mark.parametrize("fixture", ARTICLES, ids=[f"{f.portal}/{f.slug}" for f in ARTICLES])
def test_parser_output_matches_expected_fields(fixture: Fixture) -> None:
    article = get_parser(fixture.portal).parse(fixture.page())
    actual = as_json(article)
    assert fixture.expected, f"{fixture.portal}/{fixture.slug}: no expected JSON"
    mismatches = [
        f"{fixture.portal}/{fixture.slug} field {key!r}:\n  expected {fixture.expected[key]!r}\n  actual   {actual.get(key)!r}"
        for key in fixture.expected
        if actual.get(key) != fixture.expected[key]
    ]
    assert not mismatches, "\n".join(mismatches)
    missing = [key for key in ARTICLE_FIELDS if key not in fixture.expected]
    assert not missing, f"{fixture.portal}/{fixture.slug}: expected JSON lacks {missing}"


@pytest.mark.parametrize("fixture", LISTS, ids=[f"{f.portal}/{f.slug}" for f in LISTS])
def test_list_pages_link_the_expected_articles(fixture: Fixture) -> None:
    listing = get_parser(fixture.portal).parse_list(fixture.page())
    assert listing.links == fixture.expected["links"], f"{fixture.portal}/{fixture.slug} field 'links'"
    assert listing.next_page == fixture.expected["next_page"], f"{fixture.portal}/{fixture.slug} field 'next_page'"


@pytest.mark.parametrize("portal", PARSED_PORTALS)
def test_every_parsed_portal_has_a_list_and_three_articles(portal: str) -> None:
    fixtures = load_fixtures(portal)
    kinds = [f.meta["kind"] for f in fixtures]
    assert kinds.count("list") >= 1, f"{portal}: no list fixture in tests/fixtures/{portal}/"
    assert kinds.count("article") >= 3, f"{portal}: {kinds.count('article')} article fixtures, need at least 3"


@pytest.mark.parametrize("portal", PARSED_PORTALS)
def test_list_fixtures_reach_every_article_fixture(portal: str) -> None:
    """A replay crawl starting from the recorded lists must be able to reach every article."""
    fixtures = load_fixtures(portal)
    linked = {url for f in fixtures if f.meta["kind"] == "list" for url in f.expected["links"]}
    articles = {f.meta["url"] for f in fixtures if f.meta["kind"] == "article"}
    assert articles <= linked, f"{portal}: articles no list links: {sorted(articles - linked)}"


@pytest.mark.parametrize("fixture", ALL, ids=[f"{f.portal}/{f.slug}" for f in ALL])
def test_fixture_metadata_is_complete(fixture: Fixture) -> None:
    meta = fixture.meta
    assert fixture.html_path.exists()
    assert meta["kind"] in ("article", "list")
    assert meta["status"] == 200 and "Content-Type" in meta["headers"]
    assert meta["fetched_at"][:4].isdigit()
    provenance = meta["provenance"]
    assert isinstance(provenance["recorded"], bool) and provenance["method"] and provenance["evidence"]
    parser = get_parser(fixture.portal)
    if meta["kind"] == "article":
        assert parser.is_article_url(meta["url"]), f"{fixture.portal}/{fixture.slug}: URL breaks the known scheme"
        assert fixture.expected["url"] == meta["url"]
