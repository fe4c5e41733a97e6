"""Inbox traffic at a steady, bounded rate: pre-signed activities POSTed one after another; JSON out.

bench/pages.py runs this beside a page load, so that remote replies land while pages are measured,
as in real use (each stored reply is a commit, so the visitors' caches keyed on db.version() are
missed). The requests come ready-made from a file (bench/inbox_traffic.py); this process only sends,
on a few keep-alive connections, --rate a second, until the file is used up, --duration has passed or
SIGTERM comes. Every answer must be 202; anything else counts as an error.

    python bench/inbox_steady.py --requests requests.bin --port 8000 --rate 10 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inbox_traffic import read_requests  # noqa: E402  (after the path is set)
from bench.load import BadAnswer, _exchange  # noqa: E402

READ_LIMIT = 1 << 16


class Tally:
    def __init__(self) -> None:
        self.accepted = 0
        self.errors = 0
        self.samples: list[str] = []


async def _sender(port: int, requests: list[tuple[float, bytes]], stop: asyncio.Event, timeout: float,
                  tally: Tally) -> None:
    """One keep-alive connection sending its share of the requests, each at its due time."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        for due, request in requests:
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, due - time.perf_counter()))
                return  # told to stop
            except TimeoutError:
                pass
            try:
                if reader is None or writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=READ_LIMIT)
                status, headers, _, _ = await asyncio.wait_for(_exchange(reader, writer, request), timeout)
                if status != 202:
                    raise BadAnswer(f"status {status}")
                tally.accepted += 1
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader = writer = None
            except (BadAnswer, OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                tally.errors += 1
                if len(tally.samples) < 5:
                    tally.samples.append(f"{type(error).__name__}: {error}")
                if writer is not None:
                    writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def send(port: int, requests: list[bytes], rate: float, duration: float, timeout: float,
               connections: int) -> dict[str, Any]:
    """The requests at `rate` a second over `connections` connections (one slow answer does not hold
    the next back), for `duration` seconds at most."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    began = time.perf_counter()
    timed = [(began + number / rate, request) for number, request in enumerate(requests) if number / rate < duration]
    tally = Tally()
    lanes = [timed[lane::connections] for lane in range(connections)]
    await asyncio.gather(*(_sender(port, share, stop, timeout, tally) for share in lanes))
    took = time.perf_counter() - began
    return {"accepted": tally.accepted, "errors": tally.errors, "error_samples": tally.samples,
            "seconds": round(took, 3), "per_s": tally.accepted / max(took, 1e-9)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=10.0, help="activities a second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds at most")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    result = asyncio.run(send(args.port, read_requests(args.requests), args.rate, args.duration, args.timeout,
                              args.connections))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
