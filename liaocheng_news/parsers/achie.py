"""achie — 中国高新院 news centre (achie.org): a national site; only Liaocheng articles are kept.

Evidence (shared/portals.md, seeds 003 and 004, and the look-ups named in the fixtures' metadata):
- known: page text (through a mirror): breadcrumb ``当前位置:主页 > 新闻中心 > 产业规划 >``, the
  column list (高新院新闻, 政策解读, 高新区新闻, 区域经济研究, 经济开发区新闻, 科技创新, 战略性新兴产业研究,
  行业洞见, 一带一路新闻, 智慧城市案例, 产业规划, 园区规划), the line
  ``来源:高新院 achie.org 日期:2022-08-10 点击:次`` and the tail ``相关文章推荐:``.
- known (a mirror of the same template): article paths ``/news/gxq/<YYYYMMDD><aid>.html``
  (DedeCMS name rule ``{typedir}/{Y}{M}{D}{aid}.html``); the empty ``点击:次`` filled by
  ``/plus/count.php?view=yes&aid=<id>``.
- guess: the DedeCMS default class names (place, viewbox, title, info, content, e2 list,
  dede_pages) and the column folders other than ``gxq``.

Relevance is not a parser matter: the parser reads every article; :func:`is_about_liaocheng`
says whether one belongs in the archive, and the spider drops the others (counted).
"""

from __future__ import annotations

import re

from liaocheng_news.items import Article
from liaocheng_news.parsers.base import ArticleParser, TemplateVersion

# Liaocheng, its counties and districts (Simplified and Traditional): 高新区 alone is every
# city's high-tech zone, so it is not here; 聊城高新区 matches through 聊城.
LIAOCHENG_PLACES = (
    "聊城", "东昌府", "東昌府", "临清", "臨清", "阳谷", "陽谷", "陽穀", "莘县", "莘縣", "茌平",
    "东阿", "東阿", "冠县", "冠縣", "高唐", "江北水城",
)
_PLACES = re.compile("|".join(LIAOCHENG_PLACES))


def is_about_liaocheng(article: Article) -> bool:
    """True when the title, subtitle or body names Liaocheng or one of its counties/districts."""
    text = "\n".join([article.title or "", article.subtitle or "", *article.body])
    return bool(_PLACES.search(text))


class Dede(TemplateVersion):
    """The DedeCMS article page of achie.org (layout from the mirror's text, class names guessed)."""

    name = "dedecms"
    title = ("div.viewbox div.title h2", "div.viewbox h2", "h1")
    body = ("div.viewbox div.content", "div.content")
    info = ("div.viewbox div.info",)
    breadcrumb = ("div.place",)
    chrome = ("div.dede_pages", "div.boxoff", "div.handle")


class AchieParser(ArticleParser):
    portal = "achie"
    versions = (Dede(),)
    article_url = re.compile(r"^https?://(?:www\.)?achie\.org/news/[a-z0-9_]+/\d{9,}\.html$")
    list_links = ("div.listbox ul.e2 li a.title", "ul.e2 li a.title", "div.listbox li a")
    next_page = ('//div[contains(@class,"dede_pages")]//a[normalize-space()="下一页"]/@href',)

    site_crumbs = frozenset({"新闻中心", "新聞中心"})  # the column (产业规划 …) is below 新闻中心
