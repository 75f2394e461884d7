"""Recognising inline pinyin and Traditional-form annotations by reading them.

Content farms annotate characters and words with their pinyin (``產(chǎn)``, ``感慨(gǎnkǎi)``,
``的(de)(de)``), sometimes with a tag (``城(拼音:chéng)``, ``积《繁:積》``).  A bracket is an
annotation when it is tagged, or when its content, read as toneless pinyin, spells the
characters just before it with one of each character's readings.  Nothing is removed on shape
alone: ``(AI)``, ``(Liaocheng University)`` or ``(tóuzī)`` after characters that do not read
``touzi`` stay.

Readings come from pypinyin's heteronym table for the character *and* for each Simplified form
the OpenCC character table offers for it, so the reading is that of the Simplified text even
when the annotation is checked before conversion (which is cheaper: the annotations are gone
before the text is converted).  As a fallback for readings only pypinyin's phrase table knows,
the Simplified window before the bracket is read as a phrase.  A character's readings are looked
up in pypinyin once per process (:func:`readings` is cached), and so is each bracket's verdict
for the characters before it (``_reads``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from liaocheng_news.text.script import simplified_candidates, to_simplified

OPENERS = "(（[［【《{｛〔〈〖"
CLOSERS = ")）]］】》}｝〕〉〗"
_TONED = "āáǎàēéěèêếềīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
_PINYIN_CHARS = "a-z" + _TONED + "\u0300-\u036f'’·\\- "
# Tags the farms put before a pinyin or Traditional annotation: 拼音: pinyin: 繁: 繁体: 繁體:
_TAG = r"(?:拼音|pinyin|繁體|繁体|繁)\s*[:：]"

ANNOTATION_CANDIDATE = re.compile(
    f"[{re.escape(OPENERS)}]"
    rf"(?:(?P<tagged>{_TAG}[^{re.escape(OPENERS + CLOSERS)}\n]{{0,24}}?)"
    f"|(?P<pinyin>[{_PINYIN_CHARS}]{{1,72}}?))"
    f"[{re.escape(CLOSERS)}]"
)
"""One bracket, any of the bracket kinds (pairs may be mixed), holding a tagged annotation or
lower-case pinyin.  Upper-case Latin is never pinyin here: abbreviations and names stay."""

HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_CONTEXT = 8  # Han characters before a bracket that pypinyin's phrase table sees
_HAN_TAIL_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")

# Tone-marked letters → toneless; ü in any form → v (pypinyin's toneless spelling); separators dropped.
_FOLD = {ord(c): unicodedata.normalize("NFD", c)[0] for c in _TONED}
_FOLD.update({ord(c): "v" for c in "üǖǘǚǜ"})
_FOLD.update({ord(c): None for c in "'’·- "})
_FOLD.update({cp: None for cp in range(0x300, 0x370)})


def fold(syllables: str) -> str:
    """Toneless, separator-free, lower-case pinyin: ``Dōng'ē xiàn`` → ``dongexian``."""
    return syllables.lower().translate(_FOLD)


def _fold_reading(reading: str) -> str:
    # pypinyin writes some readings with combining marks (ê̄, ḿ); fold them and spell ê as e.
    return fold(unicodedata.normalize("NFC", reading)).replace("ê", "e")


@lru_cache(maxsize=None)
def readings(char: str) -> frozenset[str]:
    """Every toneless reading of a Han character and of its Simplified forms (u/v spellings both)."""
    from pypinyin import Style, pinyin  # imported on first use: loading its tables takes a second

    out: set[str] = set()
    for form in simplified_candidates(char):
        if not HAN_RE.match(form):
            continue
        for reading in pinyin(form, style=Style.TONE, heteronym=True)[0]:
            folded = _fold_reading(reading)
            if folded.isascii() and folded.isalpha():
                out.add(folded)
                out.add(folded.replace("v", "u"))
    return frozenset(out)


def _spells(target: str, chars: str) -> bool:
    """True if ``target`` is the readings of the last k ≥ 1 of ``chars`` run together."""
    stack = [(len(target), len(chars))]
    seen: set[tuple[int, int]] = set()  # (letters left, characters left): each state once
    while stack:
        state = stack.pop()
        end, i = state
        if end == 0:
            return True
        if i == 0 or state in seen:
            continue
        seen.add(state)
        for reading in readings(chars[i - 1]):
            if target.endswith(reading, 0, end):
                stack.append((end - len(reading), i - 1))
    return False


def _spells_in_context(target: str, chars: str) -> bool:
    """Fallback: the readings pypinyin gives the last characters in the context of those before.

    pypinyin's phrase table knows readings its per-character table lacks, and it only matches
    Simplified text, so the window before the bracket is converted first.
    """
    from pypinyin import Style, lazy_pinyin

    simplified = to_simplified(chars[-_CONTEXT:])[0]
    spelled = ""
    for reading in reversed(lazy_pinyin(simplified, style=Style.TONE)):
        spelled = _fold_reading(reading) + spelled
        if spelled == target:
            return True
        if len(spelled) >= len(target):
            return False
    return False


@lru_cache(maxsize=65536)
def _reads(target: str, chars: str) -> bool:
    return _spells(target, chars[-len(target) :]) or _spells_in_context(target, chars)


def reads(content: str, before: str) -> bool:
    """Whether bracket content ``content`` is pinyin reading the Han characters ending ``before``."""
    if not content.islower():  # also False without any letter; upper case marks names and abbreviations
        return False
    target = fold(content)
    if not target or not target.isascii() or not target.isalpha():
        return False
    tail = _HAN_TAIL_RE.search(before)
    if tail is None:
        return False
    # every syllable has at least one letter, so no more characters than letters can be read
    return _reads(target, tail.group()[-max(len(target), _CONTEXT) :])


def is_annotation(match: re.Match[str], before: str) -> bool:
    """Whether a :data:`ANNOTATION_CANDIDATE` match annotates the text ``before`` it."""
    if match.group("tagged") is not None:
        return True
    return reads(match.group("pinyin"), before[-24:])
