"""Portal parsers: a module per portal with templates of its own, named as the portal
(``parsers/lcxw.py`` -> ``lcxw``), and the generic parser of every other declared source.

``get_parser("lcxw")`` imports ``liaocheng_news.parsers.lcxw`` and returns an instance of the
module's :class:`~liaocheng_news.parsers.base.ArticleParser` subclass whose ``portal`` is that
name; ``get_parser("linqing_gov")``, a source declared without a module
(:mod:`liaocheng_news.portals`, or the operator's sources file), returns the parser its
declaration makes (:mod:`~liaocheng_news.parsers.declared`).  Either applies the source's
declaration (its channel rule: channel = county).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from liaocheng_news.parsers.base import (
    ArticleParser,
    DecodeError,
    ListPage,
    NotAnArticle,
    Page,
    ParserError,
    TemplateVersion,
)

__all__ = [
    "ArticleParser",
    "DecodeError",
    "ListPage",
    "NotAnArticle",
    "Page",
    "ParserError",
    "TemplateVersion",
    "get_parser",
    "parser_class",
    "parser_names",
]

# modules of this package that are machinery, not portals
_NOT_PORTALS = {
    "base", "body", "cms", "crosscheck", "declared", "density", "encoding", "generic", "headline", "html",
    "pagedates", "reader",
}


def parser_names() -> list[str]:
    """Names of the portals that have a parser module."""
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name not in _NOT_PORTALS and not info.name.startswith("_")
    )


def parser_class(module_name: str) -> type[ArticleParser]:
    """The ArticleParser subclass of a parser module (its ``portal`` is the module's name)."""
    if module_name in _NOT_PORTALS or module_name not in parser_names():
        raise KeyError(f"no parser module for portal {module_name!r}")
    module = importlib.import_module(f"{__name__}.{module_name}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ArticleParser) and value.portal == module_name:
            return value
    raise KeyError(f"module {module.__name__} defines no ArticleParser with portal = {module_name!r}")


@cache
def get_parser(portal_name: str) -> ArticleParser:
    """The parser of a portal (one shared, stateless instance); KeyError if it has none."""
    from liaocheng_news.parsers.declared import declared_parser, with_source
    from liaocheng_news.portals import PORTALS

    source = PORTALS.get(portal_name)
    if portal_name not in _NOT_PORTALS and portal_name in parser_names():
        cls = parser_class(portal_name)
        return with_source(cls, source) if source is not None else cls()
    if source is not None and source.crawled:
        return declared_parser(source)
    raise KeyError(f"no parser for portal {portal_name!r} (no parser module, no declaration)")
