"""The one back-off policy for the queues (deliveries out, activities in, the mail outbox). Pure, table-tested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """Waits that start at `first` and double up to `longest`, while the waits so far add up to less
    than `give_up_after`; then it is time to give up."""

    first: timedelta
    longest: timedelta
    give_up_after: timedelta

    def delay(self, tries: int) -> timedelta | None:
        """The wait after `tries` failed attempts (from 1); None when it is time to give up."""
        if tries < 1:
            raise ValueError("delay counts failed attempts, from 1")
        waited = sum((self.step(n) for n in range(1, tries)), timedelta())
        return None if waited >= self.give_up_after else self.step(tries)

    def step(self, tries: int) -> timedelta:
        return min(self.first * 2 ** min(tries - 1, 30), self.longest)

    def with_first(self, first: timedelta) -> Backoff:
        return Backoff(first, self.longest, self.give_up_after)


# Deliveries: from 1 min, 16 attempts spread over about 77 hours (retry_first_seconds sets `first`).
DELIVERY = Backoff(timedelta(minutes=1), timedelta(hours=12), timedelta(days=3))
# Received activities and our fetch jobs: a server that was down for a minute, or a parent post that
# timed out, gets another chance; 1 min, 2, 4, ... up to an hour, for about 20 hours (26 tries).
INBOX = Backoff(timedelta(minutes=1), timedelta(hours=1), timedelta(hours=20))
# The mail outbox: a mail server down for an hour or a day loses nothing; 1 min, 2, 4, ... up to
# an hour, for about two days (mail.retry_first_seconds sets `first`).
MAIL = Backoff(timedelta(minutes=1), timedelta(hours=1), timedelta(days=2))
