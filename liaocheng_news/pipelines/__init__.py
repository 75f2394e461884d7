"""Item pipelines, in order: validate → normalise → dedupe → store (see settings.ITEM_PIPELINES)."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)


def drop(crawler, reason: str, item, detail: str = "") -> DropItem:
    """Count a dropped item by reason, log it, and return the DropItem to raise."""
    stats = crawler.stats
    stats.inc_value("items_dropped")
    stats.inc_value(f"items_dropped/{reason}")
    url = getattr(item, "url", None) or "<no url>"
    message = f"dropped ({reason}): {url}{' — ' + detail if detail else ''}"
    logger.warning(message)
    return DropItem(message)
