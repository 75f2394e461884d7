"""Every setting of liaocheng-news, declared once, with the component that reads it.

Deploy-time values come from the environment (or ``-s NAME=VALUE`` on the command line, ``-d
setting=NAME=VALUE`` per scrapyd job), never from edits to this file.  Each environment
variable is read here and nowhere else; components read the settings (no defaults of their
own), so a value given with ``-s`` reaches every reader, the command line's archive check included.
"""

import os

from scrapy.settings import default_settings as _scrapy

from liaocheng_news import __version__


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in (_env(name, "") or "").split(",") if v.strip()]


# Scrapy: the project and where its spiders are (the spider list is built once per process)
BOT_NAME = "liaocheng_news"
SPIDER_MODULES = ["liaocheng_news.spiders"]
NEWSPIDER_MODULE = "liaocheng_news.spiders"

# --- The archive (db.archive.Archive.from_settings: the crawl's extension and the command line) ---
# a PostgreSQL URL; unset = the embedded server under LIAOCHENG_NEWS_HOME (db.server)
LIAOCHENG_NEWS_DATABASE_URL = _env("LIAOCHENG_NEWS_DATABASE_URL")
# where the embedded database (db.server) and the spool (pipelines.store) live
LIAOCHENG_NEWS_HOME = _env("LIAOCHENG_NEWS_HOME")
# seconds to wait for a database connection (db.archive)
ARCHIVE_CONNECT_TIMEOUT = float(_env("LIAOCHENG_NEWS_CONNECT_TIMEOUT", "10"))
# extensions.archive: crawl with an archive (off: no archive check, no run record, no store)
ARCHIVE_ENABLED = True
# pipelines.store: items per database transaction, and the longest an item waits in the batch
ARCHIVE_BATCH_SIZE = int(_env("LIAOCHENG_NEWS_BATCH_SIZE", "50"))
ARCHIVE_FLUSH_SECONDS = float(_env("LIAOCHENG_NEWS_FLUSH_SECONDS", "5"))
# pipelines.store: tries (with exponential backoff) before a batch is spooled to disk
ARCHIVE_WRITE_RETRIES = int(_env("LIAOCHENG_NEWS_WRITE_RETRIES", "3"))
ARCHIVE_RETRY_BACKOFF = float(_env("LIAOCHENG_NEWS_RETRY_BACKOFF", "0.5"))

# --- Sources (sources, portals) ------------------------------------------------------------
# the operator's sources file (TOML; docs/sources.md "Declaring a source"); unset = sources.toml in
# LIAOCHENG_NEWS_HOME when there is one.  Read once per process, when the sources are first
# loaded (the spider list is built from them): set it in the environment, not with -s.
SOURCES_FILE = _env("LIAOCHENG_NEWS_SOURCES_FILE")

# --- Pipelines (Scrapy runs them in this order: validate → normalise → dedupe → store) -----
ITEM_PIPELINES = {
    "liaocheng_news.pipelines.validate.ValidatePipeline": 100,
    "liaocheng_news.pipelines.normalise.NormalisePipeline": 200,
    "liaocheng_news.pipelines.dedupe.DedupePipeline": 300,
    "liaocheng_news.pipelines.store.StorePipeline": 400,
}
# pipelines.normalise, ops.cli (normalize): extra spam phrases removed from every text field
NORMALISE_SPAM_PHRASES = _env_list("LIAOCHENG_NEWS_SPAM_PHRASES")
# pipelines.dedupe: mirror hosts that keep the origin portal's path, as host=portal pairs
MIRROR_HOSTS = dict(
    pair.split("=", 1) for pair in _env_list("LIAOCHENG_NEWS_MIRROR_HOSTS") if "=" in pair
)

# --- Extensions (Scrapy) ------------------------------------------------------------------
EXTENSIONS = {
    "liaocheng_news.extensions.archive.ArchiveExtension": 500,
    "liaocheng_news.extensions.gc_freeze.GcFreeze": 900,
}
# Scrapy's RemoteControl extension runs code sent to it, its telnet console opens a port: both
# off, and not even loaded (RemoteControl's import of aiohttp costs ~0.15 s of every crawl's start)
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
EXTENSIONS_BASE = {name: order for name, order in _scrapy.EXTENSIONS_BASE.items()
                   if name not in ("scrapy.extensions.remote_control.RemoteControl",
                                   "scrapy.extensions.telnet.TelnetConsole")}
