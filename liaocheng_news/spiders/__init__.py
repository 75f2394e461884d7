"""Spiders: one per declared source (named as the source), generated from its declaration
(spiders.declared, on spiders.source and spiders.epaper) unless a module of its own here
(achie) writes it, all on the shared base in spiders.base."""

from __future__ import annotations


def portal_spiders(loader=None) -> dict[str, type]:
    """name -> class of every source's spider (not the seed import) that a Scrapy spider loader
    knows, in the order the sources are declared; without a loader, one of the project's
    settings is made (build it once per process)."""
    from liaocheng_news.portals import PORTALS

    if loader is None:
        from scrapy.spiderloader import SpiderLoader
        from scrapy.utils.project import get_project_settings

        loader = SpiderLoader.from_settings(get_project_settings())
    known = set(loader.list())
    return {name: loader.load(name) for name in PORTALS if name in known}
