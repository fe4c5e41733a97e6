"""Inbox load generator: N keep-alive senders POST pre-signed activities to one server after another; JSON out.

Runs as its own process (bench/inbox.py starts it) on uvloop, so that sending costs as little CPU as
it can. The requests come ready-made from a file (bench/inbox_traffic.py: signed before, never here)
and each is sent once, to one server, in file order, by whichever sender is free: every server sees
only activities it has not seen before.

    python bench/inbox_load.py --requests requests.bin --target node=8000:1234 --target reference=8001:1240 \\
        --clients 20 --warmup 2 --rounds 10 --phase 1

Prints `ready` when the file is read and sending begins, then, at the end, one line of JSON.

Schedule: first an unmeasured warm-up of --warmup seconds per target (for a node, the first contact:
its key fetches), then --rounds rounds in which each target gets a measured phase of --phase seconds,
in ABBA order (A B, B A, A B, ...) so that a machine that gets busier or quieter during the run weighs
on both alike. A phase opens its --clients connections first, then sends; at its end the requests in
flight are waited for (up to --timeout: counted as 202s, not measured), so `answered_202` counts every
202 a target gave, warm-up included: the bench compares it with the rows the target stored. Every
answer must be `202`; anything else (another status, a reset connection, a time-out) is an error.

Each measured phase's bounds are also given as Unix time (`windows`), and the moment the last answer
came (`ended_at`), so that the bench can count afterwards what a node's inbox worker finished within
them (the node stamps its rows with the same clock).

With --freeze, the targets not in a phase are stopped (SIGSTOP) for it and go on (SIGCONT) for their
own: a node's inbox worker then cannot catch up while another server is measured, nor take CPU from it,
so each server is measured alone and a node's backlog is what sustained load leaves. All targets go on
when the run ends, however it ends.

Per target it also reads, at every phase boundary, the server process's CPU time, the time its main
thread waited for a core (/proc/PID/schedstat) and the bytes it wrote to disk (/proc/PID/io), for its
own phases, and its CPU time during the other targets' phases (an inbox worker catching up, say).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inbox_traffic import read_requests  # noqa: E402  (after the path is set)
from bench.load import percentile  # noqa: E402
from bench.pages import cpu_seconds, runqueue_seconds  # noqa: E402

READ_LIMIT = 1 << 16


class BadAnswer(Exception):
    """The server answered, but not 202."""


@dataclass
class Target:
    """One server under load, and what happened to it over all its phases."""

    name: str
    port: int
    pid: int
    latencies_ns: list[int] = field(default_factory=list)
    phase_rates: list[float] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)  # measured phases, Unix time
    measured_s: float = 0.0
    active_s: float = 0.0  # its phases, warm-up included
    warmup_requests: int = 0
    after_window: int = 0
    answered_202: int = 0
    unanswered: int = 0  # sent, but no answer came: stored or not, nobody knows
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    waited_s: float = 0.0
    written: int = 0
    idle_cpu_s: float = 0.0  # CPU time during the other targets' phases
    loadgen_cpu_s: float = 0.0

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)


@dataclass
class Pool:
    requests: list[bytes]
    next_request: int = 0
    ran_out: bool = False

    def take(self) -> bytes | None:
        if self.next_request >= len(self.requests):
            self.ran_out = True
            return None
        request = self.requests[self.next_request]
        self.next_request += 1
        return request


@dataclass
class Phase:
    target: Target
    measured: bool
    stop: bool = False
    latencies_ns: list[int] = field(default_factory=list)
    done: int = 0


def written_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 ") or not head[9:12].isdigit():
        raise BadAnswer(f"bad status line {head[:40]!r}")
    length = 0
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at >= 0:
        length = int(lowered[at + 17:lowered.index(b"\r\n", at + 2)])
    elif b"\r\ntransfer-encoding:" in lowered:
        raise BadAnswer("chunked answer: not expected from an inbox")
    body = await reader.readexactly(length) if length else b""
    return int(head[9:12]), body


async def _connect(port: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    try:
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, limit=READ_LIMIT), timeout)
    except (OSError, TimeoutError):
        return None


async def _client(phase: Phase, pool: Pool, timeout: float,
                  connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    target = phase.target
    reader, writer = connection if connection is not None else (None, None)
    try:
        while not phase.stop:
            request = pool.take()
            if request is None:
                phase.stop = True
                return
            sent = False
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", target.port, limit=READ_LIMIT), timeout)
                began = time.perf_counter_ns()
                sent = True
                status, body = await asyncio.wait_for(_exchange(reader, writer, request), timeout)
                took = time.perf_counter_ns() - began
            except (BadAnswer, OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError) as error:
                target.unanswered += sent
                target.error(f"{type(error).__name__}: {error}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)  # do not spin against a server that refuses
                continue
            target.statuses[str(status)] = target.statuses.get(str(status), 0) + 1
            if status != 202:
                target.error(f"status {status}: {body[:200].decode('utf-8', 'replace')}")
                continue
            target.answered_202 += 1
            if not phase.measured:
                target.warmup_requests += 1
            elif phase.stop:
                target.after_window += 1
            else:
                phase.latencies_ns.append(took)
    finally:
        if writer is not None:
            writer.close()


async def run_phase(phase: Phase, targets: list[Target], pool: Pool, clients: int, seconds: float,
                    timeout: float) -> None:
    target = phase.target
    connections = await asyncio.gather(*[_connect(target.port, timeout) for _ in range(clients)])
    before = {t.name: (cpu_seconds(t.pid), runqueue_seconds(t.pid), written_bytes(t.pid)) for t in targets}
    load_before = self_cpu()
    began, wall_began = time.perf_counter(), time.time()
    tasks = [asyncio.create_task(_client(phase, pool, timeout, connection)) for connection in connections]
    try:
        deadline = began + seconds
        while not phase.stop and time.perf_counter() < deadline:
            await asyncio.sleep(min(0.02, max(0.0, deadline - time.perf_counter())))
        phase.stop = True
        ended, wall_ended = time.perf_counter(), time.time()
        await asyncio.wait(tasks, timeout=timeout + 1)  # requests in flight finish: every answer is known
    finally:
        for task in tasks:
            if not task.done():
                target.unanswered += 1
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    settled = time.perf_counter()
    for other in targets:
        cpu, waited, written = before[other.name]
        if other is target:
            other.cpu_s += cpu_seconds(other.pid) - cpu
            other.waited_s += runqueue_seconds(other.pid) - waited
            other.written += written_bytes(other.pid) - written
        else:
            other.idle_cpu_s += cpu_seconds(other.pid) - cpu
    target.loadgen_cpu_s += self_cpu() - load_before
    target.active_s += settled - began
    if phase.measured:
        target.measured_s += ended - began
        target.latencies_ns += phase.latencies_ns
        target.phase_rates.append(len(phase.latencies_ns) / max(ended - began, 1e-9))
        target.windows.append((wall_began, wall_ended))


def summary(target: Target) -> dict[str, Any]:
    done = sorted(target.latencies_ns)
    ms = 1e6
    active = max(target.active_s, 1e-9)
    return {
        "port": target.port,
        "warmup_requests": target.warmup_requests,
        "requests": len(done),
        "after_window": target.after_window,
        "answered_202": target.answered_202,
        "unanswered": target.unanswered,
        "errors": target.errors,
        "statuses": target.statuses,
        "error_samples": target.error_samples,
        "seconds": round(target.measured_s, 3),
        "requests_per_s": len(done) / max(target.measured_s, 1e-9),
        "phase_rates": [round(rate) for rate in target.phase_rates],
        "windows": target.windows,
        "p50_ms": percentile(done, 0.50) / ms,
        "p95_ms": percentile(done, 0.95) / ms,
        "p99_ms": percentile(done, 0.99) / ms,
        "max_ms": (done[-1] if done else 0) / ms,
        "mean_ms": (sum(done) / len(done) if done else 0) / ms,
        "active_s": round(target.active_s, 3),
        "server_cpu_percent": 100 * target.cpu_s / active,
        "server_wait_percent": 100 * target.waited_s / active,
        "load_cpu_percent": 100 * target.loadgen_cpu_s / active,
        "written_bytes": target.written,
        "idle_cpu_s": round(target.idle_cpu_s, 3),
    }


def schedule(targets: list[Target], warmup: float, rounds: int, phase: float) -> list[tuple[Target, bool, float]]:
    """(target, measured, seconds): warm-ups first, then the rounds in ABBA order."""
    plan = [(t, False, warmup) for t in targets if warmup > 0]
    for number in range(rounds):
        order = targets if number % 2 == 0 else targets[::-1]
        plan += [(t, True, phase) for t in order]
    return plan


def hold(targets: list[Target], running: Target | None) -> None:
    """SIGSTOP every target but `running` (SIGCONT that one; None: all go on)."""
    for target in targets:
        try:
            os.kill(target.pid, signal.SIGCONT if running is None or target is running else signal.SIGSTOP)
        except ProcessLookupError:
            pass  # it exited: the bench notices


async def run(targets: list[Target], pool: Pool, clients: int, warmup: float, rounds: int, phase: float,
              timeout: float, freeze: bool = False) -> dict[str, Any]:
    try:
        for target, measured, seconds in schedule(targets, warmup, rounds, phase):
            if freeze:
                hold(targets, target)
            await run_phase(Phase(target, measured), targets, pool, clients, seconds, timeout)
    finally:
        if freeze:
            hold(targets, None)
    ended_at = time.time()  # the load stops: every answer is in
    return {
        "ended_at": ended_at, "freeze": freeze,
        "clients": clients, "pool": len(pool.requests), "sent": pool.next_request, "ran_out": pool.ran_out,
        "schedule": [f"{t.name}{'' if measured else ' warm-up'} {seconds:g} s"
                     for t, measured, seconds in schedule(targets, warmup, rounds, phase)],
        "targets": {t.name: summary(t) for t in targets},
    }


def parse_target(value: str) -> Target:
    name, _, address = value.partition("=")
    port, _, pid = address.partition(":")
    if not name or not port.isdigit() or not pid.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT:PID, got {value!r}")
    return Target(name=name, port=int(port), pid=int(pid))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=Path, required=True, help="file of pre-signed requests")
    parser.add_argument("--target", type=parse_target, action="append", required=True,
                        help="NAME=PORT:PID of a server on 127.0.0.1 (repeat; the order is A, B, ...)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per target, first")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--phase", type=float, default=1.0, help="measured seconds per target per round")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take")
    parser.add_argument("--freeze", action="store_true",
                        help="SIGSTOP the other targets during each phase (a node's worker cannot catch up then)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pool = Pool(read_requests(args.requests))
    print("ready", flush=True)
    try:
        result = uvloop.run(run(args.target, pool, args.clients, args.warmup, args.rounds, args.phase,
                                args.timeout, args.freeze))
    except KeyboardInterrupt:
        return 130
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
