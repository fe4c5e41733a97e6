"""A stand-in for other fediverse servers: actor documents served over HTTP on loopback, with test keys
made here, the activities such servers send, the key lookup and signature check a receiving server
does (Keys), and requests signed by httpsig (an implementation independent of ours)."""

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

import aiohttp
import httpsig
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.keys import load_public
from federation.signatures import PublicKey, SignatureError, key_id_of, verify
from tests.helpers import free_port

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


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
        document = person_document(self.origin, name, public)
        self.documents[f"/users/{name}"] = document
        self.keys[document["id"]] = private
        return str(document["id"])


def person_document(origin: str, name: str, public_pem: str) -> dict[str, Any]:
    """A Person as Mastodon serves one: its inbox, a shared inbox, its key. Pure."""
    uri = f"{origin}/users/{name}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri, "type": "Person", "preferredUsername": name, "name": name.title(),
        "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "endpoints": {"sharedInbox": f"{origin}/inbox"},
        "followers": f"{uri}/followers", "following": f"{uri}/following",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
    }


def webfinger_document(origin: str, name: str) -> dict[str, Any]:
    """The JRD that `acct:name@host` resolves to. Pure."""
    host = urlsplit(origin).netloc
    return {"subject": f"acct:{name}@{host}", "aliases": [f"{origin}/users/{name}"],
            "links": [{"rel": "self", "type": "application/activity+json", "href": f"{origin}/users/{name}"}]}


# --- activities, as another server would send them (pure: ids and times come in) ----------------


def note(actor: str, token: str, content: str, *, audience: str | None = None, in_reply_to: str | None = None,
         tags: tuple[str, ...] = (), published: str = "2026-03-02T09:30:00Z") -> dict[str, Any]:
    """A public Note by `actor`, its id on the actor's origin: {origin}/notes/{token}."""
    origin = actor.rsplit("/users/", 1)[0]
    cc = [audience] if audience else [f"{actor}/followers"]
    found: dict[str, Any] = {
        "id": f"{origin}/notes/{token}", "type": "Note", "attributedTo": actor, "content": content,
        "to": [PUBLIC], "cc": cc, "published": published,
        "tag": [{"type": "Hashtag", "name": f"#{tag}", "href": f"{origin}/tags/{tag}"} for tag in tags],
    }
    if audience:
        found["audience"] = audience
    if in_reply_to:
        found["inReplyTo"] = in_reply_to
    return found


def create(actor: str, obj: dict[str, Any], token: str) -> dict[str, Any]:
    """Create(obj) with the object embedded, as Mastodon sends it."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/create-{token}",
            "type": "Create", "actor": actor, "to": obj.get("to", [PUBLIC]), "cc": obj.get("cc", []),
            "published": obj.get("published"), "object": obj}


def follow(actor: str, target: str, token: str) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/follow-{token}",
            "type": "Follow", "actor": actor, "object": target}


def announce(actor: str, object_uri: str, token: str) -> dict[str, Any]:
    """A boost of an object by reference (the receiver fetches it from the object's own server)."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/announce-{token}",
            "type": "Announce", "actor": actor, "object": object_uri, "to": [PUBLIC],
            "cc": [f"{actor}/followers"]}


class Keys:
    """Signers' public keys, fetched from their servers (the node) as any receiver does, and cached;
    fetched again once when a signature fails (the key may have changed)."""

    def __init__(self) -> None:
        self._cache: dict[str, PublicKey] = {}
        self._session: aiohttp.ClientSession | None = None

    async def problem(self, target: str, headers: dict[str, str], body: bytes) -> str:
        """Why the signed POST does not check out; "" when it does."""
        try:
            key_id = key_id_of(headers)
            for refresh in (False, True):
                try:
                    verify("POST", target, headers, body, await self._key(key_id, refresh), datetime.now(UTC))
                    return ""
                except SignatureError:
                    if refresh:
                        raise
        except (SignatureError, KeyProblem) as error:
            return str(error)
        return "unreachable"

    async def _key(self, key_id: str, refresh: bool) -> PublicKey:
        if refresh or key_id not in self._cache:
            self._session = self._session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            try:
                url, accept = key_id.split("#")[0], {"Accept": "application/activity+json"}
                async with self._session.get(url, headers=accept) as answer:
                    document = orjson.loads(await answer.read()) if answer.status == 200 else {}
            except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as error:
                raise KeyProblem(f"cannot fetch {key_id}: {type(error).__name__}") from None
            key = document.get("publicKey", document) if isinstance(document, dict) else {}
            if not isinstance(key, dict) or key.get("id") != key_id or not isinstance(key.get("publicKeyPem"), str):
                raise KeyProblem(f"no key {key_id} at its address")
            self._cache[key_id] = load_public(key["publicKeyPem"])
        return self._cache[key_id]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class KeyProblem(Exception):
    """The signer's key could not be fetched or is not where its id says."""


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
