"""The site in Debian's Chromium, over an archive filled by real replay crawls through the CLI.

One module-wide archive: every portal crawled from the recorded pages, then lcxw crawled again
after one of its articles changed (a revision), then the seed dumps imported (seed 003 bridges the
two stories its achie and lcrb excerpts made: the archive merges them, tests/dedupe/
test_replay_stories.py), then ``check-portals`` run on the recorded pages of two portals (their
drift-check results).  ``liaocheng-news web`` serves it on a free loopback port (started here, stopped by its
PID).  The copies' links are followed in the browser, answered from the same recorded pages.
Screenshots of the stories and portals pages are taken every run; they go to docs/img/ when
LIAOCHENG_NEWS_SCREENSHOTS=1 (to refresh the README's pictures), otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from liaocheng_news.browser import launch_options
from liaocheng_news.middlewares.replay import replay_target
from liaocheng_news.ops.replay import ReplayServer
from liaocheng_news.portals import PORTALS
from tests.conftest import FIXTURES, ROOT, _admin, _new_database
from tests.helpers import replay_crawl
from tests.dedupe.test_replay_stories import ACHIE_003, LCRB_003, import_seeds

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LIAOCHENG_NEWS_CHROMIUM") or "/usr/bin/chromium"
SH = ZoneInfo("Asia/Shanghai")
REVISED_SLUG = "article-20260122-151679"  # the lcxw article that changes between the two crawls
REVISED_FROM, REVISED_TO = "3200余个", "3500余个"
SEARCHED_TITLE = "我市启动2026年“春风行动”暨就业援助月活动"  # that article's headline


@dataclass
class Site:
    base: str
    database: str
    replay_url: str
    merged_id: int
    merged_into: int
    revised_story: int
    most_copies: int


CHECKED = ("lcxw", "yybnet")  # the portals check-portals is run on


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"liaocheng-news web exited with {proc.returncode}: {proc.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("liaocheng-news web did not answer in time")


@pytest.fixture(scope="module")
def site(pg_admin_url, pg_template, tmp_path_factory):
    name, url = _new_database(pg_admin_url, pg_template)
    home = tmp_path_factory.mktemp("web-site")
    replay = home / "replay"
    shutil.copytree(FIXTURES, replay)
    replay_crawl(url=url, home=home, replay_dir=replay)
    page = next(replay.glob(f"lcxw/{REVISED_SLUG}.html"))
    html = page.read_bytes()
    assert html.count(REVISED_FROM.encode()) == 1
    page.write_bytes(html.replace(REVISED_FROM.encode(), REVISED_TO.encode()))
    replay_crawl("-s", "RECHECK_MAX_AGE_DAYS=100000", "-s", "RECHECK_INTERVAL_HOURS=0", "lcxw",
                 url=url, home=home, replay_dir=replay)
    with psycopg.connect(url) as conn:
        revised = conn.execute("SELECT a.story_id FROM api.revisions r JOIN api.articles a ON a.id = r.article_id "
                               "WHERE r.body LIKE %s", (f"%{REVISED_FROM}%",)).fetchone()[0]
        excerpts = [conn.execute("SELECT story_id FROM api.articles WHERE url = %s", (u,)).fetchone()[0]
                    for u in (ACHIE_003, LCRB_003)]
    assert len(set(excerpts)) == 2
    import_seeds(url, home)  # seed 003 bridges the two excerpts' stories
    with psycopg.connect(url) as conn:
        [into] = {conn.execute("SELECT story_id FROM api.articles WHERE url = %s", (u,)).fetchone()[0]
                  for u in (ACHIE_003, LCRB_003)}
        [merged] = [s for s in excerpts if s != into]
        most = conn.execute("SELECT id FROM api.stories ORDER BY copies DESC, id LIMIT 1").fetchone()[0]
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url, "LIAOCHENG_NEWS_HOME": str(home)}
    checked = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "check-portals", "--replay-dir",
                              str(replay), *CHECKED], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-3000:]
    port = _free_port()
    env.pop("LIAOCHENG_NEWS_WEB_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "liaocheng_news.ops.cli", "web", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, proc)
        with ReplayServer(replay) as server:
            yield Site(base, url, server.url, merged, into, revised, most)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with _admin(pg_admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert proc.returncode == 0, proc.stderr.read()[-3000:]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**launch_options(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """A page that records console errors, page errors and failed requests of the site, and
    answers requests for portal hosts from the recorded pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    problems = []

    def to_replay(route, request):
        route.fulfill(response=route.fetch(url=replay_target(site.replay_url, request.url)))

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), to_replay)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.url.startswith(site.base) and r.status >= 400 else None)
    page.problems = problems
    yield page
    context.close()


