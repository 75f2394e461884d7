"""Keys of an article's text: the fingerprint, passage and title keys, shingles, chrome lines."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from liaocheng_news.dedupe import rules, sketch
from tests.dedupe.labelled_pairs import SHORT_STORIES, TITLES, body, excerpt, seed_paragraphs, trim

ROOT = Path(__file__).resolve().parents[2]
SEED0 = body(seed_paragraphs("000"))
SEED3 = body(seed_paragraphs("003"))


def test_fingerprint_ignores_all_punctuation_whitespace_and_width():
    a = "聊城市“双招双引”赋能新旧动能转换,汇聚起高质量发展新优势。\n今年上半年增长7.5%!"
    b = "聊城市 \"双招双引\" 赋能新旧动能转换，汇聚起高质量发展新优势.  今年上半年增长７．５％"
    assert sketch.fingerprint(a) == sketch.fingerprint(b)
    assert sketch.key_text(a) == "聊城市双招双引赋能新旧动能转换汇聚起高质量发展新优势今年上半年增长75"
    assert len(sketch.fingerprint(a)) == 64 and int(sketch.fingerprint(a), 16) >= 0


def test_fingerprint_sees_any_change_of_letters_or_digits():
    a = "今年上半年,聊城规上工业企业达到1557家。"
    assert sketch.fingerprint(a) != sketch.fingerprint(a.replace("1557", "1558"))
    assert sketch.fingerprint(a) != sketch.fingerprint(a.replace("聊城", "德州"))
    assert sketch.fingerprint("ABC") == sketch.fingerprint("abc")


def test_a_sentence_has_one_key_wherever_it_stands_and_however_it_is_punctuated():
    s = "聊城高新区以推动高质量发展为主线"
    a = sketch.article_sketch("", f"{s},实施项目立区战略。\n另一段落的内容在这里写了一句话。")
    b = sketch.article_sketch("", f"开头的另一句话也有十个字以上。{s}，实施项目立区战略！")
    assert set(a.passage_keys) & set(b.passage_keys)
    assert len(set(a.passage_keys) & set(b.passage_keys)) == 1  # the shared sentence only
    # full-width digits and letters, upper case: the same key
    c = sketch.article_sketch("", "２０２４年ＧＤＰ增长百分之五点二。")
    d = sketch.article_sketch("", "2024年gdp增长百分之五点二。")
    assert c.passage_keys == d.passage_keys and c.size == d.size


def test_a_mirror_s_leftover_traditional_characters_are_folded():
    """Seed 004's farm wrote 著力 where the portal has 着力 (OpenCC t2s keeps 著)."""
    a = sketch.article_sketch("", "聊城紧紧围绕省十强产业,着力壮大产业规模,持续提升制造业现代化水平。")
    b = sketch.article_sketch("", "聊城紧紧围绕省十强产业,著力壮大产业规模,持续提升制造业现代化水平。")
    assert a.passage_keys == b.passage_keys and np.array_equal(a.shingles, b.shingles)
    assert sketch.fingerprint("着力") != sketch.fingerprint("著力")  # the exact key is untouched


def test_short_sentences_get_no_passage_key_and_titles_have_their_own_domain():
    s = sketch.article_sketch("图片新闻", "好。\n图为现场。\n记者 唐学钰")
    assert s.passage_keys == () and s.size == len("好图为现场")
    assert s.title_hash is not None and s.keys == [s.title_hash]
    body_text = sketch.article_sketch("", "图片新闻一二三四五六七八九十")
    assert s.title_hash not in body_text.passage_keys
    assert sketch.article_sketch("通知", "").title_hash is None  # under TITLE_MIN_CHARS


def test_chrome_lines_are_not_content():
    text = "\n".join(SHORT_STORIES["canal"])
    chromed = "\n".join(["来源:新聊城客户端  2024-12-20 14:44:41", "2024年12月20日《聊城日报》2版",
                         "2022-01-26 09:40:00 来源: 大众网·海报新闻 作者: 赵志鹏", text, "编辑:李明", "审核:刘 飞"])
    a, b = sketch.article_sketch("", text), sketch.article_sketch("", chromed)
    assert a.passage_keys == b.passage_keys and np.array_equal(a.shingles, b.shingles) and a.size == b.size
    long_para = "记者:" + SHORT_STORIES["canal"][0] + SHORT_STORIES["canal"][1]
    assert not sketch.is_chrome(long_para)  # a long paragraph that starts like a byline is story text


