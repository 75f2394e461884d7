"""The same-story decision between two articles, and the rules behind the canonical copy.

Pure functions of two :class:`~liaocheng_news.dedupe.sketch.Sketch` es and the set of
*boilerplate* keys (passage or title keys that :data:`BOILERPLATE_STORIES` or more stories
share: a series' editor's note, a standard closing line, 图片新闻 as a title).  A boilerplate
sentence counts for nothing: it is left out of both texts before anything is measured, and a
boilerplate title neither finds candidates nor agrees with anything.

:func:`compare` measures, with X the smaller text (in shingles) and Y the larger:

* ``containment`` — the share of X's shingles found in Y;
* ``size_ratio`` — |X| / |Y|;
* ``spread`` — over how many paragraphs the shared text runs: on each side, the paragraphs
  holding :data:`SPREAD_MIN_SHINGLES` shared shingles, or half their shingles shared (a print
  column's fragment, a short paragraph); the smaller of the two counts (so a paragraph cut in
  two by a print column, on one side only, still counts once);
* ``covers_lead`` — X holds at least :data:`LEAD_COVERAGE` of Y's lead (its first paragraph
  of at least :data:`LEAD_MIN_SHINGLES` shingles, so a heading such as 产业发展提质增效 is skipped);
* ``titles_agree`` — equal title keys, one inside the other, or character bigrams with a Dice
  coefficient of at least 0.5; ``None`` when a title is missing or boilerplate.

:func:`decide` says the two are one story, and which rule said so, when X has at least
:data:`MIN_SHINGLES` shingles left and one of these holds:

* ``copy`` — a near-whole copy: size ratio ≥ :data:`MIN_SIZE_RATIO`, containment ≥
  :data:`COPY_THRESHOLD`, and either containment ≥ :data:`WHOLE_COPY` or spread ≥ 2 (trimmed,
  re-chromed, mirror, e-paper and lightly rewritten copies);
* ``excerpt`` — containment ≥ :data:`EXCERPT_THRESHOLD` and spread ≥ 2, whatever the size
  ratio (two or three paragraphs of a long article, Traditional+pinyin farm copies of them);
* ``lead`` — containment ≥ :data:`LEAD_THRESHOLD`, X covers Y's lead, and the titles do not
  disagree (headline plus first paragraph, as aggregators post them).

A copy that confirms several stories merges them only where :func:`bridges` says so.

Guards that follow: one shared paragraph is never enough (spread 1 needs a near-whole copy or
the lead); a brief that quotes one paragraph of a long article has spread 1 and a size ratio
far under 0.4; the same title over a different body shares no text; boilerplate counts for
nothing.  Figures and the labelled set behind the thresholds: README, "Dedupe and stories".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from liaocheng_news.dedupe.sketch import Sketch

MIN_SHINGLES = 50  # fewer shingles left in the smaller text: never the same story (≈ 54 characters)
COPY_THRESHOLD = 0.6  # containment of a near-whole copy (two copies of a short item trimmed differently: 0.62–0.72)
MIN_SIZE_RATIO = 0.4  # smaller / larger text at or above this: a near-whole copy may join
WHOLE_COPY = 0.9  # containment at which a near-whole copy needs no spread (a one-paragraph item)
EXCERPT_THRESHOLD = 0.85  # containment of an excerpt (a caption or a mirror's leftovers cost a few %)
LEAD_THRESHOLD = 0.95  # containment of a lead-only copy (a brief that adds a sentence of its own to the lead: 0.85–0.91)
LEAD_COVERAGE = 0.6  # share of the larger text's lead a lead-only copy holds
LEAD_MIN_SHINGLES = 30  # a paragraph this long can be a lead (shorter: a heading, a dateline)
SPREAD_MIN_SHINGLES = 20  # a paragraph counts for the spread with this many shared shingles (≈ 24 characters) …
SPREAD_MIN_FRAGMENT = 8  # … or with half of it shared, if that is at least this many
BOILERPLATE_STORIES = 4  # a key shared by this many stories is boilerplate
FULL_COPY_RATIO = 0.9  # a copy with under this share of its story's largest content is partial

_NO_KEYS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Evidence:
    """What :func:`compare` measured (X the smaller text, Y the larger)."""

    smaller: int  # shingles of X left after boilerplate
    containment: float
    size_ratio: float
    spread: int
    covers_lead: bool
    titles_agree: bool | None
    first_smaller: bool = True  # whether X is the first text given to compare()


def _as_keys(boilerplate: Collection[int] | np.ndarray) -> np.ndarray:
    if isinstance(boilerplate, np.ndarray):
        return boilerplate
    return np.fromiter(boilerplate, dtype=np.int64, count=len(boilerplate)) if boilerplate else _NO_KEYS


def _content(s: Sketch, boilerplate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sketch's shingles and their paragraphs, without those of boilerplate sentences."""
    if boilerplate.size and s.sentence_keys.size:
        bad = np.isin(s.sentence_keys, boilerplate)
        bad[s.sentence_keys == 0] = False
        if bad.any():
            keep = ~bad[s.shingle_sentence]
            return s.shingles[keep], s.shingle_paragraph[keep]
    return s.shingles, s.shingle_paragraph


