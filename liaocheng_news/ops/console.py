"""The command line's console: a quiet screen with progress, and the full log in a rotated file.

By default a crawl or an import shows

* one live progress line per spider (pages, articles, stored, errors, elapsed) on a terminal,
  drawn with ``rich``; when stderr is not a terminal (cron, a pipe, a test), a plain progress
  line per spider that moved every ``PROGRESS_INTERVAL`` seconds (``rich`` is then not even
  imported: :class:`PlainConsole` writes the lines as rich would, for ≈ 0.06 s less CPU a run);
* one line per distinct kind of failure (DNS lookup failed, connection refused, HTTP 404, a
  dropped page …: the first of each kind, with its spider), not a traceback per request
  (:class:`FailureDigest`), and at the end one line counting them;
* the summary table, last.

Everything Scrapy and the project log (settings, tracebacks, every failure) goes to
``$LIAOCHENG_NEWS_HOME/logs/<command>.log`` (the folder 0700, the files 0600, rotated at
``LOG_FILE_MAX_BYTES`` with ``LOG_FILE_BACKUPS`` kept), at ``LOG_LEVEL``.  ``-v`` brings the
detail back to the console (every record at ``LOG_LEVEL``, as Scrapy prints them).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections import Counter
from logging.handlers import RotatingFileHandler
from pathlib import Path

from typing import TYPE_CHECKING

from liaocheng_news.outcomes import error_count

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# the control codes rich's Text drops from what it prints (bell, backspace, VT, FF, CR)
_CONTROL_CODES = dict.fromkeys((7, 8, 11, 12, 13))


class PlainConsole:
    """Lines on stderr when it is not a terminal: what :func:`rich_console` prints there (soft-wrapped
    text, no markup, no highlighting, no emoji codes, no control codes, tabs expanded), without
    importing rich."""

    is_terminal = False

    def print(self, text: object = "", markup: bool = False, highlight: bool = False) -> None:
        sys.stderr.write(str(text).translate(_CONTROL_CODES).expandtabs(8) + "\n")
        sys.stderr.flush()


def _terminal() -> bool:
    """Whether rich would take stderr for a terminal (its TTY_COMPATIBLE and FORCE_COLOR first)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if os.environ.get("FORCE_COLOR") is not None:
        return os.environ["FORCE_COLOR"] != ""
    try:
        return sys.stderr.isatty()
    except ValueError:  # closed
        return False


def rich_console() -> "Console":
    """rich's console on stderr as this project prints with it: no highlighting, no wrapping, and
    no ``:emoji:`` codes (a failure line that names ``:cd:`` says ``:cd:``)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def stderr_console() -> "Console | PlainConsole":
    """rich's console on a terminal (live progress lines and bars), plain lines otherwise."""
    return rich_console() if _terminal() else PlainConsole()


