"""Worker processes for a crawl's CPU-bound work, so the reactor's process keeps downloading.

Scrapy runs a crawl in one process and one thread.  Parsing an article page and writing it to
the archive (psycopg, story placement) each cost more CPU than downloading the page, so in one
process they, not the network, would set the crawl's pace.  Two kinds of work therefore run in
worker processes, shared by all the crawls of one process (``liaocheng-news crawl`` runs every
portal in one):

* article parsing (:mod:`liaocheng_news.spiders.base` → :func:`parse_article_page`), in a pool of
  ``CPU_WORKERS`` processes;
* archive writes (:mod:`liaocheng_news.pipelines.store` → :mod:`liaocheng_news.db.writer`), in
  one writer process that holds a connection per archive.

A worker is a fresh interpreter (``sys.executable``, with the crawl's import path) that reads
pickled calls on its stdin and answers on its stdout.  The crawl's process talks to it through
asyncio pipe transports; no thread of the crawl's process runs Python code for it (asyncio's
child watcher only waits in ``waitpid``).  A thread that does (a ``ProcessPoolExecutor`` has
two) fights the reactor for the GIL on every socket call and costs more than the work it moves
(measured with ``bench/crawl.py``).  ``CPU_WORKERS = 0`` keeps everything in the crawl's
process, as on a one-CPU machine.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import json
import logging
import os
import pickle
import signal
import struct
import sys
import time
import traceback
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


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (set as its ``__cause__``)."""

    def __str__(self) -> str:
        return f"\n\n(in the worker process)\n{self.args[0]}"


