"""The project's settings plus browser rendering (scrapy-playwright), as one settings module.

``SCRAPY_SETTINGS_MODULE=liaocheng_news.settings_browser`` runs the crawl with rendering wired
in; the browser tests use it.  These are the lines the project's ``settings.py`` takes over
(then this module only repeats them).  Nothing here starts a browser: the download handler is
lazy, and only requests the render middleware marks go to Playwright.
"""

from liaocheng_news.settings import *  # noqa: F401,F403 - this module extends the project settings
from liaocheng_news.settings import DOWNLOADER_MIDDLEWARES as _PROJECT_MIDDLEWARES

# middlewares.render: http/https through scrapy-playwright's handler, which passes every request
# without meta["playwright"] to Scrapy's own HTTP/1.1 handler and starts Playwright lazily.
DOWNLOAD_HANDLERS = {
    "http": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler",
    "https": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler",
}
# after ReplayMiddleware (50): it sees the portal URL in meta and the response before the
# replay middleware gives it back its real URL.
DOWNLOADER_MIDDLEWARES = {**_PROJECT_MIDDLEWARES, "liaocheng_news.middlewares.render.RenderMiddleware": 60}

# Chromium: launched from CHROMIUM_EXECUTABLE (settings.py, env LIAOCHENG_NEWS_CHROMIUM) with
# middlewares.render.launch_options() unless PLAYWRIGHT_LAUNCH_OPTIONS is set.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# one browser context, at most four pages at once; pages are closed as soon as they are read.
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
# render: when a rendered page counts as loaded (networkidle: the shell's API calls are done)
RENDER_WAIT_UNTIL = "networkidle"
# render: fetch an article page again through the browser when it came back as an app shell
RENDER_ESCALATION = True
