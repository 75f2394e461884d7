"""Search terms marked in text, safely: every piece of text is escaped, and only ``<mark>`` is added.

``api.search_snippet`` marks each query term it found with «…».  A body may hold « and » of its
own, so a marked piece becomes ``<mark>`` only when it is one of the query's terms (as
``api.search_terms`` gives them); anything else stays as the text it was.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_MARKED = re.compile("«([^«»]+)»")
_OPEN, _CLOSE = Markup("<mark>"), Markup("</mark>")


def snippet(text: str, terms: list[str]) -> Markup:
    """An api.search snippet as HTML, its terms in ``<mark>``."""
    wanted = set(terms)
    out, at = [], 0
    for m in _MARKED.finditer(text):
        out.append(escape(text[at:m.start()]))
        inner = m.group(1)
        out.append(_OPEN + escape(inner) + _CLOSE if inner.lower() in wanted else escape(m.group(0)))
        at = m.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


def terms_in(text: str, terms: list[str]) -> Markup:
    """``text`` as HTML with every occurrence of a term (longest first, ignoring case) in ``<mark>``."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, at = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[at:m.start()]))
        out.append(_OPEN + escape(m.group(0)) + _CLOSE)
        at = m.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)
