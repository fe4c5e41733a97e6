"""What processing a stored activity (or a job of our own) can come to, besides "done".

Handlers raise these; the inbox worker turns them into row states. Anything else that escapes a
handler is a bug or an outage and is treated as temporary, with its text kept for the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


class Outcome(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Final(Outcome):
    """Refused for good (not public, wrong origin, policy, gone at its origin): kept with the reason, never retried."""


class Temporary(Outcome):
    """Worth another try later (a timeout, a 5xx, a server that is down for a moment)."""

    def __init__(self, reason: str, wait: timedelta | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


@dataclass(frozen=True)
class Job:
    """Work of our own queued beside received activities: fetch a post, complete a thread.

    `key` identifies the job so that many activities needing the same post make one job."""

    kind: str  # "fetch" or "backfill"
    uri: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"meent:{self.kind}:{self.uri}"


class NeedsFetch(Temporary):
    """Processing must wait for a post we do not have yet (a reply's parent): the worker queues the
    job and processes this row again when the job has ended."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"waiting for {job.uri}")
        self.job = job
