"""Throughput of the script normaliser (issue 3).  Run: .venv/bin/python bench/normalise.py

Measures, in one run and on the seeds shipped with the package:

(a) clean Simplified article text (seeds 000 and 003) through ``Normaliser.paragraphs``;
(b) Traditional + pinyin mirror text (seeds 001, 002 and 004) through ``Normaliser.paragraphs``;
(c) bare OpenCC t2s (``OpenCC('t2s').convert``) on the same text as (b), in one call;
and (b)/(c) again on the Traditional seeds alone (001, 004), where less conversion can be skipped.

MB/s counts the input's UTF-8 bytes per second of process CPU time (steadier than wall time
on a shared machine).  Each figure is the median of several timed runs, taken in turn, after
one warm-up run (the normaliser caches per-character readings for the life of the process, as
it does in a crawl); the cold first run of (b) is printed too.  Targets: (a) ≥ 20 MB/s,
(b) ≥ 0.8 × (c).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.text.normalise import Normaliser  # noqa: E402
from liaocheng_news.text.script import opencc_t2s  # noqa: E402

SEEDS = ROOT / "liaocheng_news" / "seeds"
CLEAN = ("000_", "003_")
MIRROR = ("001_", "002_", "004_")
TRADITIONAL = ("001_", "004_")
TARGET_MB = 1.0  # repeat the seeds up to about this much text per run
RUNS = 5


def _corpus(prefixes: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    for prefix in prefixes:
        (path,) = SEEDS.glob(prefix + "*.txt")
        lines += path.read_text(encoding="utf-8").splitlines()
    size = sum(len(line.encode()) + 1 for line in lines)
    return lines * max(1, round(TARGET_MB * 1e6 / size))


def _mb(lines: list[str]) -> float:
    return sum(len(line.encode()) + 1 for line in lines) / 1e6


def _median_seconds(*works: Callable[[], object]) -> list[float]:
    """Median CPU time of each piece of work, the pieces run in turn so load affects all alike."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(RUNS):
        for work, spent in zip(works, times):
            start = time.process_time()
            work()
            spent.append(time.process_time() - start)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    clean = _corpus(CLEAN)
    mirror = _corpus(MIRROR)
    mirror_text = "\n".join(mirror)
    traditional = _corpus(TRADITIONAL)  # the part of (b) that is Traditional throughout
    traditional_text = "\n".join(traditional)

    normaliser = Normaliser()
    start = time.process_time()
    normaliser.paragraphs(mirror)
    cold_b = _mb(mirror) / (time.process_time() - start)
    normaliser.paragraphs(clean)

    seconds = _median_seconds(
        lambda: normaliser.paragraphs(clean),
        lambda: normaliser.paragraphs(mirror),
        lambda: opencc_t2s(mirror_text),
        lambda: normaliser.paragraphs(traditional),
        lambda: opencc_t2s(traditional_text),
    )
    sizes = (_mb(clean), _mb(mirror), _mb(mirror), _mb(traditional), _mb(traditional))
    a, b, c, b_trad, c_trad = (mb / s for mb, s in zip(sizes, seconds))

    print(f"text per run: clean {_mb(clean):.2f} MB, mirror {_mb(mirror):.2f} MB (UTF-8), median of {RUNS} runs")
    print(f"(a) clean Simplified, Normaliser        {a:8.2f} MB/s   target >= 20      {'ok' if a >= 20 else 'MISSED'}")
    print(f"(b) Traditional+pinyin, Normaliser      {b:8.2f} MB/s   (cold first run {cold_b:.2f} MB/s)")
    print(f"(c) same text, bare OpenCC t2s          {c:8.2f} MB/s")
    print(f"(b)/(c) = {b / c:.2f}   target >= 0.8   {'ok' if b >= 0.8 * c else 'MISSED'}")
    print(f"(a)/(c) = {a / c:.1f}")
    print(f"seeds 001+004 only (Traditional throughout): Normaliser {b_trad:.2f} MB/s, OpenCC {c_trad:.2f} MB/s, "
          f"ratio {b_trad / c_trad:.2f}")


if __name__ == "__main__":
    main()
