"""lcrb — 聊城日报 digital edition on lcrb.lcxw.cn, with 聊城晚报 on the same host (``/lcwb/``).

A Founder (方正) e-paper: an issue is a set of pages (版面, ``node_NN.html`` layout pages, each
with the issue's page list and the titles of its articles); an article page
(``content_<id>.html``) carries the Founder metadata comment
``<!--enpproperty <date>…</date>…<founder-title>…</founder-title> /enpproperty-->``.

Evidence (shared/portals.md and the look-ups named in the fixtures' metadata):
- known: article URLs ``http://lcrb.lcxw.cn/paper/pc/content/content_<id>.html`` (ids sequential,
  no date in the path), the enpproperty comment with date, paper name, page number and title;
  PDFs under ``/lcwb/pc/attachment/<YYYYMM>/<DD>/``.
- known (public scrapers of other Founder e-papers): layout pages
  ``…/pc/layout/<YYYYMM>/<DD>/node_01.html``; page list ``#pageList`` / ``.swiper-slide`` /
  ``a#pageLink``; article list ``#titleList`` / ``ul.news-list``; article ``div.article`` with
  h3 (引题) / h1 / h2 (副题), body ``#ozoom`` holding ``<founder-content>``; the page label
  ``第07版：数智潮流``; comment tags ``<founder-title>``, ``<founder-date>``, ``<founder-pagenum>``.
- known (real Founder pages of other papers, shared/realpages: 西藏日报, 河南商报, 太原晚报): the
  comment is ``enpproperty`` or, on older pages, ``mpproperty``; ``<h1>`` may be empty or hold a
  table of 引题/title/subtitle, the headline may be ``<h2 id="Title" class="art-title">``; the body
  is ``#ozoom``/``<founder-content>`` or follows ``<!--enpcontent-->`` directly.
- guess: that lcrb's layout pages use the dated path above (``/paper/`` for 聊城日报, ``/lcwb/``
  for 聊城晚报) and the class names of the People's Daily ``pc`` template.

The edition comes from the path (``/paper/`` → 聊城日报, ``/lcwb/`` → 聊城晚报), never from the
comment alone.  Photo captions go to images.  Sentences cut at column ends stay cut here: the
markup splits them, and the normaliser (text.layout) decides what to join.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from liaocheng_news.parsers.base import ArticleParser, ListPage, Page, TemplateVersion
from liaocheng_news.parsers.cms import enpproperty
from liaocheng_news.parsers.html import Found, select, select_all
from liaocheng_news.text.fields import clean_space, parse_date, parse_datetime, split_names

HOST = "lcrb.lcxw.cn"
# path segment -> edition
EDITIONS: dict[str, str] = {"paper": "聊城日报", "lcwb": "聊城晚报"}

# 晚报记者 / 晚报通讯员: the 晚报's own byline labels, which text.fields does not know
_WANBAO_BYLINE = re.compile(r"^[■□●◆\s]*晚报(?:见习)?(?:记者|通讯员)\s*(?P<names>[\u4e00-\u9fff·、\s]{2,30})$")
_PAGE_LABEL = re.compile(r"第?\s*([A-Za-z]?\d{1,3})\s*版\s*[:：]?\s*([^\s<>|｜]{1,12})?")


def _text(node: Found, sep: str = "") -> str:
    """Every text node under ``node`` (``::text``), joined by ``sep``, blanks collapsed."""
    return clean_space(sep.join(select(node, "::text")))


def edition_of(url: str) -> str | None:
    """聊城日报 for ``/paper/…``, 聊城晚报 for ``/lcwb/…`` (None for other paths)."""
    first = urlsplit(url).path.strip("/").split("/", 1)[0]
    return EDITIONS.get(first)


def page_label(text: str) -> tuple[str | None, str | None]:
    """``第01版：要闻`` -> ``("1", "要闻")``; ``A3版`` -> ``("A3", None)``; nothing -> (None, None)."""
    match = _PAGE_LABEL.search(text or "")
    if not match:
        return None, None
    number = match.group(1).upper()
    number = number.lstrip("0") or number if number.isdigit() else number
    return number, match.group(2) or None


def _take_wanbao_bylines(fields: dict[str, Any]) -> None:
    """Move ``■ 晚报记者 孙金凤`` lines from the body to the authors."""
    body: list[str] = []
    for paragraph in fields["body"]:
        match = _WANBAO_BYLINE.match(paragraph)
        if match and len(body) > 0:
            fields["authors"] = [*fields.get("authors", []),
                                 *(n for n in split_names(match.group("names")) if n not in fields.get("authors", []))]
        else:
            body.append(paragraph)
    fields["body"] = body


class FounderPc(TemplateVersion):
    """The Founder ``pc`` e-paper article page (People's Daily-like markup).

    It applies where a Founder marker is: the metadata comment (``enpproperty``, or
    ``mpproperty`` on older pages), ``<founder-content>`` or ``#ozoom``.  The headline is the
    comment's title (the CMS's own record) when it has one: real Founder pages (shared/realpages:
    西藏日报, 河南商报, 太原晚报) leave ``<h1>`` empty, put the headline in ``<h2 id="Title">``, or
    put a table of 引题/title/subtitle inside ``<h1>``.  The body is ``div.article-box``,
    ``#ozoom``, ``<founder-content>`` or, on Founder web pages, the element holding the
    ``<!--enpcontent-->`` comment.
    """

    name = "founder-pc"
    anchors = ('//comment()[contains(., "property")] | //founder-content | //*[@id="ozoom"]',)
    title = ("div.article h1", "h1", "h2#Title", "h2.art-title", "div.article h2")
    body = (
        "div.article div.article-box", "#ozoom", "founder-content",
        '(//comment()[normalize-space(.)="enpcontent"])[1]/..',
    )
    chrome = ("div.attachment",)
    page_info = ("div.article p.sec", "div.paper-bot p.ban", "div.paper-bot")
    issue_date = ("div.article p.sec span.date", "div.date-box p.date", "div.date-box")

    def headline(self, page: Page) -> str:
        return enpproperty(page.text).get("title") or super().headline(page)

    def extract(self, page: Page, parser: ArticleParser) -> dict[str, Any] | None:
        fields = super().extract(page, parser)
        if fields is None:
            return None
        sel = page.selector
        enp = enpproperty(page.text)
        title = fields["title"]
        h2 = [_text(n) for n in select(sel, "div.article h2")]
        h3 = [_text(n) for n in select(sel, "div.article h3")]
        fields["subtitle"] = enp.get("subtitle") or next((t for t in h2 if t and t != title), None) \
            or next((t for t in h3 if t and t != title), None) or None
        label = " ".join(_text(n, " ") for n in select_all(sel, self.page_info))
        label_no, label_name = page_label(label)
        issue: date | None = parse_date(enp.get("date")) or parse_date(
            " ".join(next(iter(select(n, "::text")), "") for n in select_all(sel, self.issue_date)))
        if issue is not None:
            fields["published_at"] = parse_datetime(issue.isoformat())
        edition = edition_of(page.url)
        fields["edition"] = edition
        page_no = enp.get("pagenum") or label_no
        fields["page_no"] = (page_no.lstrip("0") or page_no) if page_no else None
        fields["page_name"] = enp.get("pagename") or label_name
        if not fields.get("authors") and enp.get("author"):
            fields["authors"] = split_names(enp["author"])
        _take_wanbao_bylines(fields)
        fields["source"] = fields.get("source") or edition
        fields["channel"] = edition
        return fields


class LcrbParser(ArticleParser):
    portal = "lcrb"
    versions = (FounderPc(),)
    article_url = re.compile(r"^https?://lcrb\.lcxw\.cn/(?:paper|lcwb)/pc/content/(?:\d{6}/\d{2}/)?content_\d+\.html?$")
    layout_url = re.compile(r"^https?://lcrb\.lcxw\.cn/(?:paper|lcwb)/pc/layout/\d{6}/\d{2}/node_\d+\.html?$")
    # the titles of the page's articles (the image map's <area> links duplicate them)
    list_links = ("#titleList li a", "ul.news-list li a", "div.news-list li a")
    next_page = ('//a[normalize-space()="下一版"]/@href',)
    page_list = ("#pageList a#pageLink", "#pageList a", "div.swiper-slide a", "a#pageLink")

    def page_links(self, page: Page) -> list[str]:
        """The issue's layout pages (版面) from the page list of a layout page, in paper order."""
        links: list[str] = []
        for anchor in select_all(page.selector, self.page_list):
            url = page.absolute(anchor.get("href") if not isinstance(anchor, str) else None)
            if url and self.layout_url.match(url) and url not in links:
                links.append(url)
        return links

    def parse_list(self, page: Page) -> ListPage:
        listing = super().parse_list(page)
        if listing.next_page and not self.layout_url.match(listing.next_page):
            listing.next_page = None
        return listing
