"""yybnet — 地方网: 今日聊城 and the seven county channels.

The article's own breadcrumb names its channel (今日临清 …); the section label below is used
only when a page has none.  County list URLs follow the /<city>/<county>/ folders seen for
other cities (/xianyang/binxian/): a guess.
"""

from liaocheng_news.spiders.base import PortalSpider

COUNTIES = {"临清": "linqing", "阳谷": "yanggu", "莘县": "shenxian", "茌平": "chiping",
            "东阿": "donge", "冠县": "guanxian", "高唐": "gaotang"}


class YybnetSpider(PortalSpider):
    name = "yybnet"
    sections = {
        "今日聊城": "https://www.yybnet.net/liaocheng/news/",
        **{f"今日{county}": f"https://www.yybnet.net/liaocheng/{path}/" for county, path in COUNTIES.items()},
    }