def titles_agree(a: str, b: str) -> bool:
    """Two title keys name one story: equal, one inside the other, or bigram Dice ≥ 0.5."""
    if a == b or (min(len(a), len(b)) >= 6 and (a in b or b in a)):
        return True
    ga = {a[i : i + 2] for i in range(len(a) - 1)}
    gb = {b[i : i + 2] for i in range(len(b) - 1)}
    return bool(ga and gb) and 2 * len(ga & gb) / (len(ga) + len(gb)) >= 0.5


def _title(s: Sketch, boilerplate: np.ndarray) -> str | None:
    if s.title_hash is None or (boilerplate.size and bool(np.isin(s.title_hash, boilerplate))):
        return None
    return s.title


def _spread(hit: np.ndarray, total: np.ndarray) -> int:
    """Paragraphs that hold shared text: :data:`SPREAD_MIN_SHINGLES` shared shingles, or half the
    paragraph (a column fragment or a short paragraph), but never under :data:`SPREAD_MIN_FRAGMENT`."""
    return int(((hit >= SPREAD_MIN_FRAGMENT) & ((hit >= SPREAD_MIN_SHINGLES) | (hit >= 0.5 * total))).sum())


def compare(a: Sketch, b: Sketch, boilerplate: Collection[int] | np.ndarray = ()) -> Evidence:
    """Measure how two articles' texts overlap (see the module docstring)."""
    common = _as_keys(boilerplate)
    sa, pa = _content(a, common)
    sb, pb = _content(b, common)
    first_smaller = sa.size <= sb.size
    if not first_smaller:
        sa, pa, sb, pb = sb, pb, sa, pa
    ta, tb = _title(a, common), _title(b, common)
    agree = None if ta is None or tb is None else titles_agree(ta, tb)
    if not sa.size:
        return Evidence(0, 0.0, 0.0, 0, False, agree, first_smaller)
    in_b = np.isin(sa, sb, assume_unique=True)
    in_a = np.isin(sb, sa, assume_unique=True)
    total_a = np.bincount(pa)
    hit_a = np.bincount(pa, weights=in_b.astype(np.float64))
    total_b = np.bincount(pb)
    hit_b = np.bincount(pb, weights=in_a.astype(np.float64))
    spread_a, spread_b = _spread(hit_a, total_a), _spread(hit_b, total_b)
    leads = np.flatnonzero(total_b >= LEAD_MIN_SHINGLES)
    covers_lead = bool(leads.size) and hit_b[leads[0]] >= LEAD_COVERAGE * total_b[leads[0]]
    return Evidence(
        smaller=int(sa.size),
        containment=float(in_b.sum()) / sa.size,
        size_ratio=sa.size / sb.size,
        spread=min(spread_a, spread_b),
        covers_lead=covers_lead,
        titles_agree=agree,
        first_smaller=first_smaller,
    )


def decide(evidence: Evidence) -> str | None:
    """``'copy'``, ``'excerpt'`` or ``'lead'`` when the evidence says one story, else None."""
    e = evidence
    if e.smaller < MIN_SHINGLES:
        return None
    if e.size_ratio >= MIN_SIZE_RATIO and e.containment >= COPY_THRESHOLD and (
            e.containment >= WHOLE_COPY or e.spread >= 2):
        return "copy"
    if e.containment >= EXCERPT_THRESHOLD and e.spread >= 2:
        return "excerpt"
    if e.containment >= LEAD_THRESHOLD and e.covers_lead and e.titles_agree is not False:
        return "lead"
    return None


def same_story(a: Sketch, b: Sketch, boilerplate: Collection[int] | np.ndarray = ()) -> str | None:
    """The rule that makes ``a`` and ``b`` one story, or None (:func:`compare` then :func:`decide`)."""
    return decide(compare(a, b, boilerplate))


def bridges(evidence: Evidence, rule: str) -> bool:
    """Whether a confirmation of the first text's story by ``rule`` may merge that story with
    others the first text also confirms.  A near-whole copy may, and so may a text that holds an
    excerpt of the other story: two stories each inside one article are one story.  A text that
    is itself an excerpt of each of two stories proves only that they share it (a roundup quoting
    two paragraphs), and a lead proves only a paragraph (a follow-up repeats its story's lead):
    such a text joins the oldest story it confirms and merges nothing."""
    return rule in ("exact", "copy") or (rule == "excerpt" and not evidence.first_smaller)


def candidates(a: Sketch, b: Sketch, boilerplate: Collection[int] | np.ndarray = ()) -> bool:
    """Whether ``b`` is found as a candidate for ``a``: a shared key that is not boilerplate."""
    shared = set(a.keys).intersection(b.keys)
    return bool(shared.difference(_as_keys(boilerplate).tolist()))
