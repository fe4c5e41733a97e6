"""Delivery benchmark: how long one post takes to reach every follower's inbox, signed and verified.

    cd /work/main && .venv/bin/python bench/delivery.py [--runs 3] [--loop uvloop|asyncio]
                                                        [--concurrency N] [--per-host N]

(a) 10,000 followers on 500 servers that have shared inboxes: federation.audience.collapse makes
    that 500 POSTs, one per server.
(b) 2,000 followers on 100 servers without shared inboxes: 2,000 POSTs, 20 per server.

Receivers: bench/receivers.py in another process, 500 ports on 127.0.0.1 ((b) uses the first 100),
verifying EVERY signature with the public key it is given; the bench asserts all were valid and
every inbox was reached exactly once. Sender: this process, as the node does it: the activity
and its rows in one transaction (storage.deliveries.enqueue, SQLite file with synchronous=FULL),
then DeliveryWorker.run_once() with its defaults (32 at once, 4 per server), on a new aiohttp
session per run (cold connections). Each case runs --runs times with a new activity; the median
counts. A run's time is from the transaction's start until run_once() returns (all answered). Per
run it also prints the CPU time of both processes and the loop lag (how late a 2 ms timer fires
while the worker runs: what a page request would wait). Beside it all: the raw RSA-2048 signing
rate (PKCS1v15 SHA-256, `cryptography`) in this process, before and after the cases.

Target: (b) deliveries/s >= 0.5 x signing rate. Exit status: 0 target met, 1 missed, 2 could not
run (or a delivery failed or did not verify), 130 interrupted. The receiver process and the
temporary folder are removed in every case.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import resource
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402  (after the path is set)
import cryptography  # noqa: E402
import orjson  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

from bench.pages import cpu_model, cpu_seconds, filesystem_of  # noqa: E402
from federation.audience import collapse  # noqa: E402
from federation.delivery import DeliveryWorker, UnknownSigner, iso  # noqa: E402
from storage import deliveries  # noqa: E402
from storage.db import Database  # noqa: E402

HOST = "127.0.0.1"
BENCH = Path(__file__).resolve().parent
SERVERS_A, FOLLOWERS_A = 500, 10_000
SERVERS_B, FOLLOWERS_B = 100, 2_000
RATIO_TARGET = 0.5
KEY_ID = "http://meent.test/groups/open-overheid#main-key"
OWNER = "group:open-overheid"
START_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 40.0
BUDGET_S = 110.0  # the whole bench stays under 2 minutes
SIGN_SAMPLE_S = 0.3


class BenchError(Exception):
    """The benchmark cannot go on, or a delivery went wrong; the message says why."""


# --- the receiver process -------------------------------------------------------------------------


class Receivers:
    """bench/receivers.py as a child process; it exits by itself when our end of its stdin closes."""

    def __init__(self, workdir: Path, ports: int, public_pem: str) -> None:
        key_file = workdir / "public.pem"
        key_file.write_text(public_pem)
        self.log = workdir / "receivers.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(BENCH / "receivers.py"), "--ports", str(ports), "--public-key", str(key_file),
                 "--key-id", KEY_ID],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            )
        self.ports = self._read_ports()

    def _read_ports(self) -> list[int]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_S)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            raise BenchError(f"the receivers did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
        ports = [int(port) for port in json.loads(line)["ports"]]
        return ports

    def stats(self, reset: bool = True) -> dict[str, Any]:
        conn = http.client.HTTPConnection(HOST, self.ports[0], timeout=10)
        try:
            conn.request("GET", "/_stats?reset=1" if reset else "/_stats")
            answer: dict[str, Any] = json.loads(conn.getresponse().read())
            return answer
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


# --- measuring ------------------------------------------------------------------------------------


def signing_rate(key: rsa.RSAPrivateKey, seconds: float = SIGN_SAMPLE_S) -> float:
    """RSA-2048 PKCS1v15 SHA-256 signatures per second over a signing string of a typical POST."""
    text = (b"(request-target): post /users/f123/inbox\nhost: 127.0.0.1:40000\ndate: Mon, 02 Mar 2026 09:30:00 GMT\n"
            b"digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ncontent-type: application/activity+json")
    count, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        key.sign(text, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count / elapsed


def activity(number: int) -> str:
    """A Create of a topic as a group sends it, about 1.5 kB."""
    base = "http://meent.test"
    note = {
        "id": f"{base}/groups/open-overheid/topics/{number}", "type": "Article", "name": f"Onderwerp {number}",
        "summary": "Hoe publiceren we besluiten zo dat iedereen ze vindt en kan lezen?",
        "content": "<p>" + "Open overheid begint bij vindbare informatie. " * 20 + "</p>",
        "attributedTo": f"{base}/users/anne", "audience": f"{base}/groups/open-overheid",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{base}/groups/open-overheid/followers"],
        "published": "2026-03-02T09:30:00Z",
    }
    return orjson.dumps({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{base}/activities/{number}", "type": "Create",
        "actor": f"{base}/users/anne", "object": note, "to": note["to"], "cc": note["cc"],
    }).decode()


@dataclass
class Run:
    case: str
    number: int
    posts: int
    enqueue_s: float
    total_s: float
    sender_cpu_s: float
    receiver_cpu_s: float
    lag_max_ms: float
    lag_p99_ms: float

    @property
    def per_second(self) -> float:
        return self.posts / self.total_s


async def watch_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late a 2 ms sleep wakes up: the longest the loop was held (by signing, among others)."""
    interval = 0.002
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(interval)
        lags.append(time.perf_counter() - began - interval)


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_post(db: Database, receivers: Receivers, key: rsa.RSAPrivateKey, case: str, number: int,
                   inboxes: list[str], options: dict[str, int]) -> Run:
    def signer(owner: str) -> tuple[str, rsa.RSAPrivateKey]:
        if owner != OWNER:
            raise UnknownSigner(owner)
        return KEY_ID, key

    body, uri = activity(number), f"http://meent.test/activities/{number}"
    lags: list[float] = []
    stop = asyncio.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        worker = DeliveryWorker(db, session, signer, **options)
        cpu, receiver_cpu = self_cpu(), cpu_seconds(receivers.process.pid)
        began = time.perf_counter()
        # What the post's own request does (synchronously, in the caller's transaction) ...
        with db.transaction():
            db.execute("INSERT INTO activities (uri, type, actor, object, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (uri, "Create", "http://meent.test/users/anne", None, body, iso(datetime.now(UTC))))
            deliveries.enqueue(db, activity_uri=uri, signer=OWNER, inboxes=inboxes,
                               now=iso(datetime.now(UTC)))
        queued = time.perf_counter()
        # ... then the worker; the lag watcher measures the loop while only the worker holds it.
        watcher = asyncio.create_task(watch_lag(lags, stop))
        posts = await asyncio.wait_for(worker.run_once(), timeout=RUN_TIMEOUT_S)
        ended = time.perf_counter()
        cpu, receiver_cpu = self_cpu() - cpu, cpu_seconds(receivers.process.pid) - receiver_cpu
        stop.set()
        await watcher
    check(db, receivers, uri, inboxes, posts)
    lags.sort()
    return Run(case, number, posts, queued - began, ended - began, cpu, receiver_cpu, 1000 * lags[-1],
               1000 * lags[int(0.99 * (len(lags) - 1))])


def check(db: Database, receivers: Receivers, uri: str, inboxes: list[str], posts: int) -> None:
    states = dict(db.all("SELECT state, count(*) FROM deliveries WHERE activity_uri = ? GROUP BY state", (uri,)))
    stats = receivers.stats(reset=True)
    expected = len(inboxes)
    if posts != expected or states != {"done": expected}:
        errors = db.all("SELECT error, count(*) FROM deliveries WHERE activity_uri = ? AND state != 'done'"
                        " GROUP BY error LIMIT 5", (uri,))
        raise BenchError(f"{posts} POSTs for {expected} inboxes; rows {states}; errors {[tuple(e) for e in errors]}")
    if stats["invalid"] or stats["valid"] != expected or stats["distinct"] != expected:
        raise BenchError(f"receivers counted {stats} for {expected} inboxes")


# --- the bench ------------------------------------------------------------------------------------


def followers_a(ports: list[int]) -> list[dict[str, str | None]]:
    return [{"inbox": f"http://{HOST}:{ports[n % SERVERS_A]}/users/f{n}/inbox",
             "shared_inbox": f"http://{HOST}:{ports[n % SERVERS_A]}/inbox"} for n in range(FOLLOWERS_A)]


def followers_b(ports: list[int]) -> list[dict[str, str | None]]:
    return [{"inbox": f"http://{HOST}:{ports[n % SERVERS_B]}/users/f{n}/inbox", "shared_inbox": None}
            for n in range(FOLLOWERS_B)]


async def bench_cases(workdir: Path, receivers: Receivers, key: rsa.RSAPrivateKey, runs: int,
                      deadline: float, options: dict[str, int]) -> list[Run]:
    db = Database(workdir / "sender.db")
    db.migrate()
    cases = [("a", collapse(followers_a(receivers.ports))), ("b", collapse(followers_b(receivers.ports)))]
    results = []
    try:
        for case, inboxes in cases:
            for number in range(1, runs + 1):
                if time.perf_counter() > deadline:
                    raise BenchError("out of time budget; rerun with fewer --runs")
                run = await one_post(db, receivers, key, case, 100 * ord(case) + number, inboxes, options)
                results.append(run)
                print(f"  ({case}) run {number}: {run.posts} POSTs in {run.total_s:.3f} s = {run.per_second:,.0f}/s"
                      f"  (enqueue {1000 * run.enqueue_s:.0f} ms; CPU sender {run.sender_cpu_s:.2f} s,"
                      f" receivers {run.receiver_cpu_s:.2f} s; loop lag max {run.lag_max_ms:.1f} ms,"
                      f" p99 {run.lag_p99_ms:.1f} ms)", flush=True)
    finally:
        db.close()
    return results


def machine(workdir: Path, loop: str) -> list[str]:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    from cryptography.hazmat.backends.openssl.backend import backend

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"machine: nproc {affinity} (os.cpu_count {os.cpu_count()}), {cpu_model()}, load average {load}",
        f"python {platform.python_version()} ({platform.python_implementation()}), event loop {loop},"
        f" aiohttp {aiohttp.__version__}, cryptography {cryptography.__version__}"
        f" ({backend.openssl_version_text()}), SQLite {sqlite3.sqlite_version}"
        f" on {filesystem_of(workdir)} (synchronous=FULL)",
    ]


