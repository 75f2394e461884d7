"""Dates, bylines and print notes as the portals and the seeds print them."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaocheng_news.text.fields import (
    SHANGHAI,
    clean_space,
    find_datetime,
    has_byline_label,
    parse_byline,
    parse_date,
    parse_datetime,
    parse_print_note,
    people,
    split_names,
    starts_with_byline_label,
)

SEEDS = Path(__file__).resolve().parents[2] / "liaocheng_news" / "seeds"


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来源:聊城日报 2021-10-28 11:20   https://www.yybnet.net/", sh(2021, 10, 28, 11, 20)),
        ("来源:新聊城客户端  2026-01-22 11:02:37", sh(2026, 1, 22, 11, 2, 37)),
        ("2022-01-26 09:40:00 来源: 大众网·海报新闻 作者: 赵志鹏", sh(2022, 1, 26, 9, 40)),
        ("2024年12月20日《聊城日报》2版", sh(2024, 12, 20)),
        ("2024年12月20日 14:44", sh(2024, 12, 20, 14, 44)),
        ("<date>2024-03-29</date>", sh(2024, 3, 29)),
        ("來源:高新院 achie.org 日期:2022-08-10 點擊:次", sh(2022, 8, 10)),
        ("http://www.lcxw.cn/yaowen/shehui/20260122/151679.html", sh(2026, 1, 22)),
        ("https://liaocheng.dzwww.com/hailiao/202201/t20220126_9746270.htm", sh(2022, 1, 26)),
        ("http://news.lcxw.cn/news/2019-04-14/818538.html", sh(2019, 4, 14)),
        ("2026-01-22T03:02:37Z", sh(2026, 1, 22, 11, 2, 37)),
        ("2026-01-22T11:02:37+08:00", sh(2026, 1, 22, 11, 2, 37)),
        # a dashed date wins over a digit run that comes earlier (ids, phone numbers)
        ("20991231 发布于 2021-10-28", sh(2021, 10, 28)),
    ],
)
def test_parse_datetime_reads_portal_forms(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value is not None and value.tzinfo is not None
    assert value.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    "text",
    ["", "no date here", "2021-13-45", "2021-02-30 10:00", "举报电话:18663509279", "1888-01-01", None, "编号37120180030"],
)
def test_parse_datetime_gives_none_without_a_valid_date(text: str | None) -> None:
    assert parse_datetime(text) is None


def test_parse_date_is_the_calendar_day() -> None:
    assert parse_date("2024年3月9日") == date(2024, 3, 9)
    assert parse_date("nothing") is None


def test_yybnet_source_line_and_reporter_line_from_seed_000() -> None:
    seed = (SEEDS / "000_e4867320b44f56ba.txt").read_text(encoding="utf-8")
    head = "\n".join(seed.splitlines()[4:8])
    fields = parse_byline(head)
    assert fields["source"] == "聊城日报"
    assert fields["published_at"] == sh(2021, 10, 28, 11, 20)
    assert fields["authors"] == ["苑莘"]
    assert fields["reporters"] == ["苑莘"]
    assert fields["editor"] is None and fields["reviewer"] is None


def test_lcxw_tail_from_seed_001_in_traditional_characters() -> None:
    seed = (SEEDS / "001_e547de4f37f4e0f0.txt").read_text(encoding="utf-8")
    tail = seed[seed.index("文/記者") : seed.index("相關(guān)推薦")]
    fields = parse_byline(tail)
    assert fields["authors"] == ["夏旭光", "韓慶陽"]
    assert fields["photographers"] == []  # 圖/資料圖 names no one
    assert fields["editor"] == "李明"
    assert fields["reviewer"] == "劉飛"  # the pad in 劉 飛 is typesetting, not part of the name


def test_lcxw_source_line_from_seed_001() -> None:
    fields = parse_byline("來源:新聊城客戶端  2024-12-20 14:44:41")
    assert fields["source"] == "新聊城客戶端"
    assert fields["published_at"] == sh(2024, 12, 20, 14, 44, 41)


def test_dzwww_editor_chain_maps_first_editor_to_editor_and_responsible_editor_to_reviewer() -> None:
    fields = parse_byline("2022-01-26 09:40:00 来源: 大众网·海报新闻 作者: 赵志鹏 初审编辑:赵志鹏 责任编辑:李兆辉")
    assert fields["source"] == "大众网·海报新闻"
    assert fields["authors"] == ["赵志鹏"]
    assert fields["editor"] == "赵志鹏"
    assert fields["reviewer"] == "李兆辉"
    assert fields["first_editor"] == "赵志鹏"
    assert fields["responsible_editor"] == "李兆辉"
    assert fields["published_at"] == sh(2022, 1, 26, 9, 40)


def test_a_lone_responsible_editor_is_the_editor() -> None:
    fields = parse_byline("责任编辑:王晓")
    assert fields["editor"] == "王晓"
    assert fields["reviewer"] is None


def test_run_together_reporter_and_correspondent_labels() -> None:
    fields = parse_byline("■本报记者夏旭光本报通讯员朱红光“终于可以松口气儿了,俺们村430亩小麦")
    assert fields["reporters"] == ["夏旭光"]
    assert fields["correspondents"] == ["朱红光"]
    assert fields["authors"] == ["夏旭光", "朱红光"]


def test_e_paper_reporter_block_from_seed_003() -> None:
    fields = parse_byline("记者 唐学钰\n通讯员 梁明波")
    assert fields["authors"] == ["唐学钰", "梁明波"]
    assert fields["correspondents"] == ["梁明波"]


def test_photographer_is_not_an_author() -> None:
    fields = parse_byline("本报记者 王 磊 本报通讯员 李晓 张 华 摄影:赵刚")
    assert fields["authors"] == ["王磊", "李晓", "张华"]
    assert fields["photographers"] == ["赵刚"]


def test_body_sentences_are_not_bylines() -> None:
    fields = parse_byline("记者了解到,今年以来,全市新建改建农村公路300公里。")
    assert fields["authors"] == []
    assert not has_byline_label("文化惠民活动走进东昌府区")
    assert has_byline_label("编辑:李明")


def test_split_names_joins_padded_two_character_names() -> None:
    assert split_names("刘 飞") == ["刘飞"]
    assert split_names("夏旭光 韩庆阳") == ["夏旭光", "韩庆阳"]
    assert split_names("李明、王 芳") == ["李明", "王芳"]
    assert split_names("资料图") == []


def test_clean_space_collapses_nbsp_and_ideographic_space() -> None:
    assert clean_space("\u3000\u3000 聊城\u00a0 日报 ") == "聊城 日报"


_BLANK_RUNS = re.compile(r"[\s\u00a0\u3000]+")
_BLANKS_AND_TEXT = st.sampled_from([chr(c) for c in range(0x3100) if chr(c).isspace()] + list("ab聊城·、"))


@given(st.text(_BLANKS_AND_TEXT, max_size=30) | st.text(max_size=30))
def test_clean_space_is_the_blank_runs_made_one_space(text: str) -> None:
    assert clean_space(text) == _BLANK_RUNS.sub(" ", text).strip()


def test_parse_print_note_reads_edition_page_and_date() -> None:
    assert parse_print_note("2024年12月20日《聊城日报》2版") == {
        "edition": "聊城日报",
        "page_no": "2",
        "page_name": None,
        "published": date(2024, 12, 20),
    }
    note = parse_print_note("2026年1月22日《聊城晚报》第A03版:民生")
    assert note == {"edition": "聊城晚报", "page_no": "A03", "page_name": "民生", "published": date(2026, 1, 22)}
    assert parse_print_note("2024年12月20日《聊城日報》02版")["page_no"] == "2"


@pytest.mark.parametrize("text", ["", None, "《人世间》让人思考什么是活着", "聊城日报2版"])
def test_parse_print_note_gives_none_without_a_note(text: str | None) -> None:
    assert parse_print_note(text) is None




@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789-:年月日号 T来源记者编辑审核■/《》版聊城日报刘飞\n"), max_size=60))
def test_field_readers_are_total(text: str) -> None:
    value = parse_datetime(text)
    assert value is None or value.tzinfo is not None
    assert isinstance(parse_byline(text)["authors"], list)
    note = parse_print_note(text)
    assert note is None or note["edition"].endswith(("报", "報"))


# --- label spellings and name slots of real pages (issue 13) ------------------------------------


@pytest.mark.parametrize(("text", "source"), [
    ("信息来源：省发改委", "省发改委"),
    ("本文来源：证券市场红周刊 责任编辑：杨倩", "证券市场红周刊"),
    ("来源于：东区办事处", "东区办事处"),
    ("文章来源：人民网-文化频道", "人民网-文化频道"),
    ("2022-02-13 07:00:00来源：央广网", "央广网"),  # glued after the time
    ("2019-09-26 12:11来源：证券时报网作者：李在山", "证券时报网"),  # and the next label glued after it
    ("来源：聊城日报2019-04-16", "聊城日报"),
])
def test_source_in_all_its_spellings(text: str, source: str) -> None:
    assert parse_byline(text)["source"] == source


def test_a_label_glued_after_the_source_starts_its_own_field() -> None:
    fields = parse_byline("2019-09-26 12:11来源：证券时报网作者：李在山")
    assert fields["authors"] == ["李在山"]
    assert fields["published_at"] == sh(2019, 9, 26, 12, 11)


@pytest.mark.parametrize(("text", "authors"), [
    ("光明日报记者 王建宏 张文攀", ["王建宏", "张文攀"]),
    ("澎湃新闻记者 段彦超 廖艳", ["段彦超", "廖艳"]),
    ("本报记者罗科苏盈发自北京", ["罗科苏盈"]),
    ("新京报记者 彭冲 山东冠县报道", ["彭冲"]),
    ("执笔/叨叨姐、胡一刀&李小飞刀", ["叨叨姐", "胡一刀", "李小飞刀"]),
    ("记者陈智 整合", []),  # no blank after 记者 and no colon: sentence text, not a byline
    ("记者 陈智 整合", ["陈智"]),  # what the reporter did is no name
])
def test_reporter_names_are_names_not_the_phrase_around_them(text: str, authors: list[str]) -> None:
    assert parse_byline(text)["authors"] == authors


@pytest.mark.parametrize(("text", "editor"), [
    ("（责编：萧潇、张妍）", "萧潇、张妍"),
    ("（松花江网编辑 孙桂芳）", "孙桂芳"),
    ("【编辑:刘欢】", "刘欢"),
])
def test_editor_notes(text: str, editor: str) -> None:
    assert parse_byline(text)["editor"] == editor


def test_outlet_prefixed_labels_start_a_byline_line_but_sentences_do_not() -> None:
    assert starts_with_byline_label("光明日报记者 王建宏 张文攀")
    assert starts_with_byline_label("（松花江网编辑 孙桂芳）")
    assert not starts_with_byline_label("他告诉记者，今年的土豆长势很好。")


def test_find_datetime_says_whether_a_time_was_written() -> None:
    found = find_datetime("发布日期：2022-02-11 08:52 来源：内蒙古日报")
    assert found is not None and found.has_time and found.value == sh(2022, 2, 11, 8, 52)
    found = find_datetime("2022年01月28日")
    assert found is not None and not found.has_time
    assert find_datetime("no date") is None


def test_people_keeps_the_names_up_to_the_first_that_is_none() -> None:
    assert people(["彭冲", "山东冠县报道", "王磊"]) == ["彭冲"]
    assert people(["买买提·艾力", "张三"]) == ["买买提·艾力", "张三"]
