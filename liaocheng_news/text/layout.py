"""Page debris in article bodies: print-layout breaks, repeated titles, odd whitespace.

Newspaper pages broken into web paragraphs split sentences at column ends (seed 003:
``…诚实守信的人文环`` / ``境，高新区倡树…``).  Joining must not swallow real boundaries: a
heading (``产业发展提质增效``) also ends without punctuation, and a photo caption may sit
between the two halves of a broken sentence.  So a break is joined only when both sides say
so (see :func:`is_broken_break`); anything doubtful stays as it was.
"""

from __future__ import annotations

import re
import unicodedata

_ONE_CHAR_CLAUSE = re.compile(r"^\w[，、；。！？,;]")  # 境，… : no paragraph opens on a one-character clause
_SENTENCE_INSIDE = re.compile(r"[。！？!?]")
_CLAUSE_INSIDE = re.compile(r"[，,；;]")
_PROSE_MIN = 40  # a line this long with a clause break inside is prose, not a heading or a title
_CONTINUATION_MIN = 40  # the tail of a broken print paragraph is a paragraph's worth, not a caption


def is_broken_break(before: str, after: str) -> bool:
    """Whether the break between two paragraphs is a print-layout break inside a sentence.

    Both conditions must hold: ``before`` ends on a character (no closing punctuation, quote or
    bracket) and ``after`` starts on one; and either ``after`` opens on a one-character clause
    (``境，…``: the rest of a word cut at a column end), or ``before`` is prose (it holds a full
    stop somewhere, or is long and holds a clause break — headings and bylines do neither) and
    ``after`` is a paragraph's worth of text (captions between the halves of a cut sentence are
    short).
    """
    if not (before and after and before[-1].isalnum() and after[0].isalnum()):
        return False
    if _ONE_CHAR_CLAUSE.match(after):
        return True
    prose = bool(_SENTENCE_INSIDE.search(before)) or (
        len(before) >= _PROSE_MIN and bool(_CLAUSE_INSIDE.search(before)))
    return prose and len(after) >= _CONTINUATION_MIN


def join_broken(paragraphs: list[str]) -> tuple[list[str], int]:
    """Paragraphs with print-layout breaks joined back, and how many joins were made."""
    out: list[str] = []
    joins = 0
    for paragraph in paragraphs:
        if out and is_broken_break(out[-1], paragraph):
            out[-1] += paragraph
            joins += 1
        else:
            out.append(paragraph)
    return out, joins


def comparison_key(text: str) -> str:
    """What two renderings of one title share: NFKC width folding, no whitespace, case folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()
