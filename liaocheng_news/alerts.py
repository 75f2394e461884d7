"""Alerts: a JSON payload to the operator's command or webhook when a run fails or a portal needs attention.

Two ways, both optional, both from the environment (settings ``ALERT_COMMAND``,
``ALERT_WEBHOOK_URL``, ``ALERT_TIMEOUT``):

* a command (``LIAOCHENG_NEWS_ALERT_COMMAND``, e.g. ``/usr/local/bin/page-me --team news``): split
  into words like a shell would, but run without one (no interpolation, no globbing), with the
  payload as JSON on its standard input, killed after the timeout;
* a webhook (``LIAOCHENG_NEWS_ALERT_WEBHOOK``): the payload POSTed as JSON to an http(s) URL,
  given up after the timeout.

An alert that cannot be delivered is logged and counted, never raised: a broken pager must not
break a crawl.  :func:`send` returns whether every configured target took it.
"""

from __future__ import annotations

import json
import logging
import shlex
import socket
import subprocess
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import urlsplit

from liaocheng_news import __version__

logger = logging.getLogger(__name__)


def configured(settings) -> bool:
    return bool(settings.get("ALERT_COMMAND") or settings.get("ALERT_WEBHOOK_URL"))


def payload(event: str, message: str, **details) -> dict:
    """An alert's JSON object: what happened (``event``), a one-line ``message``, and details."""
    return {"event": event, "message": message, "host": socket.gethostname(),
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": f"liaocheng-news/{__version__}", **details}


def send(settings, body: dict) -> bool:
    """Deliver ``body`` to every configured target; False when one of them failed (logged)."""
    timeout = settings.getfloat("ALERT_TIMEOUT")
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    ok = True
    command = settings.get("ALERT_COMMAND")
    if command:
        ok &= _run_command(command, data, timeout)
    url = settings.get("ALERT_WEBHOOK_URL")
    if url:
        ok &= _post(url, data, timeout)
    return ok


def _run_command(command: str, data: bytes, timeout: float) -> bool:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        logger.error("alert not sent: LIAOCHENG_NEWS_ALERT_COMMAND cannot be split into words: %s", exc)
        return False
    if not argv:
        return False
    try:
        done = subprocess.run(argv, input=data, capture_output=True, timeout=timeout, shell=False, check=False)
    except subprocess.TimeoutExpired:
        logger.error("alert command %s did not finish within %g s (killed)", argv[0], timeout)
        return False
    except OSError as exc:
        logger.error("alert command %s could not run: %s", argv[0], exc)
        return False
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        logger.error("alert command %s exited %d %s", argv[0], done.returncode, tail[0][:200])
        return False
    return True


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a webhook's redirects only to http(s) URLs."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http(s) URL refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _post(url: str, data: bytes, timeout: float) -> bool:
    if urlsplit(url).scheme not in ("http", "https"):
        logger.error("alert not sent: the webhook must be an http(s) URL, not %r", urlsplit(url).scheme + ":")
        return False
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": f"liaocheng-news/{__version__} alerts"})
    try:
        opener = urllib.request.build_opener(_HttpOnlyRedirects)
        with opener.open(request, timeout=timeout) as response:  # scheme checked above
            response.read(65536)
    except urllib.error.HTTPError as exc:
        logger.error("alert webhook %s answered HTTP %d", _shown(url), exc.code)
        return False
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        logger.error("alert webhook %s not reached: %s", _shown(url), getattr(exc, "reason", exc))
        return False
    return True


def _shown(url: str) -> str:
    """A webhook URL for a log line: scheme and host only (its path may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"
