"""The fast t2s converter gives exactly what ``OpenCC('t2s').convert`` gives.

Compared on the seeds (shared and packaged), the benchmark's mirror text, every key of OpenCC's
t2s phrase and character tables alone and in context, every pair of phrase keys that overlap
(where OpenCC's longest-first choice decides the output), and random mixes (hypothesis).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaocheng_news.text.t2s import convert, opencc_t2s, tables

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = (ROOT / "liaocheng_news" / "seeds", Path("/work/shared/seeds"))
PHRASES, CHARACTERS = (sorted(table) for table in tables())
# OpenCC's separators, some other text, and ASCII: what dictionary entries stand beside in real text
CONTEXT = ["", " ", "\n", "，", "。", "(", "（", "chǎn", "a", "1", "的", "發", "产", "-", "\u3000"]


def _seed_texts() -> list[tuple[str, str]]:
    texts = [(str(p), p.read_text(encoding="utf-8")) for d in SEED_DIRS if d.is_dir() for p in sorted(d.glob("*.txt"))]
    assert len(texts) >= 5  # the packaged seeds at least
    return texts


def _same(texts: list[str]) -> None:
    """Converts each text alone and all of them joined (one call over many phrase occurrences)."""
    wrong = [t for t in texts if convert(t) != opencc_t2s(t)]
    assert not wrong, [(t, convert(t), opencc_t2s(t)) for t in wrong[:5]]
    joined = "|".join(texts)
    assert convert(joined) == opencc_t2s(joined)


@pytest.mark.parametrize(("name", "text"), _seed_texts(), ids=lambda v: Path(v).name if "/" in v else None)
def test_seeds(name: str, text: str) -> None:
    assert convert(text) == opencc_t2s(text)
    assert convert(text.replace("\n", "")) == opencc_t2s(text.replace("\n", ""))  # runs across lines


def test_bench_mirror_text() -> None:
    spec = importlib.util.spec_from_file_location("bench_normalise", ROOT / "bench" / "normalise.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    text = bench.mirror_text()
    assert len(text) > 100_000
    assert convert(text) == opencc_t2s(text)


def test_every_character_key_alone_and_in_context() -> None:
    _same(CHARACTERS)
    for before in CONTEXT:
        _same([before + c + after for c in CHARACTERS for after in ("", "發", "a")])


def test_every_phrase_key_alone_and_in_context() -> None:
    _same(PHRASES)
    for before in CONTEXT:
        for after in CONTEXT:
            _same([before + p + after for p in PHRASES])
    # with a character of the table on each side, and the key's own characters around it
    _same([p[-1] + p + p[0] for p in PHRASES])
    _same([p + p for p in PHRASES])


def _overlaps(a: str, b: str) -> list[str]:
    """``a`` and ``b`` run together with 1.. shared characters (``a``'s end is ``b``'s start)."""
    return [a + b[k:] for k in range(1, min(len(a), len(b))) if a.endswith(b[:k])]


OVERLAPS = [t for a in PHRASES for b in PHRASES if a != b for t in _overlaps(a, b)]


def test_overlapping_phrase_keys() -> None:
    assert len(OVERLAPS) > 1000  # the shipped tables overlap a lot; the test would be vacuous otherwise
    _same(OVERLAPS)
    _same(["發" + t + "的" for t in OVERLAPS])
    # three keys chained: the choice in the middle decides both neighbours
    _same([u for t in OVERLAPS for b in PHRASES for u in _overlaps(t, b)])
    # a key inside a longer one, with the longer one cut at either end
    inner = [(a, b) for a in PHRASES for b in PHRASES if a != b and a in b]
    assert inner
    _same([b[1:] for a, b in inner] + [b[:-1] for a, b in inner] + [a + b for a, b in inner])


def test_a_longer_phrase_wins_over_an_earlier_shorter_one() -> None:
    # OpenCC takes the longest phrase anywhere first, not the longest at the leftmost position:
    # 藉寇兵齎盜糧 (6) beats 傷亡枕藉 (4), which starts earlier; 枕 then goes by the character table
    text = "傷亡枕藉寇兵齎盜糧"
    assert "傷亡枕藉" in PHRASES and "藉寇兵齎盜糧" in PHRASES
    assert convert(text) == opencc_t2s(text) == "伤亡枕借寇兵赍盗粮"


def test_phrase_only_conversions_and_separators() -> None:
    for text in ["反覆沈默", "反覆 沈默", "反-覆", "沈，默", "乾隆年間乾淨", "", " ", "abc", "\U00020000𠀾"]:
        assert convert(text) == opencc_t2s(text), text


_TOKENS = PHRASES + CHARACTERS + list("abcXYZ019 -,.()（）\n\t。，、《》“”的了是产业发展")


@settings(deadline=None, max_examples=400)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_random_mixes_of_keys_and_ascii(text: str) -> None:
    assert convert(text) == opencc_t2s(text)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(PHRASES), min_size=2, max_size=12), st.data())
def test_random_phrases_run_together_and_cut(keys: list[str], data: st.DataObject) -> None:
    """Phrase keys run together, cut at random places: partial keys meet whole ones."""
    text = "".join(keys)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert convert(text[start:end]) == opencc_t2s(text[start:end])
    assert convert(text) == opencc_t2s(text)


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=60))
def test_any_text(text: str) -> None:
    assert convert(text) == opencc_t2s(text)
