"""Sends text dumps through the same pipelines as a crawl.

``-a paths=a.txt,folder`` imports files and folders; with no paths, the seed corpus packaged
with liaocheng_news (read through importlib.resources, so it works from a scrapyd egg too),
whose articles get stable URLs ``file:///liaocheng_news/seeds/<name>`` on every machine.
"""

from __future__ import annotations

import logging
from importlib import resources

import scrapy

from liaocheng_news.counts import count_drop

logger = logging.getLogger(__name__)

PACKAGED_SEED_URL = "file:///liaocheng_news/seeds/{name}"


def packaged_seeds():
    """(url, bytes) of the seed dumps shipped inside the package, in name order."""
    folder = resources.files("liaocheng_news").joinpath("seeds")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            yield PACKAGED_SEED_URL.format(name=entry.name), entry.read_bytes()


class SeedImportSpider(scrapy.Spider):
    name = "import"
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def __init__(self, paths: str | list[str] = "", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paths = [p for p in (paths.split(",") if isinstance(paths, str) else paths) if p]

    def dumps(self):
        from liaocheng_news.importer import iter_dump_files

        if not self.paths:
            yield from packaged_seeds()
            return
        for path in iter_dump_files(self.paths):
            yield path.resolve().as_uri(), path.read_bytes()

    async def start(self):
        # imported here: the spider list loads this module for every crawl, the importer (and its
        # normaliser) only an import needs
        from liaocheng_news.importer import decode_dump, parse_dump

        stats = self.crawler.stats
        for url, data in self.dumps():
            stats.inc_value("import/files")
            try:
                article = parse_dump(decode_dump(data, url), url)
            except ValueError as exc:
                count_drop(stats, "unreadable_dump", url, str(exc))
                continue
            yield article
