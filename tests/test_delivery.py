"""The delivery queue: the retry policy as tables, the queue's SQL, and real POSTs to loopback inboxes.

Every receiver verifies every signature and Digest with federation.signatures.verify and counts
what did not verify; the worker and the receivers share one clock, so tests can jump days ahead.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from federation import delivery
from federation.delivery import DeliveryWorker, UnknownSigner, next_delay, outcome, retry_after, retry_delay
from federation.signatures import SignatureError, http_date, key_id_of, verify
from storage import deliveries
from storage.db import Database

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BODY = '{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://a.example/act/1"}'
ACTIVITY = "https://a.example/act/1"
MIN = timedelta(minutes=1)


# --- the policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tries", "delay"),
    [(1, MIN), (2, 2 * MIN), (3, 4 * MIN), (7, 64 * MIN), (10, 512 * MIN), (11, timedelta(hours=12)),
     (15, timedelta(hours=12)), (16, None), (17, None), (100, None)],
)
def test_next_delay_table(tries: int, delay: timedelta | None) -> None:
    assert next_delay(tries) == delay


def test_next_delay_keeps_trying_for_three_days_then_gives_up() -> None:
    waits = [wait for tries in range(1, 100) if (wait := next_delay(tries)) is not None]
    assert [next_delay(tries) for tries in range(1, 100)] == waits + [None] * (99 - len(waits))
    assert sum(waits[:-1], timedelta()) < timedelta(days=3) <= sum(waits, timedelta())  # not one wait too many
    assert waits == sorted(waits) and max(waits) == timedelta(hours=12)
    fast = [wait for tries in range(1, 100) if (wait := next_delay(tries, timedelta(seconds=1))) is not None]
    assert fast[:3] == [timedelta(seconds=s) for s in (1, 2, 4)]  # a node's retry_first_seconds = 1 (tests)
    assert sum(fast[:-1], timedelta()) < timedelta(days=3) <= sum(fast, timedelta())
    with pytest.raises(ValueError):
        next_delay(0)  # counts failed attempts, from 1


OUTCOMES = {"done": [200, 201, 202, 204], "retry": [None, 401, 403, 408, 429, 500, 502, 503, 599],
            "failed": [301, 400, 404, 410, 422]}


@pytest.mark.parametrize(("status", "expected"), [(s, kind) for kind, codes in OUTCOMES.items() for s in codes])
def test_outcome_table(status: int | None, expected: str) -> None:
    assert outcome(status) == expected


@pytest.mark.parametrize(
    ("value", "wait"),
    [("120", timedelta(seconds=120)), (" 5 ", timedelta(seconds=5)), ("0", timedelta()),
     (http_date(START + timedelta(seconds=90)), timedelta(seconds=90)),
     (http_date(START - timedelta(hours=1)), timedelta()),
     ("99999999999999999999", timedelta(hours=12)), (http_date(START + timedelta(days=30)), timedelta(hours=12)),
     (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None), ("\u00b2", None)],
)
def test_retry_after_table(value: str | None, wait: timedelta | None) -> None:
    assert retry_after(value, START) == wait


@pytest.mark.parametrize(
    ("tries", "status", "wait", "unreachable", "delay"),
    [(1, 429, timedelta(minutes=5), False, timedelta(minutes=5)),
     (1, 503, timedelta(minutes=5), False, timedelta(minutes=5)),
     (1, 500, timedelta(minutes=5), False, MIN),  # Retry-After counts on 429 and 503 only
     (3, 429, timedelta(seconds=30), False, 4 * MIN),  # a minimum, never shorter than the back-off
     (1, None, None, True, timedelta(minutes=30)),
     (11, 503, timedelta(hours=1), True, timedelta(hours=12)),
     (16, 429, timedelta(minutes=5), True, None)],  # never keeps a row longer than the schedule says
)
def test_retry_delay_table(
    tries: int, status: int | None, wait: timedelta | None, unreachable: bool, delay: timedelta | None,
) -> None:
    assert retry_delay(tries, status=status, wait=wait, unreachable=unreachable) == delay


# --- the queue's SQL ------------------------------------------------------------------------------
T0 = "2026-03-02T09:30:00.000Z"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "x.db")
    database.migrate()
    yield database
    database.close()


def test_enqueue_makes_one_row_per_distinct_inbox(db: Database) -> None:
    inboxes = ["https://B.example/inbox", "https://b.example:8443/users/x/inbox", "https://B.example/inbox"]
    assert deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="user:a", inboxes=inboxes, now=T0) == 2
    assert [(r["inbox"], r["domain"], r["state"], r["tries"], r["next_try_at"])
            for r in deliveries.for_activity(db, ACTIVITY)] == [
        ("https://B.example/inbox", "b.example", "pending", 0, T0),
        ("https://b.example:8443/users/x/inbox", "b.example:8443", "pending", 0, T0)]
    assert deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="user:a", inboxes=inboxes, now=T0) == 0
    assert deliveries.pending_count(db) == 2


def test_enqueue_commits_or_rolls_back_with_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO activities (uri, type, actor, body, created_at) VALUES (?, 'Create', 'a', ?, 'now')",
                   (ACTIVITY, BODY))
        deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="user:a", inboxes=["https://b.x/i"], now=T0)
        raise RuntimeError("the post could not be saved")
    assert deliveries.pending_count(db) == db.scalar("SELECT count(*) FROM activities") == 0


def test_due_gives_the_longest_waiting_first_up_to_the_limit(db: Database) -> None:
    for minute, inbox in [(5, "https://c.example/inbox"), (1, "https://a.example/inbox"),
                          (3, "https://b.example/inbox"), (9, "https://late.example/inbox")]:
        deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="organisation", inboxes=[inbox],
                           now=f"2026-03-02T09:0{minute}:00.000Z")
    assert [row["domain"] for row in deliveries.due(db, "2026-03-02T09:08:00.000Z", 2)] == ["a.example", "b.example"]
    assert len(deliveries.due(db, "2026-03-02T09:08:00.000Z", 10)) == 3


def test_servers_count_failures_by_time_until_one_success(db: Database) -> None:
    """Unreachable means failing without a break for hours, however many POSTs failed meanwhile."""
    def fail(at: str) -> int:
        return deliveries.record_failure(db, "b.example", at, error="HTTP 502",
                                         unreachable_before=delivery.iso(datetime.fromisoformat(at)
                                                                         - delivery.UNREACHABLE_AFTER))
    counts = [fail(f"2026-03-02T10:{n // 60:02}:{n % 60:02}.000Z") for n in range(200)]
    assert counts == list(range(1, 201))
    assert deliveries.unreachable_since(db, "b.example") is None  # 200 failures in a few minutes: not dead
    assert deliveries.failing_since_of(db, ["b.example", "c.example"]) == {"b.example": "2026-03-02T10:00:00.000Z"}
    fail("2026-03-02T16:00:00.000Z")
    assert deliveries.unreachable_since(db, "b.example") == "2026-03-02T16:00:00.000Z"
    assert db.one("SELECT last_error FROM servers")["last_error"] == "HTTP 502"
    deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="user:a", inboxes=["https://b.example/i"],
                       now="2026-03-02T20:00:00.000Z")  # due later, after its back-off
    assert deliveries.record_success(db, "b.example", "2026-03-02T17:00:00.000Z") == 1  # it is back: due now
    assert deliveries.due(db, "2026-03-02T17:00:00.000Z", 10)[0]["inbox"] == "https://b.example/i"
    assert deliveries.unreachable_since(db, "b.example") is None
    assert deliveries.failing_since_of(db, ["b.example"]) == {}
    assert fail("2026-03-03T01:00:00.000Z") == 1


# --- real HTTP on loopback ------------------------------------------------------------------------


@dataclass
class Clock:
    """Shared by the worker and the receivers, so signatures stay fresh when a test jumps ahead."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@functools.cache