def pages_of(site: Site) -> list[str]:
    return ["/", f"/story/{site.most_copies}", f"/story/{site.merged_into}", f"/story/{site.revised_story}", "/search?q=春风行动", "/portals",
            "/runs", "/?portal=lcxw", "/search"]


def test_every_page_loads_with_no_console_error(page, site):
    for path in pages_of(site):
        response = page.goto(site.base + path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1, path
    assert page.problems == []


def test_a_search_finds_a_known_article(page, site):
    page.goto(site.base + "/")
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Search the archive").fill("春风行动 就业")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search\?q="))
    first = page.locator("ol.hits > li").first
    assert first.get_by_role("link").inner_text() == SEARCHED_TITLE
    assert first.locator("mark").count() >= 1 and "春风行动" in first.locator("mark").all_inner_texts()
    first.get_by_role("link").click()
    assert page.locator("h1").inner_text() == SEARCHED_TITLE
    assert page.problems == []


def test_a_story_page_lists_every_copy_with_working_links(page, site):
    """The story with the most copies (whichever portals carry it): every copy is listed, and the
    link of each copy on a portal opens that page (as recorded); a copy imported from a dump is
    listed without a link."""
    with psycopg.connect(site.database) as conn:
        copies = [row[0] for row in conn.execute("SELECT url FROM api.articles WHERE story_id = %s",
                                                 (site.most_copies,)).fetchall()]
    assert len(copies) >= 3
    web = sorted(u for u in copies if u.startswith(("http://", "https://")))
    story = f"{site.base}/story/{site.most_copies}"
    page.goto(story)
    assert page.locator("table.copies > tbody > tr").count() == len(copies)
    links = page.locator("a.copy-link")
    assert sorted(links.evaluate_all("els => els.map(e => e.href)")) == web
    for i in range(len(web)):
        page.goto(story)
        link = page.locator("a.copy-link").nth(i)
        href = link.get_attribute("href")
        with page.expect_navigation() as navigation:
            link.click()
        assert navigation.value.status == 200 and page.url == href, href  # the portal page, from the recording


def test_a_story_page_shows_the_revision_diff(page, site):
    page.goto(f"{site.base}/story/{site.revised_story}")
    revision = page.locator("section.revision").first
    assert "revision 1 → 2" in revision.locator("h3").inner_text()
    assert revision.locator(".diff del").all_inner_texts() == ["2"]
    assert revision.locator(".diff ins").all_inner_texts() == ["5"]
    assert "3500余个" in page.locator("article .body").inner_text()
    assert page.problems == []


