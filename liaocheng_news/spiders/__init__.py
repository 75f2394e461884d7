"""Spiders: one per portal (named as the portal), on the shared base in spiders.base."""

from __future__ import annotations


def portal_spiders(loader=None) -> dict[str, type]:
    """name -> class of every portal spider (not the seed import) that a Scrapy spider loader
    knows; without one, a loader of the project's settings is made (build it once per process)."""
    from liaocheng_news.portals import PORTALS

    if loader is None:
        from scrapy.spiderloader import SpiderLoader
        from scrapy.utils.project import get_project_settings

        loader = SpiderLoader.from_settings(get_project_settings())
    return {name: loader.load(name) for name in loader.list() if name in PORTALS}
