"""The shared base spider's pure helpers."""

import re

from liaocheng_news.spiders.base import numbered_page


def test_numbered_list_pages():
    trs = re.compile(r"(list_\d+)\.html$")
    assert numbered_page("http://x.cn/a/list_1061.html", 1, trs, "{m}_{n1}.html") is None
    assert numbered_page("http://x.cn/a/list_1061.html", 3, trs, "{m}_{n1}.html") == "http://x.cn/a/list_1061_2.html"
    dz = re.compile(r"default\.htm$")
    assert numbered_page("http://x.cn/lcxw/default.htm", 2, dz, "default_{n1}.htm") == "http://x.cn/lcxw/default_1.htm"
    assert numbered_page("http://x.cn/lcxw/", 2, dz, "default_{n1}.htm") is None  # not a numbered list
