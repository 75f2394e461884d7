"""A parsed page is freed as soon as the parse is done: nothing the parser makes (its walks, the
reader's) holds the page's tree in a reference cycle that only the garbage collector breaks."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import Page

FIXTURE = Path(__file__).parent.parent / "fixtures" / "lcxw" / "article-20260122-151679.html"


def _cyclic_garbage_of(parse) -> list[str]:
    """The types of the objects one call of ``parse`` leaves in reference cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        parse()
        gc.collect()
        return [type(o).__module__ + "." + type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_parsed_page_leaves_no_cycle_behind_also_when_the_reader_compares():
    meta = json.loads(FIXTURE.with_suffix(".meta.json").read_text(encoding="utf-8"))
    body = FIXTURE.read_bytes()
    parser = get_parser("lcxw")
    for compare in (False, True):  # the template alone; the template and the reader beside it
        article = parser.parse(Page(meta["url"], body, {"Content-Type": "text/html; charset=utf-8"}), compare=compare)
        assert article.body  # the page was read
        left = _cyclic_garbage_of(lambda: parser.parse(Page(meta["url"], body, {"Content-Type": "text/html; charset=utf-8"}),
                                                       compare=compare))
        assert not [name for name in left if name.startswith(("lxml.", "liaocheng_news."))], left
