"""A small archive for the site's tests, written through the real store (Archive.store): copies of
one story on two portals, a revised article, an undated one, one whose text must be escaped,
crawl runs (one failed), articles first seen on earlier days; a story id merged by the archive
(two excerpts stored as two stories, then the full article that bridges them); check-portals
results recorded as that command records them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from liaocheng_news.db.archive import Archive
from liaocheng_news.db.health import record_drift_checks
from tests.helpers import PARAGRAPHS, SH, article

CANAL = [
    "临清市位于山东省西北部，京杭大运河穿城而过，素有“繁华压两京，富庶甲齐郡”之称。",
    "近年来，临清轴承产业集群不断壮大，全市轴承及配套企业超过两千家，产品销往四十多个国家和地区。",
    "当地围绕运河文化保护传承利用，修缮了鳌头矶、舍利宝塔等一批文物古迹，吸引大批游客前来参观。",
    "在中洲古城，青砖灰瓦的老街巷经过微改造后重新开放，沿街开设了非遗工坊、书店和特色小吃店。",
    "临清贡砖烧制技艺传承人介绍，明清两代紫禁城修建所用的贡砖大多出自这里的运河沿岸窑场。",
    "为了让老城留住烟火气，街道保留了原住居民，鼓励他们经营老字号，讲述运河人家的故事。",
    "今年以来，古城接待游客人次同比增长三成以上，周末和节假日的夜游项目尤其受到年轻人欢迎。",
    "下一步，临清将继续推进运河沿线环境整治，打造集文化体验、休闲度假于一体的运河文化旅游带。",
]
# Two excerpts of it on the e-paper, stored before it and sharing no text: two stories, until the
# full article bridges them and the archive merges the younger into the older (db/stories.py).
CANAL_HEAD, CANAL_TAIL = CANAL[:3], CANAL[5:]
ORCHARD = [
    "茌平区冯官屯镇的冬枣大棚里，果农们正忙着采摘成熟的冬枣，一筐筐红绿相间的果子整齐码放在地头。",
    "镇里成立了冬枣种植合作社，统一技术指导、统一品牌销售，亩均收益比种植粮食高出三倍以上。",
    "合作社负责人介绍，今年通过电商平台销售的冬枣占到总产量的四成，最远发往广东和海南。",
]
WINTER = [
    "连日来，东昌府区环卫工人凌晨四点上岗，清扫主次干道积雪，保障市民出行安全。",
    "区城市管理局调集除雪车辆六十余台，对桥梁、坡道等重点路段撒布融雪剂，做到雪停路净。",
]
ESCAPED = [
    "本报讯 标题里的尖括号要原样显示：<b>不是标签</b> & “引号”，书名号《聊城日报》和书名号«外文»。",
    "阳谷县景阳冈景区推出冬季研学线路，带领中小学生了解水浒文化和鲁西民俗。",
]
REVISED_PARAGRAPH = "项目是发展的支撑、转型的依托。高新区紧紧围绕新旧动能转换重大工程，全力实施项目立区战略。"


@dataclass
class Facts:
    """What the test archive holds, as ids and values the tests look for."""

    url: str
    now: datetime
    stories: dict[str, int] = field(default_factory=dict)  # name -> story id
    articles: dict[str, int] = field(default_factory=dict)  # name -> article id
    runs: dict[str, int] = field(default_factory=dict)  # spider -> its run id
    merged_id: int | None = None  # a story id the archive merged into stories["canal"]


async def _fill(url: str, now: datetime) -> Facts:
    facts = Facts(url, now)
    archive = await Archive.open(url)
    try:
        stats = {"lcrb": ("finished", {"pages_fetched": 4, "articles_fetched": 0, "errors": 0,
                                       "fallback_extractions": 0, "items_stored": 0}),
                 "lcxw": ("finished", {"pages_fetched": 7, "articles_fetched": 5, "errors": 0,
                                       "fallback_extractions": 1, "items_stored": 4}),
                 "yybnet": ("shutdown", {"pages_fetched": 3, "articles_fetched": 1, "errors": 2,
                                         "fallback_extractions": 0, "items_stored": 1,
                                         "status_detail": "2 requests failed"})}
        for spider, (status, counts) in stats.items():
            facts.runs[spider] = run_id = await archive.start_run(spider)
            await archive.finish_run(run_id, status, counts)
        # the e-paper's excerpts of the canal story, long ago (its run today found nothing new): two stories
        excerpts = [article(f"http://lcrb.lcxw.cn/paper/pc/content/202506/15/content_{n}.html", portal="lcrb",
                            title="临清：运河古城焕新颜", body=body, channel="县域",
                            published_at=datetime(2025, 6, 15, 6, 0, tzinfo=SH), fetched_at=now - timedelta(days=40))
                    for n, body in ((101, CANAL_HEAD), (102, CANAL_TAIL))]
        head, tail = await archive.store(excerpts, now=now - timedelta(days=40))
        assert head.story_id != tail.story_id, "the excerpts share no text: two stories"
        industry = article(channel="要闻/社会", source="聊城日报", authors=["刘进华"], editor="张路",
                           reviewer="王芳", fetched_at=now - timedelta(days=3))
        copy = article("https://www.yybnet.net/linqing/news/202601/22/1.html", portal="yybnet", channel="今日临清",
                       published_at=datetime(2026, 1, 22, 12, 0, tzinfo=SH), fetched_at=now - timedelta(days=3))
        canal = article("https://www.lcxw.cn/liaocheng/xianyu/20250614/2001.html", title="临清：运河古城焕新颜",
                        body=CANAL, channel="聊城/县域", published_at=datetime(2025, 6, 14, 7, 30, tzinfo=SH),
                        fetched_at=now)
        orchard = article("https://www.achie.org/news/2024/1.html", portal="achie", title="冬枣丰收 果农增收",
                          body=ORCHARD, channel="产业规划", published_at=datetime(2024, 10, 11, tzinfo=SH),
                          fetched_at=now - timedelta(days=1), edition="聊城日报", page_no="3", page_name="县域经济")
        winter = article("https://www.lcxw.cn/yaowen/shehui/20241220/3001.html", title="环卫工人连夜除雪",
                         body=WINTER, channel="要闻/社会", published_at=None, fetched_at=now)
        escaped = article("https://www.achie.org/news/2024/2.html", portal="achie",
                          title="<script>alert('x')</script>景阳冈研学 & 民俗", body=ESCAPED, channel="产业规划",
                          published_at=datetime(2024, 12, 1, 9, 0, tzinfo=SH), fetched_at=now)
        results = await archive.store([industry, copy, canal, orchard, winter, escaped], run_id=facts.runs["lcxw"],
                                      now=now)
        for name, r in zip(("industry", "copy", "canal", "orchard", "winter", "escaped"), results, strict=True):
            facts.articles[name] = r.article_id
            facts.stories[name] = r.story_id
        # the full article bridged the excerpts' stories: the younger was merged into the older
        assert facts.stories["canal"] == head.story_id
        facts.merged_id = tail.story_id
        revised = article(channel="要闻/社会", source="聊城日报", authors=["刘进华"], editor="张路", reviewer="王芳",
                          body=[PARAGRAPHS[0], REVISED_PARAGRAPH, *PARAGRAPHS[2:]], fetched_at=now)
        await archive.store([revised], run_id=facts.runs["lcxw"], now=now)
        # check-portals results, recorded as that command records them: lcxw broke, then passed again; yybnet broke
        for check in (*DRIFT["lcxw"], DRIFT["yybnet"]):
            await record_drift_checks(archive.pool, [check], replay=False)
    finally:
        await archive.close()
    return facts


DRIFT = {
    "lcxw": ({"portal": "lcxw", "verdict": "broken", "detail": "no article links on the list page",
              "list_url": "https://www.lcxw.cn/yaowen/shehui/index.html", "links": 0},
             {"portal": "lcxw", "verdict": "ok", "list_url": "https://www.lcxw.cn/yaowen/shehui/index.html",
              "links": 20, "article_url": "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html",
              "extraction": "portal", "filled": ["title", "published_at", "body"]}),
    "yybnet": {"portal": "yybnet", "verdict": "broken", "detail": "the article's parser read no body",
               "list_url": "https://www.yybnet.net/liaocheng/news/", "links": 12,
               "article_url": "https://www.yybnet.net/linqing/news/202601/22/1.html", "extraction": "fallback"},
}


def fill(url: str, now: datetime | None = None) -> Facts:
    return asyncio.run(_fill(url, now or datetime.now(timezone.utc)))
