"""Worker processes: the parse pool and its failure modes."""

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest

from liaocheng_news.parsers import NotAnArticle, Page, get_parser
from liaocheng_news.workers import Offload, WorkerLost, cpu_workers, parse_article_page, warm_parser
from tests.helpers import run

ARTICLE = Path(__file__).parent / "fixtures" / "lcxw" / "article-20260122-151679.html"


def with_pool(use, workers: int = 1, timeout: float | None = None):
    """``await use(pool)`` with a fresh Offload, closed afterwards; the result."""
    async def go():
        pool = Offload(workers, timeout=timeout)
        try:
            return await use(pool)
        finally:
            await pool.close()

    return run(go())


def _pid():
    return os.getpid()


def _crash():
    os.kill(os.getpid(), signal.SIGKILL)


def _sleep(seconds):
    time.sleep(seconds)
    return os.getpid()


def test_cpu_workers_setting():
    assert cpu_workers(0) == 0
    assert cpu_workers("3") == 3
    assert cpu_workers("auto") == min(4, max(0, (os.cpu_count() or 1) - 1))
    for bad in ("many", "-1"):
        with pytest.raises(ValueError, match="CPU_WORKERS"):
            cpu_workers(bad)


def test_work_runs_in_another_process_and_inline_with_zero_workers():
    assert with_pool(lambda pool: pool.run(_pid)) != os.getpid()
    assert with_pool(lambda pool: pool.run(_pid), workers=0) == os.getpid()


def test_a_dead_worker_is_reported_and_the_next_call_gets_a_fresh_one():
    async def use(pool):
        with pytest.raises(WorkerLost, match="died"):
            await pool.run(_crash)
        return await pool.run(_pid)

    assert with_pool(use) != os.getpid()


def test_a_call_over_its_time_is_cut_short_and_calls_queued_behind_it_go_on():
    async def use(pool):
        await pool.start()
        hung = asyncio.ensure_future(pool.run(_sleep, 30))
        await asyncio.sleep(0.1)
        queued = asyncio.ensure_future(pool.run(_pid))  # waits behind the hung call
        with pytest.raises(WorkerLost, match="ran over 1 s"):
            await hung
        return await queued  # tried again on a fresh worker

    assert with_pool(use, timeout=1) != os.getpid()


def test_start_boots_the_workers_and_warms_them():
    async def use(pool):
        await pool.start(warm_parser, "lcxw")
        return len(pool._pool), {w.proc.returncode for w in pool._pool}

    assert with_pool(use, workers=2) == (2, {None})


def test_parser_errors_cross_the_process_boundary():
    with pytest.raises(NotAnArticle, match="HTTP 404"):
        with_pool(lambda pool: pool.run(parse_article_page, "lcxw", "https://www.lcxw.cn/missing.html",
                                        b"", {"Content-Type": "text/html"}, 404))


def test_a_page_parsed_in_a_worker_is_the_page_parsed_here():
    meta = json.loads(ARTICLE.with_name(ARTICLE.stem + ".meta.json").read_text(encoding="utf-8"))
    page = (meta["url"], ARTICLE.read_bytes(), meta["headers"], 200)
    assert with_pool(lambda pool: pool.run(parse_article_page, "lcxw", *page)) == get_parser("lcxw").parse(Page(*page))


def test_a_worker_outlives_the_signals_meant_for_the_crawl():
    async def use(pool):
        await pool.start()
        worker = pool._pool[0]
        await pool.run(_pid)  # the worker has set its signal handlers up
        for sig in (signal.SIGINT, signal.SIGTERM):
            os.kill(worker.proc.pid, sig)
        await asyncio.sleep(0.2)
        return await pool.run(_pid), worker.proc.pid

    answered_by, first = with_pool(use)
    assert answered_by == first  # the same worker, still there


class Odd(Exception):
    """An exception that pickles but cannot be rebuilt (its __init__ wants two arguments)."""

    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


def _odd():
    raise Odd(1, 2)


def _timeout():
    raise TimeoutError("the parser's own timeout")


def test_time_queued_behind_another_call_does_not_count_against_a_call():
    async def use(pool):
        await pool.start()
        first = asyncio.ensure_future(pool.run(_sleep, 1.2))
        second = asyncio.ensure_future(pool.run(_sleep, 1.2))  # ends 2.4 s after it was queued
        return await first, await second

    a, b = with_pool(use, timeout=2)
    assert a == b  # both ran, on the one worker


def test_a_bad_answer_or_a_timeout_error_of_the_call_itself_leaves_the_worker_alone():
    async def use(pool):
        before = await pool.run(_pid)
        with pytest.raises(RuntimeError, match="could not be read"):
            await pool.run(_odd)
        with pytest.raises(TimeoutError, match="own timeout") as raised:
            await pool.run(_timeout)
        assert "in the worker process" in str(raised.value.__cause__)
        return before, await pool.run(_pid)

    before, after = with_pool(use, timeout=5)
    assert before == after


def test_closing_while_workers_start_leaves_none_behind():
    async def use(pool):
        starting = asyncio.ensure_future(pool.start())
        await asyncio.sleep(0)
        await pool.close()
        await starting
        with pytest.raises(WorkerLost, match="closed"):
            await pool.run(_pid)
        return pool._pool

    assert with_pool(use, workers=2) == []


def test_crawls_of_one_process_share_a_pool_until_the_last_one_leaves():
    from liaocheng_news.workers import release_pool, shared_pool

    async def go():
        first, second = object(), object()
        pool = shared_pool("test", first, 1)
        assert shared_pool("test", second, 3) is pool
        worker_pid = await pool.run(_pid)
        await release_pool("test", first)
        still = await pool.run(_pid)  # the second crawl still has it
        await release_pool("test", second)
        assert shared_pool("test", first, 1) is not pool  # a new one
        await release_pool("test", first)
        return worker_pid, still

    worker_pid, still = run(go())
    assert worker_pid == still != os.getpid()
