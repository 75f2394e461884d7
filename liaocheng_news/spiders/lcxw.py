"""lcxw — 聊城新闻网 / 新聊城客户端: the news sections and their list pages."""

from liaocheng_news.spiders.base import PortalSpider


class LcxwSpider(PortalSpider):
    name = "lcxw"
    # channel label -> first list page; later pages come from the list's "下一页" link
    # (index_<n>.html, known from the 2019 public spider; the current sections' URLs are guessed)
    sections = {
        "要闻/社会": "https://www.lcxw.cn/yaowen/shehui/index.html",
        "要闻/时政": "https://www.lcxw.cn/yaowen/shizheng/index.html",
        "快讯": "https://www.lcxw.cn/kuaixun/index.html",
        "县域": "http://news.lcxw.cn/liaocheng/xianyu/",
    }
