"""canonical_url: one identity key per article, one test per rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaocheng_news.dedupe.urls import _canonical_url, canonical_url

YYB = "https://www.yybnet.net/liaocheng/news/202112/11687689.html"


@pytest.mark.parametrize(
    "url",
    [
        "https://yybnet.net/liaocheng/news/202112/11687689.html",
        "http://m.yybnet.net/liaocheng/news/202112/11687689.html",
        "https://WWW.YybNet.NET/liaocheng/news/202112/11687689.html",
        "https://www.yybnet.net./liaocheng/news/202112/11687689.html",
    ],
)
def test_www_and_mobile_hosts_of_one_portal_fold_to_its_host(url):
    assert canonical_url(url) == YYB


def test_subdomain_portal_folds_mobile_but_keeps_its_own_host():
    assert canonical_url("http://m.lcrb.lcxw.cn/paper/pc/content/content_47875.html") == (
        "http://lcrb.lcxw.cn/paper/pc/content/content_47875.html"
    )
    # news.lcxw.cn is another host of the lcxw portal, not a www./m. variant: it stays
    assert canonical_url("http://news.lcxw.cn/a/2019-04-14/818538.html") == "https://news.lcxw.cn/a/2019-04-14/818538.html"


def test_scheme_is_https_except_for_http_only_hosts():
    assert canonical_url("http://www.lcxw.cn/yaowen/shehui/20260122/151679.html") == (
        "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
    )
    assert canonical_url("https://lcrb.lcxw.cn/paper/pc/content/content_1.html") == (
        "http://lcrb.lcxw.cn/paper/pc/content/content_1.html"
    )
    assert canonical_url("HTTP://example.org/a") == "https://example.org/a"


def test_default_ports_dropped_other_ports_keep_their_scheme():
    assert canonical_url("http://www.lcxw.cn:80/a/1.html") == "https://www.lcxw.cn/a/1.html"
    assert canonical_url("https://www.lcxw.cn:443/a/1.html") == "https://www.lcxw.cn/a/1.html"
    assert canonical_url("http://www.lcxw.cn:8080/a/1.html") == "http://www.lcxw.cn:8080/a/1.html"


def test_tracking_parameters_dropped_and_the_rest_sorted():
    url = "https://www.lcxw.cn/a/1.html?utm_source=wx&b=2&spm=a.b.c&from=singlemessage&a=1&isappinstalled=0&share=1"
    assert canonical_url(url) == "https://www.lcxw.cn/a/1.html?a=1&b=2"
    assert canonical_url("https://www.lcxw.cn/a/1.html?UTM_Medium=x&id=5") == "https://www.lcxw.cn/a/1.html?id=5"


def test_non_utf8_query_values_survive_byte_for_byte():
    assert canonical_url("http://example.org/s?q=%C1%C4%B3%C7&from=x") == "https://example.org/s?q=%C1%C4%B3%C7"


def test_fragment_dropped():
    assert canonical_url(YYB + "#comments") == YYB


@pytest.mark.parametrize("page", ["index.html", "index.htm", "INDEX.shtml"])
def test_trailing_index_page_dropped(page):
    assert canonical_url(f"https://www.lcxw.cn/yaowen/{page}") == "https://www.lcxw.cn/yaowen/"


def test_paginated_index_pages_are_kept():
    assert canonical_url("https://www.lcxw.cn/yaowen/index_2.html") == "https://www.lcxw.cn/yaowen/index_2.html"


def test_empty_path_becomes_slash_and_path_escapes_are_normalised():
    assert canonical_url("http://www.lcxw.cn") == "https://www.lcxw.cn/"
    assert canonical_url("http://example.org/a%7e/b c") == "https://example.org/a~/b%20c"


def test_mirror_host_keeping_the_path_maps_back_to_the_portal():
    mirrors = {"farm.example.com": "lcxw", "copy.example.net": "yybnet"}
    assert canonical_url("http://farm.example.com/yaowen/shehui/20260122/151679.html?utm_source=x", mirrors) == (
        "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
    )
    assert canonical_url("https://www.copy.example.net/liaocheng/news/202112/11687689.html", mirrors) == YYB
    # without the setting the mirror is its own host
    assert canonical_url("http://farm.example.com/yaowen/1.html") == "https://farm.example.com/yaowen/1.html"


def test_remembered_keys_still_follow_the_mirror_setting_of_each_call():
    # keys are cached per (URL, mirror hosts): asking with and without the setting, in any
    # order and repeatedly, gives each call the key its own setting makes
    url = "http://farm.example.com/yaowen/shehui/20260122/151679.html"
    mapped = "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
    _canonical_url.cache_clear()
    for _ in range(2):
        assert canonical_url(url) == "https://farm.example.com/yaowen/shehui/20260122/151679.html"
        assert canonical_url(url, {"FARM.example.com.": "lcxw"}) == mapped
        assert canonical_url(" " + url + " ", {"farm.example.com": "lcxw"}) == mapped
        assert canonical_url(url, {"farm.example.com": "yybnet"}) == (
            "https://www.yybnet.net/yaowen/shehui/20260122/151679.html")
    # the second round was answered from the cache: one key per (URL, setting), three settings
    info = _canonical_url.cache_info()
    assert (info.misses, info.hits) == (3, 5)


def test_file_urls_and_other_schemes_pass_through():
    assert canonical_url("file:///tmp/Seeds/000.txt#x") == "file:///tmp/Seeds/000.txt#x"
    assert canonical_url("mailto:lcxw@lcxw.cn") == "mailto:lcxw@lcxw.cn"


_hosts = st.sampled_from(["www.yybnet.net", "m.yybnet.net", "yybnet.net", "lcrb.lcxw.cn", "Example.org", "a.b.cn:8080"])
_segments = st.lists(st.text(alphabet="abc123_-.%~聊城 ", min_size=0, max_size=6), max_size=4)
_params = st.lists(st.tuples(st.sampled_from(["a", "b", "utm_x", "spm", "id"]), st.text("xyz19%", max_size=3)), max_size=4)


@given(st.sampled_from(["http", "https", "HTTP"]), _hosts, _segments, _params, st.text("abc", max_size=3))
def test_canonical_url_is_idempotent(scheme, host, segments, params, fragment):
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}/{'/'.join(segments)}?{query}#{fragment}"
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "#" not in once and "utm_" not in once and "spm=" not in once


def test_a_stray_percent_means_itself_and_never_joins_a_following_escape():
    # '%2' starts no escape; decoding the '%31' after it must not make a new escape '%21' ('!')
    once = canonical_url("http://www.yybnet.net/%2%31?a=5%")
    assert once == "https://www.yybnet.net/%2521?a=5%25"
    assert canonical_url(once) == once
