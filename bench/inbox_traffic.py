"""What the remote senders of bench/inbox.py send: their actors, their activities, signed in advance.

- `make_senders`: a handful of remote actors, each with its own RSA-2048 key, on one origin;
- `presign`: Create(Note) activities addressed to one member, each with a unique id on the sender's
  origin, signed with federation.signatures.sign as complete HTTP/1.1 requests (bytes), on every core;
- `write_requests` / `read_requests`: those requests in a file, so that the load process only sends;
- `ActorServer`: serves the actor documents (with publicKey) on 127.0.0.1 in a thread, so a node can
  fetch the keys on first contact; it counts the GETs it answered.
"""

from __future__ import annotations

import multiprocessing
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.keys import load_private
from federation.signatures import sign

CONTENT_TYPE = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
FRAME = struct.Struct("<I")
NOTE_TEXT = ("Goedemorgen! Zou je vóór donderdag naar het concept van het besluit over de Woo-publicaties "
             "willen kijken? Vooral de paragraaf over termijnen en de lijst met uitzonderingen.")


@dataclass
class Sender:
    """A remote actor: its id, its key pair as PEM, and the document it serves."""

    name: str
    uri: str
    private_pem: str
    public_pem: str
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"


def make_senders(origin: str, count: int) -> list[Sender]:
    senders = []
    for number in range(count):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode("ascii")
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        name = f"sender{number}"
        uri = f"{origin}/users/{name}"
        sender = Sender(name, uri, private_pem, public_pem)
        sender.document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri, "type": "Person", "preferredUsername": name, "name": f"Afzender {number}",
            "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{origin}/inbox"}, "url": uri,
            "publicKey": {"id": sender.key_id, "owner": uri, "publicKeyPem": public_pem},
        }
        senders.append(sender)
    return senders


def activity(actor: str, number: int, member: str, member_handle: str, published: str,
             in_reply_to: str | None = None) -> bytes:
    """A Create(Note) as Mastodon sends a direct message: to the member, with a Mention of them (about 1 kB);
    with in_reply_to, a reply to that post (bench/pages.py: replies landing in a topic)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(actor))
    note = {
        "id": f"{origin}/notes/{number}", "type": "Note", "attributedTo": actor, "published": published,
        "to": [PUBLIC], "cc": [member], "url": f"{origin}/notes/{number}",
        "content": f'<p><span class="h-card"><a href="{member}" class="u-url mention">@{member_handle}</a></span> '
                   f"{NOTE_TEXT} ({number})</p>",
        "tag": [{"type": "Mention", "href": member, "name": f"@{member_handle}"}],
    }
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    return orjson.dumps({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{origin}/activities/{number}",
        "type": "Create", "actor": actor, "published": published, "to": [PUBLIC], "cc": [member], "object": note,
    })


def http_request(inbox_url: str, headers: dict[str, str], body: bytes) -> bytes:
    """The complete HTTP/1.1 request, headers as signed (Host included) plus Content-Length."""
    lines = [f"POST {urlsplit(inbox_url).path} HTTP/1.1"]
    lines += [f"{name.title()}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "User-Agent: meent-bench", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _sign_batch(job: tuple[str, list[tuple[str, str, str]], list[int], str, str, datetime, str | None]) -> list[bytes]:
    """One worker's share: job = (inbox, [(actor, key id, private PEM)], numbers, member, handle, now, in reply to)."""
    inbox_url, senders, numbers, member, handle, now, in_reply_to = job
    published = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    requests = []
    for number in numbers:
        actor, key_id, private_pem = senders[number % len(senders)]
        body = activity(actor, number, member, handle, published, in_reply_to)
        headers = sign("POST", inbox_url, {"content-type": CONTENT_TYPE}, body, key_id, load_private(private_pem),
                       now)
        requests.append(http_request(inbox_url, headers, body))
    return requests


def presign(inbox_url: str, senders: list[Sender], member: str, member_handle: str, count: int,
            workers: int, in_reply_to: str | None = None) -> list[bytes]:
    """`count` signed requests, the senders taking turns; signed in `workers` processes (fork: nothing to import)."""
    now = datetime.now(UTC)
    keys = [(s.uri, s.key_id, s.private_pem) for s in senders]
    chunk = 2_000
    jobs = [(inbox_url, keys, list(range(start, min(start + chunk, count))), member, member_handle, now,
             in_reply_to)
            for start in range(0, count, chunk)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return [request for batch in pool.map(_sign_batch, jobs) for request in batch]


def write_requests(path: Path, requests: list[bytes]) -> None:
    with path.open("wb") as out:
        for request in requests:
            out.write(FRAME.pack(len(request)))
            out.write(request)


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return list(_frames(data))


def _frames(data: bytes) -> Iterator[bytes]:
    position = 0
    while position < len(data):
        (size,) = FRAME.unpack_from(data, position)
        position += FRAME.size
        yield data[position:position + size]
        position += size


class ActorServer:
    """The senders' actor documents on 127.0.0.1:port (a thread); counts GETs, and signed ones."""

    def __init__(self, port: int, senders: list[Sender]) -> None:
        self.port = port
        self.senders = senders
        self.documents = {urlsplit(s.uri).path: orjson.dumps(s.document) for s in senders}
        self.gets = 0
        self.signed_gets = 0
        self.misses: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                found = server.documents.get(self.path.split("#")[0])
                server.gets += 1
                server.signed_gets += bool(self.headers.get("Signature"))
                if found is None:
                    server.misses.append(self.path)
                body = found or b'{"error": "not found"}'
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="actor-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