def keys() -> dict[str, tuple[str, rsa.RSAPrivateKey]]:
    """Two signers with their own keys, made once per test run (not at import)."""
    return {owner: (f"https://a.example/{owner.replace(':', 's/')}#main-key",
                    rsa.generate_private_key(public_exponent=65537, key_size=2048))
            for owner in ("user:anne", "group:open-overheid")}


def signer(owner: str) -> tuple[str, rsa.RSAPrivateKey]:
    try:
        return keys()[owner]
    except KeyError:
        raise UnknownSigner(owner) from None


@dataclass
class Receiver:
    """An inbox server on a free 127.0.0.1 port: verifies every POST, then answers from its script."""

    clock: Clock
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[str, str, bytes]] = field(default_factory=list)  # (path, key id, body)
    requests: int = 0
    invalid: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    port: int = 0

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.port = self.runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    def url(self, path: str = "/inbox") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        public = {key_id: key.public_key() for key_id, key in keys().values()}
        try:
            key_id = key_id_of(request.headers)
            verify("POST", request.raw_path, request.headers, body, public[key_id], self.clock())
            assert request.headers["content-type"] == "application/activity+json"
            assert request.headers["host"] == f"127.0.0.1:{self.port}"
        except (SignatureError, KeyError, AssertionError) as error:
            self.invalid.append(repr(error))
            return web.Response(status=401)
        self.received.append((request.raw_path, key_id, body))
        self.arrived.set()
        status, headers = self.script.pop(0) if self.script else (202, {})
        return web.Response(status=status, headers=headers)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def enqueue(db: Database, clock: Clock, inboxes: list[str], signer: str = "user:anne", activity: str = ACTIVITY) -> int:
    return deliveries.enqueue(db, activity_uri=activity, body=BODY, signer=signer, inboxes=inboxes,
                              now=delivery.iso(clock()))


