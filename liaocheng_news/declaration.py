"""A source is a declaration: what the archive must know to crawl a news site, and no code.

A :class:`Portal` names the source (one name everywhere: spider, parser, fixture folder), its
hosts and kind, the county its articles concern, and either the list pages to read
(:class:`Listing`, paginated by their 下一页 link or by a numbered pattern) or, for an e-paper,
the issue to open for each date (:class:`Issues`); a regular expression says which links are
articles.  The generic reader reads the articles, or a template of a built-in parser does when
the declaration names one.  Built-in sources are declared in :mod:`liaocheng_news.portals`,
operators' sources in a TOML file (:mod:`liaocheng_news.sources`); both are checked here, on
creation, and a declaration that could not be crawled as written raises :class:`SourceError`
saying why.  The keys are documented in docs/sources.md ("Declaring a source").
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from liaocheng_news.counties import COUNTY_NAMES, county_of

__all__ = [
    "CRAWLED_KINDS", "KIND_RANK", "Issues", "Listing", "Portal", "SourceError", "on_hosts", "pattern_host",
    "strip_host",
]

# How copies of one story rank when the canonical copy is chosen (lower first).  A government
# portal publishes its own documents and news first-hand: it ranks with the origin portals.
KIND_RANK = {"origin": 0, "government": 0, "epaper": 1, "aggregator": 2, "mirror": 3, "unknown": 4}
CRAWLED_KINDS = ("origin", "government", "epaper", "aggregator")  # mirror, unknown: no spider

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_HOST = re.compile(r"^(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_TEMPLATE = re.compile(r"^[a-z][a-z0-9_]*/[a-z0-9][a-z0-9_.-]*$")
# the start of an anchored URL pattern: ^https?:// (or ^http://, ^https://, ^(?:https?)://)
_PATTERN_SCHEME = re.compile(r"^\^(?:\(\?i\))?(?:https\?|https|http|\(\?:https\?\)|\(https\?\)):(?://|\\/\\/)")
_LEADING_GROUP = re.compile(r"^\((?:\?:)?[^()]*\)\??")
_SAMPLE_DAY = date(2024, 3, 29)


class SourceError(ValueError):
    """A declaration that cannot be crawled as written; the message says what to change."""


def strip_host(host: str) -> str:
    """``www.Lcxw.cn:80`` -> ``lcxw.cn``: lower-case, no port, no ``www.``/``m.`` prefix."""
    host = (host or "").lower().rstrip(".")
    if ":" in host:
        host = host.split(":", 1)[0]
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host


def on_hosts(url: str, hosts: Iterable[str]) -> bool:
    """True when ``url`` is http(s) on one of ``hosts`` (or a subdomain of one)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = strip_host(parts.hostname or "")
    return any(host == h or host.endswith("." + h) for h in hosts)


def pattern_host(pattern: str) -> str | None:
    """The host an anchored URL pattern names literally (``^https?://(www\\.)?liaocheng\\.cc/…``
    -> ``liaocheng.cc``); None when the pattern does not start so (or the host is not literal)."""
    start = _PATTERN_SCHEME.match(pattern)
    if not start:
        return None
    rest = pattern[start.end():]
    ends = [i for i in (rest.find("/"), rest.find("\\/")) if i >= 0]
    if not ends:
        return None
    host = _LEADING_GROUP.sub("", rest[: min(ends)], count=1).replace("\\.", ".").lstrip(".").lower()
    return host if _HOST.match(host) else None


def _check_pattern(pattern: object, what: str, hosts: tuple[str, ...]) -> None:
    if not isinstance(pattern, str) or not pattern:
        raise SourceError(f"{what} must be a regular expression (a string)")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise SourceError(f"{what} '{pattern}' is not a valid regular expression: {exc}") from None
    host = pattern_host(pattern)
    if host is None:
        raise SourceError(f"{what} '{pattern}' must start with ^https?:// and name its host literally "
                          r"(a leading group such as (www\.)? is allowed), then /")
    if not on_hosts(f"http://{host}/", hosts):
        raise SourceError(f"{what} '{pattern}' matches host {host}, which is not one of the source's hosts "
                          f"({', '.join(hosts)})")


def _check_url(url: object, what: str, hosts: tuple[str, ...]) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise SourceError(f"{what} {url!r} is not an http(s) URL")
    if not on_hosts(url, hosts):
        raise SourceError(f"{what} {url} is not on the source's hosts ({', '.join(hosts)})")


