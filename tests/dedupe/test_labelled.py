"""Precision and recall of the same-story decision over the labelled pair set.

The decision is the one :func:`place` makes: the two bodies share an LSH band key (so one is
found as the other's candidate) and their guarded containment reaches ``COPY_THRESHOLD``.
Targets (issue 4): no wrong merge (precision 1.0), recall at least 0.95.
"""

from __future__ import annotations

from liaocheng_news.dedupe import sketch
from tests.dedupe.labelled_pairs import Pair, pairs


def decide(pair: Pair) -> bool:
    candidate = bool(set(sketch.body_bands(pair.a)) & set(sketch.body_bands(pair.b)))
    return candidate and sketch.same_story(pair.a, pair.b)


def scores(labelled: list[Pair]) -> tuple[float, float, list[Pair], list[Pair]]:
    decided = [(p, decide(p)) for p in labelled]
    wrong_merges = [p for p, d in decided if d and not p.same]
    missed = [p for p, d in decided if p.same and not d]
    merged = sum(d for _, d in decided)
    same = sum(p.same for p in labelled)
    precision = (merged - len(wrong_merges)) / merged if merged else 1.0
    recall = (same - len(missed)) / same
    return precision, recall, wrong_merges, missed


def test_labelled_set_is_big_and_balanced_enough():
    labelled = pairs()
    assert len(labelled) >= 40
    assert sum(p.same for p in labelled) >= 20 and sum(not p.same for p in labelled) >= 20
    names = " ".join(p.name for p in labelled)
    for kind in ("trimmed", "re-chromed", "mirror", "e-paper", "one paragraph", "quoting", "footer", "seed003 vs seed004"):
        assert kind in names


def test_precision_and_recall_of_the_same_story_decision():
    labelled = pairs()
    precision, recall, wrong_merges, missed = scores(labelled)
    same = sum(p.same for p in labelled)
    print(
        f"\nlabelled pairs: {len(labelled)} ({same} same story, {len(labelled) - same} different); "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    for p in missed:
        print(f"  missed: {p.name} (overlap {sketch.overlap(p.a, p.b):.3f})")
    assert wrong_merges == [], [p.name for p in wrong_merges]
    assert precision == 1.0
    assert recall >= 0.95
