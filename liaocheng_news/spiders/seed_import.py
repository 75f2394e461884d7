"""Sends text dumps (files or folders) through the same pipelines as a crawl."""

from __future__ import annotations

import logging

import scrapy

from liaocheng_news.importer import iter_dump_files, parse_dump, read_text

logger = logging.getLogger(__name__)


class SeedImportSpider(scrapy.Spider):
    name = "import"
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def __init__(self, paths: str | list[str] = "", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paths = paths.split(",") if isinstance(paths, str) else list(paths)

    async def start(self):
        for path in iter_dump_files(self.paths):
            self.crawler.stats.inc_value("import/files")
            try:
                article = parse_dump(read_text(path), path.resolve().as_uri())
            except (OSError, ValueError) as exc:
                self.crawler.stats.inc_value("items_dropped")
                self.crawler.stats.inc_value("items_dropped/unreadable_dump")
                logger.warning("dropped (unreadable_dump): %s — %s", path, exc)
                continue
            yield article
