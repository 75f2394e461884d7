"""The console off a terminal: the lines rich would print, without importing rich."""

from __future__ import annotations

import subprocess
import sys

import pytest
from liaocheng_news.ops.console import PlainConsole, rich_console, stderr_console

LINES = ["progress lcxw: pages 12  articles 10", "tab\there  x", "cr\rret", "bell\x07", "emoji :cd: x (left as it is)", "upper :CD: and :thumbs_up-text:", "lcxw: pass at https://www.lcxw.cn/a.html): 3",
         "[bold]not markup[/bold]", "trailing   ", "long " * 50, "中文 行 ■本报记者", "esc \x1b[31mred", "", "a\nb"]


def test_plain_lines_are_what_rich_prints_off_a_terminal(capsys, monkeypatch):
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    console = stderr_console()
    assert isinstance(console, PlainConsole) and not console.is_terminal  # pytest's stderr is no terminal
    for line in LINES:
        console.print(line, markup=False, highlight=False)
    plain = capsys.readouterr().err
    rich = rich_console()
    for line in LINES:
        rich.print(line, markup=False, highlight=False)
    assert plain == capsys.readouterr().err


@pytest.mark.parametrize("env, terminal", [({"FORCE_COLOR": "1"}, True), ({"TTY_COMPATIBLE": "1"}, True),
                                           ({"FORCE_COLOR": "1", "TTY_COMPATIBLE": "0"}, False)])
def test_rich_is_used_where_it_takes_stderr_for_a_terminal(monkeypatch, env, terminal):
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    console = stderr_console()
    assert console.is_terminal is terminal
    assert isinstance(console, PlainConsole) is not terminal


def test_a_crawl_s_console_does_not_import_rich_off_a_terminal():
    code = ("import sys; from liaocheng_news.ops.console import stderr_console; c = stderr_console(); "
            "c.print('a line'); print('rich' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "False" and done.stderr == "a line\n"
