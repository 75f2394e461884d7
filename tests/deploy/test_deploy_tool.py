"""deploy/deploy.py without scrapyd: what goes into the egg, and a clear refusal without a target URL."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "deploy.py"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    return subprocess.run([sys.executable, str(DEPLOY), *args], cwd=ROOT, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_the_egg_carries_package_settings_migrations_and_seeds_but_no_tests(tmp_path):
    egg = tmp_path / "project.egg"
    leftovers = ("setup.py", "build", "dist")
    before = {name for name in leftovers if (ROOT / name).exists()}
    result = run("--build-only", str(egg))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(egg) as zf:
        names = set(zf.namelist())
        entry_points = zf.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = liaocheng_news.settings" in entry_points
    migrations = {p.name for p in (ROOT / "liaocheng_news" / "db" / "migrations").glob("*.sql")}
    assert {f"liaocheng_news/db/migrations/{m}" for m in migrations} <= names
    seeds = {p.name for p in (ROOT / "liaocheng_news" / "seeds").glob("*.txt")}
    assert {f"liaocheng_news/seeds/{s}" for s in seeds} <= names
    assert {"liaocheng_news/settings.py", "liaocheng_news/portals.py", "liaocheng_news/spiders/declared.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "fixtures/" in n or "__pycache__" in n]
    # the build happens in a temporary copy: nothing is left behind in the checkout
    assert {name for name in leftovers if (ROOT / name).exists()} == before


def test_refuses_to_deploy_without_a_target_url():
    result = run()
    assert result.returncode != 0
    assert "SCRAPYD_URL" in result.stderr
    result = run("nowhere", env={"SCRAPYD_URL": "http://127.0.0.1:9/"})
    assert result.returncode != 0 and "no target 'nowhere'" in result.stderr
