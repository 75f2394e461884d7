"""Every source the archive crawls, each a declaration (one name per source everywhere).

A source's ``name`` is its spider name, its parser (``liaocheng_news.parsers.<name>`` when it
has a module of its own, else the generic reader with the declared template) and its fixture
folder (``tests/fixtures/<name>/``).  ``kind`` orders copies of one story when the canonical
copy is chosen (:data:`KIND_RANK`).  What a declaration holds and how it is checked:
:mod:`liaocheng_news.declaration`; the evidence behind each: README ("Portals") and
docs/sources.md.

:data:`PORTALS` holds the built-in sources and those of the operator's sources file
(:mod:`liaocheng_news.sources`: ``sources.toml`` in the archive's home, or SOURCES_FILE), read
once, when this module is first imported.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from liaocheng_news.counties import COUNTIES
from liaocheng_news.declaration import KIND_RANK, Issues, Listing, Portal, SourceError, strip_host

__all__ = ["BUILT_IN", "KIND_RANK", "PORTALS", "Issues", "Listing", "Portal", "SourceError", "kind_rank",
           "portal_for_url", "strip_host"]


def _county_site(host: str) -> str:
    """Article links of a county's (or city bureau's) site: the Shandong government platform's
    ``channel_…/doc_<24 hex>.html`` pages and the older TRS ``…/<YYYYMM>/t<YYYYMMDD>_<id>.html``."""
    return (rf"^https?://{re.escape(host)}/(?:channel_[0-9A-Za-z_.]+/doc_[0-9a-f]{{24}}\.html"
            r"|(?:[a-z0-9_]+/)+\d{6}/t\d{8}_\d+\.html)$")


TRS = "liaocheng_gov/trs"  # the TRS/platform article template (#zoom, TRS_Editor), known on both
TRS_NUMBERED = "{stem}_{n1}.html"  # TRS list pages: index.html, index_1.html, index_2.html …
_YYBNET_COUNTIES = ("临清市", "阳谷县", "莘县", "茌平区", "东阿县", "冠县", "高唐县")

BUILT_IN: dict[str, Portal] = {
    p.name: p
    for p in (
        # -- the first seven: templates of their own (parsers/<name>.py) --------------------------
        # list URLs: 要闻/社会 known (index_<n>.html by 下一页), the others guessed
        Portal("lcxw", "聊城新闻网 / 新聊城客户端", ("lcxw.cn",), "origin", lists=(
            Listing("https://www.lcxw.cn/yaowen/shehui/index.html", "要闻/社会"),
            Listing("https://www.lcxw.cn/yaowen/shizheng/index.html", "要闻/时政"),
            Listing("https://www.lcxw.cn/kuaixun/index.html", "快讯"),
            Listing("http://news.lcxw.cn/liaocheng/xianyu/", "县域"))),
        # by issue date; the layout path is guessed (see parsers/lcrb.py)
        Portal("lcrb", "聊城日报 / 聊城晚报 数字报", ("lcrb.lcxw.cn",), "epaper",
               issues=Issues("http://lcrb.lcxw.cn/{edition}/pc/layout/{date:%Y%m}/{date:%d}/node_01.html",
                             editions=("paper", "lcwb")),
               replay_args=(("since", "2024-03-29"), ("until", "2024-03-29"))),
        # the article's breadcrumb names its county channel; county list folders guessed
        Portal("yybnet", "地方网", ("yybnet.net",), "aggregator", lists=(
            Listing("https://www.yybnet.net/liaocheng/news/", "今日聊城"),
            *(Listing(f"https://www.yybnet.net/liaocheng/{c.slug}/", f"今日{c.short}", county=c.name)
              for c in COUNTIES if c.name in _YYBNET_COUNTIES))),
        # the whole news centre; only articles about Liaocheng are kept (spiders/achie.py)
        Portal("achie", "中国高新院", ("achie.org",), "aggregator", lists=(
            Listing("http://www.achie.org/news/", "新闻中心"),)),
        # list_<channel>.html then list_<channel>_<n>.html (known); folders and ids guessed
        Portal("liaocheng_gov", "聊城市人民政府", ("liaocheng.gov.cn",), "government", lists=(
            Listing("http://www.liaocheng.gov.cn/xwzx/zwyw/list_1061.html", "政务要闻", numbered=TRS_NUMBERED),
            Listing("http://www.liaocheng.gov.cn/xwzx/bmdt/list_1062.html", "部门动态", numbered=TRS_NUMBERED),
            Listing("http://www.liaocheng.gov.cn/xwzx/xqdt/list_1063.html", "县区动态", numbered=TRS_NUMBERED))),
        # /lcxw/ and /hailiao/ known, default_<n>.htm numbering known, default.htm guessed
        Portal("dzwww_liaocheng", "大众网·聊城", ("liaocheng.dzwww.com",), "aggregator", lists=(
            Listing("http://liaocheng.dzwww.com/lcxw/default.htm", "聊城新闻", numbered="{stem}_{n1}.htm"),
            Listing("http://liaocheng.dzwww.com/hailiao/default.htm", "海聊", numbered="{stem}_{n1}.htm"))),
        # share pages rendered in the browser; host and URLs guessed
        Portal("lcxw_app", "新聊城客户端 (app share pages)", ("app.lcxw.cn",), "origin", needs_browser=True, lists=(
            Listing("https://app.lcxw.cn/share/list.html?channel=latest", "最新"),)),

        # -- issue 19: declarations read by the generic reader or a built-in template -------------
        # The evidence for each, known and guessed: docs/sources.md.
        Portal("qlwb_liaocheng", "齐鲁晚报·今日聊城 数字报", ("sjb.qlwb.com.cn", "epaper.qlwb.com.cn"), "epaper",
               issues=Issues("https://sjb.qlwb.com.cn/html/{date:%Y-%m}/{date:%d}/node_1.htm", channel="今日聊城",
                             pages=r"^https?://sjb\.qlwb\.com\.cn/html/\d{4}-\d{2}/\d{2}/node_\d+\.htm$",
                             page_label="今日聊城"),
               article=r"^https?://sjb\.qlwb\.com\.cn/html/\d{4}-\d{2}/\d{2}/content_\d+\.htm$",
               template="lcrb/founder-pc", drop_query=("div",),
               replay_args=(("since", "2011-04-29"), ("until", "2011-04-29"))),
        Portal("liaocheng_cc", "聊城信息港", ("liaocheng.cc",), "aggregator",
               lists=(Listing("https://liaocheng.cc/news/lcxw/", "聊城新闻"),),
               article=r"^https?://(?:www\.)?liaocheng\.cc/html/\d{4}/\d{4}/\d{10}\.htm$"),
        Portal("lqxxg", "临清信息港", ("lqxxg.cn",), "aggregator", county="临清市",
               lists=(Listing("http://www.lqxxg.cn/news/list-lq.html", "本地新闻"),),
               article=r"^https?://www\.lqxxg\.cn/news/newslq\d+\.html$"),
        Portal("sdnews_liaocheng", "鲁网·聊城", ("sdnews.com.cn",), "aggregator",
               lists=(Listing("http://sd.sdnews.com.cn/liaocheng/xwzx/", "聊城频道", numbered="index_{n1}.htm"),),
               article=r"^https?://sd\.sdnews\.com\.cn/liaocheng/(?:[a-z0-9_]+/)*\d{6}/t\d{8}_\d+\.html?$",
               template=TRS),
        Portal("liaocheng_renda", "聊城市人大常委会 (聊城人大网)", ("renda.liaocheng.gov.cn",), "government",
               lists=(Listing("http://renda.liaocheng.gov.cn/18rdh1/news/", "市十八届人大一次会议"),),
               article=r"^https?://renda\.liaocheng\.gov\.cn/[a-z0-9]+/[a-z0-9]+/\d{4}-\d{2}-\d{2}/\d+\.html$"),
        Portal("liaocheng_sthjj", "聊城市生态环境局", ("sthjj.liaocheng.gov.cn",), "government",
               lists=(Listing("http://sthjj.liaocheng.gov.cn/xxgk/wryhjjgxxgk/xzcf/index.html", "行政处罚",
                              numbered=TRS_NUMBERED),),
               article=_county_site("sthjj.liaocheng.gov.cn"), template=TRS),
        # the county governments (channel = county); the known list URLs are 政策文件 channels
        Portal("dongchangfu_gov", "东昌府区人民政府", ("dongchangfu.gov.cn",), "government", county="东昌府区",
               lists=(Listing("http://www.dongchangfu.gov.cn/channel_x_0.0_11971/", "政策文件"),),
               article=_county_site("www.dongchangfu.gov.cn"), template=TRS),
        Portal("linqing_gov", "临清市人民政府", ("linqing.gov.cn",), "government", county="临清市",
               lists=(Listing("http://www.linqing.gov.cn/channel_j_lqsrmzfmhwz_14b/", "政策文件"),),
               article=_county_site("www.linqing.gov.cn"), template=TRS),
        Portal("yanggu_gov", "阳谷县人民政府", ("yanggu.gov.cn",), "government", county="阳谷县",
               lists=(Listing("http://www.yanggu.gov.cn/channel_t_272_31041/", "阳谷要闻"),),
               article=_county_site("www.yanggu.gov.cn"), template=TRS),
        Portal("shenxian_gov", "莘县人民政府", ("sdsx.gov.cn",), "government", county="莘县",
               lists=(Listing("http://www.sdsx.gov.cn/channel_x_0_6735/", "政策文件"),),
               article=_county_site("www.sdsx.gov.cn"), template=TRS),
        Portal("chiping_gov", "茌平区人民政府", ("chiping.gov.cn",), "government", county="茌平区",
               lists=(Listing("http://www.chiping.gov.cn/channel_6948a669fde2425c009181b6/", "政府开放日"),),
               article=_county_site("www.chiping.gov.cn"), template=TRS),
        Portal("donge_gov", "东阿县人民政府", ("sdde.gov.cn",), "government", county="东阿县",
               lists=(Listing("http://www.sdde.gov.cn/channel_d_daxrmzf_28b/", "政策文件"),),
               article=_county_site("www.sdde.gov.cn"), template=TRS),
        Portal("guanxian_gov", "冠县人民政府", ("guanxian.gov.cn",), "government", county="冠县",
               lists=(Listing("http://www.guanxian.gov.cn/gxxxgk/xzfbmxxgk/gxhjbhfj/index.html", "环境保护分局",
                              numbered=TRS_NUMBERED),),
               article=_county_site("www.guanxian.gov.cn"), template=TRS),
        Portal("gaotang_gov", "高唐县人民政府", ("gaotang.gov.cn",), "government", county="高唐县",
               lists=(Listing("http://www.gaotang.gov.cn/gtxxgk/szfbmxxgk/gtxhjbhj/index.html", "环境保护局",
                              numbered=TRS_NUMBERED),),
               article=_county_site("www.gaotang.gov.cn"), template=TRS),

        # -- not crawled: what a copy is when it is no source's ------------------------------------
        Portal("mirror", "content-farm mirror", (), "mirror"),
        Portal("unknown", "unknown source", (), "unknown"),
    )
}


def _with_operator_sources() -> dict[str, Portal]:
    from liaocheng_news.sources import operator_sources

    return {**BUILT_IN, **operator_sources(BUILT_IN)}


PORTALS: dict[str, Portal] = _with_operator_sources()


def portal_for_url(url: str) -> Portal | None:
    """The portal a URL belongs to, by its host (the most specific host wins)."""
    return _portal_for_host(strip_host(urlsplit(url).hostname or ""))


# asked for every request (render routing, containment, canonical URLs); PORTALS is built once
# at import, so a host's answer never changes within a process
@functools.lru_cache(maxsize=1024)
def _portal_for_host(host: str) -> Portal | None:
    best: Portal | None = None
    best_len = -1
    for portal in PORTALS.values():
        for h in portal.hosts:
            if (host == h or host.endswith("." + h)) and len(h) > best_len:
                best, best_len = portal, len(h)
    return best


def kind_rank(portal_name: str) -> int:
    portal = PORTALS.get(portal_name)
    return KIND_RANK[portal.kind if portal else "unknown"]
