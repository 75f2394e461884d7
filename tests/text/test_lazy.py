"""LazyPattern: the compiled pattern's answers, compiled at the first use."""

from __future__ import annotations

import re

from liaocheng_news.text.lazy import LazyPattern

TEXT = "■本报记者 夏旭光 韩庆阳\n来源：聊城日报  2026-01-22 11:02:37"


def test_a_lazy_pattern_answers_as_the_compiled_one_after_compiling_at_first_use():
    source, flags = r"^(?P<label>来源|本报记者)\s*[:：]?\s*(?P<rest>\S+)", re.M
    lazy, compiled = LazyPattern(source, flags), re.compile(source, flags)
    assert "search" not in vars(lazy)  # nothing compiled yet
    assert lazy.search(TEXT).groupdict() == compiled.search(TEXT).groupdict()
    assert "search" in vars(lazy) and "finditer" in vars(lazy)  # the compiled pattern's own methods now
    assert [m.span() for m in lazy.finditer(TEXT)] == [m.span() for m in compiled.finditer(TEXT)]
    assert lazy.findall(TEXT) == compiled.findall(TEXT)
    assert lazy.sub("#", TEXT) == compiled.sub("#", TEXT) and lazy.split(TEXT) == compiled.split(TEXT)
    assert lazy.match(TEXT, 1) is None and lazy.fullmatch("来源：x") is not None
    assert lazy.groupindex == compiled.groupindex and lazy.pattern == source and lazy.flags == compiled.flags
    first = vars(lazy)["_compiled"]
    assert lazy.groups == compiled.groups and vars(lazy)["_compiled"] is first  # compiled once, not per attribute
