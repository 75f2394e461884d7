"""Exact and near-duplicate keys: fingerprint, shingles, MinHash, LSH bands, overlap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from liaocheng_news.dedupe import sketch
from tests.dedupe.labelled_pairs import SHORT_STORIES, body, seed_paragraphs, trim

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


def test_shingles_are_distinct_sorted_hashes_of_five_character_windows():
    s = sketch.shingles("一二三四五六七")  # 3 windows
    assert s.dtype == np.uint64 and s.size == 3 and (np.diff(s.astype(np.float64)) > 0).all()
    assert sketch.shingles("一二三四五一二三四五").size == 5  # a repeated window counts once
    assert sketch.shingles("一二三四").size == 0  # shorter than K


def test_shingles_skip_chrome_lines():
    text = "\n".join(SHORT_STORIES["canal"])
    chromed = "\n".join(["来源:新聊城客户端  2024-12-20 14:44:41", "2024年12月20日《聊城日报》2版", text, "编辑:李明", "审核:刘 飞"])
    assert np.array_equal(sketch.shingles(text), sketch.shingles(chromed))
    # a long paragraph that happens to start like a byline is story text
    long_para = "记者:" + SHORT_STORIES["canal"][0] + SHORT_STORIES["canal"][1]
    assert not sketch.is_chrome(long_para)


def test_bylines_are_chrome_but_reporting_sentences_are_not():
    for line in ("■本报记者 苑莘", "记者 唐学钰", "通讯员 梁明波", "本报记者夏旭光本报通讯员朱红光", "记者:王明、李华",
                 "编辑:李明", "文/记者 夏旭光 韩庆阳 图/资料图", "2024年12月20日《聊城日报》2版", "https://www.yybnet.net/"):
        assert sketch.is_chrome(line), line
    for line in (SHORT_STORIES["gaotang_road"][0], "记者从市住建局获悉,今年全市新开工保障性住房三千套。", "本报讯 近日,聊城市召开全市秋种工作会议。"):
        assert not sketch.is_chrome(line), line


def test_minhash_signature_shape_and_determinism():
    sig = sketch.minhash(SEED0)
    assert sig.shape == (sketch.BINS,) and sig.dtype == np.uint64
    assert np.array_equal(sig, sketch.minhash(SEED0))
    assert not np.array_equal(sig, sketch.minhash(SEED3))


def test_bands_are_signed_64_bit_with_the_band_number_folded_in():
    keys = sketch.bands(sketch.minhash(SEED0))
    assert len(keys) == sketch.BANDS == 32
    assert all(isinstance(k, int) and -(2**63) <= k < 2**63 for k in keys)
    assert any(k < 0 for k in keys) and len(set(keys)) == len(keys)
    # the same three values in two different bands give two different keys
    flat = np.zeros(sketch.BINS, dtype=np.uint64) + np.uint64(7)
    same_values = sketch.bands(flat)
    assert len(set(same_values)) == sketch.BANDS


def test_batch_and_single_body_sketches_agree():
    bodies = [SEED0, SEED3, "\n".join(SHORT_STORIES["jobs_fair"]), "太短了", ""]
    many = sketch.many_body_bands(bodies)
    assert many == [sketch.body_bands(b) for b in bodies]
    assert many[3] == [] and many[4] == []  # too short to sketch: no bands at all


def test_sketch_is_stable_across_processes():
    """Band keys are stored for years: they must not depend on the process (no hash())."""
    code = (
        "import json,sys; from liaocheng_news.dedupe import sketch; "
        "print(json.dumps([sketch.fingerprint(sys.argv[1]), sketch.body_bands(sys.argv[1])]))"
    )
    outs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code, SEED3], capture_output=True, text=True, check=True,
                env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=ROOT,
            ).stdout
        )
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1] == [sketch.fingerprint(SEED3), sketch.body_bands(SEED3)]


def test_sketch_values_are_pinned():
    """A change of k, bins, bands or hashing silently orphans every stored band: pin them."""
    text = "\n".join(SHORT_STORIES["canal"])
    assert sketch.fingerprint(text)[:16] == PINNED_FINGERPRINT
    assert sketch.body_bands(text)[:3] == PINNED_BANDS


PINNED_FINGERPRINT = "e3ec0980ab63dfc1"
PINNED_BANDS = [1665599559157928942, 4946031890780061499, 1105536865665062978]


def test_overlap_of_a_trimmed_copy_is_containment_near_one():
    paras = seed_paragraphs("000")
    assert sketch.overlap(SEED0, body(trim(paras, 3, 7))) > 0.99
    assert sketch.same_story(SEED0, body(trim(paras, 3, 7)))


def test_overlap_of_different_stories_on_one_topic_is_small():
    assert sketch.overlap(SEED0, SEED3) < 0.05
    assert not sketch.same_story(SEED0, SEED3)


def test_seeds_003_and_004_quoting_one_company_stay_apart():
    seed4 = body(seed_paragraphs("004"))
    assert "易斯特" in SEED3 and "易斯特" in seed4
    assert sketch.overlap(SEED3, seed4) < 0.05


def test_short_texts_never_overlap():
    """Tiny texts (a caption, '详见附件') would match everything: the guard returns 0."""
    short = "图为工作人员在现场查看设备运行情况。"
    assert sketch.shingles(short).size < sketch.MIN_SHINGLES
    assert sketch.overlap(short, short) == 0.0
    assert sketch.body_bands(short) == []


def test_size_ratio_guard_stops_a_brief_joining_the_story_it_quotes():
    paras = seed_paragraphs("003")
    brief = max(paras, key=len)
    assert sketch.shingles(brief).size >= sketch.MIN_SHINGLES
    assert np.isin(sketch.shingles(brief), sketch.shingles(SEED3)).all()  # fully contained …
    assert sketch.overlap(SEED3, brief) == 0.0  # … but a tenth of the size


def test_overlap_is_symmetric():
    a, b = SEED0, body(trim(seed_paragraphs("000"), 0, 1, 2))
    assert sketch.overlap(a, b) == sketch.overlap(b, a)