def failures_of(db: Database, domains: list[str]) -> dict[str, int]:
    """Failures in a row of each named server that has any."""
    return {row["domain"]: row["failures"] for row in db.all("SELECT domain, failures FROM servers WHERE failures > 0")
            if row["domain"] in domains}


def state(db: Database, inbox: str) -> tuple[Any, ...]:
    found = db.one("SELECT state, tries, last_status, error, next_try_at FROM deliveries WHERE inbox = ?", (inbox,))
    assert found is not None
    return tuple(found)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Play = Callable[..., Any]


@pytest.fixture
def play(db: Database, clock: Clock) -> Play:
    """Runs a scenario with a worker on the test's database and clock, in its own event loop."""
    def run(scenario: Callable[[DeliveryWorker], Awaitable[Any]], **options: Any) -> Any:
        async def main() -> Any:
            async with aiohttp.ClientSession() as session:
                return await scenario(DeliveryWorker(db, session, signer, clock=clock, **options))
        return asyncio.run(main())
    return run


def test_every_post_is_signed_and_verifies(db: Database, clock: Clock, play: Play) -> None:
    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock) as one, Receiver(clock) as two:
            enqueue(db, clock, [one.url("/users/cees/inbox"), two.url("/inbox")])
            enqueue(db, clock, [one.url("/inbox"), two.url("/users/b%C3%A9a/inbox?x=1")],
                    signer="group:open-overheid", activity="https://a.example/act/2")
            assert await worker.run_once() == 4
            assert await worker.run_once() == 0
            received = one.received + two.received
            assert one.invalid == two.invalid == []
            assert sorted(path for path, _, _ in received) == [
                "/inbox", "/inbox", "/users/b%C3%A9a/inbox?x=1", "/users/cees/inbox"]
            assert {key_id for _, key_id, _ in two.received} == {
                "https://a.example/users/anne#main-key", "https://a.example/groups/open-overheid#main-key"}
            assert all(body == BODY.encode() for _, _, body in received)

    play(scenario)
    rows = db.all("SELECT state, tries, last_status, error, delivered_at FROM deliveries")
    assert [tuple(r) for r in rows] == [("done", 1, 202, None, "2026-03-02T09:30:00.000Z")] * 4


