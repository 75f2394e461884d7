"""All defaults of liaocheng-news, in one place.

Deploy-time values come from the environment (or ``-d setting=value`` per scrapyd job),
never from edits to this file.  Each environment variable is read once, here, with a
comment naming the component that uses the setting.
"""

import os

from liaocheng_news import __version__


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in (_env(name, "") or "").split(",") if v.strip()]


BOT_NAME = "liaocheng_news"
SPIDER_MODULES = ["liaocheng_news.spiders"]
NEWSPIDER_MODULE = "liaocheng_news.spiders"

# --- The archive -------------------------------------------------------------------------
# liaocheng_news.db.server: a PostgreSQL URL; unset = the embedded server under LIAOCHENG_NEWS_HOME.
LIAOCHENG_NEWS_DATABASE_URL = _env("LIAOCHENG_NEWS_DATABASE_URL")
# liaocheng_news.db.server / pipelines.store (spool): where the embedded database and spool live.
LIAOCHENG_NEWS_HOME = _env("LIAOCHENG_NEWS_HOME")
# pipelines.store: items per database transaction, and the longest an item waits in the batch.
ARCHIVE_BATCH_SIZE = int(_env("LIAOCHENG_NEWS_BATCH_SIZE", "50"))
ARCHIVE_FLUSH_SECONDS = float(_env("LIAOCHENG_NEWS_FLUSH_SECONDS", "5"))
# db.crawler: seconds to wait for a database connection before a write counts as failed
ARCHIVE_CONNECT_TIMEOUT = float(_env("LIAOCHENG_NEWS_CONNECT_TIMEOUT", "10"))
# pipelines.store: tries (with exponential backoff) before a batch is spooled to disk.
ARCHIVE_WRITE_RETRIES = int(_env("LIAOCHENG_NEWS_WRITE_RETRIES", "3"))
ARCHIVE_RETRY_BACKOFF = float(_env("LIAOCHENG_NEWS_RETRY_BACKOFF", "0.5"))

# --- Pipelines (in order: validate → normalise → dedupe → store) --------------------------
ITEM_PIPELINES = {
    "liaocheng_news.pipelines.validate.ValidatePipeline": 100,
    "liaocheng_news.pipelines.normalise.NormalisePipeline": 200,
    "liaocheng_news.pipelines.dedupe.DedupePipeline": 300,
    "liaocheng_news.pipelines.store.StorePipeline": 400,
}
# pipelines.normalise: extra spam phrases removed from every text field (comma-separated).
NORMALISE_SPAM_PHRASES = _env_list("LIAOCHENG_NEWS_SPAM_PHRASES")
# dedupe.urls: mirror hosts that keep the origin portal's path, as host=portal pairs.
MIRROR_HOSTS = dict(
    pair.split("=", 1) for pair in _env_list("LIAOCHENG_NEWS_MIRROR_HOSTS") if "=" in pair
)

# --- Extensions --------------------------------------------------------------------------
EXTENSIONS = {
    "liaocheng_news.extensions.crawl_run.CrawlRunRecorder": 500,
    "liaocheng_news.extensions.gc_freeze.GcFreeze": 900,
}
# extensions.gc_freeze: freeze the start-up heap at engine start (the collector then skips it)
GC_FREEZE = True
LOGSTATS_INTERVAL = 60.0

# --- Incremental crawling (spiders.base / middlewares.incremental) ------------------------
# list pages read past the last one that held nothing new
INCREMENTAL_LOOKBACK_PAGES = int(_env("LIAOCHENG_NEWS_LOOKBACK_PAGES", "1"))
# articles younger than this many days are re-checked, at most once per interval (hours)
RECHECK_MAX_AGE_DAYS = float(_env("LIAOCHENG_NEWS_RECHECK_MAX_AGE_DAYS", "2"))
RECHECK_INTERVAL_HOURS = float(_env("LIAOCHENG_NEWS_RECHECK_INTERVAL_HOURS", "6"))
# the most list pages one run reads per section (a backstop for a first full crawl)
MAX_LIST_PAGES = int(_env("LIAOCHENG_NEWS_MAX_LIST_PAGES", "50"))

# --- Replay of recorded pages (middlewares.replay) ---------------------------------------
# base URL of a replay server (http://127.0.0.1:PORT); requests to portal hosts go there.
REPLAY_URL = _env("LIAOCHENG_NEWS_REPLAY_URL")

# --- Worker processes ----------------------------------------------------------------------
# liaocheng_news.workers (spiders.base parsing, pipelines.store writing): worker processes for
# the crawl's CPU-bound work; auto = one per CPU but one (at most 4), 0 = all in the crawl's process.
CPU_WORKERS = _env("LIAOCHENG_NEWS_CPU_WORKERS", "auto")
# liaocheng_news.workers (spiders.base): seconds a page's parse may take; then its worker is
# killed and the page dropped as items_dropped/parser_crashed (0 = no limit)
PARSE_TIMEOUT = float(_env("LIAOCHENG_NEWS_PARSE_TIMEOUT", "60"))

# --- Politeness --------------------------------------------------------------------------
# User-Agent: names the project and the operator's contact (LIAOCHENG_NEWS_CONTACT).
CONTACT = _env("LIAOCHENG_NEWS_CONTACT", "operator contact not set")
USER_AGENT = f"liaocheng-news/{__version__} (+news archive crawler; contact: {CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy starts this many tasks for every response's output; a page yields one article or a
# list's links, so the default 100 only costs CPU (measured: bench/crawl.py)
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = float(_env("LIAOCHENG_NEWS_DOWNLOAD_DELAY", "1.0"))
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# middlewares.backoff: wait base * 2**(attempt-1) seconds before a retry, at most the cap
RETRY_BACKOFF_BASE = float(_env("LIAOCHENG_NEWS_RETRY_BACKOFF_BASE", "2"))
RETRY_BACKOFF_MAX = 120.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # after RobotsTxtMiddleware (100): robots.txt is read for the portal's own host, also on a replay
    "liaocheng_news.middlewares.replay.ReplayMiddleware": 105,
    # after replay: sees the portal URL, and the response before it gets its real URL back
    "liaocheng_news.middlewares.render.RenderMiddleware": 110,
    "liaocheng_news.middlewares.backoff.BackoffRetryMiddleware": 540,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
}
SPIDER_MIDDLEWARES = {}

# --- Browser rendering (scrapy-playwright, only for requests that ask for it) -------------
# middlewares.render: the Chromium binary Playwright drives.
CHROMIUM_EXECUTABLE = _env("LIAOCHENG_NEWS_CHROMIUM", "/usr/bin/chromium")
# middlewares.render: http/https through scrapy-playwright's handler, which hands every request
# without meta["playwright"] to Scrapy's HTTP/1.1 handler and starts Playwright on the first
# one with it (a crawl of static portals starts no browser, not even the Playwright driver).
DOWNLOAD_HANDLERS = {
    "http": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler",
    "https": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler",
}
# Chromium is launched from CHROMIUM_EXECUTABLE with middlewares.render.launch_options() (headless,
# --no-sandbox only as root) unless PLAYWRIGHT_LAUNCH_OPTIONS is set.  One context, at most four
# pages at once, each closed as soon as it is read.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
# middlewares.render: when a rendered page counts as loaded (networkidle: the shell's API calls are done)
RENDER_WAIT_UNTIL = "networkidle"
# middlewares.render: fetch an article page again through the browser when it came back as an app shell
RENDER_ESCALATION = True

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = _env("LIAOCHENG_NEWS_LOG_LEVEL", "INFO")
