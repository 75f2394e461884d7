"""``liaocheng-news sources``: every source the archive crawls, and a check of the sources file.

Lists the built-in sources and those of the operator's sources file (SOURCES_FILE, or
``sources.toml`` in LIAOCHENG_NEWS_HOME), one line each: name, kind, county, how it is crawled
and read, where it is declared.  ``--file PATH`` checks another file instead (before it is put in
place).  Every table of the file that cannot be crawled as written is named with the reason, and
the exit status is 1; the valid ones are listed (and crawled) all the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

EXIT_OK, EXIT_ERRORS = 0, 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("sources", help="list every source (built-in and the sources file) and check the file")
    p.add_argument("--file", type=Path, metavar="PATH",
                   help="check this sources file instead of the configured one (SOURCES_FILE, or sources.toml "
                        "in LIAOCHENG_NEWS_HOME)")
    p.add_argument("--json", action="store_true", help="one JSON object per source on stdout")
    p.set_defaults(func=run)
    return p


def read_by(source) -> str:
    """What reads a source's articles: its parser module, a declared template, or the reader."""
    from liaocheng_news.parsers import parser_names

    if source.name in parser_names():
        return f"parsers/{source.name}.py"
    return source.template or "reader"


def crawled_by(source) -> str:
    if source.issues is not None:
        editions = f", editions {','.join(source.issues.editions)}" if source.issues.editions else ""
        return "by date" + editions
    return f"{len(source.lists)} list{'s' if len(source.lists) != 1 else ''}"


def record(source) -> dict:
    data = asdict(source)
    data["replay_args"] = dict(source.replay_args)
    data["read_by"] = read_by(source)
    return data


def render_table(sources) -> str:
    rows = [("name", "kind", "county", "crawled", "read by", "declared", "title")]
    rows += [(s.name, s.kind, s.county or "-", crawled_by(s), read_by(s), s.origin, s.title) for s in sources]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6] for r in rows)


def run(args) -> int:
    from liaocheng_news.portals import BUILT_IN
    from liaocheng_news.sources import LOGGED, load, sources_path

    path, named = (args.file, True) if args.file else sources_path()
    declared, errors = [], []
    if path.exists():
        declared, errors = load(path, BUILT_IN)
    elif named:
        errors = [f"{path}: no such file"]
    listed = [s for s in BUILT_IN.values() if s.crawled] + declared
    if args.json:
        for source in listed:
            print(json.dumps(record(source), ensure_ascii=False))
    else:
        print(render_table(listed))
        print(f"\n{len(listed) - len(declared)} built-in, {len(declared)} from "
              + (str(path) if path.exists() else f"no sources file ({path} when there is one)"))
    for error in errors:
        if error not in LOGGED:  # (those of the configured file were logged as it loaded)
            print(f"liaocheng-news sources: {error}", file=sys.stderr)
    if errors:
        print(f"liaocheng-news sources: {len(errors)} error(s) in {path}; the sources named were left out",
              file=sys.stderr)
    return EXIT_ERRORS if errors else EXIT_OK
