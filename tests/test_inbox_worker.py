"""The inbox worker: three outcomes besides done, concurrency within lanes, order per object, and
jobs that rows wait for. The processor here is a plain async function standing in for the handlers;
the handlers themselves are exercised through real inboxes elsewhere (test_inbox_faults.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from federation.backoff import INBOX
from federation.fetch import FetchError
from federation.inbox import lane_of, ordering_key
from federation.inbox_worker import InboxWorker, classify
from federation.outcomes import Final, Job, NeedsFetch, Temporary
from storage import inbox
from storage.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "node.db")
    database.migrate()
    yield database
    database.close()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def put(db: Database, n: int, *, lane: str = "a.example", key: str | None = None, kind: str = "Create") -> None:
    body = orjson.dumps({"id": f"https://{lane}/act/{n}", "type": kind, "n": n}).decode()
    inbox.store(db, inbox.NewRow(f"https://{lane}/act/{n}", f"https://{lane}/u", kind, body, lane, key), now())


def states(db: Database) -> list[tuple[str, str | None]]:
    return [(r["state"], r["error"]) for r in db.all("SELECT state, error FROM inbox ORDER BY id")]


def test_the_three_outcomes_and_done(db: Database) -> None:
    for n in range(4):
        put(db, n, key=f"k{n}")

    async def process(activity: dict[str, Any]) -> None:
        if activity["n"] == 1:
            raise Final("not public")
        if activity["n"] == 2:
            raise FetchError("https://a.example/x", "HTTP 503", 503)
        if activity["n"] == 3:
            raise ValueError("a bug")

    assert asyncio.run(InboxWorker(db, process).run_once()) == 4
    assert states(db) == [("done", None), ("refused", "not public"),
                          ("pending", "https://a.example/x: HTTP 503"), ("pending", "ValueError: a bug")]
    retried = db.one("SELECT attempts, next_try_at FROM inbox WHERE id = 3")
    assert retried["attempts"] == 1 and retried["next_try_at"] > now()  # later, not at once


def test_after_the_last_try_the_row_stays_failed_and_an_admin_can_retry_it(db: Database) -> None:
    put(db, 1)
    clock = [datetime.now(UTC)]
    calls: list[int] = []

    async def down(activity: dict[str, Any]) -> None:
        calls.append(1)
        raise Temporary("the author's server is down")

    worker = InboxWorker(db, down, clock=lambda: clock[0])
    while db.one("SELECT state FROM inbox")["state"] == "pending":
        asyncio.run(worker.run_once())
        clock[0] += INBOX.longest
    row = db.one("SELECT * FROM inbox")
    assert row["state"] == "failed" and row["error"].startswith(f"gave up after {len(calls)} tries: the author's")
    assert 10 < len(calls) < 40
    assert inbox.retry(db, None, now()) == 1
    assert db.one("SELECT state, attempts FROM inbox")[:] == ("pending", 0)


def test_classify() -> None:
    assert classify(FetchError("u", "HTTP 404", 404))[0] == "refused"
    assert classify(FetchError("u", "HTTP 410", 410))[0] == "refused"
    assert classify(FetchError("u", "HTTP 401", 401))[0] == "retry"  # a proxy being fixed
    assert classify(FetchError("u", "HTTP 429", 429))[0] == "retry"
    assert classify(FetchError("u", "timeout", temporary=True))[0] == "retry"
    assert classify(FetchError("u", "id origin mismatch"))[0] == "refused"
    assert classify(Temporary("x", timedelta(minutes=5))) == ("retry", "x", timedelta(minutes=5))
    assert classify(TimeoutError())[0] == "retry"


def test_hanging_lanes_do_not_hold_up_another(db: Database) -> None:
    """Ten servers that never answer take two places each; an unrelated row still runs at once."""
    for n in range(40):
        put(db, n, lane=f"hang{n % 10}.example")
    put(db, 99, lane="healthy.example")
    finished: list[int] = []
    release = asyncio.Event()

    async def process(activity: dict[str, Any]) -> None:
        if activity["id"].startswith("https://hang"):
            await release.wait()
        finished.append(activity["n"])

    async def main() -> None:
        worker = InboxWorker(db, process, concurrency=32, per_lane=2)
        stop = asyncio.Event()
        loop = asyncio.create_task(worker.run(stop))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if 99 in finished:
                break
        assert finished == [99]
        assert len(worker._tasks) == 20  # two per hanging lane
        release.set()
        for _ in range(300):
            await asyncio.sleep(0.01)
            if len(finished) == 41:
                break
        stop.set()
        await loop

    asyncio.run(main())
    assert {state for state, _ in states(db)} == {"done"}


def test_rows_about_one_object_run_in_order_one_at_a_time(db: Database) -> None:
    put(db, 1, key="https://a.example/note/1", kind="Create")
    put(db, 2, key="https://a.example/note/1", kind="Update")
    put(db, 3, key="https://a.example/note/1", kind="Delete")
    put(db, 4, key="https://a.example/note/2", kind="Create")
    seen: list[int] = []
    running: set[str] = set()

    async def process(activity: dict[str, Any]) -> None:
        assert activity["type"] not in running or activity["n"] == 4
        running.add(activity["type"])
        await asyncio.sleep(0.01)
        seen.append(activity["n"])
        running.discard(activity["type"])

    asyncio.run(InboxWorker(db, process).run_once())
    assert [n for n in seen if n != 4] == [1, 2, 3]


def test_a_create_waits_while_its_object_is_retried(db: Database) -> None:
    put(db, 1, key="https://a.example/note/1", kind="Create")
    put(db, 2, key="https://a.example/note/1", kind="Delete")
    seen: list[str] = []

    async def process(activity: dict[str, Any]) -> None:
        seen.append(activity["type"])
        if activity["type"] == "Create":
            raise Temporary("parent's server is down")

    asyncio.run(InboxWorker(db, process).run_once())
    assert seen == ["Create"]  # the Delete does not overtake it


def test_a_row_waits_for_the_job_it_needs_and_runs_when_that_ends(db: Database) -> None:
    put(db, 1, key="https://a.example/reply/1")
    put(db, 2, key="https://a.example/reply/2")
    parent = "https://b.example/topic/1"
    have: set[str] = set()
    seen: list[str] = []

    async def process(activity: dict[str, Any]) -> None:
        seen.append(activity["type"])
        if activity["type"] == "meent:fetch":
            have.add(activity["object"])
            return
        if parent not in have:
            raise NeedsFetch(Job("fetch", parent, {"depth": 1}))

    asyncio.run(InboxWorker(db, process).run_once())
    assert seen.count("meent:fetch") == 1  # two replies to one parent: one job
    assert seen.count("Create") == 4  # each tried, waited, and ran again when the job was done
    assert {state for state, _ in states(db)} == {"done"}
    job = db.one("SELECT * FROM inbox WHERE type = 'meent:fetch'")
    assert (job["lane"], job["activity_id"]) == ("b.example", f"meent:fetch:{parent}")


def test_a_job_that_cannot_be_done_refuses_those_waiting_for_it(db: Database) -> None:
    put(db, 1)

    async def process(activity: dict[str, Any]) -> None:
        if activity["type"] == "meent:fetch":
            raise FetchError(activity["object"], "HTTP 404", 404)
        raise NeedsFetch(Job("fetch", "https://b.example/gone", {}))

    asyncio.run(InboxWorker(db, process).run_once())
    assert states(db) == [
        ("refused", "needed https://b.example/gone, which could not be had: https://b.example/gone: HTTP 404"),
        ("refused", "https://b.example/gone: HTTP 404")]


def test_ordering_keys_and_lanes() -> None:
    note = {"id": "https://a.example/n/1", "type": "Note"}
    create = {"id": "https://a.example/c/1", "type": "Create", "actor": "https://a.example/u", "object": note}
    assert ordering_key(create) == "https://a.example/n/1"
    assert ordering_key({"type": "Delete", "object": "https://a.example/n/1"}) == "https://a.example/n/1"
    assert ordering_key({"type": "Announce", "object": create}) == "https://a.example/n/1"
    like = {"type": "Like", "actor": "https://a.example/u", "object": "https://b.example/p"}
    assert ordering_key({"type": "Undo", "object": like}) == "https://b.example/p"
    follow = {"type": "Follow", "actor": "https://a.example/u", "object": "https://us.example/groups/g"}
    assert ordering_key(follow) == ordering_key({"type": "Undo", "actor": "https://a.example/u", "object": follow})
    assert ordering_key({"type": ["Create", "Activity"], "object": note}) == "https://a.example/n/1"
    assert lane_of(create) == "a.example"
    assert lane_of({"type": "Announce", "actor": "https://g.example/g", "object": "https://c.example/n"}) == "c.example"


def test_a_busy_healthy_lane_may_use_more_of_the_worker(db: Database) -> None:
    """One big server sending much: its rows finish quickly, so its lane grows past per_lane."""
    for n in range(60):
        put(db, n, lane="big.example")
    running, most = [0], [0]

    async def process(activity: dict[str, Any]) -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        await asyncio.sleep(0.02)
        running[0] -= 1

    asyncio.run(InboxWorker(db, process, concurrency=32, per_lane=2).run_once())
    assert {state for state, _ in states(db)} == {"done"}
    assert 2 < most[0] <= 16


def test_backpressure_holds_the_202_longer_as_the_backlog_grows() -> None:
    from federation.inbox import HOLD_MAX, hold

    assert [hold(n) for n in (0, 200)] == [0.0, 0.0]
    assert 0 < hold(400) < hold(2000) <= HOLD_MAX == hold(10**9)


def test_the_worker_counts_its_backlog(db: Database) -> None:
    for n in range(5):
        put(db, n)

    async def process(activity: dict[str, Any]) -> None:
        if activity["n"] == 4:
            raise Temporary("later")

    worker = InboxWorker(db, process)
    assert worker.backlog() == 5
    worker.received()
    assert worker.backlog() == 6
    asyncio.run(worker.run_once())
    assert worker.backlog() == 2  # the one to retry, and the one announced by received() but never stored


def test_one_remote_server_gets_a_bounded_number_of_our_jobs(db: Database) -> None:
    from federation.inbox_worker import JOBS_PER_LANE

    async def nothing(activity: dict[str, Any]) -> None:
        return None

    worker = InboxWorker(db, nothing)
    states_of = [worker.add_job(Job("fetch", f"https://busy.example/notes/{n}")) for n in range(JOBS_PER_LANE + 5)]
    assert states_of.count("pending") == JOBS_PER_LANE and states_of[-5:] == ["refused"] * 5
    assert worker.add_job(Job("fetch", "https://busy.example/notes/0")) == "refused"  # the lane is full
    assert worker.add_job(Job("fetch", "https://other.example/notes/0")) == "pending"  # another server is not


def test_finished_rows_are_pruned_by_age(db: Database) -> None:
    rows = [("done", "2026-01-01T00:00:00.000Z"), ("done", "2026-06-01T00:00:00.000Z"),
            ("failed", "2026-01-01T00:00:00.000Z"), ("refused", "2026-05-01T00:00:00.000Z"), ("pending", None)]
    for n, (state, processed) in enumerate(rows):
        put(db, n)
        db.execute("UPDATE inbox SET state = ?, processed_at = ? WHERE activity_id = ?",
                   (state, processed, f"https://a.example/act/{n}"))
    removed = inbox.prune(db, done_before="2026-05-25T00:00:00.000Z", others_before="2026-04-01T00:00:00.000Z")
    assert removed == 2
    assert [r["state"] for r in db.all("SELECT state FROM inbox ORDER BY id")] == ["done", "refused", "pending"]
