"""A readable diff between two versions of an article, as HTML (difflib).

The body is compared paragraph by paragraph (one a line); a changed paragraph is shown once with
the characters taken out in ``<del>`` and those put in in ``<ins>`` (Chinese has no spaces to
split words on, so characters are the unit).  Long unchanged runs are folded to one line.  The
other fields that changed are listed with their old and new values.  All text is escaped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

FIELDS = ("title", "subtitle", "published_at", "source", "authors", "editor", "reviewer")
CONTEXT = 1  # unchanged paragraphs shown on each side of a change
SIMILAR = 0.4  # paragraphs this alike are shown as one changed paragraph, else as removed + added
MAX_INLINE = 4_000_000  # len(old) * len(new) above which a paragraph is not compared by character


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    @property
    def html(self) -> Markup:
        return inline(self.old, self.new)


@dataclass(frozen=True)
class VersionDiff:
    fields: list[FieldChange]
    body: Markup  # the body's diff; empty when the body did not change

    @property
    def changed(self) -> bool:
        return bool(self.fields) or bool(self.body)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    return str(value)


def inline(old: str, new: str) -> Markup:
    """``new`` with the characters ``old`` had instead in ``<del>`` and its own in ``<ins>``."""
    if len(old) * len(new) > MAX_INLINE:
        return _wrap("del", old) + _wrap("ins", new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(old[i1:i2]))
            continue
        if i2 > i1:
            out.append(_wrap("del", old[i1:i2]))
        if j2 > j1:
            out.append(_wrap("ins", new[j1:j2]))
    return Markup("").join(out)


def _wrap(tag: str, text: str) -> Markup:
    return Markup(f"<{tag}>") + escape(text) + Markup(f"</{tag}>") if text else Markup("")


def _paragraph(kind: str, content: Markup) -> Markup:
    return Markup(f'<p class="{kind}">') + content + Markup("</p>")


def body_diff(old: str, new: str) -> Markup:
    """The body change as ``<p>`` elements (classes same, changed, removed, added, folded)."""
    a, b = old.split("\n"), new.split("\n")
    if a == b:
        return Markup("")
    out = []
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            keep = a[i1:i2]
            head = [] if n == 0 else keep[:CONTEXT]
            tail = [] if n == len(opcodes) - 1 else keep[-CONTEXT:]
            folded = len(keep) - len(head) - len(tail)
            if folded <= 0:
                head, tail, folded = keep, [], 0
            out.extend(_paragraph("same", escape(p)) for p in head)
            if folded:
                out.append(_paragraph("folded", escape(f"… {folded} unchanged paragraph{'s' if folded != 1 else ''} …")))
            out.extend(_paragraph("same", escape(p)) for p in tail)
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            o = olds[k] if k < len(olds) else None
            w = news[k] if k < len(news) else None
            if o is not None and w is not None and difflib.SequenceMatcher(None, o, w, autojunk=False).quick_ratio() >= SIMILAR:
                out.append(_paragraph("changed", inline(o, w)))
                continue
            if o is not None:
                out.append(_paragraph("removed", _wrap("del", o)))
            if w is not None:
                out.append(_paragraph("added", _wrap("ins", w)))
    return Markup("").join(out)


def version_diff(old: dict, new: dict) -> VersionDiff:
    """What changed from version ``old`` to version ``new`` (rows of api.revisions or api.articles)."""
    fields = [FieldChange(f, _text(old.get(f)), _text(new.get(f))) for f in FIELDS
              if _text(old.get(f)) != _text(new.get(f))]
    return VersionDiff(fields, body_diff(old.get("body") or "", new.get("body") or ""))
