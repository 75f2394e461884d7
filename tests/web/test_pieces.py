"""The HTML pieces drawn on the server: revision diffs, marked terms, the day chart."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from liaocheng_news.web.chart import day_chart
from liaocheng_news.web.diff import CONTEXT, body_diff, inline, version_diff
from liaocheng_news.web.highlight import snippet, terms_in
from liaocheng_news.web.models import DayCount


def test_inline_diff_marks_characters_taken_out_and_put_in():
    assert str(inline("全市重点项目136个", "全市重点项目138个")) == "全市重点项目13<del>6</del><ins>8</ins>个"
    assert str(inline("<a>", "<b>")) == "&lt;<del>a</del><ins>b</ins>&gt;"


def test_body_diff_folds_unchanged_runs_and_shows_added_and_removed_paragraphs():
    old = [f"第{i}段，内容不变。" for i in range(10)]
    new = [*old[:5], "第5段，内容改了一点。", *old[6:9], "完全不同的新结尾，讲别的事情。"]
    html = str(body_diff("\n".join(old), "\n".join(new)))
    paragraphs = re.findall(r'<p class="([a-z]+)">(.*?)</p>', html)
    kinds = [k for k, _ in paragraphs]
    assert kinds == ["folded", *["same"] * CONTEXT, "changed", *["same"] * CONTEXT, "folded",
                     *["same"] * CONTEXT, "removed", "added"]
    assert paragraphs[0][1] == "… 4 unchanged paragraphs …"
    assert paragraphs[2][1] == "第5段，内容<del>不变</del><ins>改了一点</ins>。"
    assert paragraphs[-2][1] == "<del>第9段，内容不变。</del>"
    assert str(body_diff("同一段。", "同一段。")) == ""


def test_version_diff_lists_changed_fields():
    old = {"title": "旧标题", "authors": ["甲"], "published_at": datetime(2026, 1, 1, 8, tzinfo=timezone.utc),
           "body": "正文。"}
    new = {"title": "新标题", "authors": ["甲", "乙"], "published_at": old["published_at"], "body": "正文。"}
    diff = version_diff(old, new)
    assert [(f.field, f.old, f.new) for f in diff.fields] == [("title", "旧标题", "新标题"), ("authors", "甲", "甲、乙")]
    assert str(diff.fields[0].html) == "<del>旧</del><ins>新</ins>标题" and diff.changed and not diff.body


def test_snippet_marks_only_the_query_terms_and_escapes_the_rest():
    text = "…<b>«临清»轴承«别的»&«ABC»"
    assert str(snippet(text, ["临清", "abc"])) == "…&lt;b&gt;<mark>临清</mark>轴承«别的»&amp;<mark>ABC</mark>"
    assert str(snippet("«<script>»", ["<script>"])) == "<mark>&lt;script&gt;</mark>"


def test_terms_in_marks_longest_terms_first_ignoring_case():
    assert str(terms_in("临清市Bearing<临清>", ["临清", "临清市", "bearing"])) == \
        "<mark>临清市</mark><mark>Bearing</mark>&lt;<mark>临清</mark>&gt;"
    assert str(terms_in("<x>", [])) == "&lt;x&gt;"


def test_day_chart_has_one_point_per_day_scaled_to_the_busiest():
    days = [DayCount(day=date(2026, 11, 1) + timedelta(days=i), articles=i % 4) for i in range(30)]
    svg = str(day_chart(days, "lcxw <new>"))
    points = re.findall(r'<circle class="point" cx="([\d.]+)" cy="([\d.]+)" r="2" data-day="([\d-]+)" '
                        r'data-count="(\d+)">', svg)
    assert len(points) == 30
    assert [p[2] for p in points] == [d.day.isoformat() for d in days]
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    assert xs == sorted(xs) and min(ys) == ys[3] and max(ys) == ys[0]  # 3 is the highest count, 0 the lowest
    assert 'aria-label="lcxw &lt;new&gt;: 43 in 30 days, at most 3 a day"' in svg
    assert len(re.findall("<circle", str(day_chart([DayCount(day=date(2026, 1, 1), articles=0)] * 30, "x")))) == 30
