"""Bounded caches of page parts that hold for one database version.

`db.version()` changes on every commit that changes what pages show (ours, or another process's),
so a value stored under one version is simply dropped when the version moves on: the whole cache
is emptied at the first look under a new version. Entries are also capped (least recently used
goes first), so no query string or member count can make it grow without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class VersionedCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.version: Hashable = None
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, version: Hashable, key: Hashable) -> Any:
        """The value stored under key at this version, or None."""
        if version != self.version:
            self.entries.clear()
            self.version = version
            return None
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, version: Hashable, key: Hashable, value: Any) -> None:
        if version != self.version:
            self.entries.clear()
            self.version = version
        self.entries[key] = value
        self.entries.move_to_end(key)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
