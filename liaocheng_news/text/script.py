"""Traditional → Simplified conversion with OpenCC, done only where it can change something.

opencc-python-reimplemented runs at roughly half a megabyte a second, so the normaliser must
not hand it text it would return unchanged.  This module derives, from the very dictionaries
OpenCC's ``t2s`` conversion uses, the set of characters that conversion can change
(:data:`TRADITIONAL_CHARS`).  Text holding none of them is returned as is; text holding some
is cut at OpenCC's own separators (OpenCC never matches a dictionary entry across one) and
only the pieces that hold a Traditional character are converted.  The result is identical to
``OpenCC('t2s').convert(text)``.
"""

from __future__ import annotations

import io
import os
import re
from functools import cache, lru_cache

import opencc

_CONVERTER = opencc.OpenCC("t2s")
_DICTIONARIES = ("TSPhrases.txt", "TSCharacters.txt")  # the t2s chain (opencc/config/t2s.json)

# OpenCC splits its input on these before looking anything up (opencc.OpenCC.split_chars_re),
# so converting the runs between them one by one gives exactly what converting the whole does.
def _run_pattern() -> re.Pattern[str]:
    """Runs of text between OpenCC separators: ``\\s+`` or one of a list of single characters."""
    alternatives = _CONVERTER.split_chars_re.pattern[1:-1].split("|")
    singles = [a.removeprefix("\\") for a in alternatives if a != r"\s+"]
    assert all(len(c) == 1 for c in singles), alternatives
    return re.compile("[^\\s" + "".join(re.escape(c) for c in singles) + "]+")


_RUN_RE = _run_pattern()


def _load(name: str) -> dict[str, list[str]]:
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", name)
    table: dict[str, list[str]] = {}
    with io.open(path, encoding="utf-8") as lines:
        for line in lines:
            key, value = line.rstrip("\n").split("\t")
            table[key] = value.split(" ")
    return table


@cache
def _tables() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    return _load(_DICTIONARIES[0]), _load(_DICTIONARIES[1])


def _changeable() -> frozenset[str]:
    """Characters whose presence is needed for t2s to change anything.

    That is every character the character table rewrites (OpenCC takes an entry's first value),
    plus the differing characters of the few phrase entries made only of characters the
    character table leaves alone (反覆 → 反复, 沈默 → 沉默).  A phrase entry that holds a
    character-table character needs nothing more: that character already marks the text.
    """
    phrases, characters = _tables()
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
    values = _tables()[1].get(char, ())
    return (char, *(v for v in values if v != char))


def _convert_run(match: re.Match[str]) -> str:
    run = match.group()
    return _CONVERTER.convert(run) if has_traditional(run) else run


def to_simplified(text: str) -> tuple[str, int]:
    """``(t2s(text), number of characters changed)``; costs one regex scan when nothing is Traditional."""
    if not has_traditional(text):
        return text, 0
    converted = _RUN_RE.sub(_convert_run, text)
    if len(converted) == len(text):
        changed = sum(map(str.__ne__, text, converted))
    else:  # a phrase entry of another length (none in the shipped tables): count what was Traditional
        changed = sum(c in TRADITIONAL_CHARS for c in text)
    return converted, changed


def opencc_t2s(text: str) -> str:
    """Bare OpenCC, for tests and the benchmark's baseline."""
    return _CONVERTER.convert(text)
