"""Dedupe and story clustering: canonical URLs, exact and near-duplicate keys, stories.

* :mod:`.urls` — :func:`canonical_url`, the identity key of an article row.
* :mod:`.sketch` — :func:`fingerprint` (exact), MinHash/LSH bands and :func:`overlap` (near).
* :mod:`.cluster` — :func:`place`, which puts a stored article into its story in PostgreSQL.
"""

from liaocheng_news.dedupe.cluster import CANONICAL_RULE, Placement, choose_canonical, lock_placement, place
from liaocheng_news.dedupe.sketch import bands, fingerprint, minhash, overlap, same_story, shingles
from liaocheng_news.dedupe.urls import canonical_url

__all__ = [
    "CANONICAL_RULE",
    "Placement",
    "bands",
    "canonical_url",
    "choose_canonical",
    "fingerprint",
    "lock_placement",
    "minhash",
    "overlap",
    "place",
    "same_story",
    "shingles",
]
