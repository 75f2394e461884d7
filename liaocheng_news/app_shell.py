"""Telling an app shell from a page: the page whose content only JavaScript puts in place.

A portal that serves its articles to browsers through a script (a "shell": a title, a loading
notice, a download-the-app banner and the scripts that fetch the text) gives a crawler nothing
to parse.  The spider asks the browser for such an article page (``spiders.base``); the check
reads only the markup, before any script runs.
"""

from __future__ import annotations

import re

_NON_TEXT = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)
_SCRIPT = re.compile(r"<script\b", re.I)
_BODY = re.compile(r"<body\b", re.I)
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&#?\w+;")


def visible_text_length(html: str) -> int:
    """Characters of text a reader would see before any script runs (whitespace excluded)."""
    body = _BODY.search(html)  # what comes before <body> is never shown
    if body:
        html = html[body.start():]
    text = _ENTITY.sub(" ", _TAG.sub(" ", _NON_TEXT.sub(" ", html)))
    return sum(map(len, text.split()))


def looks_like_app_shell(html: str, max_text: int = 200) -> bool:
    """True for a page whose content is put in place by JavaScript: scripts and almost no text.

    The threshold is far below any article (a short news item has several hundred characters)
    and above what a shell holds (a title, a loading notice, a download-the-app banner).
    """
    return bool(_SCRIPT.search(html)) and visible_text_length(html) < max_text
