"""A small in-process cache for the portal, safe because the portal's figures are the same for everyone.

Every portal figure is computed as the anonymous reader (:mod:`nigran.portal.service`), so a cached value
never carries one user's view to another. Entries live for ``ttl`` seconds: the public pages are the most
visited and scoring every framework on each visit would be the slowest part of them, while a figure a
minute old is fine for citizens. Annual report PDFs take seconds to render; one lock per key makes a burst
of visitors wait for one rendering instead of starting one each. Keys include the database URL, so two
applications in one process (tests) never share entries.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    def __init__(self, ttl: float, max_entries: int = 64) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        found = self._fresh(key)
        if found is not None:
            return found[1]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._fresh(key)  # made while we waited
            if found is not None:
                return found[1]
            value = make()  # an error is not cached
            with self._guard:
                self._entries[key] = (time.monotonic(), value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    old, _ = self._entries.popitem(last=False)
                    self._locks.pop(old, None)
            return value

    def _fresh(self, key: Hashable) -> tuple[float, Any] | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None or time.monotonic() - entry[0] > self.ttl:
                return None
            return entry

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._locks.clear()


#: Page figures (progress, situation): a minute.
FIGURES = TtlCache(ttl=60.0)
#: Rendered public reports (HTML, PDF): a quarter of an hour; the key holds the day (reports count days).
REPORTS = TtlCache(ttl=900.0, max_entries=32)
