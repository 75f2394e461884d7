"""How Chromium is launched and chosen, without starting it."""

from __future__ import annotations

from scrapy.settings import Settings

from liaocheng_news.browser import browser_problem, launch_options, playwright_launch_options, settings_browser_problem


def test_launch_options_use_the_system_chromium_and_keep_the_sandbox_unless_root():
    as_user = launch_options("/usr/bin/chromium", as_root=False)
    assert as_user["executable_path"] == "/usr/bin/chromium" and as_user["headless"] is True
    assert "--no-sandbox" not in as_user["args"]
    assert {"--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run"} <= set(as_user["args"])
    assert "--no-sandbox" in launch_options("/usr/bin/chromium", as_root=True)["args"]


def test_browser_problem_names_a_missing_browser(tmp_path):
    assert browser_problem("/bin/sh") is None
    assert "no browser at /nowhere/chromium" in browser_problem("/nowhere/chromium")
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    assert "not executable" in browser_problem(str(not_executable))
    assert "no browser configured" in browser_problem("")


def test_the_settings_choose_the_browser():
    system = Settings({"CHROMIUM_EXECUTABLE": "/nowhere/chromium"})
    assert playwright_launch_options(system)["executable_path"] == "/nowhere/chromium"
    assert "no browser at /nowhere/chromium" in settings_browser_problem(system)
    own = Settings({"CHROMIUM_EXECUTABLE": "/nowhere/chromium", "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": "/bin/sh"}})
    assert playwright_launch_options(own) == {"executable_path": "/bin/sh"} and settings_browser_problem(own) is None
    remote = Settings({"CHROMIUM_EXECUTABLE": "/nowhere/chromium", "PLAYWRIGHT_CDP_URL": "http://127.0.0.1:9222"})
    assert settings_browser_problem(remote) is None
