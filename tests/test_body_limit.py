"""Every body is bounded by its route's limit, sent with Content-Length or chunked.

In-process, the app is called as an ASGI server calls it, with a `receive` that counts what the
app pulls: the app never pulls more than the limit and one chunk. Against a real `meent serve`
process, a 20 MB chunked upload is refused with 413 while the server's peak memory (VmHWM) stays flat.
"""

from __future__ import annotations

import re
import select
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from federation import inbox
from node.api import respond
from node.body_limit import family_of
from tests.helpers import PASSWORD, LiveNode, Site

FORM_LIMIT = 256_000  # limits.form_max_bytes by default
CHUNK = 64 * 1024
BODY = 20 * 1024 * 1024
JSON, ACTIVITY, FORM = "application/json", "application/activity+json", "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("path", "limit", "json"), [
    ("/api/v1/statuses", respond.MAX_BODY, True),
    ("/api/v1/statuses/12", respond.MAX_BODY, True),
    ("/oauth/token", respond.MAX_BODY, True),
    ("/oauth/authorize", FORM_LIMIT, False),  # the consent form, shown to a person
    ("/oauth/authorize/", FORM_LIMIT, False),
    ("/inbox", inbox.MAX_BODY, True),
    ("/users/anne/inbox", inbox.MAX_BODY, True),
    ("/groups/open-overheid/inbox", inbox.MAX_BODY, True),
    ("/organisation/inbox", inbox.MAX_BODY, True),
    ("/users/anne/inbox/x", FORM_LIMIT, False),
    ("/login", FORM_LIMIT, False),
    ("/posts/1/reply", FORM_LIMIT, False),
])
def test_each_route_family_has_its_limit(path: str, limit: int, json: bool) -> None:
    family = family_of(path, FORM_LIMIT)
    assert family.limit == limit
    assert (family.refusal is not None) == json


@dataclass
class Upload:
    """A body fed to the app in chunks, as uvicorn feeds it; counts what the app pulled."""

    total: int
    pulled: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        size = min(CHUNK, self.total - self.pulled)
        self.pulled += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.pulled < self.total}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


def call(site: Site, path: str, kind: str, total: int, declared: bool, **headers: str) -> Upload:
    upload = Upload(total)
    raw = [(b"host", b"127.0.0.1:8000"), (b"content-type", kind.encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw.append((b"content-length", str(total).encode()) if declared else (b"transfer-encoding", b"chunked"))
    scope: dict[str, Any] = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": raw, "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
    assert site.client.portal is not None
    site.client.portal.call(site.client.app, scope, upload.receive, upload.send)
    return upload


def bearer(site: Site) -> str:
    site.member("anne")
    app = site.client.post("/api/v1/apps", data={"client_name": "t", "scopes": "read write"}).json()
    token = site.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": "anne", "password": PASSWORD, "scope": "read write"}).json()
    return f"Bearer {token['access_token']}"


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_the_api_never_reads_past_its_limit(site: Site, declared: bool) -> None:
    upload = call(site, "/api/v1/statuses", JSON, BODY, declared, authorization=bearer(site))
    assert upload.status == 413
    assert upload.headers[b"content-type"] == b"application/json" and b"Request too large" in upload.body
    assert upload.headers[b"connection"] == b"close"
    assert upload.headers[b"access-control-allow-origin"] == b"*"  # a web app can read the answer
    assert upload.pulled <= (0 if declared else respond.MAX_BODY + CHUNK)


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_an_inbox_never_reads_past_its_limit(site: Site, declared: bool, caplog: pytest.LogCaptureFixture) -> None:
    upload = call(site, "/inbox", ACTIVITY, BODY, declared)
    assert upload.status == 413 and b"activity too large" in upload.body
    assert upload.pulled <= (0 if declared else inbox.MAX_BODY + CHUNK)
    assert "inbox /inbox refused a request from 127.0.0.1 (): activity too large" in caplog.text


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_form_gets_its_friendly_page_without_reading_past_the_limit(site: Site, declared: bool) -> None:
    upload = call(site, "/login", FORM, BODY, declared)
    assert upload.status == 413 and "Het formulier is te groot." in upload.body.decode()
    assert upload.headers[b"connection"] == b"close"
    assert upload.pulled <= (0 if declared else FORM_LIMIT + CHUNK)


def test_bodies_within_the_limit_pass(site: Site) -> None:
    upload = call(site, "/api/v1/apps", FORM, 1000, False)
    assert upload.status == 422 and upload.pulled == 1000  # read whole; only its fields are wrong
    assert b"connection" not in upload.headers


def test_a_chunked_body_left_unread_closes_the_connection(site: Site) -> None:
    upload = call(site, "/api/v1/statuses", JSON, BODY, False)  # no token: 401 before reading
    assert upload.status == 401 and upload.pulled == 0
    assert upload.headers[b"connection"] == b"close"


# Against a real server

def peak_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    assert match
    return int(match.group(1))


def post_raw(node: LiveNode, path: str, kind: str, total: int, chunked: bool = True,
             extra: str = "") -> tuple[int, bytes]:
    """POST a body of `total` bytes until the server answers: (body bytes sent, the answer)."""
    port = int(node.url.rsplit(":", 1)[1])
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {kind}\r\n{extra}{length}\r\n\r\n"
    piece = b"x" * CHUNK
    frame = f"{CHUNK:x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(frame)
                sent += CHUNK
            if sent >= total and chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed while we were still sending
            pass
        return sent, read_answer(sock)


def read_answer(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


def test_a_real_server_refuses_big_bodies_with_flat_peak_memory(live_node: LiveNode) -> None:
    pid = live_node.process.pid
    for path, kind in [("/api/v1/apps", FORM), ("/inbox", ACTIVITY), ("/login", FORM)]:
        post_raw(live_node, path, kind, 1000)  # warm up each route: imports and caches are not growth
    before = peak_kib(pid)
    for path, kind, expected in [("/api/v1/apps", FORM, b"Request too large"),
                                 ("/inbox", ACTIVITY, b"activity too large"),
                                 ("/login", FORM, b"Het formulier is te groot.")]:
        sent, answer = post_raw(live_node, path, kind, BODY)
        assert answer.startswith(b"HTTP/1.1 413 "), (path, answer[:200])
        assert expected in answer and b"connection: close" in answer.lower()
        assert sent < BODY, path  # it stopped reading: the rest never left the client
        sent, answer = post_raw(live_node, path, kind, BODY, chunked=False)
        assert answer.startswith(b"HTTP/1.1 413 ") and sent < BODY, path
    grown = peak_kib(pid) - before
    assert grown < BODY // 1024 // 4, f"the server grew by {grown} KiB"


def test_a_real_server_refuses_a_declared_length_before_the_body(live_node: LiveNode) -> None:
    port = int(live_node.url.rsplit(":", 1)[1])
    for path in ("/api/v1/statuses", "/inbox", "/login"):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {FORM}\r\n"
                         f"Content-Length: {BODY}\r\n\r\n".encode())  # and not one byte of the body
            answer = read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 413 "), (path, answer[:200])
