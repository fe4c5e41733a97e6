"""The delivery worker: sign and POST queued deliveries, retry with back-off, go easy on dead servers.

Delivery is a table, not a task: a `deliveries` row stays pending until it is done or has failed for
good, and everything that matters lives in the tables (storage/deliveries.py), so a restart loses
nothing. Delivery is at least once: a crash between a POST and the write of its result sends that
row again, and receivers dedupe on the activity id.

Each server has a lane of its own that moves on its own: a dispatcher hands due rows to the lanes
(at most LANE_ROWS waiting per server) and never waits for them, so a slow server slows only itself
and a new row starts at once. A server that fails gets one connection instead of `per_host`; one
that has failed without a break for UNREACHABLE_AFTER (hours, not a number of POSTs) is only probed
now and then; and the first success after failures makes all its waiting rows due at once.

The policy is pure and table-tested: the back-off (federation/backoff.py, shared with the inbox),
outcome (what an answer means), retry_after (the server's own wish) and retry_delay (the three).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

import aiohttp
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from federation.actors import iso
from federation.backoff import DELIVERY
from federation.queue_loop import QueueLoop
from federation.signatures import sign
from storage import deliveries
from storage.db import Database, Row

log = logging.getLogger("meent.delivery")

Outcome = Literal["done", "retry", "failed"]
Signer = Callable[[str], tuple[str, RSAPrivateKey]]

FIRST_DELAY = DELIVERY.first
MAX_DELAY = DELIVERY.longest
RETRY_FOR = DELIVERY.give_up_after
# A server counts as unreachable after failing without a break for this long (Mastodon: a week of
# failures); until then its rows keep their own back-off. Then it gets one probe per PROBE_EVERY.
UNREACHABLE_AFTER = timedelta(hours=6)
PROBE_EVERY = timedelta(minutes=30)
UNREACHABLE_DELAY = PROBE_EVERY
POLL_SECONDS = 1.0
LANE_ROWS = 64  # rows handed to one server's lane per dispatch, at most
# Results are written in groups: every commit is an fsync (synchronous=FULL), and a crash can only
# resend this many rows.
FLUSH_EVERY = 64
# Signing is CPU work on the loop (~0.2 ms per RSA-2048 signature here): at most this long of it per
# loop turn, then the rest of the loop (pages, the inbox) runs. bench/delivery.py, 2,500 POSTs/s: loop
# lag p99 ~10 ms signing freely, ~8 ms so, at the same rate; the rest is 32 answers handled in one turn
# (concurrency 16: ~5 ms, 64: ~17 ms). A signing thread (`cryptography` releases the GIL) gave ~4 ms
# but ~8 % fewer POSTs/s there: the GIL then changes hands twice per signature.
SIGN_BURST_SECONDS = 0.002
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20, sock_connect=5)
MAX_ANSWER = 64 * 1024
MAX_ERROR = 500
CONTENT_TYPE = "application/activity+json"


class UnknownSigner(Exception):
    """Raised by a signer function for an owner that has no key (any more); the row fails for good."""


class BlockedByPolicy(Exception):
    """The admin blocked the inbox's server after the row was queued; the row fails for good."""


class BadInbox(Exception):
    """The inbox is not an http(s) URL we can sign and send to; the row fails for good."""


class ActivityGone(Exception):
    """The row's activity is no longer stored; the row fails for good."""


# --- policy (pure) --------------------------------------------------------------------------------


def next_delay(tries: int, first: timedelta = FIRST_DELAY) -> timedelta | None:
    """The wait after `tries` failed attempts (from 1); None when it is time to give up: the shared
    back-off with the node's retry_first_seconds as `first` (from 1 min, 16 tries over ~77 hours)."""
    return DELIVERY.with_first(first).delay(tries)


