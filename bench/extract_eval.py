"""Extraction on real pages (issue 13): liaocheng-news against GNE and trafilatura, scored by the
pages' own scorer.  Run: .venv/bin/python bench/extract_eval.py [REALPAGES_DIR] [--rounds N]

REALPAGES_DIR (default /work/shared/realpages) holds ``pages/``, ``gt/``, ``manifest.json``,
``score.py`` and ``goal.json``.  In one run, page by page and in turn (so load hits all alike):

- **liaocheng-news**: ``liaocheng-news extract``'s own code (:func:`liaocheng_news.ops.extract.extract_page`)
  on the stored bytes with the manifest's URL; the portal comes from the URL, so these pages go
  to the reader (the generic path).  Timed from the bytes: decoding included;
- **trafilatura** (installed with liaocheng-news): ``bare_extraction(text, with_metadata=True)``
  on the text liaocheng-news decoded (decoding not timed);
- **GNE 0.4.3**: ``GeneralNewsExtractor().extract(text)`` on the same text.  GNE's licence file
  is the GPL, so it is no dependency of liaocheng-news: this script installs it with
  ``pip install --target`` into a cache folder (``$XDG_CACHE_HOME/liaocheng-news/bench-gne``)
  the first time, and imports it from there for the benchmark only.

Each system's first-round output is scored with ``score.py`` (found, title exact, date to the
minute, 来源, authors, clean body, body F1); the table also scores the two halves of the set
(the GNE-origin and the CWCED-origin pages) for liaocheng-news, a check for rules tuned to one
half, and the portal templates on the real pages of their CMS families (each template with its
cross-check against the reader, pages it does not match going to the reader as in a crawl).
Times: the median over pages of each page's median over the rounds, milliseconds of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.ops.extract import extract_page  # noqa: E402
from liaocheng_news.parsers import Page, get_parser  # noqa: E402

DEFAULT_DIR = Path("/work/shared/realpages")
GNE_VERSION = "0.4.3"
FIELDS = ("found", "title", "date", "source", "authors", "body_ok", "f1")
TEMPLATE_FAMILIES = {"liaocheng_gov": ("TRS", "Hanweb"), "dzwww_liaocheng": ("TRS",), "lcrb": ("Founder",)}


def gne_extractor():
    """GNE from the bench's cache folder (installed there on first use, never into the venv)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "liaocheng-news" / "bench-gne"
    if not (cache / "gne").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"installing GNE {GNE_VERSION} (GPL, benchmark only) into {cache} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--target", str(cache), f"gne=={GNE_VERSION}", "pyyaml"], check=True)
    sys.path.append(str(cache))  # after the venv: GNE uses the venv's lxml
    from gne import GeneralNewsExtractor

    return GeneralNewsExtractor()


def _timed(work):
    start = time.perf_counter()
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - a system that fails on a page found nothing there
        result = exc
    return result, (time.perf_counter() - start) * 1000


def run_systems(directory: Path, rounds: int) -> tuple[dict[str, list[dict]], dict[str, float]]:
    import trafilatura

    gne = gne_extractor()
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    outputs: dict[str, list[dict]] = {"liaocheng-news": [], "trafilatura": [], "GNE": []}
    times: dict[str, list[float]] = {name: [] for name in outputs}  # each page's median
    for entry in manifest:
        path = directory / entry["file"]
        text = Page(entry["url"], path.read_bytes()).text
        systems = {
            "liaocheng-news": lambda: extract_page(path, entry["url"]),
            "trafilatura": lambda: trafilatura.bare_extraction(text, with_metadata=True),
            "GNE": lambda: gne.extract(text),
        }
        spent: dict[str, list[float]] = {name: [] for name in systems}
        for round_no in range(rounds):
            for name, work in systems.items():
                result, ms = _timed(work)
                spent[name].append(ms)
                if round_no == 0:
                    outputs[name].append(_record(name, entry, result))
        for name in systems:
            times[name].append(statistics.median(spent[name]))
    return outputs, {name: statistics.median(per_page) for name, per_page in times.items()}


def _record(name: str, entry: dict, result) -> dict:
    """A system's output as a line score.py reads (id, title, published_at, source, authors, body)."""
    base = {"id": entry["id"]}
    if isinstance(result, Exception) or result is None:
        return base
    if name == "liaocheng-news":
        return {**base, **{k: result[k] for k in ("title", "published_at", "source", "authors", "body")}}
    if name == "trafilatura":
        return {**base, "title": result.title, "published_at": result.date,
                "authors": [result.author] if result.author else [], "body": result.text}
    return {**base, "title": result.get("title"), "published_at": result.get("publish_time"),
            "authors": [result["author"]] if result.get("author") else [], "body": result.get("content")}