# extensions.gc_freeze: freeze the start-up heap at engine start (the collector then skips it),
# and collect the youngest objects every this many allocations (Python's default: 700)
GC_FREEZE = True
GC_GEN0_THRESHOLD = 10_000
# extensions.log_levels: when the engine starts, loggers set below every handler's level (the root,
# Scrapy's DEBUG) are raised to the lowest one, so records no handler takes are never made
LOG_LEVELS_SETTLED = True
EXTENSIONS = {**EXTENSIONS, "liaocheng_news.extensions.log_levels.LogLevels": 950}
# Scrapy: its in-memory stats collector without the per-call cost of its spider-argument wrapper
# (extensions.stats: ≈ 4 µs a stats call, ≈ 50 calls an article)
STATS_CLASS = "liaocheng_news.extensions.stats.FastStatsCollector"
# Scrapy's LogStats: seconds between progress lines
LOGSTATS_INTERVAL = 60.0

# --- Incremental crawling (spiders.base) --------------------------------------------------
# list pages read past the last one that held nothing new
INCREMENTAL_LOOKBACK_PAGES = int(_env("LIAOCHENG_NEWS_LOOKBACK_PAGES", "1"))
# articles younger than this many days are re-checked, at most once per interval (hours)
RECHECK_MAX_AGE_DAYS = float(_env("LIAOCHENG_NEWS_RECHECK_MAX_AGE_DAYS", "2"))
RECHECK_INTERVAL_HOURS = float(_env("LIAOCHENG_NEWS_RECHECK_INTERVAL_HOURS", "6"))
# the most list pages one run reads per section (a backstop for a first full crawl)
MAX_LIST_PAGES = int(_env("LIAOCHENG_NEWS_MAX_LIST_PAGES", "50"))
# spiders.epaper (lcrb, qlwb_liaocheng …): issues read on an empty archive, and the most days an
# ongoing crawl catches up
LCRB_DAYS_BACK = 7
LCRB_MAX_CATCHUP_DAYS = 31

# --- Replay of recorded pages (middlewares.replay, middlewares.render, ops.fetch) ----------
# base URL of a replay server (http://127.0.0.1:PORT); requests to portal hosts go there
REPLAY_URL = _env("LIAOCHENG_NEWS_REPLAY_URL")

# --- Politeness (Scrapy, unless named) ----------------------------------------------------
# User-Agent: names the project and the operator's contact (also ops.fetch)
CONTACT = _env("LIAOCHENG_NEWS_CONTACT", "operator contact not set")
USER_AGENT = f"liaocheng-news/{__version__} (+news archive crawler; contact: {CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy starts this many tasks for every response's output; a page yields one article or a
# list's links, so the default 100 only costs CPU (measured: bench/crawl.py)
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# also ops.fetch (the one-off fetcher's spacing per host)
DOWNLOAD_DELAY = float(_env("LIAOCHENG_NEWS_DOWNLOAD_DELAY", "1.0"))
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# also ops.fetch
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# middlewares.backoff: wait base * 2**(attempt-1) seconds before a retry, at most the cap
RETRY_BACKOFF_BASE = float(_env("LIAOCHENG_NEWS_RETRY_BACKOFF_BASE", "2"))
RETRY_BACKOFF_MAX = 120.0
# Scrapy: no cookies, and its cookie middleware not even loaded (it imports tldextract: ~0.05 s)
COOKIES_ENABLED = False
DOWNLOADER_MIDDLEWARES_BASE = {name: order for name, order in _scrapy.DOWNLOADER_MIDDLEWARES_BASE.items()
                               if name != "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"}
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

# --- Browser rendering (only for requests that ask for it) ------------------------------------
# middlewares.render: render anything at all (off: pages that need a browser are counted as
# render/unavailable and skipped)
RENDER_ENABLED = True
# browser (handlers, middlewares.render, ops): the Chromium binary Playwright drives
CHROMIUM_EXECUTABLE = _env("LIAOCHENG_NEWS_CHROMIUM", "/usr/bin/chromium")
# Scrapy: http/https through handlers.LazyPlaywrightDownloadHandler, which hands every request
# without meta["playwright"] to Scrapy's HTTP/1.1 handler and makes scrapy-playwright's on the
# first one with it (a crawl of static portals imports no Playwright and starts no browser).
DOWNLOAD_HANDLERS = {
    "http": "liaocheng_news.handlers.LazyPlaywrightDownloadHandler",
    "https": "liaocheng_news.handlers.LazyPlaywrightDownloadHandler",
}
# scrapy-playwright: Chromium is launched from CHROMIUM_EXECUTABLE with browser.launch_options()
# (headless, --no-sandbox only as root) unless PLAYWRIGHT_LAUNCH_OPTIONS is set.  One context,
# at most four pages at once, each closed as soon as it is read.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
# middlewares.render: when a rendered page counts as loaded (networkidle: the shell's API calls are done)
RENDER_WAIT_UNTIL = "networkidle"
# spiders.base: fetch an article page again through the browser when it came back as an app shell
RENDER_ESCALATION = True

# Scrapy: the asyncio reactor (the archive's psycopg pool and scrapy-playwright need it)
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = _env("LIAOCHENG_NEWS_LOG_LEVEL", "INFO")