def outcome(status: int | None) -> Outcome:
    """2xx is done; no answer, 401 and 403 (often a proxy in front of a server being fixed), 408, 429
    and 5xx are worth another try; any other answer (404, 410, 400, a redirect) is final."""
    if status is None or status in (401, 403, 408, 429) or 500 <= status <= 599:
        return "retry"
    if 200 <= status <= 299:
        return "done"
    return "failed"


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait from `now`, at most MAX_DELAY.

    None when absent or unreadable; a date in the past means no wait."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return min(timedelta(seconds=min(int(text), int(MAX_DELAY.total_seconds()))), MAX_DELAY)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(moment - now, timedelta()), MAX_DELAY)


def retry_delay(
    tries: int, *, status: int | None, wait: timedelta | None, unreachable: bool, first: timedelta = FIRST_DELAY,
) -> timedelta | None:
    """The wait before the next attempt after `tries` failures, or None to give up.

    Retry-After (honoured on 429 and 503) and an unreachable server only lengthen the back-off:
    they never cut the 3 days of trying short."""
    delay = next_delay(tries, first)
    if delay is None:
        return None
    if status in (429, 503) and wait is not None:
        delay = max(delay, wait)
    if unreachable:
        delay = max(delay, UNREACHABLE_DELAY)
    return delay


# --- the worker -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    id: int
    kind: Outcome
    status: int | None
    error: str | None
    next_try_at: str | None


@dataclass
class _Lane:
    """One server's rows waiting to be sent, and how many of its senders are running."""

    queue: deque[Row] = field(default_factory=deque)
    running: int = 0


