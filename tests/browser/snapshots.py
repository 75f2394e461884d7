"""Render the share-page fixtures of a browser portal in Chromium, as the crawl does.

A browser portal's fixture is the shell as served (``body_file`` in its meta) plus the JSON
it loads (``api/*.meta.json``); ``<slug>.html`` is the DOM after rendering, the page the
parser reads and the static fixture tests check.  After changing a shell or its data:

    .venv/bin/python -m tests.browser.snapshots lcxw_app

re-renders every page through the replay server and rewrites the snapshots.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from liaocheng_news.ops.render import render_html
from liaocheng_news.ops.replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CHROMIUM = os.environ.get("LIAOCHENG_NEWS_CHROMIUM") or "/usr/bin/chromium"


def shell_fixtures(portal: str) -> dict[str, str]:
    """slug -> portal URL of every page fixture served from a shell (``body_file`` set)."""
    pages = {}
    for meta_path in sorted((FIXTURES / portal).glob("*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("body_file") and meta["kind"] in ("article", "list"):
            pages[meta_path.name.removesuffix(".meta.json")] = meta["url"]
    return pages


async def render_pages(directory: Path, urls: dict[str, str], executable: str = CHROMIUM) -> dict[str, str]:
    """key -> rendered DOM of each portal URL, served by a replay server over ``directory``."""
    with ReplayServer(directory) as server:
        by_url = await render_html(list(urls.values()), executable=executable, replay_url=server.url)
    return {key: by_url[url] for key, url in urls.items()}


def main(argv: list[str]) -> int:
    portal = argv[0] if argv else "lcxw_app"
    pages = asyncio.run(render_pages(FIXTURES, shell_fixtures(portal)))
    for slug, html in pages.items():
        (FIXTURES / portal / f"{slug}.html").write_text(html, encoding="utf-8")
        print(f"wrote {portal}/{slug}.html ({len(html)} chars)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
