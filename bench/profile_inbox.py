"""Where an inbox POST's time goes: the app called in-process (plain ASGI), timed and under cProfile.

    cd /work/main && .venv/bin/python bench/profile_inbox.py [--requests 1000]

Sets up a node as bench/inbox.py does (meent init + user add anne), puts five remote actors in the
actor cache (as after the first contact), pre-signs Create(Note) activities with bench/inbox_traffic.py
(--requests for each measurement, all different), builds the app with node.app.create_app and calls it
directly on this thread, one request after another (cProfile sees one thread only). The inbox worker
is kept apart: first the receive path alone (verify, store, 202), then the worker on what was stored.
Printed, per activity:

1. a wall-clock split of the receive path: each step of Inbox._accept on its own, one store alone and
   in a group of 20 sharing a COMMIT, the whole of Inbox.receive, the whole request through the app's
   middleware and router; the same with the writer at PRAGMA synchronous=NORMAL, and with the inbox
   routes first in the route table;
2. the worker on a backlog: as it is, with one COMMIT per run_once batch, and at synchronous=NORMAL;
3. the app's own cost: middleware and router around a handler that answers 202 at once, a bare
   Starlette app around the same handler, and the router's lookup alone;
4. cProfile's top functions by own time and by cumulative time, for the receive path and the worker.

Every "patched" figure changes this process only (as bench/profile_topic.py does): no file is changed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402  (after the path is set)
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Match, Route  # noqa: E402

from bench.inbox_traffic import Sender, make_senders, presign  # noqa: E402
from bench.scratch import run_in_scratch  # noqa: E402
from federation import signatures  # noqa: E402
from federation.actors import RemoteActors, actor_record, iso  # noqa: E402
from federation.inbox import Inbox, check_shape, lane_of, ordering_key  # noqa: E402
from federation.inbox_worker import InboxWorker  # noqa: E402
from federation.keys import load_public  # noqa: E402
from federation.policy import FederationPolicy  # noqa: E402
from node.app import create_app  # noqa: E402
from node.config import load  # noqa: E402
from node.services.federated import Federated  # noqa: E402
from storage import actors, inbox  # noqa: E402
from storage.db import Database  # noqa: E402

HOST = "127.0.0.1:8000"
ACTOR_ORIGIN = "http://127.0.0.1:9"  # never contacted: the actors are in the cache
Message = dict[str, Any]


class Post:
    """One pre-signed POST /inbox as an ASGI scope and body."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        request_line, *lines = head.split(b"\r\n")
        self.path = request_line.split(b" ")[1].decode()
        self.headers = [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(b":") for line in lines)]

    def scope(self) -> Message:
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": self.path, "raw_path": self.path.encode(), "query_string": b"", "root_path": "",
            "headers": self.headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }

    def receive(self) -> Callable[[], Awaitable[Message]]:
        async def receive() -> Message:
            return {"type": "http.request", "body": self.body, "more_body": False}
        return receive

    async def through(self, app: Starlette) -> int:
        status = 0

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(self.scope(), self.receive(), send)
        return status

    def request(self) -> Request:
        return Request(self.scope(), self.receive())


@contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def describe(label: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]  # a short run (the tests)
    return (f"  {label:<68} mean {statistics.fmean(times) * 1e6:7.1f}  p50 {statistics.median(times) * 1e6:7.1f}"
            f"  p95 {p95 * 1e6:7.1f} µs")


def check_all_processed(db: Database) -> None:
    """A profile of the worker failing on every activity measures the wrong thing: stop instead."""
    left = db.one("SELECT count(*) AS n, max(error) AS error FROM inbox WHERE state != 'done'")
    assert left is not None
    if left["n"]:
        raise RuntimeError(f"{left['n']} activities were not processed: {left['error']}")


def timed(function: Callable[[Any], object], items: list[Any]) -> list[float]:
    times = []
    for item in items:
        began = time.perf_counter()
        function(item)
        times.append(time.perf_counter() - began)
    return times


async def timed_async(function: Callable[[Any], Awaitable[object]], items: list[Any]) -> list[float]:
    times = []
    for item in items:
        began = time.perf_counter()
        await function(item)
        times.append(time.perf_counter() - began)
    return times


