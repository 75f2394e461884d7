"""Telling an app shell from a page (the spider's reason to ask for the browser)."""

from __future__ import annotations

from pathlib import Path

from liaocheng_news.app_shell import looks_like_app_shell, visible_text_length

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SHELL = TESTS / "browser" / "escalation" / "article-shell.html"


def test_app_shells_are_told_from_pages():
    assert looks_like_app_shell(SHELL.read_text(encoding="utf-8"))
    assert looks_like_app_shell((FIXTURES / "lcxw_app" / "shell-article.html").read_text(encoding="utf-8"))
    assert not looks_like_app_shell((FIXTURES / "lcxw" / "article-20260122-151679.html").read_text(encoding="utf-8"))
    assert not looks_like_app_shell("<p>short, but no script at all</p>")


def test_visible_text_is_the_body_without_scripts_styles_tags_entities_or_spaces():
    head = "<head><title>一个很长的标题" + "字" * 300 + "</title><script>var x = 1;</script></head>"
    body = ("<body><script>document.write('不算')</script><style>p{color:red}</style>"
            "<div>正文 一二&nbsp;三</div><!-- --><p>&lt;四&gt;</p></body>")
    assert visible_text_length("<html>" + head + body + "</html>") == len("正文一二三四")
    assert visible_text_length("<p>no body tag: all of it counts</p>") == len("nobodytag:allofitcounts")
    # a shell whose <head> holds a long title is still a shell
    assert looks_like_app_shell("<html>" + head + "<body><div id=app></div><script src=a.js></script></body></html>")