# --- Reliability: the crawl frontier, off-portal containment, ceilings (issue 18) -----------
# extensions.frontier, db.frontier: sections, unfinished passes and pending article URLs kept in
# the archive between runs (off: every run reads the sections' tops and records nothing)
FRONTIER_ENABLED = True
EXTENSIONS = {**EXTENSIONS, "liaocheng_news.extensions.frontier.CrawlFrontier": 490}
# extensions.frontier: pending article URLs one run fetches, and the runs that may claim one
# before it is given up (logged, counted in frontier/pending_abandoned)
FRONTIER_PENDING_PER_RUN = 10_000
FRONTIER_PENDING_MAX_ATTEMPTS = 5
# middlewares.frontier: an article page whose callback yields nothing is no longer pending
SPIDER_MIDDLEWARES = {**SPIDER_MIDDLEWARES, "liaocheng_news.middlewares.frontier.ArticleOutcomeMiddleware": 950}
# middlewares.containment: only http(s) on the spider's portal hosts, before robots.txt is asked;
# redirects off the portal and redirect loops stopped before Scrapy's redirects follow them
DOWNLOADER_MIDDLEWARES = {**DOWNLOADER_MIDDLEWARES,
                          "liaocheng_news.middlewares.containment.ContainmentMiddleware": 50,
                          "liaocheng_news.middlewares.containment.RedirectGuardMiddleware": 650}
# Scrapy (and middlewares.containment): the largest response downloaded, in bytes; a bigger one
# is cancelled and counted as items_dropped/too_large
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# limits (read by spiders.base): what one page or item may cost the crawl's process, each near a
# second at most (bench/ceilings.py measures parse and normalisation at these values)
PAGE_MAX_ELEMENTS = 20_000
PAGE_MAX_TEXT_BYTES = 2_000_000
ITEM_MAX_TITLE_CHARS = 500
ITEM_MAX_BODY_CHARS = 200_000

# --- Operations: outcomes, stopping, alerts, the console, status (issue 17) -------------------
# extensions.stop: a stop asked by a signal (liaocheng_news.shutdown) drops every request after
# it, the last downloader middleware before the download (no page fetched, no browser launched)
EXTENSIONS = {**EXTENSIONS, "liaocheng_news.extensions.stop.StopRequest": 100}
DOWNLOADER_MIDDLEWARES = {**DOWNLOADER_MIDDLEWARES, "liaocheng_news.extensions.stop.StopGateMiddleware": 990}
# liaocheng_news.shutdown: seconds a stopped crawl has to close its runs and write (or spool) its
# last batch before it is ended anyway (a second signal ends it at once)
STOP_GRACE_SECONDS = float(_env("LIAOCHENG_NEWS_STOP_GRACE_SECONDS", "3"))
# Scrapy: `scrapy crawl` (what scrapyd runs) is liaocheng_news.commands.crawl: a run's status
# sets the process's exit status (outcomes.EXIT_CODES), so scrapyd sees failed and degraded jobs
COMMANDS_MODULE = "liaocheng_news.commands"
# alerts (extensions.archive on a failed run, ops.status on a portal that needs attention):
# a command run without a shell with the JSON payload on stdin, and/or an http(s) webhook
ALERT_COMMAND = _env("LIAOCHENG_NEWS_ALERT_COMMAND")
ALERT_WEBHOOK_URL = _env("LIAOCHENG_NEWS_ALERT_WEBHOOK")
ALERT_TIMEOUT = float(_env("LIAOCHENG_NEWS_ALERT_TIMEOUT", "10"))
# ops.console: seconds between progress lines when stderr is not a terminal (a terminal gets a
# live line per spider), and the crawl log's rotation ($LIAOCHENG_NEWS_HOME/logs/crawl.log)
PROGRESS_INTERVAL = float(_env("LIAOCHENG_NEWS_PROGRESS_INTERVAL", "30"))
LOG_FILE_MAX_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5
# attention.thresholds (ops.status): when a portal needs attention.  Keys: a portal's name, "kind:<kind>"
# for every source of that kind (portals.py: origin, government, epaper, aggregator), "*" for the
# rest; each limit is looked up portal entry first, then its kind's, then "*".  The limits: hours
# without a new article, hours without a run, the highest share of failed requests and of fallback
# extractions over the last 7 days, the lowest share of articles with a publication date.  Daily
# portals (news sites, the e-paper) 2 days; government sources (the city's and the counties'
# channels, the bureaus) publish a few times a month: 14 days, the city government's news 7.
PORTAL_THRESHOLDS = {
    "*": {"max_silence_hours": 48, "max_run_age_hours": 36, "max_error_rate": 0.2,
          "max_fallback_rate": 0.3, "min_published_at_fill": 0.8},
    "kind:government": {"max_silence_hours": 24 * 14},
    "liaocheng_gov": {"max_silence_hours": 24 * 7},
    "achie": {"max_silence_hours": 24 * 14},
}
