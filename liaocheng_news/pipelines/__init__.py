"""Item pipelines, in order: validate → normalise → dedupe → store (see settings.ITEM_PIPELINES)."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from liaocheng_news.counts import count_drop


def drop(crawler, reason: str, item, detail: str = "") -> DropItem:
    """Count a dropped item by reason, log it, and return the DropItem to raise."""
    return DropItem(count_drop(crawler.stats, reason, getattr(item, "url", None), detail))