# -- the log file ---------------------------------------------------------------------------------
class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file no one else can read (0600, also each rotated file)."""

    def _open(self):
        old = os.umask(0o077)
        try:
            stream = super()._open()
        finally:
            os.umask(old)
        os.chmod(self.baseFilename, 0o600)
        return stream


def log_file(home: Path, command: str) -> Path:
    """``home/logs/<command>.log``, its folder made private (0700); OSError when it cannot be."""
    folder = home / "logs"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder / f"{command}.log"


# -- failures, one line per kind --------------------------------------------------------------------
# (pattern on the message and its exception, kind) — first match wins
_KINDS = [
    # extensions.frontier: "<portal>/<section>: pass unfinished at list page N (URL): why" (before the why's own kind)
    (re.compile(r": pass unfinished at list page "), "section left unfinished"),
    (re.compile(r"DNS lookup failed|CannotResolveHost|ERR_NAME_NOT_RESOLVED|Name or service not known", re.I),
     "DNS lookup failed"),
    (re.compile(r"Connection was refused|ConnectionRefused|ERR_CONNECTION_REFUSED", re.I), "connection refused"),
    (re.compile(r"took longer than|TimeoutError|timed out|ERR_TIMED_OUT", re.I), "timed out"),
    (re.compile(r"ConnectionLost|ResponseNeverReceived|ConnectionDone|ERR_CONNECTION", re.I), "connection lost"),
    (re.compile(r"SSL|TLS|certificate", re.I), "TLS error"),
    (re.compile(r"Ignoring response <(\d{3})"), "HTTP {0}"),
    (re.compile(r"Gave up retrying .*?<(\d{3})"), "HTTP {0}"),
    (re.compile(r"^dropped \(([a-z_]+)\)"), "dropped ({0})"),
    (re.compile(r"^fallback extraction"), "fallback extraction"),
    (re.compile(r"rendering failed|no browser|render", re.I), "rendering failed"),
    (re.compile(r"archive write failed|could not be written", re.I), "archive write failed"),
]
# records that are notices, not failures: a component switched off by its settings
_NOT_FAILURES = [re.compile(r"^Disabled \S+: "), re.compile(r"^run status: ")]
_URL_OR_NUMBER = re.compile(r"<[^>]*>|https?://\S+|\d+")


def failure_kind(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += f" {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
    for pattern, kind in _KINDS:
        match = pattern.search(text)
        if match:
            return kind.format(*match.groups())
    first = text.strip().splitlines()[0] if text.strip() else record.name
    return _URL_OR_NUMBER.sub("…", first)[:60]


def _spider_of(record: logging.LogRecord) -> str | None:
    spider = getattr(record, "spider", None)
    return getattr(spider, "name", None)


class FailureDigest(logging.Handler):
    """Warnings and errors for the console: the first record of each kind as one line, the rest counted."""

    def __init__(self, console: "Console | PlainConsole", log_path: Path | None, level: int = logging.WARNING):
        super().__init__(level)
        self.console = console
        self.log_path = log_path
        self.counts: Counter[str] = Counter()
        self.spiders: dict[str, set[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if any(p.search(message) for p in _NOT_FAILURES):
                return
            kind = failure_kind(record)
            spider = _spider_of(record)
            self.counts[kind] += 1
            self.spiders.setdefault(kind, set()).update([spider] if spider else [])
            if self.counts[kind] > 1:
                return
            line = message.strip().splitlines()[0] if message.strip() else kind
            if len(line) > 200:
                line = line[:199] + "…"
            who = f"{spider}: " if spider else ""
            self.console.print(f"{record.levelname.lower()}: {who}{line}", markup=False, highlight=False)
        except Exception:  # noqa: BLE001 - logging must never break the crawl
            self.handleError(record)

    def closing_line(self) -> str | None:
        """One line counting every kind seen more than once, and where the details are."""
        repeated = [(k, n) for k, n in self.counts.most_common() if n > 1]
        if not repeated:
            return None
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in repeated[:6])
        more = f" and {len(repeated) - 6} more kinds" if len(repeated) > 6 else ""
        where = f" (every one in {self.log_path})" if self.log_path else ""
        return f"failures: {kinds}{more}{where}"


class _Plain(logging.Formatter):
    def __init__(self):
        super().__init__(LOG_FORMAT, LOG_DATE_FORMAT)


class Screen:
    """This command's console: its logging handlers, its progress, its closing lines."""

    def __init__(self, console: "Console | PlainConsole", digest: FailureDigest | None, log_path: Path | None):
        self.console = console
        self.digest = digest
        self.log_path = log_path

    def print(self, text: str = "") -> None:
        self.console.print(text, markup=False, highlight=False)

    def closing_lines(self) -> list[str]:
        line = self.digest.closing_line() if self.digest else None
        return [line] if line else []

    def log_lines(self) -> list[str]:
        """Where the full log of a crawl that did not finish is, unless the failures line said it."""
        said = any(str(self.log_path) in line for line in self.closing_lines())
        return [f"the full log: {self.log_path}"] if self.log_path and not said else []