def score(directory: Path, records: list[dict], ids: set[str] | None = None) -> dict[str, str]:
    """score.py's totals for ``records`` (on the pages ``ids`` only, when given)."""
    with tempfile.TemporaryDirectory(prefix="extract-eval-") as tmp:
        out = Path(tmp) / "out.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        gt = directory / "gt"
        if ids is not None:
            gt = Path(tmp) / "gt"
            gt.mkdir()
            for pid in ids:
                (gt / f"{pid}.json").symlink_to(directory / "gt" / f"{pid}.json")
        done = subprocess.run([sys.executable, str(directory / "score.py"), str(gt), str(out),
                               str(directory / "manifest.json")], capture_output=True, text=True)
    line = next((l for l in done.stdout.splitlines() if l.startswith("real pages")), "")
    words = line.split(";")[0].split()
    return {key: words[words.index(key) + 1] for key in FIELDS if key in words}


def template_records(directory: Path, portal: str, families: tuple[str, ...]) -> tuple[list[dict], set[str], int]:
    """The portal's parser on the real pages of its CMS families, as a crawl would read them."""
    from liaocheng_news.parsers.base import NotAnArticle
    from liaocheng_news.parsers.generic import GenericParser

    parser = get_parser(portal)
    records, ids, matched = [], set(), 0
    for entry in json.loads((directory / "manifest.json").read_text(encoding="utf-8")):
        if not any(family in entry["cms"] for family in families):
            continue
        ids.add(entry["id"])
        page = Page(entry["url"], (directory / entry["file"]).read_bytes())
        version = next((v for v in parser.versions if v.matches(page) and v.extract(page, parser)), None)
        matched += version is not None
        try:  # a page that is not this template's goes to the reader, as in a crawl
            article = (parser if version else GenericParser(portal)).parse(page)
        except NotAnArticle:
            records.append({"id": entry["id"]})
            continue
        records.append({"id": entry["id"], "title": article.title, "published_at": _iso(article.published_at),
                        "source": article.source, "authors": article.authors, "body": article.body_text})
    return records, ids, matched


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    directory = args.directory
    goal = json.loads((directory / "goal.json").read_text(encoding="utf-8")).get("goal", {})
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    outputs, medians = run_systems(directory, args.rounds)

    print(f"{len(manifest)} real pages in {directory}, {args.rounds} rounds\n")
    print("| | " + " | ".join(FIELDS) + " | median ms/page |")
    print("|---" * (len(FIELDS) + 2) + "|")
    for name, records in outputs.items():
        totals = score(directory, records)
        print(f"| {name} | " + " | ".join(totals.get(k, "-") for k in FIELDS) + f" | {medians[name]:.1f} |")
    print("| goal | " + " | ".join(str(goal.get(k, "-")) for k in FIELDS) + " | |")
    ratio = medians["liaocheng-news"] / medians["trafilatura"]
    print(f"\nliaocheng-news {medians['liaocheng-news']:.1f} ms/page, trafilatura {medians['trafilatura']:.1f} "
          f"ms/page: ratio {ratio:.2f} (target ≤ 2.0)")

    print("\nliaocheng-news on each half of the set:\n")
    print("| half | pages | " + " | ".join(FIELDS) + " |")
    print("|---" * (len(FIELDS) + 2) + "|")
    for half in ("gne", "cwced"):
        ids = {e["id"] for e in manifest if e["id"].startswith(half + "__")}
        totals = score(directory, outputs["liaocheng-news"], ids)
        print(f"| {half} | {len(ids)} | " + " | ".join(totals.get(k, "-") for k in FIELDS) + " |")

    print("\nportal templates on the real pages of their CMS families (unmatched pages read by the reader):\n")
    print("| template | family | pages | matched | " + " | ".join(FIELDS) + " |")
    print("|---" * (len(FIELDS) + 4) + "|")
    for portal, families in TEMPLATE_FAMILIES.items():
        records, ids, matched = template_records(directory, portal, families)
        totals = score(directory, records, ids)
        print(f"| {portal} | {'/'.join(families)} | {len(ids)} | {matched} | "
              + " | ".join(totals.get(k, "-") for k in FIELDS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
