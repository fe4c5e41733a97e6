"""Fake fediverse servers on loopback that misbehave on purpose, for tests and benches.

    with FaultPeers() as peers:
        good = peers.add("healthy")
        anne = good.add_actor("anne")          # a Person with a real RSA-2048 key, WebFinger too
        stuck = peers.add("hang")              # accepts the connection, never answers
        later = peers.add("down", seconds=5)   # connection refused for 5 s, then healthy
        good.send(node_inbox, anne, activity)  # signed with federation.signatures.sign
        good.inbox_posts()                     # what reached its inboxes (answered 202)

Every peer listens on its own free 127.0.0.1 port (its own domain to the node), all in one asyncio
loop in a daemon thread, so pytest tests and bench scripts use it alike. Behaviours (BEHAVIOURS):
`healthy` serves actors, WebFinger and the documents given to `serve`, and answers inbox POSTs 202
(recording them) once their HTTP signature checks out with the signer's key, fetched from its server
(401 otherwise; `verify=False` skips that); `hang`, `error500`, `rate429` (Retry-After), `unauth401`,
`close` (closes the connection without an answer), `endless` (200 and a body that never ends),
`redirect_loop` (302 to itself) and `down` (connection refused: the port stays bound without
listening; with `seconds`, it turns healthy by itself). `set` changes a peer's behaviour at any time,
e.g. to `hang` after a follow was accepted. Every request is recorded, with what it was answered.

Bounded: a hang or an endless body lasts at most `max_stall` seconds, each peer keeps at most
MAX_RECORDS requests, and the whole thing stops by itself after `lifetime` seconds.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import orjson
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from federation.keys import load_private
from federation.signatures import sign
from tests.remote_actors import Keys, new_key, person_document, webfinger_document

BEHAVIOURS = ("healthy", "hang", "error500", "rate429", "unauth401", "close", "endless", "redirect_loop", "down")
HOST = "127.0.0.1"
CONTENT_TYPE = "application/activity+json"
MAX_RECORDS = 100_000
MAX_BODY = 1_048_576
CHUNK = b"x" * 16_384
CHUNK_EVERY = 0.01  # an endless body at about 1.6 MB/s: endless, without eating the machine's CPU
SEND_TIMEOUT = 30.0
T = TypeVar("T")


@dataclass(frozen=True)
class Seen:
    """One request a peer received, and how it was treated."""

    at: float  # time.monotonic() on arrival (system-wide on Linux: comparable across processes)
    method: str
    path: str
    query: str
    behaviour: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int | None  # what it answered; None: no answer (hang, close)
    problem: str = ""  # why a healthy inbox refused it (its signature)

    @property
    def activity(self) -> dict[str, Any] | None:
        try:
            found = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None
        return found if isinstance(found, dict) else None

    @property
    def activity_id(self) -> str | None:
        activity = self.activity
        value = activity.get("id") if activity else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Actor:
    uri: str
    private_pem: str
    public_pem: str

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def private_key(self) -> RSAPrivateKey:
        return load_private(self.private_pem)


@dataclass(frozen=True)
class Sent:
    """The answer to one signed POST: status None when there was none (refused, reset, timed out)."""

    status: int | None
    body: bytes
    answered_at: float  # time.monotonic()
    error: str = ""


class Peer:
    """One fake server. Methods may be called from any thread; they run on the peers' loop."""

    def __init__(self, peers: FaultPeers, behaviour: str, *, retry_after: int, max_stall: float, verify: bool,
                 delay: float) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(BEHAVIOURS)}")
        self._peers = peers
        self._behaviour = behaviour
        self.verify = verify  # a healthy inbox checks signatures (fetching the signer's key) and answers 401
        self.delay = min(delay, max_stall)  # a healthy answer waits this long: a slow server, work in flight
        self.retry_after = retry_after
        self.max_stall = max_stall
        self._socket = _bound_socket(0)
        self.port = int(self._socket.getsockname()[1])
        self.domain = f"{HOST}:{self.port}"
        self.origin = f"http://{self.domain}"
        self.inbox = f"{self.origin}/inbox"
        self.documents: dict[str, dict[str, Any]] = {}
        self.actors: dict[str, Actor] = {}
        self.up_at: float | None = None  # when it last started listening (time.monotonic())
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._stalled: asyncio.Event | None = None  # set to release hanging requests
        self._turn: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<Peer {self.origin} {self._behaviour}>"

    @property
    def behaviour(self) -> str:
        return self._behaviour

    # --- set-up ----------------------------------------------------------------------------------

    def add_actor(self, name: str) -> Actor:
        """A Person with a fresh RSA-2048 key, served at /users/{name} (and by WebFinger)."""
        public, private = new_key()
        document = person_document(self.origin, name, public)
        actor = Actor(str(document["id"]), private, public)
        self.documents[f"/users/{name}"] = document
        self.actors[name] = actor
        return actor

    def serve(self, obj: dict[str, Any]) -> None:
        """Serve an object (a Note, ...) at the path of its id, for the node to fetch."""
        self.documents[urlsplit(str(obj["id"])).path] = obj

    def set(self, behaviour: str, *, seconds: float | None = None) -> None:
        """Behave otherwise from now on; `down` with `seconds` turns healthy again by itself."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(BEHAVIOURS)}")
        self._peers.call(self._apply(behaviour, seconds))

    def down_for(self, seconds: float) -> None:
        self.set("down", seconds=seconds)

    # --- what it saw ------------------------------------------------------------------------------

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def inbox_posts(self) -> list[Seen]:
        """POSTs to one of its inboxes that it answered 202."""
        return [s for s in self.seen() if s.method == "POST" and s.status == 202 and _is_inbox(s.path)]

    def activity_counts(self) -> Counter[str]:
        """How often each activity id arrived: a count above 1 is a duplicate delivery."""
        return Counter(s.activity_id or "" for s in self.inbox_posts())

    def wait_for(self, check: Callable[[Peer], T], timeout: float, what: str = "condition") -> T:
        """Poll check(self) until it is truthy; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = check(self)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{self!r}: timed out after {timeout:g} s waiting for {what}")
            time.sleep(0.05)

    # --- sending ----------------------------------------------------------------------------------

    def send(self, inbox: str, actor: Actor, activity: dict[str, Any], timeout: float = SEND_TIMEOUT) -> Sent:
        """POST the activity to a node's inbox, signed as `actor` (draft-cavage, federation.signatures)."""
        body = orjson.dumps(activity)
        headers = sign("POST", inbox, {"content-type": CONTENT_TYPE, "accept": CONTENT_TYPE}, body,
                       actor.key_id, actor.private_key, datetime.now(UTC))
        parts = urlsplit(inbox)
        connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=timeout)
        try:
            connection.request("POST", parts.path or "/", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(MAX_BODY)
            return Sent(response.status, answer, time.monotonic())
        except (OSError, http.client.HTTPException) as error:
            return Sent(None, b"", time.monotonic(), f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    # --- on the loop ------------------------------------------------------------------------------

    async def _start(self) -> None:
        if self._behaviour != "down":
            await self._listen()

    async def _listen(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await self._runner.setup()
        self._stalled = asyncio.Event()
        await web.SockSite(self._runner, self._socket).start()  # listens on the socket bound at __init__
        self.up_at = time.monotonic()

    async def _close(self) -> None:
        """Stop listening and cut every open connection; the port stays bound (and refuses)."""
        if self._stalled is not None:
            self._stalled.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._socket = _bound_socket(self.port)

    async def _apply(self, behaviour: str, seconds: float | None) -> None:
        if self._turn is not None:
            self._turn.cancel()
            self._turn = None
        was = self._behaviour
        self._behaviour = behaviour
        if behaviour == "down" and was != "down":
            await self._close()
        elif behaviour != "down" and was == "down":
            await self._listen()
        elif self._stalled is not None and was in ("hang", "endless"):
            self._stalled.set()  # what hangs now ends; later requests hang on a new event
            self._stalled = asyncio.Event()
        if behaviour == "down" and seconds is not None:
            loop = asyncio.get_running_loop()
            self._turn = loop.call_later(seconds, lambda: loop.create_task(self._apply("healthy", None)))

    async def _stop(self) -> None:
        if self._turn is not None:
            self._turn.cancel()
        await self._close()
        self._socket.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        behaviour, at = self._behaviour, time.monotonic()
        body = await request.read() if request.can_read_body else b""
        headers = {name.lower(): value for name, value in request.headers.items()}

        def record(status: int | None, problem: str = "") -> None:
            self._record(Seen(at, request.method, request.path, request.query_string, behaviour, headers, body,
                              status, problem))

        if behaviour in ("hang", "endless", "close"):
            record(200 if behaviour == "endless" else None)
            if behaviour != "close":
                return await self._stall(request, behaviour)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never reaches the client: the connection is gone
        if behaviour == "healthy":
            response, problem = await self._healthy(request, headers, body)
            if self.delay:
                record(response.status, problem)  # taken in: it counts even if the sender goes before the answer
                await asyncio.sleep(self.delay)
                return response
        else:
            response, problem = self._failing(request, behaviour), ""
        record(response.status, problem)
        return response

    def _failing(self, request: web.Request, behaviour: str) -> web.Response:
        if behaviour == "rate429":
            return _json(429, {"error": "slow down"}, {"Retry-After": str(self.retry_after)})
        if behaviour == "redirect_loop":
            return web.Response(status=302, headers={"Location": str(request.url)})
        return _json({"error500": 500, "unauth401": 401}.get(behaviour, 503), {"error": behaviour})

    async def _healthy(self, request: web.Request, headers: dict[str, str], body: bytes) -> tuple[web.Response, str]:
        if request.method == "POST":
            if not _is_inbox(request.path):
                return _json(404, {"error": "no such inbox"}), ""
            problem = await self._peers.keys.problem(request.path_qs, headers, body) if self.verify else ""
            return (_json(401, {"error": problem}), problem) if problem else (web.Response(status=202), "")
        if request.path == "/.well-known/webfinger":
            resource = parse_qs(request.query_string).get("resource", [""])[0]
            name = resource.removeprefix("acct:").split("@")[0]
            if f"/users/{name}" in self.documents and resource == f"acct:{name}@{self.domain}":
                return _json(200, webfinger_document(self.origin, name), content_type="application/jrd+json"), ""
            return _json(404, {"error": "no such account"}), ""
        document = self.documents.get(request.path)
        return (_json(200, document) if document is not None else _json(404, {"error": "not found"})), ""

    async def _stall(self, request: web.Request, behaviour: str) -> web.StreamResponse:
        """Hang without answering, or answer 200 and stream forever: until released or max_stall."""
        stalled = self._stalled or asyncio.Event()
        if behaviour == "hang":
            try:
                await asyncio.wait_for(stalled.wait(), self.max_stall)
            except TimeoutError:
                pass
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # not sent: the connection is closed
        response = web.StreamResponse(status=200, headers={"Content-Type": CONTENT_TYPE})
        await response.prepare(request)
        deadline = time.monotonic() + self.max_stall
        try:
            while not stalled.is_set() and time.monotonic() < deadline:
                await response.write(CHUNK)
                await asyncio.sleep(CHUNK_EVERY)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading and went away, as it should
        return response

    def _record(self, seen: Seen) -> None:
        with self._lock:
            if len(self._seen) < MAX_RECORDS:
                self._seen.append(seen)


class FaultPeers:
    """Hosts the peers: one event loop in a daemon thread. Use as a context manager."""

    def __init__(self, *, lifetime: float = 900.0, max_stall: float = 120.0) -> None:
        self.lifetime = lifetime
        self.max_stall = max_stall
        self.peers: list[Peer] = []
        self.keys = Keys()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fault-peers", daemon=True)
        self._closed = False

    def __enter__(self) -> FaultPeers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, behaviour: str = "healthy", *, seconds: float | None = None, retry_after: int = 30,
            verify: bool = True, delay: float = 0.0) -> Peer:
        """A new peer on its own port; `seconds` only with "down" (then it turns healthy); with `verify`
        (the default) its inboxes answer 401 to a POST whose signature does not check out; `delay`
        seconds before each healthy answer make it a slow server."""
        self._check_running()
        peer = Peer(self, behaviour, retry_after=retry_after, max_stall=self.max_stall, verify=verify, delay=delay)
        self.peers.append(peer)
        self.call(peer._start())
        if behaviour == "down" and seconds is not None:
            peer.down_for(seconds)
        return peer

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the peers' loop and wait for its result."""
        try:
            self._check_running()
        except RuntimeError:
            work.close()
            raise
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def _check_running(self) -> None:
        if self._closed or not self._thread.is_alive():
            raise RuntimeError("the fault peers are not running (not started, stopped, or past their lifetime)")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=15)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_later(self.lifetime, self._loop.stop)  # stops by itself, whatever the caller does
        try:
            self._loop.run_forever()
        finally:
            for peer in self.peers:
                self._loop.run_until_complete(peer._stop())
            self._loop.run_until_complete(self.keys.close())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


def _bound_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:port that does not listen yet: connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def _is_inbox(path: str) -> bool:
    return path == "/inbox" or (path.startswith("/users/") and path.endswith("/inbox"))


def _json(status: int, document: dict[str, Any], headers: dict[str, str] | None = None, *,
          content_type: str = CONTENT_TYPE) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(document), headers=headers, content_type=content_type)
