"""HTTP signatures (draft-cavage, as the fediverse uses them): sign and verify, on `cryptography`.

Pure: the time and the public key come in as arguments, so every rule is
testable without a network. Outgoing POSTs sign `(request-target) host date
digest content-type`, GETs `(request-target) host date accept`. Incoming
signatures may say `rsa-sha256` or `hs2019`; the algorithm is taken from
the key, never from the header.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey

POST_HEADERS: tuple[str, ...] = ("(request-target)", "host", "date", "digest", "content-type")
GET_HEADERS: tuple[str, ...] = ("(request-target)", "host", "date", "accept")
MAX_PAST = timedelta(hours=12)
MAX_FUTURE = timedelta(minutes=5)
PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong; the text says which."""


@dataclass(frozen=True)
class SignatureParams:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def body_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_signature(value: str) -> SignatureParams:
    if value.lower().startswith("signature "):
        value = value[len("signature "):]
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = PARAM.match(value, position)
        if match is None:
            raise SignatureError("malformed Signature header")
        params[match.group(1).lower()] = match.group(2)
        position = match.end()
    if "keyid" not in params or "signature" not in params:
        raise SignatureError("Signature header lacks keyId or signature")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise SignatureError("signature is not base64") from None
    try:
        created = int(params["created"]) if "created" in params else None
        expires = int(params["expires"]) if "expires" in params else None
    except ValueError:
        raise SignatureError("created or expires is not a number") from None
    return SignatureParams(
        key_id=params["keyid"],
        algorithm=params.get("algorithm", "hs2019").lower(),
        headers=tuple(params.get("headers", "date").lower().split()),
        signature=signature,
        created=created,
        expires=expires,
    )


def signing_string(
    method: str, target: str, headers: Mapping[str, str], names: tuple[str, ...],
    created: int | None = None, expires: int | None = None,
) -> str:
    """The text that is signed; `headers` has lower-case names."""
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name == "(created)" and created is not None:
            lines.append(f"(created): {created}")
        elif name == "(expires)" and expires is not None:
            lines.append(f"(expires): {expires}")
        elif name in headers:
            lines.append(f"{name}: {headers[name].strip()}")
        else:
            raise SignatureError(f"signed header {name!r} is missing from the request")
    return "\n".join(lines)


def sign(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, key_id: str,
    private_key: PrivateKey, now: datetime,
) -> dict[str, str]:
    """The request's headers plus Host, Date, Digest (with a body) and Signature."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    signed = {name.lower(): value for name, value in headers.items()}
    signed["host"] = parts.netloc
    signed["date"] = http_date(now)
    if method.upper() == "POST":
        signed["digest"] = body_digest(body or b"")
        signed.setdefault("content-type", "application/activity+json")
        names = POST_HEADERS
    else:
        signed.setdefault("accept", "application/activity+json")
        names = GET_HEADERS
    text = signing_string(method, target, signed, names).encode("utf-8")
    signature = private_key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    signed["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return signed


def key_id_of(headers: Mapping[str, str]) -> str:
    """The keyId a request claims, to look up its key before verifying."""
    return parse_signature(_signature_header(headers)).key_id


def _signature_header(headers: Mapping[str, str]) -> str:
    value = headers.get("signature") or headers.get("authorization", "")
    if not value or (not headers.get("signature") and not value.lower().startswith("signature ")):
        raise SignatureError("request is not signed")
    return value


def _check_time(headers: Mapping[str, str], params: SignatureParams, now: datetime) -> None:
    if "date" in params.headers or "(created)" not in params.headers:
        if "date" not in params.headers:
            raise SignatureError("the Date header is not signed")
        try:
            moment = parsedate_to_datetime(headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            raise SignatureError("Date header is missing or malformed") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    else:
        if params.created is None:
            raise SignatureError("(created) is signed but has no value")
        moment = datetime.fromtimestamp(params.created, UTC)
    if moment < now - MAX_PAST:
        raise SignatureError("Date is more than 12 hours old")
    if moment > now + MAX_FUTURE:
        raise SignatureError("Date is in the future")
    if params.expires is not None and datetime.fromtimestamp(params.expires, UTC) < now:
        raise SignatureError("signature has expired")


def _check_digest(headers: Mapping[str, str], params: SignatureParams, body: bytes) -> None:
    if "digest" not in params.headers:
        raise SignatureError("the Digest header is not signed")
    for item in headers.get("digest", "").split(","):
        algorithm, _, value = item.strip().partition("=")
        if algorithm.lower() == "sha-256":
            expected = hashlib.sha256(body).digest()
        elif algorithm.lower() == "sha-512":
            expected = hashlib.sha512(body).digest()
        else:
            continue
        try:
            if base64.b64decode(value, validate=True) == expected:
                return
        except ValueError:
            break
        raise SignatureError("Digest does not match the body")
    raise SignatureError("no SHA-256 or SHA-512 Digest of the body")


def verify(
    method: str, target: str, headers: Mapping[str, str], body: bytes | None, public_key: PublicKey,
    now: datetime,
) -> SignatureParams:
    """Check a request's signature with the signer's key; raise SignatureError with the reason."""
    params = parse_signature(_signature_header(headers))
    if "(request-target)" not in params.headers:
        raise SignatureError("(request-target) is not signed")
    if "host" not in params.headers:
        raise SignatureError("the Host header is not signed")
    _check_time(headers, params, now)
    if body is not None and method.upper() == "POST":
        _check_digest(headers, params, body)
    text = signing_string(method, target, headers, params.headers, params.created, params.expires).encode()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if params.algorithm not in ("rsa-sha256", "hs2019"):
                raise SignatureError(f"algorithm {params.algorithm} does not fit an RSA key")
            public_key.verify(params.signature, text, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            if params.algorithm not in ("ed25519", "hs2019"):
                raise SignatureError(f"algorithm {params.algorithm} does not fit an Ed25519 key")
            public_key.verify(params.signature, text)
        else:
            raise SignatureError("unsupported key type")
    except InvalidSignature:
        raise SignatureError("signature does not verify with the actor's key") from None
    return params
