"""Worker processes for a crawl's CPU-bound work, so the reactor's process keeps downloading.

Scrapy runs a crawl in one process and one thread.  Parsing an article page and writing it to
the archive (psycopg, story placement) each cost more CPU than downloading the page, so in one
process they, not the network, would set the crawl's pace.  Two kinds of work therefore run in
worker processes:

* article parsing (:mod:`liaocheng_news.spiders.base` → :func:`parse_article_page`), in a pool of
  ``CPU_WORKERS`` processes shared by the crawls of one process;
* archive writes (:mod:`liaocheng_news.pipelines.store` → :mod:`liaocheng_news.db.writer`), in
  one writer process per crawl that holds its own database connection.

A worker is a fresh interpreter (``sys.executable``, with the crawl's import path) that reads
pickled calls on its stdin and answers on its stdout.  The crawl's process talks to it through
asyncio pipe transports and starts no thread of its own: a thread there (as a
``ProcessPoolExecutor`` has) would fight the reactor for the GIL on every socket call and cost
more than the work it moves (measured with ``bench/crawl.py``).  ``CPU_WORKERS = 0`` keeps
everything in the crawl's process, as on a one-CPU machine.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_AUTO_WORKERS = 4
_HEADER = struct.Struct("!Q")  # a frame: its length, then a pickle
# a worker is a fresh interpreter with the crawl's import path (also an egg's, under scrapyd)
_BOOT = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); from liaocheng_news.workers import serve; serve()"


def cpu_workers(value: Any) -> int:
    """Worker processes for a ``CPU_WORKERS`` setting: ``auto`` is one per CPU but one (at most
    four); 0 runs the work in the crawl's own process."""
    if value in (None, "", "auto"):
        return min(MAX_AUTO_WORKERS, max(0, (os.cpu_count() or 1) - 1))
    try:
        workers = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"CPU_WORKERS wants a number or 'auto', not {value!r}") from None
    if workers < 0:
        raise ValueError(f"CPU_WORKERS wants 0 or more, not {workers}")
    return workers


class WorkerLost(RuntimeError):
    """A worker process died while (or before) running a call.

    ``culprit``: the call was the one running when the worker died (it may be the cause); a
    call that was only queued behind it is not."""

    def __init__(self, message: str, culprit: bool = True):
        super().__init__(message)
        self.culprit = culprit


