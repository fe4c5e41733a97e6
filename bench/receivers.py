"""Many inbox servers in one process, for bench/delivery.py: every POST's signature is verified.

    python bench/receivers.py --ports 500 --public-key key.pem --key-id https://.../groups/x#main-key

Binds `--ports` listening sockets on 127.0.0.1 (ports chosen by the system), one aiohttp site each,
and prints {"ports": [...]} as one line on stdout when all listen. Every POST to any path is checked
with federation.signatures.verify (RSA on `cryptography`, Digest, Date, the signed Host) against the
one public key it was given and answered 202, or 401 when it does not verify. `GET /_stats` on any
port gives the counts as JSON; `?reset=1` also zeroes them. The process ends when its stdin closes
(the bench ended or died) or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from federation.keys import PublicKey, load_public  # noqa: E402  (after the path is set)
from federation.signatures import SignatureError, key_id_of, verify  # noqa: E402


class Tally:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.valid = 0
        self.invalid = 0
        self.inboxes: set[tuple[str, str]] = set()  # (host, path) that received a valid POST
        self.samples: list[str] = []

    def as_json(self) -> dict[str, object]:
        return {"valid": self.valid, "invalid": self.invalid, "distinct": len(self.inboxes), "samples": self.samples}


def make_app(public_key: PublicKey, key_id: str, tally: Tally) -> web.Application:
    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            if key_id_of(request.headers) != key_id:
                raise SignatureError("unknown keyId")
            verify("POST", request.raw_path, request.headers, body, public_key, datetime.now(UTC))
        except SignatureError as error:
            tally.invalid += 1
            if len(tally.samples) < 5:
                tally.samples.append(f"{request.host}{request.raw_path}: {error}")
            return web.Response(status=401)
        tally.valid += 1
        tally.inboxes.add((request.host, request.raw_path))
        return web.Response(status=202)

    async def stats(request: web.Request) -> web.Response:
        answer = web.json_response(tally.as_json())
        if request.query.get("reset"):
            tally.reset()
        return answer

    app = web.Application(client_max_size=1 << 20)
    app.router.add_get("/_stats", stats)
    app.router.add_post("/{tail:.*}", inbox)
    return app


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wait_for_eof(loop: asyncio.AbstractEventLoop, done: asyncio.Event) -> None:
    sys.stdin.buffer.read()
    loop.call_soon_threadsafe(done.set)


async def serve(ports: int, public_key: PublicKey, key_id: str) -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, done.set)
    runner = web.AppRunner(make_app(public_key, key_id, Tally()), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        for _ in range(ports):
            await web.TCPSite(runner, "127.0.0.1", 0, backlog=512).start()
        bound = [address[1] for address in runner.addresses]
        print(json.dumps({"ports": bound}), flush=True)
        # stdin reaches EOF when the bench closes it or dies: never outlive it. A daemon thread, so
        # a signal can end the process while the read still blocks.
        threading.Thread(target=_wait_for_eof, args=(loop, done), daemon=True).start()
        await done.wait()
    finally:
        await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ports", type=int, required=True)
    parser.add_argument("--public-key", type=Path, required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    if not 1 <= args.ports <= 5000:
        parser.error("--ports must be 1 to 5000")
    raise_file_limit()
    public_key = load_public(args.public_key.read_text())
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve(args.ports, public_key, args.key_id))
    else:
        asyncio.run(serve(args.ports, public_key, args.key_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