def _check_county(county: object, what: str) -> None:
    if county is not None and county not in COUNTY_NAMES:
        hint = county_of(county) if isinstance(county, str) else None
        raise SourceError(f"{what} {county!r} is not a county of Liaocheng"
                          + (f" as the archive writes it: use {hint!r}" if hint else
                             f" (one of {', '.join(COUNTY_NAMES)})"))


@dataclass(frozen=True)
class Listing:
    """A list page of a source: its first page, the channel label of what it lists, the county
    its articles concern (if it names one), and how its pages are numbered.

    ``numbered`` (``"{stem}_{n1}.html"``) gives page n (2, 3 …) by replacing the last path segment
    of ``url``; ``{stem}`` is that segment without its extension, ``{n}`` the page number and
    ``{n1}`` n - 1 (TRS numbering: ``index.html``, ``index_1.html`` …).  Without it, the list's
    下一页 link leads on.
    """

    url: str
    channel: str
    county: str | None = None
    numbered: str | None = None

    def check(self, hosts: tuple[str, ...]) -> None:
        _check_url(self.url, "list page", hosts)
        if not isinstance(self.channel, str) or not self.channel.strip():
            raise SourceError(f"list page {self.url}: channel must be a non-empty label")
        _check_county(self.county, f"list page {self.url}: county")
        if self.numbered is not None:
            if not isinstance(self.numbered, str) or not re.search(r"\{n1?\}", self.numbered):
                raise SourceError(f"list page {self.url}: numbered {self.numbered!r} must hold {{n}} or {{n1}}")
            try:
                page = self.numbered.format(stem="index", n=2, n1=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise SourceError(f"list page {self.url}: numbered {self.numbered!r} may use only "
                                  f"{{stem}}, {{n}} and {{n1}} ({exc})") from None
            if "/" in page:
                raise SourceError(f"list page {self.url}: numbered {self.numbered!r} replaces the last "
                                  "path segment only: no '/'")


@dataclass(frozen=True)
class Issues:
    """An e-paper read by date: the URL of an issue's first page (``{date:%Y-%m}`` …, and
    ``{edition}`` when the paper has ``editions``: the values it takes), the channel label of its
    articles when their pages name none, which links of a page's page list are the issue's pages
    (版面) and, optionally, the label a page's link must contain for the page to be read."""

    url: str
    channel: str | None = None
    editions: tuple[str, ...] = ()
    pages: str | None = None
    page_label: str | None = None

    def url_of(self, day: date, edition: str = "") -> str:
        return self.url.format(date=day, edition=edition)

    def check(self, hosts: tuple[str, ...]) -> None:
        if not isinstance(self.url, str) or "{date" not in self.url:
            raise SourceError(f"issues url {self.url!r} must hold the date, e.g. {{date:%Y-%m}}/{{date:%d}}")
        if ("{edition}" in self.url) != bool(self.editions):
            raise SourceError(f"issues url {self.url!r}: give editions exactly when the url holds {{edition}}")
        if self.channel is not None and (not isinstance(self.channel, str) or not self.channel.strip()):
            raise SourceError("issues channel must be a non-empty label")
        for edition in self.editions or ("",):
            if not isinstance(edition, str) or (self.editions and not re.fullmatch(r"[A-Za-z0-9_-]+", edition)):
                raise SourceError(f"issues editions: {edition!r} is not a path segment (letters, digits, _ and -)")
            try:
                url = self.url_of(_SAMPLE_DAY, edition)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                raise SourceError(f"issues url {self.url!r} may use only {{date:…}} and {{edition}} ({exc})") from None
            _check_url(url, "issues url", hosts)
        if self.pages is not None:
            _check_pattern(self.pages, "issues pages", hosts)
        if self.page_label is not None and (not isinstance(self.page_label, str) or not self.page_label.strip()):
            raise SourceError("issues page_label must be a non-empty label")


@dataclass(frozen=True)
class Portal:
    """One source of articles (see the module docstring; the keys: docs/sources.md)."""

    name: str
    title: str
    hosts: tuple[str, ...]  # registrable hosts, without www./m.; subdomains belong to them
    kind: str  # origin | government | epaper | aggregator (mirror, unknown: not crawled)
    needs_browser: bool = False
    county: str | None = None  # the county every article concerns (channel = county)
    lists: tuple[Listing, ...] = ()
    issues: Issues | None = None
    article: str | None = None  # which links are articles (a parser module says it otherwise)
    template: str | None = None  # "<built-in parser>/<template version>", else the reader alone
    encoding: str | None = None  # a hint for pages that declare no charset (the reader sniffs)
    drop_query: tuple[str, ...] = ()  # query parameters removed from links (?div=-1 on e-papers)
    replay_args: tuple[tuple[str, str], ...] = ()  # spider arguments of a replay crawl (recorded dates)
    origin: str = "built-in"  # where it is declared: built-in, or the sources file's path

    def __post_init__(self) -> None:
        object.__setattr__(self, "hosts", tuple(strip_host(h) for h in self.hosts))
        self.check()

    # -- checks --------------------------------------------------------------------------------
    def check(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise SourceError(f"name {self.name!r}: use 2-40 lower-case letters, digits and '_', "
                              "starting with a letter")
        if not isinstance(self.title, str) or not self.title.strip():
            raise SourceError("title must be a non-empty string")
        if self.kind not in KIND_RANK:
            raise SourceError(f"kind {self.kind!r} is not one of {', '.join(CRAWLED_KINDS)}")
        for host in self.hosts:
            if not _HOST.match(host):
                raise SourceError(f"host {host!r} is not a host name (write liaocheng.cc, no scheme or path)")
        _check_county(self.county, "county")
        crawled = bool(self.lists) or self.issues is not None
        if self.kind in CRAWLED_KINDS:
            if not self.hosts:
                raise SourceError("hosts: a crawled source needs at least one host")
            if not crawled:
                raise SourceError("declare the list pages ([[source.lists]]) or, for an e-paper by date, "
                                  "the issues ([source.issues])")
        elif crawled:
            raise SourceError(f"a source of kind {self.kind!r} is not crawled: declare no lists or issues")
        if self.lists and self.issues is not None:
            raise SourceError("declare lists or issues, not both")
        channels = [listing.channel for listing in self.lists]
        if len(set(channels)) != len(channels):
            raise SourceError(f"list channels must differ: {channels}")
        for listing in self.lists:
            listing.check(self.hosts)
        if self.issues is not None:
            self.issues.check(self.hosts)
        if self.article is not None:
            _check_pattern(self.article, "article pattern", self.hosts)
        if self.template is not None and (not isinstance(self.template, str) or not _TEMPLATE.match(self.template)):
            raise SourceError(f"template {self.template!r}: name a built-in parser's template as "
                              "'<parser>/<version>' (e.g. liaocheng_gov/trs)")
        if self.encoding is not None:
            try:
                codecs.lookup(str(self.encoding))
            except LookupError:
                raise SourceError(f"encoding {self.encoding!r} is not a known character set") from None
        if not all(isinstance(p, str) and p for p in self.drop_query):
            raise SourceError(f"drop_query {self.drop_query!r} must list query parameter names")

    # -- what the crawl reads off a declaration ----------------------------------------------------
    @property
    def crawled(self) -> bool:
        return bool(self.lists) or self.issues is not None

    @property
    def home_host(self) -> str | None:
        """The host a copy's identity key names for this source: its first declared page's host
        when that is a ``www.``/``m.`` form of its first host (``www.guanxian.gov.cn``), else the
        first host (``lcrb.lcxw.cn``).  Declared once, so a stored URL names the host the source
        is read from; ``None`` for a source with no hosts (mirror, unknown)."""
        if not self.hosts:
            return None
        first = self.lists[0].url if self.lists else (self.issues.url if self.issues else "")
        host = (urlsplit(first).hostname or "").lower()
        return host if host != self.hosts[0] and strip_host(host) == self.hosts[0] else self.hosts[0]

    @property
    def sections(self) -> dict[str, str]:
        """channel label -> first list page (what the spider starts from)."""
        return {listing.channel: listing.url for listing in self.lists}

    def listing(self, channel: str | None) -> Listing | None:
        return next((listing for listing in self.lists if listing.channel == channel), None)

    def channel(self, parsed: str | None, listed: str | None = None) -> str | None:
        """The channel an article is stored under: the county its own page names (今日临清 ->
        临清市), else the county of the list it was found on, else the source's county; with no
        county, what its page says, else the list's label (an e-paper's: its issues' channel)."""
        listing = self.listing(listed)
        county = (county_of(parsed) or (listing.county if listing else None) or county_of(listed)
                  or self.county)
        return county or parsed or listed or (self.issues.channel if self.issues else None)