def top(profiler: cProfile.Profile, title: str, count: int) -> None:
    for order, limit in (("tottime", 22), ("cumulative", 30)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(limit)
        print(f"\ncProfile, {title}, {count} activities, top {limit} by {order}:")
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def setup(workdir: Path) -> Path:
    data_dir = workdir / "node"
    for args in (["init", "--data-dir", str(data_dir), "--domain", HOST, "--admin", "beheerder", "--password",
                  "profile-password"],
                 ["user", "add", "anne", "--password", "profile-password", "--config", str(data_dir / "config.toml")]):
        subprocess.run([sys.executable, "-m", "node", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return data_dir / "config.toml"


BATCHES = ("split", "receive", "app", "app NORMAL", "routes first", "stub", "worker", "profile", "warm-up")
GROUP = 20  # as many as the bench's concurrent senders


def batches(senders: list[Sender], count: int) -> dict[str, list[Post]]:
    """Separate pre-signed activities (unique ids, so none is a redelivery) for each measurement."""
    total = count * len(BATCHES)
    raw = presign(f"http://{HOST}/inbox", senders, f"http://{HOST}/users/anne", f"anne@{HOST}", total, workers=2)
    posts = [Post(r) for r in raw]
    return {name: posts[n * count:(n + 1) * count] for n, name in enumerate(BATCHES)}


async def receive_split(box: Inbox, app: Starlette, parts: dict[str, list[Post]]) -> None:
    db, sample = box.db, parts["split"]
    bodies = [p.body for p in sample]
    activities = [orjson.loads(b) for b in bodies]
    headers = [{k.decode("latin-1"): v.decode("latin-1") for k, v in p.headers} for p in sample]
    now = datetime.now(UTC)
    keys = {}
    for h in headers:
        key_id = signatures.key_id_of(h)
        if key_id not in keys:
            keys[key_id] = load_public((await box.actors.by_key_id(key_id))["public_key_pem"])
    signed = [(h, body, keys[signatures.key_id_of(h)]) for h, body in zip(headers, bodies, strict=True)]
    print(f"Receive path, per activity, {len(sample)} sequential calls each (µs):")
    print(describe("orjson.loads(body)", timed(orjson.loads, bodies)))
    print(describe("check_shape(activity)", timed(check_shape, activities)))
    print(describe("request headers -> dict (as in _accept)", timed(
        lambda p: {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in p.headers}, sample)))
    print(describe("signatures.key_id_of(headers)", timed(signatures.key_id_of, headers)))
    policy = box.policy
    print(describe("FederationPolicy.allows(netloc of the actor)",
                   timed(lambda a: policy.allows(urlsplit(a["actor"]).netloc), activities)))
    print(describe("request.url.path + request.url.query (the signed target)", timed(
        lambda r: r.url.path + (f"?{r.url.query}" if r.url.query else ""), [p.request() for p in sample])))
    print(describe("storage.inbox.seen_since(db, id, window): SELECT",
                   timed(lambda a: inbox.seen_since(db, a["id"], iso(datetime.now(UTC))), activities)))
    print(describe("RemoteActors.by_key_id(): SELECT * FROM actors (cache hit)",
                   await timed_async(lambda h: box.actors.by_key_id(signatures.key_id_of(h)), headers)))
    print(describe("signatures.verify(): parse, Date, Digest, RSA verify",
                   timed(lambda item: signatures.verify("POST", "/inbox", item[0], item[1], item[2], now), signed)))
    texts = [(signatures.parse_signature(h["signature"]).signature,
              signatures.signing_string("POST", "/inbox", h, signatures.POST_HEADERS).encode(), key)
             for h, _, key in signed]
    print(describe("  of which the RSA-2048 verify alone (cryptography)", timed(
        lambda item: item[2].verify(item[0], item[1], padding.PKCS1v15(), hashes.SHA256()), texts)))
    def row(prefix: str, a: dict[str, Any]) -> inbox.NewRow:
        return inbox.NewRow(prefix + a["id"], a["actor"], a["type"], "{}", lane_of(a), ordering_key(a))

    print(describe("storage.inbox.store(): INSERT + COMMIT (synchronous=FULL)", timed(
        lambda a: inbox.store(db, row("x", a), iso(datetime.now(UTC))), activities)))

    def group_commit(group: list[dict[str, Any]]) -> None:
        inbox.store_many(db, [row("y", a) for a in group], iso(datetime.now(UTC)))

    groups = [activities[n:n + GROUP] for n in range(0, len(activities) - GROUP + 1, GROUP)]
    per_row = [t / GROUP for t in timed(group_commit, groups)]
    print(describe(f"  the same, {GROUP} INSERTs in one transaction (group commit), per row", per_row))
    print(describe("Inbox.accept(...): the whole receive path, one request at a time",
                   await timed_async(lambda p: box.accept("POST", "/inbox", {k.decode("latin-1").lower(): v.decode(
                       "latin-1") for k, v in p.headers}, p.body), parts["receive"])))
    print(describe("the whole request through the app (middleware, router, 202)",
                   await timed_async(lambda p: p.through(app), parts["app"])))
    db.writer.execute("PRAGMA synchronous=NORMAL")
    print(describe("  the same, writer at synchronous=NORMAL (no fsync per commit)",
                   await timed_async(lambda p: p.through(app), parts["app NORMAL"])))
    db.writer.execute("PRAGMA synchronous=FULL")
    await routes_first(app, parts["routes first"])


async def worker_split(box: Inbox, app: Starlette, parts: dict[str, list[Post]], federated: Federated) -> None:
    """The worker on a backlog, as it is and with the writer at synchronous=NORMAL."""
    db = box.db
    worker = InboxWorker(db, federated.process)
    while await worker.run_once():  # the backlog of the split above and the warm-up
        pass
    for post in parts["worker"]:
        await post.through(app)
    third = db.scalar("SELECT count(*) FROM inbox WHERE state = 'pending'") // 3

    async def drain(limit: int) -> tuple[float, int]:
        began, done = time.perf_counter(), 0
        while done < limit:
            count = await worker.run_once()
            if not count:
                break
            done += count
        return (time.perf_counter() - began) / max(done, 1), done

    full, done_full = await drain(third)
    db.writer.execute("PRAGMA synchronous=NORMAL")
    normal, done_normal = await drain(third * 2)
    db.writer.execute("PRAGMA synchronous=FULL")
    made = db.scalar("SELECT count(*) FROM posts WHERE uri IS NOT NULL")
    print(f"\nInbox worker (InboxWorker.run_once -> Federated.process; {made} posts made from "
          f"{db.scalar('SELECT count(*) FROM inbox')} activities), per activity (µs):"
          f"\n  as it is (a batch's marks in one COMMIT, synchronous=FULL) {full * 1e6:7.1f} ({done_full} activities)"
          f"\n  the same with synchronous=NORMAL (patched)                 {normal * 1e6:7.1f} ({done_normal})")


async def framework_split(app: Starlette, stub: list[Post]) -> None:
    """The app's own cost: middleware and router around a handler that answers 202 at once."""

    class Bare:
        async def accept(self, method: str, target: str, headers: object, body: bytes) -> None:
            return None

        async def receive(self, request: Request) -> Response:
            return Response(status_code=202)

    class Runtime:
        inbox = Bare()

    node = app.state.node
    real, node.federation = node.federation, Runtime()
    try:
        print("\nFramework, per request, the inbox handler replaced by a bare 202 (µs):")
        print(describe("the app: middleware + router + handler", await timed_async(lambda p: p.through(app), stub)))
        bare = Starlette(routes=[Route("/inbox", Bare().receive, methods=["POST"])])
        print(describe("  a bare Starlette app with only this route (the reference's floor)",
                       await timed_async(lambda p: p.through(bare), stub)))
        scope = stub[0].scope()
        tried = next(n for n, route in enumerate(app.router.routes, 1) if route.matches(scope)[0] == Match.FULL)

        def lookup(_: object) -> None:
            for route in app.router.routes:
                if route.matches(scope)[0] == Match.FULL:
                    return

        print(describe(f"  the router alone: {tried} routes tried before POST /inbox matches",
                       timed(lookup, stub)))
    finally:
        node.federation = real


async def routes_first(app: Starlette, posts: list[Post]) -> None:
    """The whole request with the four inbox routes moved to the front of the route table (in this process)."""
    table = app.router.routes
    inboxes = [r for r in table if isinstance(r, Route) and r.path.endswith("/inbox")]
    app.router.routes = inboxes + [r for r in table if r not in inboxes]
    try:
        print(describe("the whole request, inbox routes first in the table (patched)",
                       await timed_async(lambda p: p.through(app), posts)))
    finally:
        app.router.routes = table


async def profile(config_path: Path, count: int) -> None:
    app = create_app(load(config_path))
    node = app.state.node
    senders = make_senders(ACTOR_ORIGIN, 5)
    for sender in senders:
        actors.put(node.db, actor_record(sender.document, iso(datetime.now(UTC))))
    parts = batches(senders, count)
    remote = RemoteActors(node.db, fetcher=None)  # type: ignore[arg-type]  (cache hits only: never fetches)
    box = Inbox(node.db, FederationPolicy.from_config(node.config), remote, lambda: None)

    class Runtime:  # what the app and the services use of node.federation here
        inbox = box
        policy = box.policy

    node.federation = Runtime()
    for post in parts["warm-up"]:  # warm: the key cache, the statement cache
        status = await post.through(app)
        if status != 202:
            raise RuntimeError(f"the warm-up answered {status}")
    await receive_split(box, app, parts)
    await worker_split(box, app, parts, Federated(node, remote, None))  # type: ignore[arg-type]
    await framework_split(app, parts["stub"])

    profiler = cProfile.Profile()
    batch = parts["profile"]
    profiler.enable()
    for post in batch:
        await post.through(app)
    profiler.disable()
    top(profiler, "receive path through the app", len(batch))
    profiler = cProfile.Profile()
    worker = InboxWorker(node.db, Federated(node, remote, None).process)  # type: ignore[arg-type]
    profiler.enable()
    while await worker.run_once():
        pass
    profiler.disable()
    top(profiler, "inbox worker", len(batch))
    check_all_processed(node.db)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile the inbox receive path and worker in-process.")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args(argv)

    def work(workdir: Path) -> None:
        asyncio.run(profile(setup(workdir), args.requests))
    return run_in_scratch("meent-profile-inbox-", work)


if __name__ == "__main__":
    sys.exit(main())
