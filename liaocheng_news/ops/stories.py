"""``liaocheng-news stories``: story maintenance.

* ``--replace`` re-runs story placement over every stored article with the current rules
  (:func:`liaocheng_news.db.stories.replace_all`), in one transaction under the placement lock
  (a crawl writing meanwhile waits for it), and reports what changed.  Idempotent: a second run
  reports nothing changed.  Run it once after upgrading to a version with new placement rules
  (schema 2: it writes the passage keys and content sizes the migration could not).
* ``--resolve ID…`` prints the live story each held story id stands for (a merged or emptied
  story redirects; see ``story_redirects``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict

from liaocheng_news.ops.cli import add_settings_option, settings_of


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("stories", help="re-place every article in its story with the current rules (--replace), "
                                              "or resolve held story ids (--resolve)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--replace", action="store_true",
                      help="re-run placement over the whole archive; reports stories merged and canonical copies changed")
    what.add_argument("--resolve", type=int, nargs="+", metavar="STORY_ID", help="the live story of each id")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    add_settings_option(p)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """0 when done (every id resolved); 1 when an id never was a story; 2 when the archive is unavailable."""
    from liaocheng_news.ops.cli import EXIT_ARCHIVE_UNAVAILABLE
    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.migrate import SchemaTooNew
    from liaocheng_news.db.server import ArchiveUnavailable

    async def main() -> int:
        try:
            archive = await Archive.from_settings(settings_of(args))  # the archive -s names, as every command
        except (ArchiveUnavailable, SchemaTooNew) as exc:
            print(f"liaocheng-news: {exc}", file=sys.stderr)
            return EXIT_ARCHIVE_UNAVAILABLE
        try:
            async with archive.pool.connection() as conn:
                if args.replace:
                    return await _replace(conn, args.json)
                return await _resolve(conn, args.resolve, args.json)
        finally:
            await archive.close()

    return asyncio.run(main())


async def _replace(conn, as_json: bool) -> int:
    from liaocheng_news.db import stories

    began = time.monotonic()
    last = [began]

    def progress(done: int) -> None:
        if time.monotonic() - last[0] >= 10:
            last[0] = time.monotonic()
            print(f"re-placed {done:,} articles", file=sys.stderr)

    async with conn.transaction():
        report = await stories.replace_all(conn, progress=progress)
    seconds = time.monotonic() - began
    if as_json:
        print(json.dumps({**asdict(report), "seconds": round(seconds, 1)}))
    else:
        print(f"re-placed {report.articles:,} articles in {seconds:.1f} s: stories {report.stories_before:,} → "
              f"{report.stories_after:,}; {report.stories_merged:,} merged (their ids now redirect), "
              f"{report.stories_created:,} created, {report.articles_moved:,} articles moved, "
              f"{report.canonicals_changed:,} canonical copies changed")
    return 0


async def _resolve(conn, ids: list[int], as_json: bool) -> int:
    from liaocheng_news.db import stories

    live = {story_id: await stories.live_id(conn, story_id) for story_id in ids}
    if as_json:
        print(json.dumps({str(k): v for k, v in live.items()}))
    else:
        for story_id, to in live.items():
            print(f"{story_id}\t{to if to is not None else 'no such story'}")
    return 0 if all(v is not None for v in live.values()) else 1
