"""``liaocheng-news web``: what it refuses before serving, and the credentials it then asks for."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from liaocheng_news.ops.web import is_loopback
from liaocheng_news.web.app import create_app

TOKEN = "correct-horse-battery-staple"


def web(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LIAOCHENG_NEWS_WEB_TOKEN"}
    if token is not None:
        env["LIAOCHENG_NEWS_WEB_TOKEN"] = token
    # a database URL that cannot be reached: the refusals come before any connection
    env["LIAOCHENG_NEWS_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "web", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_a_non_loopback_address_needs_a_token(host):
    result = web("--host", host)
    assert result.returncode == 64
    assert "refusing to serve" in result.stderr and "LIAOCHENG_NEWS_WEB_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, token, words", [
    (["--host", "0.0.0.0"], "short", "at least 16 characters"),
    (["--port", "70000"], None, "--port wants a port number"),
    (["--port", "0"], None, "--port wants a port number"),
])
def test_bad_options_are_usage_errors(args, token, words):
    result = web(*args, token=token)
    assert result.returncode == 64 and words in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_archive_is_one_line_and_status_2():
    result = web("--port", "18099")
    assert result.returncode == 2 and "cannot reach the archive" in result.stderr
    assert "Traceback" not in result.stderr


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "localhost.example.org", "lo", ""]))


def test_with_a_token_every_request_needs_it(facts):
    with TestClient(create_app(facts.url, token=TOKEN)) as client:
        denied = client.get("/api/stories")
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Basic realm=")
        assert denied.headers["content-security-policy"].startswith("default-src 'self'")
        basic = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
        assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        assert client.get("/api/stories", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        for wrong in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", "Basic !!!", TOKEN,
                      "Basic " + base64.b64encode(TOKEN.encode()).decode()):
            assert client.get("/api/stories", headers={"Authorization": wrong}).status_code == 401, wrong
        assert client.get("/static/site.css").status_code == 401
