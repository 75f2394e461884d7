"""Portal parsers, one module per portal, named as the portal (``parsers/lcxw.py`` -> ``lcxw``).

``get_parser("lcxw")`` imports ``liaocheng_news.parsers.lcxw`` and returns an instance of the
module's :class:`~liaocheng_news.parsers.base.ArticleParser` subclass whose ``portal`` is that
name.  Adding a portal means adding a module; nothing else registers it.
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
    "parser_names",
]

# modules of this package that are machinery, not portals
_NOT_PORTALS = {
    "base", "body", "cms", "crosscheck", "density", "encoding", "generic", "headline", "html", "pagedates", "reader",
}


def parser_names() -> list[str]:
    """Names of the portals that have a parser module."""
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name not in _NOT_PORTALS and not info.name.startswith("_")
    )


@cache
def get_parser(portal_name: str) -> ArticleParser:
    """The parser of a portal (one shared, stateless instance); KeyError if it has none."""
    if portal_name in _NOT_PORTALS or portal_name not in parser_names():
        raise KeyError(f"no parser module for portal {portal_name!r}")
    module = importlib.import_module(f"{__name__}.{portal_name}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ArticleParser) and value.portal == portal_name:
            return value()
    raise KeyError(f"module {module.__name__} defines no ArticleParser with portal = {portal_name!r}")
