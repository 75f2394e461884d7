"""Validation before and after normalisation: counted, logged drops, never a traceback."""

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem

from liaocheng_news.pipelines.normalise import NormalisePipeline
from liaocheng_news.pipelines.validate import ValidatePipeline
from tests.helpers import article, project_crawler


class Dummy(Spider):
    name = "lcxw"


def chain(item):
    crawler = project_crawler(Dummy)
    for pipeline in (ValidatePipeline.from_crawler(crawler), NormalisePipeline.from_crawler(crawler)):
        try:
            item = pipeline.process_item(item)
        except DropItem:
            return None, crawler.stats
    return item, crawler.stats


@pytest.mark.parametrize("change, reason", [
    ({"url": ""}, "missing_url"),
    ({"title": "  "}, "missing_title"),
    ({"body": ["", "  "]}, "missing_body"),
    ({"title": "\u200b\u200b"}, "empty_title_after_normalisation"),
    ({"title": "开云体育"}, "empty_title_after_normalisation"),
    ({"title": "聊城新闻", "body": ["聊城新闻", "　"]}, "empty_body_after_normalisation"),
])
def test_items_without_content_are_dropped_with_a_counted_reason(change, reason):
    item = article()
    for key, value in change.items():
        setattr(item, key, value)
    result, stats = chain(item)
    assert result is None
    assert stats.get_value(f"items_dropped/{reason}") == 1 and stats.get_value("items_dropped") == 1


def test_a_missing_date_is_counted_not_dropped():
    result, stats = chain(article(published_at=None))
    assert result is not None and result.published_at is None
    assert stats.get_value("items_missing_date") == 1


def test_a_mirror_copy_is_repaired_and_says_so():
    result, _ = chain(article(title="產(chǎn)業(yè)鏈(liàn)發(fā)展", body=["聊城發(fā)展產(chǎn)業(yè)。"]))
    assert (result.title, result.body) == ("产业链发展", ["聊城发展产业。"])
    assert result.normalisation["converted_from_traditional"] > 0 and result.normalisation["annotations_removed"] == 7


def test_how_each_article_was_read_is_counted():
    _, stats = chain(article(template="lcxw/current", extraction_checks=["compared", "disagree/source", "filled/time"]))
    assert stats.get_value("extraction/template/lcxw/current") == 1
    assert [stats.get_value(f"extraction/check/{c}") for c in ("compared", "disagree/source", "filled/time")] == [1, 1, 1]
    _, stats = chain(article(template=None, extraction="import"))
    assert not any(key.startswith("extraction/") for key in stats.get_stats())
