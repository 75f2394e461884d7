"""Properties of the script normaliser (hypothesis), and the round trip through a mirror's corruption."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

from liaocheng_news.items import Article, Image
from liaocheng_news.text.normalise import DEFAULT_SPAM_PHRASES, Normaliser
from liaocheng_news.text.pinyin import CLOSERS, HAN_RE, OPENERS
from liaocheng_news.text.script import TRADITIONAL_CHARS, to_simplified
from liaocheng_news.text.t2s import tables

SEEDS = Path(__file__).resolve().parents[2] / "liaocheng_news" / "seeds"
N = Normaliser()
SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8")


_CLEAN_TEXT = _seed("000") + _seed("003")
_MIRROR_TEXT = _seed("001") + _seed("004")
SIMPLIFIED_HAN = sorted({c for c in _CLEAN_TEXT if HAN_RE.match(c) and c not in TRADITIONAL_CHARS})
TRADITIONAL_HAN = sorted({c for c in _MIRROR_TEXT if c in TRADITIONAL_CHARS})
PUNCTUATION = list("，。、；：？！“”‘’—…·,.;:!?-+/%■")
LATIN = list("abcdefghijklmnopqrstuvwxyzAIGDPLU0123456789")
SPACES = [" ", "  ", "\u3000", "\xa0", "\t", "\n"]
BRACKETS = list(OPENERS + CLOSERS)
SYLLABLES = ["chǎn", "yè", "de", "zhe", "men", "gǎnkǎi", "tóuzī", "lǜ", "dōngē", "qū", "AI", "Liaocheng", "xīn", "shēng"]
TAGS = ["拼音:", "pinyin:", "繁:", "繁体:", "繁體："]

SPACE_ONLY_ALPHABET = SIMPLIFIED_HAN + PUNCTUATION + LATIN + SPACES
MIRROR_TOKENS = SIMPLIFIED_HAN + TRADITIONAL_HAN + PUNCTUATION + LATIN + SPACES + BRACKETS + SYLLABLES
ANY_TOKENS = MIRROR_TOKENS + TAGS + list(DEFAULT_SPAM_PHRASES) + ["\u200b", "\ufeff", "\r\n"]


def _joined(tokens: list[str], max_size: int = 60) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


mirror_like = _joined(MIRROR_TOKENS)
anything = st.one_of(_joined(ANY_TOKENS), st.text(max_size=80))


def _allowed_simplified() -> dict[str, set[str]]:
    """For each character, what t2s may turn it into anywhere (character and phrase tables)."""
    allowed: dict[str, set[str]] = defaultdict(set)
    for table in tables():
        for key, values in table.items():
            for value in values:
                if len(value) == len(key):
                    for k, v in zip(key, value):
                        allowed[k].add(v)
    return allowed


ALLOWED = _allowed_simplified()


def _no_spam(text: str) -> bool:
    return not any(phrase.lower() in text.lower() for phrase in N.spam_phrases)


# --- properties -----------------------------------------------------------------------------


@SETTINGS
@given(anything)
def test_idempotent(text: str) -> None:
    once = N.text(text)
    assert N.text(once) == once


@settings(deadline=None, max_examples=60)
@given(st.lists(anything, max_size=6), st.one_of(st.none(), anything))
def test_paragraphs_idempotent_and_never_raise(paras: list[str], title: str | None) -> None:
    once = N.paragraphs(paras, title=title)
    assert N.paragraphs(once, title=title) == once
    assert all(p and p == p.strip() and "\n" not in p for p in once)


@SETTINGS
@given(st.text())
def test_never_raises_on_arbitrary_unicode(text: str) -> None:
    out = N.text(text)
    assert isinstance(out, str)
    N.paragraphs([text, text[::-1]], title=text[:5])


@settings(deadline=None, max_examples=40)
@given(st.text(max_size=30), st.lists(st.text(max_size=30), max_size=4))
def test_article_never_raises(title: str, fields: list[str]) -> None:
    value = (fields or [""])[0]
    article = Article(
        url="u", portal="p", title=title, subtitle=value, body=fields, source=value, authors=fields,
        editor=value, reviewer=value, channel=value, page_name=value, images=[Image(url="i", caption=value)],
    )
    N.article(article)
    assert all(isinstance(v, int) for v in article.normalisation.values())


@SETTINGS
@given(_joined(SPACE_ONLY_ALPHABET, max_size=80))
def test_simplified_text_without_brackets_changes_only_in_whitespace(text: str) -> None:
    assume(_no_spam(text))
    out = N.text(text)
    assert "".join(out.split()) == "".join(text.split())
    assert out == out.strip() and "  " not in out and all(c == " " or not c.isspace() for c in out)


@SETTINGS
@given(mirror_like)
def test_no_han_character_is_lost_outside_annotations(text: str) -> None:
    """Pinyin annotations hold no Han character, so every Han character in must come out (converted)."""
    assume(_no_spam(to_simplified(text)[0]))
    han_in = HAN_RE.findall(text)
    han_out = HAN_RE.findall(N.text(text))
    assert len(han_out) == len(han_in)
    for before, after in zip(han_in, han_out):
        assert after == before or after in ALLOWED[before], (before, after)


@SETTINGS
@given(_joined(SIMPLIFIED_HAN, max_size=6), st.sampled_from(TAGS), _joined(SIMPLIFIED_HAN + LATIN, max_size=5))
def test_tagged_forms_remove_only_themselves(word: str, tag: str, content: str) -> None:
    assume(_no_spam(word) and content)
    assert N.text(f"{word}《{tag}{content}》{word}") == word + word


# --- round trip: corrupt Simplified paragraphs the way mirrors do, get them back exactly ------

_S2T = OpenCC("s2t")
_T2S = OpenCC("t2s")


def _round_trippable(paragraph: str) -> bool:
    """Paragraphs OpenCC can take to Traditional and back, also one character at a time."""
    traditional = _S2T.convert(paragraph)
    return (
        len(traditional) == len(paragraph)
        and to_simplified(traditional)[0] == paragraph
        and all(to_simplified(t)[0] == s for t, s in zip(traditional, paragraph))
    )


PARAGRAPHS = [  # tidy paragraphs of the clean seeds
    line
    for line in _CLEAN_TEXT.splitlines()
    if len(line) > 20 and " ".join(line.split()) == line and _round_trippable(line)
]


def _toneless(syllable: str) -> str:
    return lazy_pinyin(syllable, style=Style.NORMAL)[0] if HAN_RE.match(syllable) else syllable


FORMS = [
    "simplified", "traditional", "traditional+pinyin", "simplified+pinyin", "neutral", "doubled", "fullwidth",
    "space", "tagged-pinyin", "tagged-traditional", "word", "word-doubled",
]


def corrupt(paragraph: str, forms: list[str]) -> str:
    """The paragraph as a content farm would publish it, one annotation form per Han character."""
    traditional = _S2T.convert(paragraph)
    toned = lazy_pinyin(paragraph, style=Style.TONE, errors=lambda chunk: list(chunk))
    plain = lazy_pinyin(paragraph, style=Style.NORMAL, errors=lambda chunk: list(chunk))
    assert len(toned) == len(plain) == len(paragraph)
    out = []
    for i, (s, t) in enumerate(zip(paragraph, traditional)):
        form = forms[i % len(forms)]
        if not HAN_RE.match(s) or form == "simplified":
            out.append(s)
        elif form == "traditional":
            out.append(t)
        elif form == "traditional+pinyin":
            out.append(f"{t}({toned[i]})")
        elif form == "simplified+pinyin":
            out.append(f"{s}({toned[i]})")
        elif form == "neutral":
            out.append(f"{t}({plain[i]})")
        elif form == "doubled":
            out.append(f"{s}({toned[i]})({toned[i]})")
        elif form == "fullwidth":
            out.append(f"{t}（{toned[i]}）")
        elif form == "space":
            out.append(f"{s} ({toned[i]})")
        elif form == "tagged-pinyin":
            out.append(s + ("(拼音:{})", "[拼音:{}]", "《pinyin:{}》", "《{}》")[i % 4].format(toned[i]))
        elif form == "tagged-traditional":
            out.append(s + ("《繁:{}》", "{{繁体:{}}}", "【繁体:{}】")[i % 3].format(t))
        else:  # a word: this character and the Han characters just before it, read together
            start = i
            while start > i - 2 and start > 0 and HAN_RE.match(paragraph[start - 1]):
                start -= 1
            reading = f"({''.join(toned[start : i + 1])})"
            out.append(s + reading * (2 if form == "word-doubled" else 1))
    return "".join(out)


def test_there_are_paragraphs_to_corrupt() -> None:
    assert len(PARAGRAPHS) >= 30


@settings(deadline=None, max_examples=80)
@given(st.sampled_from(PARAGRAPHS), st.lists(st.sampled_from(FORMS), min_size=1, max_size=7))
def test_round_trip(paragraph: str, forms: list[str]) -> None:
    mirrored = corrupt(paragraph, forms)
    assert N.text(mirrored) == paragraph


def test_round_trip_of_every_form_on_every_paragraph() -> None:
    for form in FORMS:
        for paragraph in PARAGRAPHS:
            assert N.text(corrupt(paragraph, [form])) == paragraph, (form, paragraph)


def test_the_corrupter_corrupts() -> None:
    paragraph = PARAGRAPHS[0]
    for form in FORMS[1:]:
        mirrored = corrupt(paragraph, [form])
        assert mirrored != paragraph
        assert re.search(r"[(（\[《{【]", mirrored) or form == "traditional"


@SETTINGS
@given(st.one_of(mirror_like, st.text(max_size=40), _joined(list("反覆沈默瞭解藉口乾淨隆么麼什"), max_size=12)))
def test_conversion_shortcut_equals_opencc(text: str) -> None:
    """Skipping text and runs without a Traditional character never changes OpenCC's answer."""
    assert to_simplified(text)[0] == _T2S.convert(text)
