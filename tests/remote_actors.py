"""A stand-in for other fediverse servers: actor documents served over HTTP on loopback, with test keys
made here, and requests signed by httpsig (an implementation independent of ours)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpsig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import free_port


def new_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return public, private


class RemoteServer:
    """Serves JSON documents by path on 127.0.0.1 (or `localhost`) in a thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.origin = f"http://{host}:{self.port}"
        self.documents: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}  # actor uri -> private PEM
        self.gets: list[str] = []  # every path asked for, in order
        self.statuses: dict[str, int] = {}  # path -> an error status to answer instead (a server in trouble)
        documents, gets, statuses = self.documents, self.gets, self.statuses

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                gets.append(self.path)
                document = documents.get(self.path.split("#")[0])
                status = statuses.get(self.path, 200 if document else 404)
                body = json.dumps(document).encode() if status == 200 else b'{"error": "not found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RemoteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_person(self, name: str) -> str:
        """An actor with a fresh key pair; returns its id."""
        public, private = new_key()
        uri = f"{self.origin}/users/{name}"
        self.documents[f"/users/{name}"] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri, "type": "Person", "preferredUsername": name, "name": name.title(),
            "inbox": f"{uri}/inbox", "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "followers": f"{uri}/followers",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public},
        }
        self.keys[uri] = private
        return uri


def signed_post(url: str, body: bytes, key_id: str, private_pem: str, *, date: datetime | None = None,
                digest_body: bytes | None = None) -> dict[str, str]:
    """Headers for a POST signed by httpsig; digest_body lets a test send a body other than the one signed."""
    parts = urlsplit(url)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(digest_body if digest_body is not None else body)
                                           .digest()).decode()
    headers = {"Host": parts.netloc, "Date": format_datetime(date or datetime.now(UTC), usegmt=True),
               "Digest": digest, "Content-Type": "application/activity+json"}
    signer = httpsig.HeaderSigner(key_id, private_pem.encode(), algorithm="rsa-sha256",
                                  headers=["(request-target)", "host", "date", "digest", "content-type"],
                                  sign_header="signature")
    return dict(signer.sign(headers, method="POST", path=parts.path))
