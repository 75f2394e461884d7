"""A regular expression compiled when it is first used.

Some patterns of the byline and reader code (large classes of hanzi under repeats, long
alternations of labels) take 5-30 ms each to compile, and only an article needs them: a crawl
that finds nothing new reads list pages only, and every process would pay for them at import.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyPattern"]

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """Stands for ``re.compile(pattern, flags)``; compiled on the first use of any of its
    methods or attributes, after which its methods are the compiled pattern's own (bound on the
    instance: no indirection per call)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags_given = flags

    def __getattr__(self, name: str) -> Any:  # only for what the instance does not hold yet
        compiled = self.__dict__.get("_compiled")
        if compiled is None:  # compiled once; its methods then found on the instance itself
            compiled = self._compiled = re.compile(self.pattern, self.flags_given)
            for method in _METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"