def test_bylines_are_chrome_but_reporting_sentences_are_not():
    for line in ("■本报记者 苑莘", "记者 唐学钰", "通讯员 梁明波", "本报记者夏旭光本报通讯员朱红光", "记者:王明、李华",
                 "编辑:李明", "文/记者 夏旭光 韩庆阳 图/资料图", "2024年12月20日《聊城日报》2版", "https://www.yybnet.net/"):
        assert sketch.is_chrome(line), line
    for line in (SHORT_STORIES["gaotang_road"][0], "记者从市住建局获悉,今年全市新开工保障性住房三千套。", "本报讯 近日,聊城市召开全市秋种工作会议。",
                 "记者：首先欢迎你来到新华网接受我们的采访，既然你是农机行业的专家，想必对农业也非常熟悉了，请问你怎样看待农业税补贴问题？"):
        assert not sketch.is_chrome(line), line


def test_an_interview_question_is_read_in_microseconds():
    """The byline pattern once nested its repetitions and took seconds on a 记者：… question line."""
    line = "记者：" + "，".join(["首先欢迎你来到新华网接受我们的采访"] * 5) + "？"
    began = time.perf_counter()
    for _ in range(100):
        sketch.is_chrome(line)
    assert time.perf_counter() - began < 0.5


def test_shingles_are_distinct_sorted_and_stay_inside_a_sentence():
    s = sketch.article_sketch("", "一二三四五六七")  # 3 windows
    assert s.shingles.dtype == np.uint64 and s.shingles.size == 3 and (np.diff(s.shingles.astype(np.float64)) > 0).all()
    assert sketch.article_sketch("", "一二三四五一二三四五").shingles.size == 5  # a repeated window counts once
    assert sketch.article_sketch("", "一二三。四五六七").shingles.size == 0  # no window crosses a sentence end
    paras = sketch.article_sketch("", "一二三四五六\n七八九十甲乙丙")
    assert sorted(set(paras.shingle_paragraph.tolist())) == [0, 1]


def test_sketch_is_stable_across_processes():
    """Keys are stored for years: they must not depend on the process (no hash(), no seed)."""
    code = ("import json,sys; from liaocheng_news.dedupe import sketch; s = sketch.article_sketch(sys.argv[1], sys.argv[2]); "
            "print(json.dumps([sketch.fingerprint(sys.argv[2]), s.keys]))")
    outs = [json.loads(subprocess.run([sys.executable, "-c", code, TITLES["seed003"], SEED3], capture_output=True,
                                      text=True, check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=ROOT).stdout)
            for seed in ("1", "2")]
    here = sketch.article_sketch(TITLES["seed003"], SEED3)
    assert outs[0] == outs[1] == [sketch.fingerprint(SEED3), here.keys]


def test_sketch_values_are_pinned():
    """A change of splitting, folding or hashing silently orphans every stored key: pin them."""
    text = "\n".join(SHORT_STORIES["canal"])
    s = sketch.article_sketch(TITLES["canal"], text)
    assert sketch.fingerprint(text)[:16] == PINNED_FINGERPRINT
    assert list(s.passage_keys[:3]) == PINNED_PASSAGES
    assert s.title_hash == PINNED_TITLE and s.size == PINNED_SIZE


PINNED_FINGERPRINT = "e3ec0980ab63dfc1"
PINNED_PASSAGES = [-6660412111472622131, -5251345638134798222, 5080528611744905835]
PINNED_TITLE = 263932826949644537
PINNED_SIZE = 227


def test_many_sentences_keep_a_bottom_k_sample():
    paras = [f"第{i}句话的内容写在这里,用来测试上限。" for i in range(sketch.MAX_PASSAGES + 100)]
    s = sketch.article_sketch("", body(paras))
    assert len(s.passage_keys) == sketch.MAX_PASSAGES
    everything = np.unique(s.sentence_keys[s.sentence_keys != 0])
    assert list(s.passage_keys) == everything[: sketch.MAX_PASSAGES].tolist()
    # an excerpt of the huge page is sampled the same way: it shares keys in proportion
    part = sketch.article_sketch("", body(paras[:100]))
    assert len(set(part.passage_keys) & set(s.passage_keys)) > 50


