"""Slows down password guessing: failed log-ins are rows in the database, counted in a window.

Three limits within WINDOW_SECONDS:
- PER_NAME_AND_ADDRESS failures for one user name from one address block that pair;
- PER_ADDRESS failures from one address, whatever the names, block that address;
- PER_ACCOUNT failures for one user name from any addresses (a spread-out guesser) block that
  name, but only from the addresses that have failed for it in the window. An address with no
  failure for the name still gets its attempt, so someone guessing from many addresses cannot
  lock the member out of their own browser; each further address they use costs them that one
  attempt. The trade-off: a member who mistyped once from their own address during such an
  attack waits until the window has passed.
PER_ACCOUNT is above PER_NAME_AND_ADDRESS, so a single address can never reach it alone.
Rows are kept in SQLite so a restart does not reset the counts, and pruned by age on each failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from storage import login_failures
from storage.db import Database

WINDOW_SECONDS = 15 * 60
PER_NAME_AND_ADDRESS = 10
PER_ADDRESS = 50
PER_ACCOUNT = 30


class LoginThrottle:
    """The policy and its clock (Unix seconds: the window must survive a restart)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def allowed(self, db: Database, address: str, username: str) -> bool:
        since = self.clock() - WINDOW_SECONDS
        pair = login_failures.count_pair(db, username, address, since)
        if pair >= PER_NAME_AND_ADDRESS or login_failures.count_address(db, address, since) >= PER_ADDRESS:
            return False
        return pair == 0 or login_failures.count_username(db, username, since) < PER_ACCOUNT

    def failed(self, db: Database, address: str, username: str) -> None:
        now = self.clock()
        login_failures.prune(db, now - WINDOW_SECONDS)
        login_failures.add(db, username, address, now)

    def succeeded(self, db: Database, address: str, username: str) -> None:
        login_failures.forget_pair(db, username, address)
