"""``liaocheng-news extract PAGE... [--url URL] [--portal NAME]``: what the parsers read off stored pages.

Prints one JSON object per page, in the export record's shape (``liaocheng-news export``) plus
``template`` (which template read it: ``<portal>/<version>`` or ``generic``),
``extraction_checks`` (what the cross-check with the reader found) and ``page`` (the input
file's path).  The fields are the parser's reading, before the pipelines: no normalisation,
and the fields only the archive knows (story, revision, first/last seen) are null.

Each page's URL comes from ``--url`` (one page only) or from the fixture-style metadata file
beside it (``<slug>.meta.json`` for ``<slug>.html``: its ``url``, ``headers`` and ``status``);
the portal from the URL's host unless ``--portal`` names it; a page of no known portal is read
by the reader alone (portal ``unknown``).  All pages are read in one process.

Exit status: 0 when every page gave an article; 65 when a page held no article or did not
decode; 66 when a page or its metadata could not be read; 70 when a parser failed on a page
(every page is still tried, and each failure is one line on stderr); 64 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE, EXIT_NOT_AN_ARTICLE, EXIT_NO_INPUT, EXIT_SOFTWARE = 0, 64, 65, 66, 70
UNKNOWN_PORTAL = "unknown"


class InputError(Exception):
    """A page or its metadata cannot be read (the message is one line for the operator)."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``extract`` command to a CLI's subparsers."""
    parser = subparsers.add_parser(
        "extract", help="print what the parsers read off stored pages (one JSON object per page)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", metavar="PAGE", help="stored HTML page(s)")
    parser.add_argument("--url", help="the page's URL (one PAGE only; default: PAGE's .meta.json)")
    parser.add_argument("--portal", help="the portal whose parser reads the pages (default: from the URL's host)")
    parser.add_argument("--timings", action="store_true", help="add parse_ms, the time spent decoding and parsing")
    parser.set_defaults(func=run)
    return parser


def meta_path(page: Path) -> Path:
    """The fixture-style metadata file of a page: ``x.meta.json`` beside ``x.html``."""
    return page.with_name(page.name.rsplit(".", 1)[0] + ".meta.json")


def page_source(path: Path, url: str | None) -> tuple[str, dict[str, str], int]:
    """The page's URL, response headers and status: from ``url`` or from its metadata file."""
    meta_file = meta_path(path)
    meta: dict[str, Any] = {}
    if meta_file.exists():
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{meta_file}: not readable JSON ({exc})") from None
        if not isinstance(meta, dict):
            raise InputError(f"{meta_file}: not a JSON object")
    url = url or meta.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InputError(f"{path}: no http(s) URL (give --url, or a {meta_file.name} with a \"url\")")
    headers = meta.get("headers") if isinstance(meta.get("headers"), dict) else {}
    status = meta.get("status") if isinstance(meta.get("status"), int) else 200
    return url, {str(k): str(v) for k, v in headers.items()}, status


def parser_for(url: str, portal: str | None):
    """The named portal's parser, else the parser of the URL's portal, else the reader alone."""
    from liaocheng_news.parsers import get_parser
    from liaocheng_news.parsers.generic import GenericParser
    from liaocheng_news.portals import portal_for_url

    name = portal or getattr(portal_for_url(url), "name", None)
    if name in (None, UNKNOWN_PORTAL):
        return GenericParser()
    try:
        return get_parser(name)
    except KeyError:
        return GenericParser(name)


def _iso(value: Any) -> Any:
    from liaocheng_news.text.fields import SHANGHAI

    return value.astimezone(SHANGHAI).isoformat() if isinstance(value, datetime) else value


def record(article, page_path: Path) -> dict[str, Any]:
    """An article as an export record, with ``template``, ``extraction_checks`` and ``page``."""
    from liaocheng_news.db.archive import EXPORT_FIELDS

    data = article.to_dict()
    out = {key: _iso(data.get(key)) for key in EXPORT_FIELDS}
    out["body"] = article.body_text
    out["template"] = article.template
    out["extraction_checks"] = list(article.extraction_checks)
    out["page"] = str(page_path)
    return out


def extract_page(path: Path, url: str | None = None, portal: str | None = None,
                 timings: bool = False) -> dict[str, Any]:
    """The export record of one stored page.  Raises :class:`InputError`, or the parser's
    ``NotAnArticle``/``DecodeError``."""
    from liaocheng_news.parsers import Page

    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    page_url, headers, status = page_source(path, url)
    parser = parser_for(page_url, portal)
    started = time.perf_counter()
    article = parser.parse(Page(page_url, body, headers, status), compare=True)  # every check, not a sample
    elapsed = time.perf_counter() - started
    out = record(article, path)
    if timings:
        out["parse_ms"] = round(elapsed * 1000, 2)
    return out


def run(args: argparse.Namespace) -> int:
    """Print a record per page; returns the exit status (see the module's doc)."""
    from liaocheng_news.parsers import DecodeError, NotAnArticle, parser_names

    prog = "liaocheng-news extract"
    if args.url and len(args.pages) > 1:
        print(f"{prog}: --url names one page's URL; give one PAGE with it", file=sys.stderr)
        return EXIT_USAGE
    if args.portal and args.portal not in (*parser_names(), UNKNOWN_PORTAL):
        print(f"{prog}: no parser for portal {args.portal!r}; known: {', '.join(parser_names())}, {UNKNOWN_PORTAL}",
              file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for name in args.pages:
        path = Path(name)
        try:
            out = extract_page(path, args.url, args.portal, args.timings)
        except InputError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            status = EXIT_NO_INPUT
            continue
        except (NotAnArticle, DecodeError) as exc:
            print(f"{prog}: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = status or EXIT_NOT_AN_ARTICLE
            continue
        except Exception as exc:  # noqa: BLE001 - a parser fault on one page: said in one line, the rest go on
            print(f"{prog}: {path}: the parser failed ({type(exc).__name__}: {exc})", file=sys.stderr)
            status = status or EXIT_SOFTWARE
            continue
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return status
