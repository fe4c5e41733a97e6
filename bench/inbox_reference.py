"""The reference for bench/inbox.py: the least an inbox must do, as a bare Starlette endpoint.

    python bench/inbox_reference.py --port 8000 --db reference.db --keys keys.json

`POST /inbox`: read the body, parse the JSON (orjson, as Meent does), verify the one HTTP signature with
`cryptography` (RSA PKCS1v15 SHA-256 over the signing string of the headers the Signature header names,
the key looked up by keyId in a table given at start: no fetching, no cache), insert one row into SQLite
and answer 202. The table is Meent's `inbox` table (same columns and indexes); the database is opened as
Meent opens it: WAL, synchronous=FULL, autocommit, so every answered activity is on disk first, as in
our inbox. Not done here (Meent does it): Digest and Date checks, origin and policy checks, dedupe.
Served as `meent serve` serves: uvicorn, uvloop, httptools, no access log, 127.0.0.1. `GET /` answers
200, for the bench to see it is up. `Reference` below is the bench's handle on this script as a process.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import START_TIMEOUT_S, STOP_TIMEOUT_S, BenchError, get  # noqa: E402  (after the path is set)

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    activity_id TEXT NOT NULL UNIQUE,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(processed_at, id);
"""
PARAM = re.compile(r'([a-zA-Z]+)="([^"]*)"')


def open_db(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    return conn


def create_app(conn: sqlite3.Connection, keys: dict[str, rsa.RSAPublicKey]) -> Starlette:
    async def inbox(request: Request) -> Response:
        body = await request.body()
        try:
            activity = orjson.loads(body)
            params = dict(PARAM.findall(request.headers["signature"]))
            key = keys[params["keyId"]]
            signature = base64.b64decode(params["signature"])
            lines = []
            for name in params.get("headers", "date").split():
                if name == "(request-target)":
                    lines.append(f"(request-target): post {request.scope['path']}")
                else:
                    lines.append(f"{name}: {request.headers[name]}")
            key.verify(signature, "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
        except (orjson.JSONDecodeError, KeyError, ValueError, InvalidSignature):
            return Response(status_code=401)
        conn.execute(
            "INSERT INTO inbox (activity_id, actor, type, body, received_at) VALUES (?, ?, ?, ?, ?)",
            (activity["id"], activity["actor"], activity["type"], body.decode(),
             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        )
        return Response(status_code=202)

    async def ready(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"]), Route("/", ready)])


def load_keys(path: Path) -> dict[str, rsa.RSAPublicKey]:
    keys = {}
    for key_id, pem in json.loads(path.read_text()).items():
        key = serialization.load_pem_public_key(pem.encode("ascii"))
        assert isinstance(key, rsa.RSAPublicKey)
        keys[key_id] = key
    return keys


@dataclass
class Reference:
    """This script as a subprocess, for bench/inbox.py."""

    port: int
    db_path: Path
    keys_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--port", str(self.port), "--db", str(self.db_path),
                 "--keys", str(self.keys_path)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.perf_counter() + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the reference exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if get(self.port, "/", timeout=2.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.01)
        raise BenchError(f"the reference did not answer within {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="the SQLite file (created)")
    parser.add_argument("--keys", type=Path, required=True, help="JSON: {keyId: public key PEM}")
    args = parser.parse_args(argv)
    app = create_app(open_db(args.db), load_keys(args.keys))
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", access_log=False,
                log_level="warning", server_header=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