def test_the_portals_chart_has_one_point_per_day(page, site, tmp_path):
    page.goto(site.base + "/portals")
    today = datetime.now(SH).date()
    charts = page.locator("svg.chart")
    assert charts.count() >= 7
    for i in range(charts.count()):
        points = charts.nth(i).locator("circle.point")
        days = [date.fromisoformat(d) for d in points.evaluate_all("els => els.map(e => e.dataset.day)")]
        assert days == [today - timedelta(days=29 - k) for k in range(30)]
        for box in points.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"):
            assert box > 0  # drawn, not hidden
    lcxw = page.locator("#portal-lcxw")
    counts = lcxw.locator("circle.point").evaluate_all("els => els.map(e => +e.dataset.count)")
    assert counts[-1] >= 1 and f"{sum(counts)} in 30 days" in lcxw.inner_text()
    for name in CHECKED:  # check-portals' result on the recorded pages
        drift = page.locator(f"#portal-{name} td.drift").inner_text()
        assert drift.startswith("ok") and "(replay)" in drift, (name, drift)
    # one row per portal the planted data has: each portal whose recorded pages were crawled (its
    # kind and its last run shown), each other portal the archive holds (only by import)
    recorded = {folder.name for folder in FIXTURES.iterdir() if folder.is_dir()}
    with psycopg.connect(site.database) as conn:
        held = {portal for (portal,) in conn.execute("SELECT DISTINCT portal FROM api.articles")}
    rows = page.locator("table.portals tbody tr").evaluate_all("els => els.map(e => e.id)")
    assert rows == [f"portal-{name}" for name in sorted(recorded | held)]
    for name in recorded:
        row = page.locator(f"#portal-{name}")
        assert PORTALS[name].kind in row.locator("th .kind").inner_text(), name
        assert row.locator(f'a[href="/runs?spider={name}"]').count() == 1, name
    for name in held - recorded:
        assert "not crawled (imports only)" in page.locator(f"#portal-{name}").inner_text(), name
    shots = ROOT / "docs" / "img" if os.environ.get("LIAOCHENG_NEWS_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shots / "web-portals.png", full_page=True)
    assert (shots / "web-portals.png").stat().st_size > 10_000
    page.goto(site.base + "/")
    page.screenshot(path=shots / "web-stories.png", full_page=True)
    assert (shots / "web-stories.png").stat().st_size > 10_000
    assert page.problems == []


def test_a_merged_story_id_redirects(page, site):
    response = page.goto(f"{site.base}/story/{site.merged_id}")
    assert page.url == f"{site.base}/story/{site.merged_into}" and response.status == 200
    assert response.request.redirected_from.url == f"{site.base}/story/{site.merged_id}"
    assert response.request.redirected_from.response().status == 301
    assert page.problems == []


CONTRAST = """() => {
  const parse = c => { const p = c.match(/[\\d.]+/g).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
                                 b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                     return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((under, top) => over(top, under), {r: 255, g: 255, b: 255, a: 1});
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    found.push({text: text.slice(0, 30), ratio: (hi + 0.05) / (lo + 0.05),
                large: size >= 24 || (bold && size >= 18.66)});
  }
  return found;
}"""


def test_accessibility_pass(page, site):
    """Headings, landmarks, labelled controls, named links, and text contrast (WCAG AA) computed
    from the styles the browser applied."""
    for path in pages_of(site):
        page.goto(site.base + path)
        assert page.locator("h1").count() == 1, path
        for role, count in (("banner", 1), ("main", 1), ("contentinfo", 1)):
            assert page.get_by_role(role).count() == count, (path, role)
        assert page.get_by_role("navigation", name="Main").count() == 1, path
        unlabelled = page.locator("input:not([type=hidden]):not([type=submit]), select, textarea").evaluate_all(
            "els => els.filter(e => !e.labels.length && !e.getAttribute('aria-label')"
            " && !e.getAttribute('aria-labelledby')).map(e => e.outerHTML)")
        assert unlabelled == [], path
        nameless = page.locator("a[href], button").evaluate_all(
            "els => els.filter(e => !(e.innerText || e.getAttribute('aria-label') || '').trim()).map(e => e.outerHTML)")
        assert nameless == [], path
        texts = page.evaluate(CONTRAST)
        assert texts, path
        low = [t for t in texts if t["ratio"] < (3 if t["large"] else 4.5)]
        assert low == [], (path, low[:5])
        assert page.locator("svg[role=img]:not([aria-label])").count() == 0, path
    assert page.problems == []
