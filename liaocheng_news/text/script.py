"""Traditional → Simplified conversion (OpenCC t2s), done only where it can change something.

This module derives, from the very dictionaries OpenCC's ``t2s`` conversion uses, the set of
characters that conversion can change (:data:`TRADITIONAL_CHARS`).  Text holding none of them
is returned as is, after one regex scan; text holding some goes through
:func:`liaocheng_news.text.t2s.convert`, whose output is identical to
``OpenCC('t2s').convert(text)``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from liaocheng_news.text.t2s import convert, tables

def _changeable() -> frozenset[str]:
    """Characters whose presence is needed for t2s to change anything.

    That is every character the character table rewrites (OpenCC takes an entry's first value),
    plus the differing characters of the few phrase entries made only of characters the
    character table leaves alone (反覆 → 反复, 沈默 → 沉默).  A phrase entry that holds a
    character-table character needs nothing more: that character already marks the text.
    """
    phrases, characters = tables()
    out = {key for key, values in characters.items() if values[0] != key}
    for key, values in phrases.items():
        value = values[0]
        if key == value or any(k in out for k in key):
            continue
        if len(key) != len(value):
            out.update(key)
        else:
            out.update(k for k, v in zip(key, value) if k != v)
    return frozenset(out)


TRADITIONAL_CHARS: frozenset[str] = _changeable()
"""Characters OpenCC t2s may change: if a text holds none, conversion is the identity."""

# A class of BMP characters compiles to a bitmap (a few ns a character); adding the few hundred
# supplementary-plane ones would make sre test them one by one, so those are checked apart,
# and only in text that holds a supplementary-plane character at all.
TRADITIONAL_BMP = "".join(sorted(c for c in TRADITIONAL_CHARS if ord(c) <= 0xFFFF))
_TRADITIONAL_BMP_RE = re.compile("[" + TRADITIONAL_BMP + "]")
_TRADITIONAL_ASTRAL = frozenset(c for c in TRADITIONAL_CHARS if ord(c) > 0xFFFF)
_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


def has_traditional(text: str) -> bool:
    """Whether t2s could change ``text`` (one fast regex scan in the common case)."""
    if _TRADITIONAL_BMP_RE.search(text) is not None:
        return True
    return _ASTRAL_RE.search(text) is not None and not _TRADITIONAL_ASTRAL.isdisjoint(text)


@lru_cache(maxsize=None)
def simplified_candidates(char: str) -> tuple[str, ...]:
    """The character and every Simplified form the character table offers for it (乾 → 乾 干)."""
    values = tables()[1].get(char, ())
    return (char, *(v for v in values if v != char))


def to_simplified(text: str) -> tuple[str, int]:
    """``(t2s(text), number of characters changed)``; costs one regex scan when nothing is Traditional."""
    if not has_traditional(text):
        return text, 0
    converted = convert(text)
    if len(converted) == len(text):
        changed = sum(map(str.__ne__, text, converted))
    else:  # a phrase entry of another length (none in the shipped tables): count what was Traditional
        changed = sum(c in TRADITIONAL_CHARS for c in text)
    return converted, changed