class _Worker:
    """One worker process: calls go down its stdin, results come back on its stdout, in order.

    With a ``timeout``, a watchdog kills the worker when the call at the head of its queue has
    run that long (time queued behind other calls does not count).
    """

    def __init__(self, proc: asyncio.subprocess.Process, timeout: float | None = None):
        self.proc = proc
        self.timeout = timeout
        self.pending: collections.deque[asyncio.Future] = collections.deque()
        self.head_since = time.monotonic()  # when the call at the head of ``pending`` began
        self.alive = True
        self.reader = asyncio.ensure_future(self._read())
        self.watchdog = asyncio.ensure_future(self._watch()) if timeout else None

    @classmethod
    async def start(cls, timeout: float | None = None) -> "_Worker":
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _BOOT, json.dumps(sys.path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(proc, timeout)

    async def call(self, fn: Callable, args: tuple) -> Any:
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        future = asyncio.get_running_loop().create_future()
        if not self.pending:
            self.head_since = time.monotonic()
        self.pending.append(future)
        try:
            self.proc.stdin.write(_HEADER.pack(len(payload)) + payload)  # buffered whole: frames never tear
            await self.proc.stdin.drain()
        except (ConnectionError, RuntimeError) as exc:  # the pipe closed under us: the worker is gone
            self._lose(f"cannot send to worker {self.proc.pid}: {exc}")
        except asyncio.CancelledError:
            future.cancel()  # its answer, when it comes, is read and dropped
            raise
        return await future

    async def _read(self) -> None:
        stdout = self.proc.stdout
        try:
            while True:
                size = _HEADER.unpack(await stdout.readexactly(_HEADER.size))[0]
                frame = await stdout.readexactly(size)
                future = self.pending.popleft()
                self.head_since = time.monotonic()  # the next call begins now
                if future.done():  # its caller was cancelled
                    continue
                try:
                    ok, value, remote = pickle.loads(frame)
                except Exception as exc:  # noqa: BLE001 - one answer that does not unpickle here
                    future.set_exception(RuntimeError(f"an answer from worker {self.proc.pid} "
                                                      f"could not be read: {exc!r}"))
                    continue
                if ok:
                    future.set_result(value)
                else:
                    if remote:
                        value.__cause__ = RemoteTraceback(remote)
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await self.proc.wait()
            self._lose(f"worker {self.proc.pid} died (exit status {code})")

    async def _watch(self) -> None:
        while self.alive:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            if self.pending and time.monotonic() - self.head_since > self.timeout:
                self.kill(f"a call ran over {self.timeout:g} s; worker {self.proc.pid} killed")

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
        self.alive = False
        if self.watchdog:
            self.watchdog.cancel()
        try:
            await self.reader
        except asyncio.CancelledError:
            pass


class Offload:
    """Runs picklable functions in worker processes (or inline with 0 workers), awaitably.

    A call goes to the worker with the fewest calls in hand.  A worker that dies (killed, out of
    memory, over ``timeout``) fails the call it was running with :class:`WorkerLost`; calls
    queued behind it are tried once more on a fresh worker.
    """

    def __init__(self, workers: int, timeout: float | None = None):
        self.workers = workers
        self.timeout = timeout  # seconds one call may run before its worker is killed
        self._pool: list[_Worker] = []
        self._starting: asyncio.Lock | None = None
        self._closed = False

    @property
    def inline(self) -> bool:
        return self.workers == 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; its exceptions are raised here, as if it ran here."""
        if self.inline:
            return fn(*args)
        for attempt in (1, 2):
            worker = await self._worker()
            try:
                return await worker.call(fn, args)
            except WorkerLost as exc:
                if attempt == 2 or exc.culprit:
                    raise
        raise AssertionError("unreachable")

    def _lock(self) -> asyncio.Lock:
        if self._starting is None:
            self._starting = asyncio.Lock()
        return self._starting

    async def _worker(self) -> _Worker:
        if self._closed:
            raise WorkerLost("the workers were closed", culprit=True)
        self._pool[:] = [w for w in self._pool if w.alive]
        best = min(self._pool, key=lambda w: len(w.pending), default=None)
        if best is not None and (not best.pending or len(self._pool) >= self.workers):
            return best
        async with self._lock():  # one start at a time; the others then share it
            if self._closed:
                raise WorkerLost("the workers were closed", culprit=True)
            self._pool[:] = [w for w in self._pool if w.alive]
            if len(self._pool) < self.workers:
                self._pool.append(await _Worker.start(self.timeout))
            return min(self._pool, key=lambda w: len(w.pending))

    async def start(self, warm: Callable[..., Any] | None = None, *args: Any) -> None:
        """Start every worker now (each calls ``warm(*args)``, e.g. to import a parser), so the
        first real calls do not wait for an interpreter to boot."""
        if self.inline:
            return
        async with self._lock():
            self._pool[:] = [w for w in self._pool if w.alive]
            while len(self._pool) < self.workers and not self._closed:
                self._pool.append(await _Worker.start(self.timeout))
            workers = list(self._pool)
        if warm is not None:
            await asyncio.gather(*(w.call(warm, args) for w in workers))

    async def close(self) -> None:
        """Stop the workers after the calls already given to them (and any start under way)."""
        self._closed = True
        async with self._lock():
            pool = list(self._pool)
            self._pool.clear()
        await asyncio.gather(*(w.close() for w in pool))


# -- pools shared by the crawls of one process ----------------------------------------------------
_shared: dict[tuple[str, int], tuple[Offload, set[int]]] = {}


def shared_pool(name: str, owner: object, workers: int, timeout: float | None = None) -> Offload:
    """The process's pool ``name`` on this event loop, taken by ``owner`` (a crawler); the
    first taker's size and timeout hold.  :func:`release_pool` gives it back."""
    key = (name, id(asyncio.get_event_loop()))
    if key not in _shared:
        _shared[key] = (Offload(workers, timeout), set())
    pool, owners = _shared[key]
    owners.add(id(owner))
    return pool


async def release_pool(name: str, owner: object) -> None:
    """``owner`` is done with pool ``name``; the last one out closes it."""
    key = (name, id(asyncio.get_event_loop()))
    entry = _shared.get(key)
    if entry is None:
        return
    pool, owners = entry
    owners.discard(id(owner))
    if not owners:
        del _shared[key]
        await pool.close()


def serve() -> None:
    """A worker's loop: read a call from stdin, answer on stdout, until stdin closes.

    Ctrl-C and SIGTERM (a terminal or systemd signals the whole group) are the crawl's to handle:
    it shuts down gracefully and still needs its workers, which end when their input ends.  A
    worker whose crawl died is killed by the kernel (``PR_SET_PDEATHSIG``), also mid-call.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    while True:
        header = inp.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        frame = inp.read(_HEADER.unpack(header)[0])
        try:
            fn, args = pickle.loads(frame)
            answer = (True, fn(*args), None)
        except Exception as exc:  # noqa: BLE001 - the caller gets it, as if the call ran there
            answer = (False, exc, traceback.format_exc())
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
            payload = pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc!r}: {answer[1]!r}"),
                                    answer[2]))
        out.write(_HEADER.pack(len(payload)) + payload)
        out.flush()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the crawl's process dies (elsewhere: rely on EOF)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(0)


# -- the parse pool ------------------------------------------------------------------------------
_PARSE = "parse"


def parse_pool(crawler) -> Offload:
    """The parse pool (``CPU_WORKERS``, ``PARSE_TIMEOUT`` settings), shared with the process's
    other crawls; this crawler gives it back at engine stop."""
    pool = getattr(crawler, "_liaocheng_news_parse_pool", None)
    if pool is not None:  # asked once per article page: the settings are read once per crawl
        return pool
    from scrapy import signals

    async def release() -> None:
        crawler._liaocheng_news_parse_pool = None
        await release_pool(_PARSE, crawler)

    crawler.signals.connect(release, signal=signals.engine_stopped, weak=False)
    pool = crawler._liaocheng_news_parse_pool = shared_pool(
        _PARSE, crawler, cpu_workers(crawler.settings.get("CPU_WORKERS", "auto")),
        timeout=crawler.settings.getfloat("PARSE_TIMEOUT", 60.0) or None)
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
