"""``liaocheng-news save-fixture URL``: record a live page as a new test fixture.

Writes ``<dir>/<portal>/<slug>.html`` (the bytes exactly as served), ``<slug>.meta.json``
(url, fetch time, status, response headers, provenance: recorded) and ``<slug>.expected.json``
holding the parser's current output, to be reviewed by hand before it is committed.
For operators with network access; robots.txt is obeyed.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from liaocheng_news.items import PARSED_FIELDS, Article, article_to_json
from liaocheng_news.ops.fetch import Fetcher
from liaocheng_news.parsers import get_parser
from liaocheng_news.portals import portal_for_url


def expected_json(article: Article) -> dict:
    """An article in the fixtures' expected-JSON form: what the parser fills (ISO 8601 dates,
    images as dicts)."""
    data = article_to_json(article)
    return {key: data[key] for key in PARSED_FIELDS}


def slug_for(url: str, kind: str) -> str:
    path = urlsplit(url).path.strip("/") or "index"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path.rsplit(".", 1)[0]).strip("-").lower()
    return f"{kind}-{slug[-60:]}"


# a fixture's name (--name): a plain file name, so its files stay in the portal's folder
FIXTURE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


def save_fixture(url: str, portal: str, kind: str, directory: Path, fetcher: Fetcher,
                 slug: str | None = None) -> list[Path]:
    if slug is not None and not FIXTURE_NAME.fullmatch(slug):
        raise ValueError(f"a fixture's name is a plain file name (letters, digits, '.', '_', '-'), not {slug!r}")
    page = fetcher.fetch(url)
    if page.status >= 400:
        raise RuntimeError(f"{url}: HTTP {page.status}; nothing saved")
    parser = get_parser(portal)
    if kind == "list":
        listing = parser.parse_list(page)
        expected = {"links": listing.links, "next_page": listing.next_page}
    else:
        expected = expected_json(parser.parse(page))
    folder = directory / portal
    folder.mkdir(parents=True, exist_ok=True)
    slug = slug or slug_for(url, kind)
    meta = {
        "url": url,
        "kind": kind,
        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": page.status,
        "headers": {k: v for k, v in page.headers.items()
                    if k.lower() in ("content-type", "last-modified", "etag", "server", "date")},
        "provenance": {"recorded": True, "method": "recorded",
                       "evidence": [f"fetched live with liaocheng-news save-fixture from {url}"],
                       "notes": "expected JSON is the parser's output at recording time: review it"},
    }
    paths = [folder / f"{slug}.html", folder / f"{slug}.meta.json", folder / f"{slug}.expected.json"]
    paths[0].write_bytes(page.body)
    paths[1].write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None, prog: str = "liaocheng-news save-fixture",
         default_dir: Path | None = None) -> int:
    from scrapy.utils.project import get_project_settings

    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--portal", help="the portal (default: from the URL's host)")
    parser.add_argument("--kind", choices=("article", "list"), default="article")
    parser.add_argument("--name", help="the fixture's slug (default: from the URL)")
    parser.add_argument("--dir", type=Path, default=default_dir, required=default_dir is None,
                        help=f"the fixtures folder (default: {default_dir})" if default_dir else "the fixtures folder")
    args = parser.parse_args(argv)
    portal = args.portal or getattr(portal_for_url(args.url), "name", None)
    if not portal:
        parser.error(f"cannot tell the portal of {args.url}; pass --portal")
    try:
        paths = save_fixture(args.url, portal, args.kind, args.dir,
                             Fetcher.from_settings(get_project_settings()), args.name)
    except (OSError, RuntimeError, ValueError) as exc:
        parser.exit(1, f"{prog}: {exc}\n")
    for path in paths:
        print(path)
    return 0