@pytest.mark.parametrize(
    ("status", "headers", "next_try"),
    [(500, {}, MIN), (410, {}, None),  # a 410 is final: never tried again
     (429, {"Retry-After": "600"}, timedelta(minutes=10)),
     (503, {"Retry-After": http_date(START + timedelta(hours=2))}, timedelta(hours=2)),
     (429, {"Retry-After": "10"}, MIN)],  # the back-off is the minimum
)
def test_what_an_answer_means(
    db: Database, clock: Clock, play: Play, status: int, headers: dict[str, str], next_try: timedelta | None,
) -> None:
    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock, script=[(status, headers)]) as inbox:
            enqueue(db, clock, [inbox.url()])
            assert await worker.run_once() == 1
            if next_try is None:
                assert state(db, inbox.url())[:4] == ("failed", 1, status, f"HTTP {status}")
                clock.advance(days=4)
                assert await worker.run_once() == 0
                return
            assert state(db, inbox.url()) == ("pending", 1, status, f"HTTP {status}", delivery.iso(START + next_try))
            # A 5xx counts against the server; a 429 says it is up.
            assert sum(failures_of(db, [f"127.0.0.1:{inbox.port}"]).values()) == (status >= 500)
            clock.now = START + next_try - timedelta(seconds=1)
            assert await worker.run_once() == 0  # not due yet
            clock.advance(seconds=1)
            assert await worker.run_once() == 1
            assert state(db, inbox.url())[:4] == ("done", 2, 202, None)
            assert (inbox.requests, inbox.invalid) == (2, [])

    play(scenario)


def test_a_closed_port_is_retried_with_the_error_stored(db: Database, clock: Clock, play: Play) -> None:
    inbox = f"http://127.0.0.1:{closed_port()}/inbox"
    enqueue(db, clock, [inbox])
    assert play(lambda worker: worker.run_once(), first_delay=timedelta(seconds=1)) == 1
    error = state(db, inbox)[3]
    assert state(db, inbox) == ("pending", 1, None, error, "2026-03-02T09:30:01.000Z")
    assert error.startswith("ClientConnectorError: Cannot connect to host 127.0.0.1")
    assert failures_of(db, [deliveries.domain_of(inbox)]) == {deliveries.domain_of(inbox): 1}


def test_a_dead_servers_rows_give_up_after_three_days_not_before(db: Database, clock: Clock, play: Play) -> None:
    port = closed_port()
    enqueue(db, clock, [f"http://127.0.0.1:{port}/users/u{n}/inbox" for n in range(6)])

    async def scenario(worker: DeliveryWorker) -> int:
        posts = 0
        while deliveries.pending_count(db):
            posts += await worker.run_once()
            upcoming = db.scalar("SELECT min(next_try_at) FROM deliveries WHERE state = 'pending'")
            clock.now = datetime.fromisoformat(upcoming) if upcoming else clock.now
        return posts

    posts = play(scenario)
    rows = db.all("SELECT state, tries, error FROM deliveries")
    assert {(r["state"], r["tries"]) for r in rows} == {("failed", 16)}
    assert all(r["error"].startswith("gave up after 16 tries: ") for r in rows)
    assert clock.now - START >= timedelta(days=3)
    assert posts < 80  # 6 rows x 16 tries, but once the server counts as unreachable, one probe a half hour
    assert deliveries.unreachable_since(db, f"127.0.0.1:{port}") is not None


