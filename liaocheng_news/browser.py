"""The browser a rendered page is read in: Debian's Chromium, how it is launched, how its pages route.

Shared by the crawl's download handler (:mod:`liaocheng_news.handlers`), the render middleware
(:mod:`liaocheng_news.middlewares.render`) and the operator tools' renderer
(:mod:`liaocheng_news.ops.render`).  Nothing here imports Playwright: a crawl of static portals
never loads it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

from liaocheng_news.middlewares.replay import replay_target

# resource types a rendered page never needs for its text (their URLs stay in the DOM)
ABORTED_RESOURCES = frozenset({"image", "media", "font"})

CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-quic",
)


class BrowserUnavailable(RuntimeError):
    """No browser can be started (missing executable, Playwright driver failure)."""


def launch_options(executable: str, *, as_root: bool | None = None) -> dict[str, Any]:
    """Playwright launch options for the system Chromium (``apt-get install chromium``).

    ``--no-sandbox`` only when running as root: Chromium refuses to start a sandbox as root,
    and everywhere else the sandbox stays on.
    """
    root = (os.geteuid() == 0) if as_root is None else as_root
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if root else [])]
    return {"executable_path": executable, "headless": True, "args": args}


def browser_problem(executable: str | None) -> str | None:
    """Why ``executable`` cannot be launched, or None when it looks usable."""
    if not executable:
        return "no browser configured (CHROMIUM_EXECUTABLE / LIAOCHENG_NEWS_CHROMIUM is empty)"
    path = executable if os.path.sep in executable else shutil.which(executable)
    if not path or not os.path.isfile(path):
        return (f"no browser at {executable} (apt-get install chromium, or point "
                "LIAOCHENG_NEWS_CHROMIUM at a Chromium binary)")
    if not os.access(path, os.X_OK):
        return f"{executable} is not executable"
    return None


def playwright_launch_options(settings) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS when the settings give them, else the system Chromium's
    (CHROMIUM_EXECUTABLE) with :func:`launch_options`."""
    return settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or launch_options(settings.get("CHROMIUM_EXECUTABLE") or "")


def settings_browser_problem(settings) -> str | None:
    """Why the settings give no browser to launch; None for a usable executable, a remote
    browser (PLAYWRIGHT_CDP_URL / PLAYWRIGHT_CONNECT_URL) or launch options naming none."""
    if settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL"):
        return None
    options = playwright_launch_options(settings)
    return browser_problem(options["executable_path"]) if "executable_path" in options else None


def make_page_init(replay_url: str | None) -> Callable:
    """A ``playwright_page_init_callback`` that routes the page's own requests.

    Images, media and fonts are aborted (only their URLs matter).  In replay mode every other
    request of the page (scripts, the JSON API the shell calls by its real https URL) is
    answered by the replay server, so a rendered page never reaches the network and finds its
    data where the fixtures put it.  The handler is registered after scrapy-playwright's own
    route, so it runs first; what it does not answer falls back to scrapy-playwright's.
    """

    async def route_request(route, request) -> None:
        if request.resource_type in ABORTED_RESOURCES:
            await route.abort()
            return
        target = replay_target(replay_url, request.url) if replay_url else None
        if target is None:
            await route.fallback()
            return
        fetched = await route.fetch(url=target)
        headers = {**fetched.headers, "access-control-allow-origin": "*"}
        await route.fulfill(response=fetched, headers=headers)

    async def init_page(page, request) -> None:
        await page.route("**/*", route_request)

    return init_page
