#!/usr/bin/env python3
"""Build the liaocheng-news egg once and upload it to one or more scrapyd nodes.

    python deploy/deploy.py                   the [deploy] target of scrapy.cfg
                                              (SCRAPYD_URL, SCRAPYD_USERNAME, SCRAPYD_PASSWORD)
    python deploy/deploy.py node1 node2       the [deploy:node1] and [deploy:node2] targets
    python deploy/deploy.py --all             every target in scrapy.cfg
    python deploy/deploy.py --build-only FILE just write the egg

Why not plain ``scrapyd-deploy``: it works (scrapyd-client 2.0.3 expands ${VAR} in scrapy.cfg and
setuptools takes the package list, package data and entry point from pyproject.toml), but it
writes setup.py and build/ into the checkout, builds once per target, and exits 0 even when
scrapyd answers ``{"status": "error"}`` (for example when the egg cannot list its spiders).
This script builds in a temporary copy, checks the egg's contents, uploads it with
scrapyd-deploy's own code path (``scrapyd-deploy TARGET --egg FILE``), and fails loudly.
Run it with the virtualenv that has the ``deploy`` extra (scrapyd-client) installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "liaocheng_news"


def build_egg(dest_dir: Path) -> Path:
    """``bdist_egg`` of a clean copy of the package (pyproject.toml drives setuptools)."""
    src = dest_dir / "src"
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / PACKAGE, src / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "bdist_egg",
         "--dist-dir", str(dest_dir / "dist")],
        cwd=src, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"deploy: building the egg failed:\n{result.stdout}{result.stderr}")
    eggs = list((dest_dir / "dist").glob("*.egg"))
    if len(eggs) != 1:
        sys.exit(f"deploy: expected one egg, found {eggs}")
    check_egg(eggs[0])
    return eggs[0]


def check_egg(egg: Path) -> None:
    """The egg must carry the package, its settings entry point, migrations and seeds, and no tests."""
    with zipfile.ZipFile(egg) as zf:
        names = zf.namelist()
        entry_points = zf.read("EGG-INFO/entry_points.txt").decode()
    problems = []
    if f"settings = {PACKAGE}.settings" not in entry_points:
        problems.append("no [scrapy] settings entry point")
    for prefix, what in ((f"{PACKAGE}/settings.py", "settings"), (f"{PACKAGE}/spiders/", "spiders"),
                         (f"{PACKAGE}/db/migrations/", "migrations"), (f"{PACKAGE}/seeds/", "seeds")):
        if not any(n.startswith(prefix) for n in names):
            problems.append(f"no {what} ({prefix})")
    if not any(n.startswith(f"{PACKAGE}/db/migrations/") and n.endswith(".sql") for n in names):
        problems.append("no migration .sql files")
    strays = [n for n in names if n.startswith(("tests/", "bench/")) or "/fixtures/" in n]
    if strays:
        problems.append(f"test files in the egg: {strays[:5]}")
    if problems:
        sys.exit(f"deploy: the egg {egg.name} is incomplete: " + "; ".join(problems))


def targets() -> dict[str, dict[str, str]]:
    """scrapy.cfg's deploy targets, read exactly as scrapyd-deploy reads them."""
    from scrapyd_client.utils import _get_targets

    return _get_targets()


def upload(target: str, egg: Path, version: str) -> dict:
    found = targets()
    if target not in found:
        sys.exit(f"deploy: no target {target!r} in scrapy.cfg (have: {', '.join(found) or 'none'})")
    url = found[target].get("url", "")
    if "$" in url or not url.startswith(("http://", "https://")):
        sys.exit(f"deploy: target {target!r} has no usable url ({url!r}); set SCRAPYD_URL "
                 "(and SCRAPYD_USERNAME, SCRAPYD_PASSWORD) or edit scrapy.cfg")
    result = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", target, "--egg", str(egg), "--version", version],
        cwd=ROOT, capture_output=True, text=True)
    try:
        answer = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        answer = {}
    if result.returncode or answer.get("status") != "ok":
        sys.exit(f"deploy: upload to {target} ({url}) failed:\n{result.stdout}{result.stderr}")
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="scrapy.cfg deploy targets (default: default)")
    parser.add_argument("--all", action="store_true", help="every target in scrapy.cfg")
    parser.add_argument("--version", default=None,
                        help="version label (default: the Unix time, as scrapyd-deploy uses; "
                             "scrapyd runs the highest version)")
    parser.add_argument("--build-only", metavar="FILE", help="write the egg to FILE and upload nothing")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="lcn-egg-") as tmp:
        egg = build_egg(Path(tmp))
        if args.build_only:
            shutil.copyfile(egg, args.build_only)
            print(f"egg written to {args.build_only}", file=sys.stderr)
            return 0
        version = args.version or str(int(time.time()))
        names = list(targets()) if args.all else (args.targets or ["default"])
        for name in names:
            answer = upload(name, egg, version)
            print(f"deployed {answer.get('project')} version {answer.get('version')} to {name} "
                  f"({answer.get('node_name')}): {answer.get('spiders')} spiders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