def test_an_unreachable_server_gets_one_probe_a_half_hour_and_one_success_resets_it(
    db: Database, clock: Clock, play: Play,
) -> None:
    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock, script=[(503, {})]) as inbox:
            domain = f"127.0.0.1:{inbox.port}"
            deliveries.record_failure(db, domain, delivery.iso(clock() - timedelta(hours=7)))  # failing since
            urls = [inbox.url(f"/users/u{n}/inbox") for n in range(3)]
            enqueue(db, clock, urls)
            assert await worker.run_once() == 1  # the probe gets a 503; the others wait unsent
            assert [state(db, url)[3:] for url in urls] == [("HTTP 503", "2026-03-02T10:00:00.000Z")] + [
                (f"not sent: {domain} is unreachable", "2026-03-02T10:00:00.000Z")] * 2
            enqueue(db, clock, [inbox.url("/late/inbox")], activity="https://a.example/act/2")
            assert await worker.run_once() == 0  # probed less than half an hour ago
            clock.advance(minutes=30)
            assert await worker.run_once() == 4  # the probe succeeds, so the rest go at once
            assert deliveries.unreachable_since(db, domain) is None
            assert failures_of(db, [domain]) == {}
            assert (inbox.requests, len(inbox.received), inbox.invalid) == (5, 5, [])

    play(scenario)
    assert deliveries.pending_count(db) == 0


def test_a_new_worker_on_the_same_file_sends_what_the_first_left(tmp_path: Path, clock: Clock) -> None:
    async def main() -> None:
        async with Receiver(clock, script=[(503, {})]) as inbox, aiohttp.ClientSession() as session:
            first = Database(tmp_path / "node.db")
            first.migrate()
            enqueue(first, clock, [inbox.url("/a"), inbox.url("/b")])
            assert await DeliveryWorker(first, session, signer, clock=clock, per_host=1).run_once() == 2
            enqueue(first, clock, [inbox.url("/c")], activity="https://a.example/act/2")  # queued, never sent
            first.close()  # the process stops; a new one opens the same file
            second = Database(tmp_path / "node.db")
            clock.advance(minutes=1)
            assert await DeliveryWorker(second, session, signer, clock=clock).run_once() == 2
            assert sorted(path for path, _, _ in inbox.received) == ["/a", "/a", "/b", "/c"]
            assert inbox.invalid == [] and deliveries.pending_count(second) == 0
            second.close()

    asyncio.run(main())


def test_a_bad_inbox_or_an_unknown_signer_fails_without_a_post(db: Database, clock: Clock, play: Play) -> None:
    enqueue(db, clock, ["mailto:anne@b.example", "http://[::1/inbox"])
    enqueue(db, clock, ["http://127.0.0.1:9/inbox"], signer="user:gone", activity="https://a.example/act/2")
    assert play(lambda worker: worker.run_once()) == 0
    assert [r["error"] for r in db.all("SELECT error FROM deliveries WHERE state = 'failed' ORDER BY id")] == [
        "BadInbox: not an http(s) inbox URL: 'mailto:anne@b.example'",
        "BadInbox: malformed inbox URL 'http://[::1/inbox': Invalid IPv6 URL",
        "UnknownSigner: user:gone"]


def test_wake_sends_at_once_and_stop_ends_the_loop(
    db: Database, clock: Clock, play: Play, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "POLL_SECONDS", 60.0)  # only a wake can explain a quick delivery

    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock) as inbox:
            stop = asyncio.Event()
            loop = asyncio.create_task(worker.run(stop))
            await asyncio.sleep(0.05)  # the first round finds nothing and waits
            enqueue(db, clock, [inbox.url()])
            worker.wake()
            await asyncio.wait_for(inbox.arrived.wait(), timeout=5)
            stop.set()
            await asyncio.wait_for(loop, timeout=5)

    play(scenario)
    assert deliveries.pending_count(db) == 0


