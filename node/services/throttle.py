"""Slows down password guessing: failed log-ins are counted per account and per address, in memory."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT = 10   # failures for one user name from one address
PER_ADDRESS = 50   # failures from one address, whatever the names


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> int:
        times = self.failures[key]
        while times and times[0] < self.clock() - WINDOW_SECONDS:
            times.popleft()
        if not times:
            del self.failures[key]
            return 0
        return len(times)

    def allowed(self, address: str, username: str) -> bool:
        return (self._recent(f"{address} {username}") < PER_ACCOUNT
                and self._recent(address) < PER_ADDRESS)

    def failed(self, address: str, username: str) -> None:
        now = self.clock()
        self.failures[f"{address} {username}"].append(now)
        self.failures[address].append(now)

    def succeeded(self, address: str, username: str) -> None:
        self.failures.pop(f"{address} {username}", None)