class DeliveryWorker(QueueLoop):
    """Sends every due row; one per process, in the app's event loop (lifespan starts `run`).

    `signer(owner)` maps a row's `signer` ("user:anne", "group:open-overheid", "organisation")
    to (key_id, private key) and raises UnknownSigner for an owner without a key. The session
    decides connection limits and address guards; the worker bounds concurrency itself.
    """

    name = "delivery"

    def __init__(
        self, db: Database, session: aiohttp.ClientSession, signer: Signer, *, concurrency: int = 32,
        per_host: int = 4, batch: int = 1000, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        first_delay: timedelta = FIRST_DELAY, allows: Callable[[str], bool] = lambda domain: True,
    ) -> None:
        self._db = db
        self._allows = allows  # the federation policy now, not when the row was queued
        self._policy_answers: dict[str, bool] = {}
        self._session = session
        self._signer = signer
        self._per_host = per_host
        self._batch = batch
        self._clock = clock
        self._first_delay = first_delay
        super().__init__(log)
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[str, _Lane] = {}
        self._in_flight: set[int] = set()  # handed to a lane and not yet written back
        self._failing: dict[str, datetime] = {}  # servers failing without a break, since when
        # The last network attempt at each unreachable server: in memory only, so after a restart
        # each one is probed once more at most.
        self._probed: dict[str, datetime] = {}
        self._keys: dict[str, tuple[str, RSAPrivateKey]] = {}
        self._results: list[_Result] = []
        self._events: list[tuple[str, bool, str, str | None]] = []  # (domain, answered well, when, error)
        self._burst_began = 0.0
        self._attempts = 0

    def _poll_seconds(self) -> float:
        return POLL_SECONDS

    def policy_changed(self) -> None:
        """The federation policy changed (an admin blocked a server): ask it afresh for each domain."""
        self._policy_answers.clear()

    async def run_once(self) -> int:
        """Send every row due now, and what that makes due (a server that came back), to the end;
        returns how many POSTs were made."""
        self._attempts = 0
        self._keys.clear()  # keys are looked up once per run, so a rotated key is used soon
        self._policy_answers.clear()
        await self._to_the_end()
        return self._attempts

    def _dispatch(self) -> int:
        """Hand due rows to their servers' lanes and start the lanes that have room; never waits."""
        if not self._tasks:
            self._keys.clear()
            self._policy_answers.clear()
        rows = deliveries.due(self._db, iso(self._clock()), self._batch, per_domain=LANE_ROWS)
        domains = {row["domain"] for row in rows}
        failing = deliveries.failing_since_of(self._db, domains)
        for domain in domains:  # what the table says now (written by the last flush, or by an admin)
            if domain in failing:
                self._failing[domain] = datetime.fromisoformat(failing[domain])
            else:
                self._failing.pop(domain, None)
        for row in rows:
            lane = self._lanes.setdefault(row["domain"], _Lane())
            if row["id"] in self._in_flight or len(lane.queue) >= LANE_ROWS:
                continue
            self._in_flight.add(row["id"])
            lane.queue.append(row)
        started = 0
        for domain, lane in list(self._lanes.items()):
            wanted = min(len(lane.queue), 1 if domain in self._failing else self._per_host)
            for _ in range(wanted - lane.running):
                lane.running += 1
                self._start(self._lane(domain, lane))
                started += 1
            if not lane.queue and not lane.running:
                del self._lanes[domain]
        return started

    async def _lane(self, domain: str, lane: _Lane) -> None:
        try:
            while lane.queue:
                if self._unreachable(domain):
                    if not self._probe_due(domain):
                        self._defer(domain, lane.queue)
                        break
                    self._probed[domain] = self._clock()  # this row is the probe
                elif domain in self._failing and lane.running > 1:
                    break  # a failing server gets one connection
                await self._attempt(lane.queue.popleft())
        finally:
            lane.running -= 1
            if not lane.queue:
                self._woken.set()  # the lane is empty: dispatch can hand it more

    def _unreachable(self, domain: str) -> bool:
        since = self._failing.get(domain)
        return since is not None and self._clock() - since >= UNREACHABLE_AFTER

    def _probe_due(self, domain: str) -> bool:
        last = self._probed.get(domain)
        return last is None or self._clock() - last >= PROBE_EVERY

    def _defer(self, domain: str, queue: deque[Row]) -> None:
        """Count a try for each row without sending it, so it still gives up on schedule."""
        while queue:
            row = queue.popleft()
            self._settle(row, None, None, f"not sent: {domain} is unreachable", sent=False)

    async def _attempt(self, row: Row) -> None:
        async with self._slots:
            try:
                url = _inbox_url(row["inbox"])
                key_id, key = self._key(row["signer"])
                if not self._allowed(row["domain"]):
                    raise BlockedByPolicy(f"{row['domain']} is blocked or not allowed by this node's policy")
                if row["body"] is None:
                    raise ActivityGone(f"{row['activity_uri']} is no longer stored")
            except (BadInbox, UnknownSigner, BlockedByPolicy, ActivityGone) as error:
                self._settle(row, None, None, _describe(error), final=True)
                return
            self._attempts += 1
            now = self._clock()
            body = row["body"].encode("utf-8")
            headers = await self._sign(row["inbox"], body, key_id, key, now)
            status, wait, failure = await self._post(url, body, headers, now)
        self._settle(row, status, wait, failure)

    def _allowed(self, domain: str) -> bool:
        if domain not in self._policy_answers:
            self._policy_answers[domain] = self._allows(domain)
        return self._policy_answers[domain]

    def _key(self, owner: str) -> tuple[str, RSAPrivateKey]:
        if owner not in self._keys:
            self._keys[owner] = self._signer(owner)
        return self._keys[owner]

    async def _sign(self, inbox: str, body: bytes, key_id: str, key: RSAPrivateKey, now: datetime) -> dict[str, str]:
        if time.perf_counter() - self._burst_began > SIGN_BURST_SECONDS:
            # This loop turn has signed enough: the tasks still ready in it yield too, and the first
            # one to resume in the next turn starts a new burst.
            await asyncio.sleep(0)
            if time.perf_counter() - self._burst_began > SIGN_BURST_SECONDS:
                self._burst_began = time.perf_counter()
        return sign("POST", inbox, {"content-type": CONTENT_TYPE}, body, key_id, key, now)

    async def _post(
        self, url: URL, body: bytes, headers: dict[str, str], now: datetime,
    ) -> tuple[int | None, timedelta | None, str | None]:
        """(status, Retry-After wait, error text); status None when there was no answer."""
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT,
            ) as response:
                await _discard(response)
                return response.status, retry_after(response.headers.get("Retry-After"), now), None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return None, None, _describe(error)

    def _settle(
        self, row: Row, status: int | None, wait: timedelta | None, error: str | None, *,
        sent: bool = True, final: bool = False,
    ) -> None:
        domain, tries = row["domain"], row["tries"] + 1
        kind: Outcome = "failed" if final else outcome(status) if sent else "retry"
        if kind != "done" and error is None:
            error = f"HTTP {status}"
        if sent and not final and (kind == "done" or status is None or status >= 500 or status in (401, 403)):
            self._note_server(domain, kind == "done", error)
        next_try_at = None
        if kind == "retry":
            delay = retry_delay(tries, status=status, wait=wait, unreachable=self._unreachable(domain),
                                first=self._first_delay)
            if delay is None:
                kind, error = "failed", f"gave up after {tries} tries: {error}"
                log.warning("delivery %s to %s failed for good: %s", row["id"], row["inbox"], error)
            else:
                next_try_at = iso(self._clock() + delay)
        self._results.append(_Result(row["id"], kind, status, error, next_try_at))
        if len(self._results) >= FLUSH_EVERY:
            try:
                self._flush()
            except sqlite3.Error:  # kept in memory (and in flight) until the dispatcher's next flush
                log.exception("writing delivery results failed; trying again shortly")

    def _note_server(self, domain: str, ok: bool, error: str | None) -> None:
        now = self._clock()
        if ok:
            self._failing.pop(domain, None)
        else:
            self._failing.setdefault(domain, now)
        self._events.append((domain, ok, iso(now), error))

    def _flush(self) -> None:
        """Write the results so far, and what was learnt of the servers, in one transaction; only then
        are the rows out of flight (so a row is never sent twice by one process)."""
        if not self._results and not self._events:
            return
        results, events = self._results, self._events
        now = iso(self._clock())
        done: dict[int | None, list[int]] = {}
        with self._db.transaction(counts=False):
            for result in results:
                if result.kind == "done":
                    done.setdefault(result.status, []).append(result.id)
                elif result.kind == "retry":
                    assert result.next_try_at is not None
                    deliveries.mark_retry(self._db, result.id, result.next_try_at, result.status, result.error)
                else:
                    deliveries.mark_failed(self._db, result.id, result.status, result.error)
            for status, ids in done.items():
                deliveries.mark_done(self._db, ids, now, status)
            for domain, ok, when, error in _net_events(events):
                if ok:
                    deliveries.record_success(self._db, domain, when)
                else:
                    deliveries.record_failure(self._db, domain, when, error=error,
                                              unreachable_before=iso(datetime.fromisoformat(when) - UNREACHABLE_AFTER))
        self._results, self._events = [], []
        for result in results:
            self._in_flight.discard(result.id)