def test_a_database_error_ends_the_round_not_the_worker(
    db: Database, clock: Clock, play: Play, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "FLUSH_EVERY", 1)  # the failing write happens inside the round's tasks
    failures, mark_done = [sqlite3.OperationalError("disk I/O error")], deliveries.mark_done

    def failing_once(*args: Any) -> None:
        if failures:
            raise failures.pop()
        mark_done(*args)

    monkeypatch.setattr(deliveries, "mark_done", failing_once)

    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock) as inbox:
            enqueue(db, clock, [inbox.url()])
            stop = asyncio.Event()
            loop = asyncio.create_task(worker.run(stop))
            for _ in range(500):
                await asyncio.sleep(0.01)
                if not deliveries.pending_count(db):
                    break
            stop.set()
            await asyncio.wait_for(loop, timeout=5)
            assert (inbox.requests, inbox.invalid) == (1, [])  # the result waited in memory: no second POST

    play(scenario)
    assert deliveries.pending_count(db) == 0


def test_a_server_blocked_after_queueing_gets_nothing(db: Database, clock: Clock, play: Play) -> None:
    blocked_domains: set[str] = set()

    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock) as blocked, Receiver(clock) as allowed:
            enqueue(db, clock, [blocked.url(), allowed.url()])
            blocked_domains.add(f"127.0.0.1:{blocked.port}")  # the admin blocks it after the post was queued
            await worker.run_once()
            assert blocked.requests == 0 and len(allowed.received) == 1
            assert state(db, blocked.url())[0] == "failed" and "policy" in state(db, blocked.url())[3]

    play(scenario, allows=lambda domain: domain not in blocked_domains)


def test_a_row_refers_to_its_activity_and_fails_for_good_when_that_is_gone(
    db: Database, clock: Clock, play: Play,
) -> None:
    async def scenario(worker: DeliveryWorker) -> None:
        async with Receiver(clock) as inbox:
            db.execute("INSERT INTO activities (uri, type, actor, body, created_at) VALUES (?, 'Create', 'a', ?, ?)",
                       (ACTIVITY, BODY, T0))
            deliveries.enqueue(db, activity_uri=ACTIVITY, signer="user:anne", inboxes=[inbox.url()], now=T0)
            deliveries.enqueue(db, activity_uri="https://a.example/act/gone", signer="user:anne",
                               inboxes=[inbox.url()], now=T0)
            assert db.scalar("SELECT count(*) FROM deliveries WHERE body = ''") == 2  # no copies of the body
            assert await worker.run_once() == 1
            assert [body for _, _, body in inbox.received] == [BODY.encode()]
            assert state(db, inbox.url())[0] == "done"
            gone = db.one("SELECT state, error FROM deliveries WHERE activity_uri = 'https://a.example/act/gone'")
            assert (gone["state"], gone["error"]) == (
                "failed", "ActivityGone: https://a.example/act/gone is no longer stored")

    play(scenario)


def test_finished_deliveries_are_pruned_by_age(db: Database) -> None:
    deliveries.enqueue(db, activity_uri=ACTIVITY, body=BODY, signer="user:a", now=T0,
                       inboxes=["https://a.example/i", "https://b.example/i", "https://c.example/i"])
    db.execute("UPDATE deliveries SET state = 'done', delivered_at = '2026-01-01T00:00:00.000Z'"
               " WHERE inbox = 'https://a.example/i'")
    db.execute("UPDATE deliveries SET state = 'failed', next_try_at = '2026-01-01T00:00:00.000Z'"
               " WHERE inbox = 'https://b.example/i'")
    assert deliveries.prune(db, done_before=T0, others_before="2025-12-01T00:00:00.000Z") == 1  # failed kept longer
    assert deliveries.prune(db, done_before=T0, others_before=T0) == 1
    assert [r["inbox"] for r in db.all("SELECT inbox FROM deliveries")] == ["https://c.example/i"]  # pending stays