def test_containment_of_a_trimmed_copy_is_near_one_and_of_two_stories_near_zero():
    paras = seed_paragraphs("000")
    a, b = sketch.article_sketch("", SEED0), sketch.article_sketch("", body(trim(paras, 3, 7)))
    assert rules.compare(a, b).containment > 0.99 and rules.same_story(a, b) == "copy"
    c = sketch.article_sketch("", SEED3)
    assert rules.compare(a, c).containment < 0.05 and rules.same_story(a, c) is None


def test_seeds_003_and_004_quoting_one_company_stay_apart():
    seed4 = body(seed_paragraphs("004"))
    assert "易斯特" in SEED3 and "易斯特" in seed4
    a, b = sketch.article_sketch("", SEED3), sketch.article_sketch("", seed4)
    assert rules.compare(a, b).containment < 0.05 and not rules.candidates(a, b)


def test_tiny_texts_never_join():
    short = sketch.article_sketch("", "图为工作人员在现场查看设备运行情况。")
    assert short.shingles.size < rules.MIN_SHINGLES
    assert rules.same_story(short, short) is None


def test_a_brief_of_one_paragraph_does_not_join_the_story_it_quotes_but_an_excerpt_of_two_does():
    paras = seed_paragraphs("003")
    whole = sketch.article_sketch(TITLES["seed003"], SEED3)
    brief = sketch.article_sketch(TITLES["seed003"], max(paras, key=len))
    evidence = rules.compare(whole, brief)
    assert evidence.containment == 1.0 and evidence.spread == 1 and rules.decide(evidence) is None
    two = sketch.article_sketch(TITLES["seed003"], body(excerpt(paras, 3, 2)))
    assert rules.same_story(whole, two) == "excerpt"


def test_compare_is_symmetric():
    a = sketch.article_sketch("", SEED0)
    b = sketch.article_sketch("", body(trim(seed_paragraphs("000"), 0, 1, 2)))
    ab, ba = rules.compare(a, b), rules.compare(b, a)
    assert replace(ab, first_smaller=True) == replace(ba, first_smaller=True)
    assert ab.first_smaller != ba.first_smaller


def test_a_boilerplate_sentence_counts_for_nothing():
    note = "编者按:本报推出系列报道,走近非遗传承人,讲述他们守护传统技艺的故事,敬请关注。"
    own_a, own_b = "临清风筝扎制技艺传承人在院子里展示新作。", "阳谷草编艺人在农家院里编织提篮和草帽。"
    closing = "欢迎广大读者提供非遗线索,参与非遗故事讲述,报料热线和微信同号。"
    a = sketch.article_sketch("非遗一", "\n".join([note, own_a, closing]))
    b = sketch.article_sketch("非遗二", "\n".join([note, own_b, closing]))
    assert rules.same_story(a, b) == "copy"
    common = [k for k in a.passage_keys if k in b.passage_keys]
    assert len(common) == 2 and rules.same_story(a, b, common) is None and not rules.candidates(a, b, common)


def test_titles_agree_when_equal_nested_or_close():
    assert rules.titles_agree("聊城召开全市秋种工作会议", "聊城召开全市秋种工作会议")
    assert rules.titles_agree("聊城召开全市秋种工作会议", "市政府聊城召开全市秋种工作会议部署")
    assert rules.titles_agree("聊城召开全市秋种工作会议", "聊城召开秋种工作会议")
    assert not rules.titles_agree("聊城召开全市秋种工作会议", "临清轴承产业集群加快向高端迈进")


_TITLE_CHARS = st.sampled_from(list("聊城市新闻ＡＢｃ０１２ABCxyz 7著瞭覆。！?;；\n·-—（）「」") + ["\U00020000", "\U0001F600", "é", "Ω"])


@given(st.text(_TITLE_CHARS, max_size=40) | st.text(max_size=40))
def test_a_title_is_keyed_as_the_content_is_classified(title):
    """title_key and the title hash, read character by character, are the content's numpy
    classification and segment hash of the same text."""
    kind, kept = sketch._classify(title)
    expected = kept[kind == sketch._KEEP].astype("<u4").tobytes().decode("utf-32-le")
    assert sketch.title_key(title) == expected
    chars = np.frombuffer(expected.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    whole = sketch._segment_hashes(chars, np.zeros(1, np.int64), np.full(1, chars.size), sketch._TITLE_DOMAIN)[0]
    assert sketch._title_hash(expected) == int(whole)
