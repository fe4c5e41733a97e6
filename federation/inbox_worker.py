"""The inbox worker: processes stored activities and our own jobs concurrently, within bounds.

- At most `concurrency` rows at once, and at most `per_lane` of one lane (the server whose answers
  the processing may wait on), so ten servers that never answer hold ten lanes, not the worker.
  A lane whose rows finish quickly (a busy, healthy server) may use up to half the worker, until
  one of its rows is slow.
- Rows that share an ordering key run one at a time, in the order received (storage/inbox.py).
- Three outcomes besides done (federation/outcomes.py): refused for good with the reason; tried
  again later (back-off from federation/backoff.py; after the last try the row stays `failed`);
  waiting for a job (a parent post to fetch), released when that job ends.
- Results are written in groups, and a row counts as in flight until its result is on disk, so it
  is never started twice; a crash before the write means processing again, which is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from federation.actors import ActorUnavailable, iso
from federation.audience import domain_of
from federation.backoff import INBOX, Backoff
from federation.fetch import FetchError
from federation.outcomes import Final, Job, NeedsFetch, Temporary
from federation.queue_loop import QueueLoop
from storage import inbox
from storage.db import Database, Row, derived_writes

log = logging.getLogger("meent.federation")
Processor = Callable[[dict[str, Any]], Awaitable[None]]

PROCESS_SECONDS = 60  # one row, with the fetches it makes; fetches have their own, shorter timeouts
QUICK_SECONDS = 0.5  # a row done this fast makes its lane a fast one for FAST_FOR
SLOW_SECONDS = 1.0  # a row running this long makes its lane an ordinary one again
FAST_FOR = 30.0
DUE_ROWS = 2000  # rows read per round at most, over all lanes
POLL_SECONDS = 1.0
JOB_WAIT = timedelta(minutes=15)  # a row waiting for a job is looked at again after this at the latest
JOBS_PER_LANE = 200  # pending jobs of ours for one remote server, at most
MAX_ERROR = 500


def classify(error: BaseException) -> tuple[str, str, timedelta | None]:
    """(state, reason, wait) for what escaped a handler: 'refused' for good or 'retry'. Pure."""
    if isinstance(error, Final):
        return "refused", error.reason, None
    if isinstance(error, Temporary):
        return "retry", error.reason, error.wait
    if isinstance(error, (FetchError, ActorUnavailable)):
        return ("retry" if error.temporary else "refused"), str(error), None
    if isinstance(error, TimeoutError):
        return "retry", f"processing took longer than {PROCESS_SECONDS} s", None
    return "retry", f"{type(error).__name__}: {error}", None


def job_row(job: Job) -> inbox.NewRow:
    body = orjson.dumps({"type": f"meent:{job.kind}", "id": job.key, "object": job.uri, **job.params}).decode()
    return inbox.NewRow(job.key, "meent:worker", f"meent:{job.kind}", body, domain_of(job.uri), job.uri)


class InboxWorker(QueueLoop):
    name = "inbox"

    def __init__(
        self, db: Database, process: Processor, *, concurrency: int = 32, per_lane: int = 2,
        backoff: Backoff = INBOX, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(log)
        self.db = db
        self.process = process
        self.concurrency = concurrency
        self.per_lane = per_lane
        self.backoff = backoff
        self.clock = clock
        self._in_flight: set[int] = set()
        self._keys: set[str] = set()
        self._lanes: Counter[str] = Counter()
        self._started: dict[int, tuple[str, float]] = {}  # row id -> (lane, when it started, time.monotonic())
        self._fast_until: dict[str, float] = {}
        self._results: list[tuple[Row, inbox.Result]] = []
        # Received activities waiting to be processed (not our jobs), kept up to date in memory.
        self._backlog = inbox.pending_received(db)

    def backlog(self) -> int:
        return self._backlog

    def received(self) -> None:
        """A received activity was stored: one more to process, and the worker wakes."""
        self._backlog += 1
        self.wake()

    def add_job(self, job: Job) -> str:
        """Queue a job (unless the same one is pending); returns the state of the job that stands."""
        if inbox.pending_jobs_in_lane(self.db, domain_of(job.uri)) >= JOBS_PER_LANE:
            return "refused"  # that server already has all the attention we give one server
        now = self.clock()
        state = inbox.add_job(self.db, job_row(job), iso(now), since=iso(now - JOB_WAIT))
        self.wake()
        return state

    async def run_once(self) -> int:
        """Process everything due now, and what that releases, to the end; returns how many rows ran."""
        return await self._to_the_end()

    def _poll_seconds(self) -> float:
        return POLL_SECONDS

    def _dispatch(self) -> int:
        room = self.concurrency - len(self._tasks)
        if room <= 0:
            return 0
        fast = self._fast_lanes()
        # Enough rows of every lane for its room, so no lane hides another.
        widest = self._fast_lane_size() if fast else self.per_lane
        rows = inbox.due(self.db, iso(self.clock()), limit=DUE_ROWS, per_lane=widest + self._busiest_lane())
        started = 0
        for row in rows:
            key, lane = row["ordering_key"], row["lane"]
            limit = self._fast_lane_size() if lane in fast else self.per_lane
            if row["id"] in self._in_flight or (key and key in self._keys) or self._lanes[lane] >= limit:
                continue
            if len(self._tasks) >= self.concurrency:
                break
            self._in_flight.add(row["id"])
            if key:
                self._keys.add(key)
            self._lanes[lane] += 1
            self._started[row["id"]] = (lane, time.monotonic())
            self._start(self._run(row))
            started += 1
        return started

    def _busiest_lane(self) -> int:
        return max(self._lanes.values(), default=0)

    def _fast_lane_size(self) -> int:
        return max(self.per_lane, self.concurrency // 2)

    def _fast_lanes(self) -> set[str]:
        """Lanes whose rows finished quickly of late, less those with a row running long now."""
        now = time.monotonic()
        slow = {lane for lane, since in self._started.values() if now - since > SLOW_SECONDS}
        return {lane for lane, until in self._fast_until.items() if until > now and lane not in slow}

    async def _run(self, row: Row) -> None:
        try:
            async with asyncio.timeout(PROCESS_SECONDS):
                with derived_writes():  # this task's commits: redone from the stored row if lost
                    await self.process(orjson.loads(row["body"]))
        except NeedsFetch as need:
            result = self._waiting(row, need.job)
        except Exception as error:  # one bad activity must not stop the others; its reason is kept
            result = self._failed(row, error)
        else:
            result = inbox.Result(row["id"], "done")
        self._note_speed(row)
        self._results.append((row, result))
        self.wake()

    def _note_speed(self, row: Row) -> None:
        lane, began = self._started.get(row["id"], (row["lane"], time.monotonic()))
        now = time.monotonic()
        if now - began <= QUICK_SECONDS:
            self._fast_until[lane] = now + FAST_FOR
        else:
            self._fast_until.pop(lane, None)

    def _waiting(self, row: Row, job: Job) -> inbox.Result:
        state = self.add_job(job)
        if state == "pending":
            next_try = iso(self.clock() + JOB_WAIT)
            return inbox.Result(row["id"], "pending", f"waiting for {job.uri}", next_try, job.key, counts_as_try=False)
        return inbox.Result(row["id"], "refused", f"needed {job.uri}, which could not be had ({state})")

    def _failed(self, row: Row, error: Exception) -> inbox.Result:
        state, reason, wait = classify(error)
        reason = reason[:MAX_ERROR]
        if state == "refused":
            log.info("%s %s refused: %s", row["type"], row["activity_id"], reason)
            return inbox.Result(row["id"], "refused", reason)
        tries = int(row["attempts"]) + 1
        delay = self.backoff.delay(tries)
        if delay is None:
            log.warning("%s %s failed for good after %d tries: %s", row["type"], row["activity_id"], tries, reason)
            return inbox.Result(row["id"], "failed", f"gave up after {tries} tries: {reason}")
        if not isinstance(error, (Temporary, FetchError, ActorUnavailable, TimeoutError)):
            log.warning("processing %s failed: %s", row["activity_id"], reason, exc_info=error)
        return inbox.Result(row["id"], "pending", reason, iso(self.clock() + max(delay, wait or delay)))

    def _flush(self) -> None:
        if not self._results:
            return
        done = self._results
        with derived_writes():  # a lost result means processing again, which is idempotent
            inbox.apply_results(self.db, [result for _, result in done], iso(self.clock()))
        self._results = []  # only once written: until then the rows stay in flight
        self._backlog = max(0, self._backlog - sum(1 for row, result in done if result.state != "pending"
                                                   and not row["type"].startswith("meent:")))
        for row, _ in done:
            self._in_flight.discard(row["id"])
            self._started.pop(row["id"], None)
            if row["ordering_key"]:
                self._keys.discard(row["ordering_key"])
            self._lanes[row["lane"]] -= 1
            if self._lanes[row["lane"]] <= 0:
                del self._lanes[row["lane"]]
