"""OpenCC's ``t2s`` conversion, with output identical to ``OpenCC('t2s').convert``, several times faster.

Built on opencc-python-reimplemented's own configuration and dictionaries.  What its ``convert``
does with the ``t2s`` chain (``opencc/config/t2s.json``: one group, TSPhrases then TSCharacters;
``opencc/opencc.py``):

1. the text is split at separators (``split_chars_re``) and every piece is converted alone;
2. in a piece, the longest phrase key found anywhere (the leftmost of equally long ones) is
   replaced by its value's first variant, and the pieces left and right of it are treated the
   same way, each on its own (``StringTree.create_parse_tree``, ``__findMatch``);
3. every character outside a replaced phrase is then mapped by the character table (first
   variant); the character table's keys are single characters, so this is a per-character map.

Here, a phrase key holding a separator can never match (OpenCC never sees one inside a piece), so
it is left out; then no match can cross a separator, and the split in step 1 changes nothing.
Step 2 picks the same phrases as taking every phrase occurrence in the text in order — longer
first, then leftmost — and keeping each that overlaps none kept before.  Occurrences are looked
for only where a key's first character stands (one regex scan; most text has none), and step 3
is one ``str.translate`` per stretch between kept phrases.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import opencc

__all__ = ["convert", "opencc_t2s", "tables"]

_PACKAGE = Path(opencc.__file__).parent


def _chain() -> tuple[str, str]:
    """The file names of t2s's phrase and character dictionaries, read from OpenCC's config."""
    config = json.loads((_PACKAGE / "config" / "t2s.json").read_text(encoding="utf-8"))
    (step,) = config["conversion_chain"]  # one step: a group tried phrase table first
    group = step["dict"]
    if group.get("type") != "group" or [d.get("type") for d in group["dicts"]] != ["txt", "txt"]:
        raise RuntimeError(f"opencc t2s config is not one group of two txt dictionaries: {config!r}")
    phrases, characters = (d["file"] for d in group["dicts"])
    return phrases, characters


def _load(name: str) -> dict[str, list[str]]:
    """A dictionary file parsed as OpenCC parses it: ``key<TAB>variant variant...``, later lines win."""
    table: dict[str, list[str]] = {}
    with open(_PACKAGE / "dictionary" / name, encoding="utf-8") as lines:
        for line in lines:
            key, value = line.strip().split("\t")
            table[key] = value.split(" ")
    return table


@cache
def tables() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """t2s's phrase and character tables, every variant of each value (OpenCC uses the first)."""
    phrases, characters = _chain()
    return _load(phrases), _load(characters)


_IDENTITY_BLOCKS = (
    (0x0000, 0x036F),  # ASCII, Latin-1, Latin Extended-A/B, IPA, combining marks (pinyin)
    (0x2000, 0x206F),  # general punctuation
    (0x2460, 0x25FF),  # enclosed alphanumerics, box drawing, blocks, geometric shapes
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)


def _build() -> tuple[dict[str, str], dict[int, str | int], dict[str, tuple[int, ...]], re.Pattern[str]]:
    phrase_table, character_table = tables()
    separator = opencc.OpenCC().split_chars_re  # no conversion given: loads no dictionary
    # OpenCC takes a match only when the value's first variant is not empty (``if (value):``)
    phrases = {k: v[0] for k, v in phrase_table.items() if v[0] and not separator.search(k)}
    if any(len(key) != 1 for key in character_table):
        raise RuntimeError("opencc t2s character table has a key longer than one character")
    characters: dict[int, str | int] = {ord(k): v[0] for k, v in character_table.items() if v[0] and v[0] != k}
    # str.translate raises and clears a KeyError inside for every character its table lacks,
    # which costs more than the lookup: the blocks Chinese text is made of map to themselves.
    for first, last in _IDENTITY_BLOCKS:
        for code in range(first, last + 1):
            characters.setdefault(code, code)
    lengths: dict[str, set[int]] = {}
    for key in phrases:
        lengths.setdefault(key[0], set()).add(len(key))
    by_first = {first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()}
    starts = re.compile("[" + "".join(re.escape(c) for c in sorted(by_first)) + "]")
    return phrases, characters, by_first, starts


_PHRASES, _CHARACTERS, _LENGTHS_BY_FIRST, _PHRASE_START_RE = _build()


def convert(text: str) -> str:
    """``OpenCC('t2s').convert(text)``, the same output for every input."""
    phrases = _PHRASES
    size = len(text)
    found: list[tuple[int, int]] = []  # (-length, start): the order OpenCC tries phrases in
    for match in _PHRASE_START_RE.finditer(text):
        start = match.start()
        for length in _LENGTHS_BY_FIRST[match.group()]:
            # a slice past the end is shorter than asked for, and could be another key
            if start + length <= size and text[start : start + length] in phrases:
                found.append((-length, start))
    if not found:
        return text.translate(_CHARACTERS)
    found.sort()
    kept: list[tuple[int, int]] = []
    taken = bytearray(size)
    for negative, start in found:
        end = start - negative
        if taken.find(1, start, end) == -1:
            taken[start:end] = b"\x01" * (end - start)
            kept.append((start, end))
    kept.sort()
    out: list[str] = []
    position = 0
    for start, end in kept:
        out.append(text[position:start].translate(_CHARACTERS))
        out.append(phrases[text[start:end]])
        position = end
    out.append(text[position:].translate(_CHARACTERS))
    return "".join(out)


@cache
def _opencc() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def opencc_t2s(text: str) -> str:
    """Bare ``OpenCC('t2s').convert``: the reference for tests and the benchmark's baseline."""
    return _opencc().convert(text)