def report(runs: list[Run], rates: list[float]) -> tuple[list[str], bool]:
    rate = statistics.median(rates)
    lines = [f"raw RSA-2048 signing (PKCS1v15, SHA-256), this process: {rate:,.0f}/s median"
             f" of {len(rates)} samples ({min(rates):,.0f} to {max(rates):,.0f})", "",
             f"{'case':<52} {'POSTs':>6} {'time s':>7} {'deliv/s':>8} {'/ signing':>9}  target"]
    met = True
    for case, what in [("a", f"(a) {FOLLOWERS_A:,} followers, {SERVERS_A} servers, shared inboxes"),
                       ("b", f"(b) {FOLLOWERS_B:,} followers, {SERVERS_B} servers, no shared inbox")]:
        mine = [run for run in runs if run.case == case]
        best = statistics.median(run.total_s for run in mine)
        per_second = mine[0].posts / best
        ratio = per_second / rate
        target = ""
        if case == "b":
            ok = ratio >= RATIO_TARGET
            met = met and ok
            target = f">= {RATIO_TARGET}: {'met' if ok else 'MISSED'}"
        lines.append(f"{what:<52} {mine[0].posts:>6} {best:>7.3f} {per_second:>8,.0f} {ratio:>9.2f}  {target}")
    return lines, met


