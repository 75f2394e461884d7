"""Dedupe and story clustering, the database-free part: URLs, keys, sketches and decision rules.

* :mod:`.urls` — :func:`canonical_url`, the identity key of an article row.
* :mod:`.sketch` — :func:`fingerprint` (exact copies) and :func:`article_sketch` (passage and title keys
  that find copies of any length, shingles that confirm them).
* :mod:`.rules` — the same-story decision between two sketches and the canonical-copy rules.

Placement in PostgreSQL (candidates, merges, redirects, canonical copies) is
:mod:`liaocheng_news.db.stories`.
"""

from liaocheng_news.dedupe.rules import same_story
from liaocheng_news.dedupe.sketch import Sketch, article_sketch, fingerprint
from liaocheng_news.dedupe.urls import canonical_url

__all__ = ["Sketch", "article_sketch", "canonical_url", "fingerprint", "same_story"]