class _Worker:
    """One worker process: calls go down its stdin, results come back on its stdout, in order."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.pending: collections.deque[asyncio.Future] = collections.deque()
        self.alive = True
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls) -> "_Worker":
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _BOOT, json.dumps(sys.path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(proc)

    async def call(self, fn: Callable, args: tuple) -> Any:
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        future = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        try:
            self.proc.stdin.write(_HEADER.pack(len(payload)) + payload)
            await self.proc.stdin.drain()
        except (ConnectionError, RuntimeError) as exc:  # the pipe closed under us: the worker is gone
            self._lose(f"cannot send to worker {self.proc.pid}: {exc}")
        return await future

    async def _read(self) -> None:
        stdout = self.proc.stdout
        try:
            while True:
                size = _HEADER.unpack(await stdout.readexactly(_HEADER.size))[0]
                ok, value = pickle.loads(await stdout.readexactly(size))
                future = self.pending.popleft()
                if future.done():  # its caller was cancelled
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await self.proc.wait()
            self._lose(f"worker {self.proc.pid} died (exit status {code})")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a garbled frame: this worker cannot be trusted
            self._lose(f"bad answer from worker {self.proc.pid}: {exc!r}")
            self.proc.kill()

    def _lose(self, why: str) -> None:
        self.alive = False
        first = True  # the call the worker was running when it died; the others only queued
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(WorkerLost(why, culprit=first))
            first = False

    def kill(self, why: str) -> None:
        """Stop a worker that hangs; the calls it held fail (queued ones may be tried again)."""
        if self.proc.returncode is None:
            self.proc.kill()
        self._lose(why)

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.stdin.close()  # end of input: the worker finishes what it has and exits
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        try:
            await self.reader
        except asyncio.CancelledError:
            pass


class Offload:
    """Runs picklable functions in worker processes (or inline with 0 workers), awaitably.

    No thread of the crawl's process takes part: a worker's pipes are asyncio transports, so the
    reactor never fights a thread for the GIL.  A call goes to the worker with the fewest calls
    in hand.  A worker that dies (killed, out of memory) fails the calls it held with
    :class:`WorkerLost`; the next call starts a new one.
    """

    def __init__(self, workers: int, timeout: float | None = None):
        self.workers = workers
        self.timeout = timeout  # seconds one call may take before its worker is killed
        self._pool: list[_Worker] = []
        self._starting: asyncio.Lock | None = None

    @property
    def inline(self) -> bool:
        return self.workers == 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker.  A call whose worker died under another call is tried once
        more on a fresh worker; a call that itself kills its worker, or runs over ``timeout``
        (its worker is then killed), raises :class:`WorkerLost`."""
        if self.inline:
            return fn(*args)
        for attempt in (1, 2):
            worker = await self._worker()
            try:
                return await asyncio.wait_for(worker.call(fn, args), self.timeout)
            except asyncio.TimeoutError:
                worker.kill(f"a call ran over {self.timeout:g} s")
                raise WorkerLost(f"{getattr(fn, '__name__', fn)} ran over {self.timeout:g} s; "
                                 f"worker {worker.proc.pid} killed") from None
            except WorkerLost as exc:
                if attempt == 2 or exc.culprit:
                    raise
        raise AssertionError("unreachable")

    async def start(self, warm: Callable[..., Any] | None = None, *args: Any) -> None:
        """Start every worker now (each calls ``warm(*args)``, e.g. to import a parser), so the
        first real calls do not wait for an interpreter to boot."""
        if self.inline:
            return
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            self._pool[:] = [w for w in self._pool if w.alive]
            while len(self._pool) < self.workers:
                self._pool.append(await _Worker.start())
        if warm is not None:
            await asyncio.gather(*(w.call(warm, args) for w in list(self._pool)))

    async def _worker(self) -> _Worker:
        self._pool[:] = [w for w in self._pool if w.alive]
        best = min(self._pool, key=lambda w: len(w.pending), default=None)
        if best is not None and (not best.pending or len(self._pool) >= self.workers):
            return best
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:  # one start at a time; the others then share it
            self._pool[:] = [w for w in self._pool if w.alive]
            if len(self._pool) < self.workers:
                self._pool.append(await _Worker.start())
            return min(self._pool, key=lambda w: len(w.pending))

    async def close(self) -> None:
        """Stop the workers after the calls already given to them."""
        pool = list(self._pool)
        self._pool.clear()
        await asyncio.gather(*(w.close() for w in pool))


def serve() -> None:
    """A worker's loop: read a call from stdin, answer on stdout, until stdin closes.

    Ctrl-C and SIGTERM (a terminal or systemd signals the whole group) are the crawl's to handle:
    it shuts down gracefully and still needs its workers, which end when their input ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    while True:
        header = inp.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        fn, args = pickle.loads(inp.read(_HEADER.unpack(header)[0]))
        try:
            answer = (True, fn(*args))
        except Exception as exc:  # noqa: BLE001 - the caller gets it, as if the call ran there
            answer = (False, exc)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
            payload = pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc!r}: {answer[1]!r}")))
        out.write(_HEADER.pack(len(payload)) + payload)
        out.flush()


# -- the parse pool ------------------------------------------------------------------------------
_ATTR = "_liaocheng_news_parse_pool"


def parse_pool(crawler) -> Offload:
    """The crawler's parse pool (``CPU_WORKERS``, ``PARSE_TIMEOUT`` settings), closed at engine stop."""
    pool = getattr(crawler, _ATTR, None)
    if pool is None:
        pool = Offload(cpu_workers(crawler.settings.get("CPU_WORKERS", "auto")),
                       timeout=crawler.settings.getfloat("PARSE_TIMEOUT", 60.0) or None)
        setattr(crawler, _ATTR, pool)
        from scrapy import signals

        async def close() -> None:
            setattr(crawler, _ATTR, None)
            await pool.close()

        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return pool


_parsers: dict[str, Any] = {}  # a worker's parser per portal


def portal_parser(portal: str):
    """The portal's parser, made once per worker (also the warm-up call: it imports the parser)."""
    parser = _parsers.get(portal)
    if parser is None:
        from liaocheng_news.parsers import get_parser

        parser = _parsers[portal] = get_parser(portal)
    return parser


def warm_parser(portal: str) -> None:
    portal_parser(portal)


def parse_article_page(portal: str, url: str, body: bytes, headers: Mapping[str, str], status: int):
    """A portal parser's :class:`~liaocheng_news.items.Article` for a page (runs in a worker)."""
    from liaocheng_news.parsers import Page

    return portal_parser(portal).parse(Page(url=url, body=body, headers=headers, status=status))