def run_loop(kind: str, main: Callable[[], Awaitable[list[Run]]]) -> list[Run]:
    """Run main() on the chosen loop; SIGTERM cancels it as Ctrl+C does, so its tasks end in order."""
    async def guarded() -> list[Run]:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await main()

    try:
        if kind == "uvloop":
            import uvloop

            return uvloop.run(guarded())
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGTERM, _terminate)  # closing the loop reset it to the default


def bench(workdir: Path, runs: int, loop: str, options: dict[str, int]) -> bool:
    deadline = time.perf_counter() + BUDGET_S
    for line in machine(workdir, loop):
        print(line, flush=True)
    print(f"worker: DeliveryWorker({', '.join(f'{k}={v}' for k, v in options.items()) or 'defaults'})", flush=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    receivers = Receivers(workdir, SERVERS_A, public_pem)
    try:
        print(f"receivers: pid {receivers.process.pid}, {len(receivers.ports)} ports on {HOST}", flush=True)
        rates = [signing_rate(key) for _ in range(3)]
        results = run_loop(loop, lambda: bench_cases(workdir, receivers, key, runs, deadline, options))
        rates += [signing_rate(key) for _ in range(2)]
    finally:
        receivers.stop()
    lines, met = report(results, rates)
    print("\n" + "\n".join(lines), flush=True)
    return met


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 6))
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="the node runs under uvicorn with uvloop")
    parser.add_argument("--concurrency", type=int, help="DeliveryWorker's limit (default its own)")
    parser.add_argument("--per-host", type=int, help="DeliveryWorker's per-server limit (default its own)")
    args = parser.parse_args()
    options = {name: value for name, value in [("concurrency", args.concurrency), ("per_host", args.per_host)]
               if value is not None}
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="meent-bench-delivery-"))
    try:
        met = bench(workdir, args.runs, args.loop, options)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, TimeoutError, aiohttp.ClientError) as error:
        print(f"bench: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