def _net_events(events: list[tuple[str, bool, str, str | None]]) -> list[tuple[str, bool, str, str | None]]:
    """The same end state in fewer writes: per server its last success, then the failures after it."""
    last_success = {domain: index for index, (domain, ok, *_) in enumerate(events) if ok}
    return [
        event for index, event in enumerate(events)
        if index == last_success.get(event[0]) or (not event[1] and index > last_success.get(event[0], -1))
    ]


def _inbox_url(inbox: str) -> URL:
    if not inbox[:8].lower().startswith(("http://", "https://")):
        raise BadInbox(f"not an http(s) inbox URL: {inbox!r}")
    try:
        url = URL(inbox, encoded=True)  # encoded: sent exactly as signed, never re-quoted
    except ValueError as error:
        raise BadInbox(f"malformed inbox URL {inbox!r}: {error}") from None
    if not url.host:
        raise BadInbox(f"inbox URL without a host: {inbox!r}")
    return url


async def _discard(response: aiohttp.ClientResponse) -> None:
    """Read the answer so the connection can be reused; beyond MAX_ANSWER it is dropped instead."""
    read = 0
    while read < MAX_ANSWER:
        chunk = await response.content.readany()
        if not chunk:
            return
        read += len(chunk)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return (f"{name}: {text}" if text else name)[:MAX_ERROR]
