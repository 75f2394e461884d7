"""The run's counted drops: one place where anything that loses a page or an item says so.

Every drop is counted twice in the crawl's stats (``items_dropped`` and
``items_dropped/<reason>``, stored with the crawl run) and logged with the URL and the reason,
whoever drops it: a spider (a page that does not decode or holds no article), a pipeline (an
item without a title), the seed importer (a dump that cannot be read).
"""

from __future__ import annotations

import logging

logger = logging.getLogger("liaocheng_news.drops")


def count_drop(stats, reason: str, url: str | None, detail: str = "", level: int = logging.WARNING) -> str:
    """Count a drop by ``reason``, log it, and return the message (for a DropItem)."""
    stats.inc_value("items_dropped")
    stats.inc_value(f"items_dropped/{reason}")
    message = f"dropped ({reason}): {url or '<no url>'}{' — ' + detail if detail else ''}"
    logger.log(level, message)
    return message
