"""Dedupe and story clustering, the database-free part: URLs, keys, sketches and decision rules.

* :mod:`.urls` — :func:`canonical_url`, the identity key of an article row.
* :mod:`.sketch` — :func:`fingerprint` (exact copies) and :func:`article_sketch` (passage and title keys
  that find copies of any length, shingles that confirm them).
* :mod:`.rules` — the same-story decision between two sketches and the canonical-copy rules.

Placement in PostgreSQL (candidates, merges, redirects, canonical copies) is
:mod:`liaocheng_news.db.stories`.
"""

import importlib

__all__ = ["Sketch", "article_sketch", "canonical_url", "fingerprint", "same_story"]
_HOME = {"Sketch": "sketch", "article_sketch": "sketch", "fingerprint": "sketch", "same_story": "rules",
         "canonical_url": "urls"}


def __getattr__(name: str):
    """The names above, imported with their module on first use: a crawl that only checks list
    pages (canonical URLs) never imports the sketches' numpy."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