def setup(settings, command: str, verbose: bool = False, home: Path | None = None) -> Screen:
    """Logging for a command: the log file (when ``home`` is given), and the console (quiet unless
    ``verbose``).  OSError when the log folder cannot be made."""
    level = logging.getLevelName(str(settings.get("LOG_LEVEL") or "INFO").upper())
    if not isinstance(level, int):
        level = logging.INFO
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.NOTSET)
    console = stderr_console()
    path = None
    if home is not None:
        path = log_file(home, command)
        handler = PrivateRotatingFileHandler(path, maxBytes=settings.getint("LOG_FILE_MAX_BYTES"),
                                             backupCount=settings.getint("LOG_FILE_BACKUPS"), encoding="utf-8")
        handler.setFormatter(_Plain())
        handler.setLevel(level)
        root.addHandler(handler)
    digest = None
    if verbose:
        shown = logging.StreamHandler(sys.stderr)
        shown.setFormatter(_Plain())
        shown.setLevel(level)
    else:
        shown = digest = FailureDigest(console, path)
    root.addHandler(shown)
    return Screen(console, digest, path)


# -- progress ------------------------------------------------------------------------------------------
def figures(stats: dict) -> dict[str, int]:
    """What a progress line shows of a running spider."""
    return {"pages": stats.get("pages_fetched", 0) or stats.get("import/files", 0),
            "articles": stats.get("articles_fetched", 0) or stats.get("item_scraped_count", 0),
            "stored": stats.get("items_stored", 0), "errors": error_count(stats)}


def _figures_text(values: dict[str, int]) -> str:
    return "  ".join(f"{name} {value}" for name, value in values.items())


def _elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class CrawlProgress:
    """Progress of the spiders of one process, read from their stats on the reactor's clock."""

    def __init__(self, screen: Screen, crawlers, interval: float):
        self.screen = screen
        self.crawlers = list(crawlers)
        self.live = screen.console.is_terminal and screen.digest is not None
        self.interval = 0.5 if self.live else interval
        self.started = time.monotonic()
        self._shown: dict[str, dict] = {}
        self._progress: Progress | None = None
        self._tasks: dict[int, int] = {}
        self._loop = None

    def _name(self, crawler) -> str:
        spider = getattr(crawler, "spider", None)
        return getattr(spider, "name", None) or getattr(getattr(crawler, "spidercls", None), "name", "?")

    def start(self) -> "CrawlProgress":
        from twisted.internet import task

        if self.live:
            from rich.progress import Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description:<16}"), TextColumn("{task.fields[figures]}"),
                                      TimeElapsedColumn(), console=self.screen.console, transient=True)
            for crawler in self.crawlers:
                self._tasks[id(crawler)] = self._progress.add_task(self._name(crawler), total=None, figures="starting")
            self._progress.start()
        if self.interval > 0:
            self._loop = task.LoopingCall(self.tick)
            self._loop.start(self.interval, now=False)
        return self

    def tick(self) -> None:
        for crawler in self.crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            values = figures(stats)
            if self._progress is not None:
                self._progress.update(self._tasks[id(crawler)], figures=_figures_text(values))
            elif values != self._shown.get(self._name(crawler), dict.fromkeys(values, 0)):
                self._shown[self._name(crawler)] = values
                self.screen.print(f"progress {self._name(crawler)}: {_figures_text(values)}  "
                                  f"{_elapsed(time.monotonic() - self.started)}")

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class ReadProgress:
    """Progress of reading a long input (``normalize``): a bar on a terminal, plain lines otherwise."""

    def __init__(self, console: "Console | PlainConsole", total: int, label: str, interval: float):
        self.console, self.total, self.label, self.interval = console, total, label, interval
        self.done = 0
        self._next = time.monotonic() + interval
        self._bar = None
        if console.is_terminal and total:
            from rich.progress import Progress

            self._bar = Progress(console=console, transient=True)
            self._task = self._bar.add_task(label, total=total)
            self._bar.start()

    def advance(self, amount: int) -> None:
        self.done += amount
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        elif self.interval > 0 and time.monotonic() >= self._next:
            self._next = time.monotonic() + self.interval
            share = f" ({100 * self.done // self.total} %)" if self.total else ""
            self.console.print(f"progress {self.label}: {self.done:,} of {self.total:,} bytes{share}",
                               markup=False, highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
