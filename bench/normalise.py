"""Throughput of the script normaliser and its t2s converter (issues 3, 20).  Run: .venv/bin/python bench/normalise.py

Measures, in one run with interleaved rounds, on the seeds shipped with the package:

(a) clean Simplified article text (seeds 000 and 003) through ``Normaliser.paragraphs``;
(b) Traditional + pinyin mirror text (seeds 001, 002 and 004) through ``Normaliser.paragraphs``;
(c) bare OpenCC t2s (``OpenCC('t2s').convert``) on the same text as (b), in one call;
(d) the t2s converter (``liaocheng_news.text.t2s.convert``, output identical to (c)) on the same
    text, in one call;
and (b), (c), (d) again on the Traditional seeds alone (001, 004), where less can be skipped.

MB/s counts the input's UTF-8 bytes per second of process CPU time (steadier than wall time
on a shared machine).  Each figure is the median of several timed runs, taken in turn, after
one warm-up run (the normaliser caches per-character readings for the life of the process, as
it does in a crawl); the cold first run of (b) is printed too.  Targets: (a) ≥ 20 MB/s,
(b) ≥ 0.8 × (c), (d) ≥ 5 × (c).
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
from liaocheng_news.text.t2s import convert, opencc_t2s  # noqa: E402

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


def mirror_text() -> str:
    """The mirror corpus as one text, as (c) and (d) convert it (tests check (d) equals (c) on it)."""
    return "\n".join(_corpus(MIRROR))


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


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    clean = _corpus(CLEAN)
    mirror = _corpus(MIRROR)
    mirror_joined = mirror_text()
    traditional = _corpus(TRADITIONAL)  # the part of (b) that is Traditional throughout
    traditional_joined = "\n".join(traditional)
    if convert(mirror_joined) != opencc_t2s(mirror_joined):
        raise SystemExit("t2s converter and OpenCC disagree on the mirror text")

    normaliser = Normaliser()
    start = time.process_time()
    normaliser.paragraphs(mirror)
    cold_b = _mb(mirror) / (time.process_time() - start)
    normaliser.paragraphs(clean)

    seconds = _median_seconds(
        lambda: normaliser.paragraphs(clean),
        lambda: normaliser.paragraphs(mirror),
        lambda: opencc_t2s(mirror_joined),
        lambda: convert(mirror_joined),
        lambda: normaliser.paragraphs(traditional),
        lambda: opencc_t2s(traditional_joined),
        lambda: convert(traditional_joined),
    )
    sizes = (_mb(clean), _mb(mirror), _mb(mirror), _mb(mirror), _mb(traditional), _mb(traditional), _mb(traditional))
    a, b, c, d, b_trad, c_trad, d_trad = (mb / s for mb, s in zip(sizes, seconds))

    print(f"text per run: clean {_mb(clean):.2f} MB, mirror {_mb(mirror):.2f} MB (UTF-8), median of {RUNS} interleaved runs")
    print(f"(a) clean Simplified, Normaliser        {a:8.2f} MB/s   target >= 20      {_verdict(a >= 20)}")
    print(f"(b) Traditional+pinyin, Normaliser      {b:8.2f} MB/s   (cold first run {cold_b:.2f} MB/s)")
    print(f"(c) same text, bare OpenCC t2s          {c:8.2f} MB/s")
    print(f"(d) same text, t2s converter            {d:8.2f} MB/s   (output identical to (c))")
    print(f"(d)/(c) = {d / c:.1f}   target >= 5     {_verdict(d >= 5 * c)}")
    print(f"(b)/(c) = {b / c:.2f}   target >= 0.8   {_verdict(b >= 0.8 * c)}")
    print(f"(a)/(c) = {a / c:.1f}")
    print(f"seeds 001+004 only (Traditional throughout): Normaliser {b_trad:.2f} MB/s, OpenCC {c_trad:.2f} MB/s, "
          f"converter {d_trad:.2f} MB/s; Normaliser/OpenCC {b_trad / c_trad:.2f}, converter/OpenCC {d_trad / c_trad:.1f}")


if __name__ == "__main__":
    main()
