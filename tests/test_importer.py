"""The text-dump importer on the five real seeds and on a dump of unknown layout."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from liaocheng_news.importer import iter_dump_files, parse_dump, read_text

SEEDS = Path(__file__).resolve().parent.parent / "liaocheng_news" / "seeds"
SH = ZoneInfo("Asia/Shanghai")
CHROME = ("新闻推荐", "相关推荐", "猜你喜欢", "评论", "频道推荐", "热点阅读", "A+A-", "分享", "版权所有",
          "相關推薦", "網友評論", "相關文章推薦", "欢迎 发表评论", "暂无评论", "编辑:", "編輯:", "審核:")


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return parse_dump(read_text(path), path.resolve().as_uri())


def assert_no_chrome(article):
    for paragraph in article.body:
        for marker in CHROME:
            assert not paragraph.startswith(marker), (marker, paragraph[:40])
    assert article.title not in article.body


def test_yybnet_dump():
    a = seed("000")
    assert (a.portal, a.channel, a.title) == ("yybnet", "今日临清", "动能转换聚起发展新优势")
    assert a.published_at == datetime(2021, 10, 28, 11, 20, tzinfo=SH)
    assert (a.source, a.authors) == ("聊城日报", ["苑莘"])
    assert a.body[0].startswith("黄河岸边")
    assert a.body[-1].startswith("开放空间就是发展空间")
    assert a.url.startswith("file://")  # the dump names only the site root, not the article's URL
    assert a.extraction == "import"
    assert_no_chrome(a)


def test_lcxw_mirror_dump_keeps_raw_text_for_the_normaliser():
    a = seed("001")
    assert (a.portal, a.channel) == ("lcxw", "要闻/社会")
    assert a.title.startswith("特別策劃")  # raw: the pipeline's normaliser converts and records it
    assert a.published_at == datetime(2024, 12, 20, 14, 44, 41, tzinfo=SH)
    assert a.source == "新聊城客户端"
    assert (a.editor, a.reviewer) == ("李明", "刘飞")
    assert a.authors == ["夏旭光", "韩庆阳"]
    assert (a.edition, a.page_no) == ("聊城日报", "2")
    assert a.body[0].startswith("12月16日")
    assert any("采訪手記" in p for p in a.body)
    assert not any(p.startswith("文/記者") for p in a.body)
    assert_no_chrome(a)


def test_mirror_dump_without_portal_chrome():
    a = seed("002")
    assert a.portal == "mirror"
    assert a.title == "逐绿向新、链上发力,聊城高质量发展“提级换挡”——江北水城“焕新”记"
    assert len(a.body) == 1 and a.body[0].startswith("提及山东聊城")
    assert a.published_at is None
    assert_no_chrome(a)


def test_epaper_like_dump_with_subtitle_and_bylines():
    a = seed("003")
    assert a.title == "砥砺前行芳华 起航风正劲"
    assert a.subtitle.startswith("加快构建有高度")
    assert a.authors == ["唐学钰", "梁明波"]
    assert a.body[0] == "产业发展提质增效"
    assert_no_chrome(a)


def test_achie_dump():
    a = seed("004")
    assert (a.portal, a.channel, a.source) == ("achie", "产业规划", "高新院")
    assert a.title.startswith("聊城實")
    assert a.published_at == datetime(2022, 8, 10, tzinfo=SH)
    assert a.body[0].startswith("聊城緊緊圍繞")
    assert a.body[-1].startswith("如今")
    assert_no_chrome(a)


def test_unknown_layout_imports_best_effort(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("\n\n某县举办农民丰收节活动\n\n9月23日，某县举办农民丰收节，群众载歌载舞庆祝丰收。\n"
                    "活动现场展示了当地特色农产品。\n", encoding="utf-8")
    a = parse_dump(read_text(path), path.as_uri())
    assert a.title == "某县举办农民丰收节活动"
    assert a.portal == "unknown"
    assert len(a.body) == 2


def test_gbk_dump_is_read(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("聊城召开会议\n\n会议内容丰富，参会人员认真听取报告。\n".encode("gbk"))
    assert parse_dump(read_text(path), path.as_uri()).title == "聊城召开会议"


def test_folders_expand_and_missing_paths_fail_clearly(tmp_path):
    assert len(list(iter_dump_files([SEEDS]))) == 5
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(iter_dump_files([tmp_path / "missing"]))


SEED3_TEXT = read_text(next(SEEDS.glob("003_*.txt")))


@pytest.mark.parametrize("masthead, edition, page, page_name, day", [
    ("聊城日报 2025年11月21日 第3版", "聊城日报", "3", None, datetime(2025, 11, 21, tzinfo=SH)),
    ("聊城日报\n2022年10月11日 星期二\n第03版：综合新闻", "聊城日报", "3", "综合新闻", datetime(2022, 10, 11, tzinfo=SH)),
    ("《聊城晚报》 2024-03-29 A3版(今日聊城)", "聊城晚报", "A3", "今日聊城", datetime(2024, 3, 29, tzinfo=SH)),
])
def test_an_epaper_dump_opening_with_its_masthead(masthead, edition, page, page_name, day):
    """Seed 003's e-paper text under a masthead: edition, date and page from the masthead, the
    headline after it as the title, the lcrb e-paper as the portal."""
    a = parse_dump(f"\n{masthead}\n\n{SEED3_TEXT}", "file:///dumps/epaper.txt")
    assert (a.portal, a.edition, a.page_no, a.page_name, a.published_at) == ("lcrb", edition, page, page_name, day)
    assert a.title == "砥砺前行芳华 起航风正劲"
    assert a.subtitle.startswith("加快构建有高度")
    assert a.authors == ["唐学钰", "梁明波"]
    assert a.body[0] == "产业发展提质增效"
    assert_no_chrome(a)


def test_a_masthead_without_an_edition_still_gives_date_and_page_but_no_portal():
    a = parse_dump(f"2022年10月11日 第3版\n{SEED3_TEXT}", "file:///dumps/epaper.txt")
    assert (a.portal, a.edition, a.page_no, a.published_at) == ("unknown", None, "3", datetime(2022, 10, 11, tzinfo=SH))
    assert a.title == "砥砺前行芳华 起航风正劲"


def test_a_dump_that_opens_with_a_date_line_or_a_headline_naming_a_paper_has_no_masthead():
    a = parse_dump("聊城日报社举办2025年新春联欢会\n\n1月20日,聊城日报社举办新春联欢会,干部职工欢聚一堂。\n", "file:///x.txt")
    assert (a.title, a.edition, a.page_no) == ("聊城日报社举办2025年新春联欢会", None, None)
    a = parse_dump("2024-12-20 14:44:41\n某县举办农民丰收节活动\n\n9月23日，某县举办农民丰收节。\n", "file:///y.txt")
    assert a.page_no is None and a.edition is None
