"""HTTP/1.1 load generator: N keep-alive clients GET one path for a bounded time; JSON on stdout.

Runs as its own process (bench/pages.py starts it), so the server and the load compete only for
cores, not for one event loop. Plain asyncio and raw sockets: no dependencies.

    python bench/load.py --port 8000 --path / --clients 20 --warmup 2 --duration 10

Every answer must be a complete `200` HTML page; anything else (another status, a cut-off body,
a reset connection, a time-out) counts as an error. Each client keeps its connection open and
sends back the session cookie it was given (or --cookie, to start signed in), as a browser would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

READ_LIMIT = 1 << 20


class BadAnswer(Exception):
    """The server answered, but not with a complete 200 page."""


@dataclass
class Tally:
    """Shared by all clients: the measuring window and what happened in it."""

    recording: bool = False
    stop: bool = False
    started: float = 0.0
    ended: float = 0.0
    max_requests: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    bytes_read: int = 0
    warmup_requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)


def _request(host: str, port: int, path: str, cookie: str) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: meent-bench",
        "Accept: text/html",
        "Accept-Language: nl",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected: the final empty line
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    raise BadAnswer("neither Content-Length nor chunked encoding")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], list[str], bytes]:
    """One request on an open connection: status, headers (lower-case), Set-Cookie values, body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BadAnswer(f"bad status line {status_line!r}")
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for line in header_lines:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        headers[name] = value
    body = await _read_body(reader, headers)
    return int(parts[1]), headers, cookies, body


async def _client(host: str, port: int, path: str, timeout: float, tally: Tally, cookie: str = "") -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while not tally.stop:
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(host, port, limit=READ_LIMIT), timeout
                    )
                began = time.perf_counter_ns()
                recording = tally.recording
                status, headers, cookies, body = await asyncio.wait_for(
                    _exchange(reader, writer, _request(host, port, path, cookie)), timeout
                )
                took = time.perf_counter_ns() - began
                for value in cookies:
                    cookie = value.split(";", 1)[0]  # the node sets one cookie: its session
                if status != 200:
                    raise BadAnswer(f"status {status}")
                if not body.rstrip().endswith(b"</html>"):
                    raise BadAnswer(f"incomplete page ({len(body)} bytes)")
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader = writer = None
            except (BadAnswer, OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError) as error:
                if not tally.stop:
                    tally.error(f"{type(error).__name__}: {error}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)  # do not spin against a server that refuses
                continue
            if not recording:
                tally.warmup_requests += 1
            elif tally.recording and not tally.stop:
                tally.latencies_ns.append(took)
                tally.bytes_read += len(body)
                if len(tally.latencies_ns) >= tally.max_requests:
                    tally.stop = True
                    tally.ended = time.perf_counter()
    finally:
        if writer is not None:
            writer.close()


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(round(len(sorted_values) * fraction, 6)))  # round: 0.95 * 1000 is 950.0000000000001
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(tally: Tally, clients: int, path: str) -> dict[str, Any]:
    window = max(tally.ended - tally.started, 1e-9)
    done = sorted(tally.latencies_ns)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ms = 1e6
    return {
        "path": path,
        "clients": clients,
        "warmup_requests": tally.warmup_requests,
        "requests": len(done),
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "seconds": round(window, 3),
        "requests_per_s": len(done) / window,
        "p50_ms": percentile(done, 0.50) / ms,
        "p95_ms": percentile(done, 0.95) / ms,
        "p99_ms": percentile(done, 0.99) / ms,
        "max_ms": (done[-1] if done else 0) / ms,
        "mean_ms": (sum(done) / len(done) if done else 0) / ms,
        "bytes_per_answer": tally.bytes_read // len(done) if done else 0,
        "loadgen_cpu_s": usage.ru_utime + usage.ru_stime,
    }


async def run(host: str, port: int, path: str, clients: int, warmup: float, duration: float,
              max_requests: int, timeout: float, cookie: str = "") -> dict[str, Any]:
    tally = Tally(max_requests=max_requests)
    tasks = [asyncio.create_task(_client(host, port, path, timeout, tally, cookie)) for _ in range(clients)]
    try:
        await asyncio.sleep(warmup)
        tally.recording = True
        tally.started = time.perf_counter()
        deadline = tally.started + duration
        while not tally.stop and time.perf_counter() < deadline:
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.perf_counter())))
        if not tally.stop:
            tally.stop = True
            tally.ended = time.perf_counter()
        # Let requests in flight finish (they are not counted) so the server is not left mid-answer.
        await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return summarise(tally, clients, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured at most")
    parser.add_argument("--max-requests", type=int, default=50_000, help="requests measured at most")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take")
    parser.add_argument("--cookie", default="", help="a Cookie header to start with (a signed-in member's session)")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("only a loopback host is allowed")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = asyncio.run(run(args.host, args.port, args.path, args.clients, args.warmup, args.duration,
                                 args.max_requests, args.timeout, args.cookie))
    except KeyboardInterrupt:
        return 130
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
