"""The parser of a declared source: the reader, or a built-in template the declaration names,
with the source's own rules for links, e-paper pages, encoding and channel.

A declaration (:class:`~liaocheng_news.declaration.Portal`) with no parser module of its own gets
a :class:`DeclaredParser`: every link of a list page that its ``article`` pattern matches on its
own hosts is an article (query parameters of ``drop_query`` removed, the host lower-cased), the
"下一页" link leads on, an e-paper's pages are the page-list links its ``issues.pages`` pattern
matches (and whose text holds ``issues.page_label``), and articles are read by the template it
names (``template = "liaocheng_gov/trs"``) and, failing that, by the reader.  Every parser of a
source, a module's too (:func:`with_source`), stores the channel the declaration decides
(channel = county: :meth:`~liaocheng_news.declaration.Portal.channel`).
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from liaocheng_news.declaration import Portal, SourceError, on_hosts
from liaocheng_news.items import Article
from liaocheng_news.parsers.base import ArticleParser, ListPage, Page, TemplateVersion
from liaocheng_news.parsers.encoding import header_charset, meta_charset
from liaocheng_news.text.fields import clean_space

__all__ = ["DeclaredParser", "declared_parser", "template_version", "with_source"]

NEXT_PAGE = ('//a[normalize-space()="下一页"]/@href', '//a[normalize-space()="下一頁"]/@href')


def template_version(ref: str) -> TemplateVersion:
    """The template ``"<parser>/<version>"`` of a built-in parser module; SourceError if none."""
    from liaocheng_news.parsers import parser_class, parser_names

    module, _, version = ref.partition("/")
    if module not in parser_names():
        raise SourceError(f"template {ref!r}: no built-in parser {module!r} (known: {', '.join(parser_names())})")
    versions = parser_class(module).versions
    for candidate in versions:
        if candidate.name == version:
            return candidate
    raise SourceError(f"template {ref!r}: parser {module} has the templates "
                      f"{', '.join(f'{module}/{v.name}' for v in versions)}")


class SourceParser:
    """What a declaration adds to any parser: its encoding hint and its channel rule."""

    source: ClassVar[Portal]

    def hinted(self, page: Page) -> Page:
        """The page, with the declared encoding as its charset when it declares none itself."""
        encoding = self.source.encoding
        if encoding and not header_charset(page.header("content-type")) and not meta_charset(page.body):
            page.headers["content-type"] = f"{page.header('content-type') or 'text/html'}; charset={encoding}"
        return page

    def parse(self, page: Page, compare: bool | None = None) -> Article:
        article = super().parse(self.hinted(page), compare)  # type: ignore[misc]
        article.channel = self.source.channel(article.channel)
        return article


class DeclaredParser(SourceParser, ArticleParser):
    """A parser made from a declaration (see the module docstring)."""

    list_links = ("//a[@href]",)
    next_page = NEXT_PAGE

    def link(self, url: str) -> str:
        """A link as the source is crawled: lower-case scheme and host, no fragment, no
        ``drop_query`` parameters."""
        parts = urlsplit(url)
        query = parts.query
        if self.source.drop_query and query:
            query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                               if k not in self.source.drop_query])
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))

    def is_article_url(self, url: str) -> bool:
        url = self.link(url)
        return on_hosts(url, self.source.hosts) and bool(self.article_url.search(url))

    def parse_list(self, page: Page) -> ListPage:
        listing = super().parse_list(self.hinted(page))
        next_page = listing.next_page
        if next_page and not on_hosts(next_page, self.source.hosts):
            next_page = None
        return ListPage(links=list(dict.fromkeys(self.link(url) for url in listing.links)), next_page=next_page)

    def page_links(self, page: Page) -> list[str]:
        """An e-paper issue's pages (版面) on a page's page list, in paper order: the links the
        ``issues.pages`` pattern matches whose text holds ``issues.page_label``."""
        issues = self.source.issues
        if issues is None or issues.pages is None:
            return []
        pattern = re.compile(issues.pages)
        links: list[str] = []
        for anchor in self.hinted(page).selector.xpath("//a[@href]"):
            url = self.link(page.absolute(anchor.attrib["href"]))
            label = clean_space(" ".join(anchor.xpath(".//text()").getall()))
            if (pattern.search(url) and on_hosts(url, self.source.hosts) and url not in links
                    and (issues.page_label is None or issues.page_label in label)):
                links.append(url)
        return links


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def declared_parser(source: Portal) -> ArticleParser:
    """The parser of a source that has no parser module."""
    if source.article is None:
        raise SourceError(f"{source.name}: a source without a parser module needs an article pattern")
    versions = (template_version(source.template),) if source.template else ()
    cls = type(f"{_class_name(source.name)}Parser", (DeclaredParser,), {
        "portal": source.name, "source": source, "versions": versions, "article_url": re.compile(source.article)})
    return cls()


def with_source(parser_cls: type[ArticleParser], source: Portal) -> ArticleParser:
    """A parser module's parser with its source's declaration applied (channel = county)."""
    return type(parser_cls.__name__, (SourceParser, parser_cls), {"source": source})()
