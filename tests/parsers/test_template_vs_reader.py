"""Every reconstructed article fixture read twice, by its portal's template and by the reader, with
a report of where they disagree.

The report is printed (a table per fixture that differs) whatever the outcome.  What fails:

1. a fixture no template reads (``extraction`` is not ``portal``): the template broke;
2. a fixture the reader finds no article on: the fallback would drop the page;
3. title (compared as :func:`~liaocheng_news.parsers.headline.title_key`) or day of
   publication that differ, or bodies that share less than 80% of their characters: one of the
   two regressed (the fixture's expected JSON says which);
4. a check on a fixture that says the template misread it (``title_not_in_head``,
   ``disagree/…``).

Differences reported and allowed: the source (a template knows its portal: lcrb's edition comes
from the URL), the time of day, authors, editor, reviewer (the reader may find more) and images.
"""

from __future__ import annotations

import pytest

from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.crosscheck import body_overlap
from liaocheng_news.parsers.headline import title_key
from liaocheng_news.parsers.reader import read_page
from tests.parsers.test_fixtures import ARTICLES, Fixture

# a source declared without a template is read by the reader alone: nothing to compare
ARTICLES = [f for f in ARTICLES if get_parser(f.portal).versions]

BODY_AGREEMENT = 0.8
REPORTED = ("title", "published_at", "source", "authors", "editor", "reviewer")


def _compare(fixture: Fixture) -> tuple[list[str], list[str]]:
    """(report lines, failures) for one fixture."""
    article = get_parser(fixture.portal).parse(fixture.page(), compare=True)
    reading = read_page(fixture.page())
    lines: list[str] = []
    failures: list[str] = []
    name = f"{fixture.portal}/{fixture.slug}"
    if article.extraction != "portal":
        failures.append(f"{name}: read by {article.template}, not by a template of {fixture.portal}")
    misread = [c for c in article.extraction_checks if c == "title_not_in_head" or c.startswith("disagree/")]
    if misread:
        failures.append(f"{name}: the cross-check says {misread}")
    if reading is None or not reading.title or not reading.body:
        failures.append(f"{name}: the reader finds no article")
        return [f"{name} [{article.template}]: reader found nothing"], failures
    for key in REPORTED:
        mine, theirs = getattr(article, key), getattr(reading, key)
        if mine != theirs:
            lines.append(f"    {key:<13} template {mine!r}\n    {'':<13} reader   {theirs!r}")
    overlap = body_overlap(article.body, reading.body)
    if overlap < 1.0:
        lines.append(f"    {'body':<13} {overlap:.0%} shared ({len(article.body)} / {len(reading.body)} paragraphs)")
    if [i.url for i in article.images] != [i.url for i in reading.images]:
        lines.append(f"    {'images':<13} template {len(article.images)}, reader {len(reading.images)}")
    if title_key(article.title) != title_key(reading.title):
        failures.append(f"{name}: titles differ")
    if (article.published_at is None) != (reading.published_at is None) or (
            article.published_at and article.published_at.date() != reading.published_at.date()):
        failures.append(f"{name}: days of publication differ")
    if overlap < BODY_AGREEMENT:
        failures.append(f"{name}: bodies share {overlap:.0%} of their characters")
    header = f"{name} [{article.template}{', checks: ' + ', '.join(article.extraction_checks) if article.extraction_checks else ''}]"
    return ([header, *lines] if lines else []), failures


@pytest.fixture(scope="module")
def comparisons() -> dict[str, tuple[list[str], list[str]]]:
    return {f"{f.portal}/{f.slug}": _compare(f) for f in ARTICLES}


def test_report_where_template_and_reader_disagree(comparisons, capsys) -> None:
    report = [line for lines, _ in comparisons.values() for line in lines]
    agree = sum(1 for lines, _ in comparisons.values() if not lines)
    with capsys.disabled():
        print(f"\n\ntemplate vs reader on {len(comparisons)} article fixtures: {agree} agree on every field")
        print("\n".join(report) if report else "    (no differences)")
    assert len(comparisons) >= 20  # every portal's article fixtures were read


@pytest.mark.parametrize("fixture", ARTICLES, ids=[f"{f.portal}/{f.slug}" for f in ARTICLES])
def test_template_and_reader_agree_where_it_matters(comparisons, fixture: Fixture) -> None:
    _, failures = comparisons[f"{fixture.portal}/{fixture.slug}"]
    assert not failures, "\n".join(failures)
