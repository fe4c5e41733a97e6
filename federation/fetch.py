"""Signed GET of remote ActivityStreams objects, with the checks that make the answer trustworthy.

Every hop of a fetch is checked against the federation policy (redirects are
followed here, not by aiohttp, so a redirect cannot lead to a blocked domain),
the body is read in chunks up to a limit, one deadline covers the whole chain,
and an object whose `id` lies on another origin than the URL it came from is
refused: otherwise any server could serve a forged copy of anyone's object.
The address guard (no private or local addresses) lives in the session, see
federation/http.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from federation import signatures
from federation.http import BlockedAddress
from federation.policy import FederationPolicy

ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_ACCEPT = "application/jrd+json, application/json"
JSON_TYPES = frozenset({
    "application/activity+json", "application/ld+json", "application/json", "application/jrd+json",
})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3
CHUNK = 65_536
JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}

Signer = Callable[[], tuple[str, RSAPrivateKey]]


class FetchError(Exception):
    """A remote object could not be fetched or may not be trusted; the text says why.

    `status` is the HTTP status when the server answered with an error (404, 410, ...); `temporary`
    says whether asking again later may help (no answer, 5xx, 429, or 401/403 from a proxy in front
    of a server being fixed), as opposed to an answer that stands (404, 410, a forged id, too large).
    """

    def __init__(self, url: str, reason: str, status: int | None = None, *, temporary: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.temporary = temporary or (status is not None and temporary_status(status))


def temporary_status(status: int) -> bool:
    """An HTTP answer that may be different a moment later. Pure."""
    return status in (401, 403, 408, 425, 429) or 500 <= status <= 599


def origin(url: URL) -> tuple[str, str, int | None]:
    """Scheme, host and port (the default port filled in), the unit of the id-origin rule."""
    return url.scheme.lower(), (url.raw_host or "").lower().rstrip("."), url.port


def _blocked_cause(error: BaseException) -> BlockedAddress | None:
    """The BlockedAddress aiohttp wrapped into a connection error, if that is what happened."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BlockedAddress):
            return seen
        if isinstance(seen, aiohttp.ClientConnectorError) and isinstance(seen.os_error, BlockedAddress):
            return seen.os_error
        seen = seen.__cause__
    return None


def check_id_origin(document: dict[str, Any], url: URL) -> None:
    """Refuse an object that claims an id on another origin than the one it was fetched from."""
    if "id" not in document:
        return
    claimed = document["id"]
    if not isinstance(claimed, str):
        raise FetchError(str(url), "the object's id is not a string")
    try:
        claimed_url = URL(claimed)
    except ValueError:
        raise FetchError(str(url), f"the object's id {claimed!r} is not a URL") from None
    if not claimed_url.absolute or origin(claimed_url) != origin(url):
        raise FetchError(str(url), f"id origin mismatch: the object claims id {claimed}")


class Fetcher:
    """Fetches remote JSON documents through one shared session; see the module text for the rules."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        policy: FederationPolicy,
        signer: Signer | None,
        *,
        max_bytes: int = 1_048_576,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._policy = policy
        self._signer = signer
        self._max_bytes = max_bytes
        self._timeout = timeout

    async def get_json(self, url: str, *, signed: bool = True, accept: str = ACTIVITY_ACCEPT) -> dict[str, Any]:
        """An ActivityStreams object; signed with the signer's key unless signed=False or there is no signer."""
        document, final = await self._fetch(url, signed=signed, accept=accept)
        check_id_origin(document, final)
        return document

    async def get_jrd(self, url: str) -> dict[str, Any]:
        """A WebFinger (JRD) document: unsigned, and JRDs have no id to check."""
        document, _ = await self._fetch(url, signed=False, accept=JRD_ACCEPT)
        return document

    async def _fetch(self, url: str, *, signed: bool, accept: str) -> tuple[dict[str, Any], URL]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url, signed, accept)
        except TimeoutError:
            raise FetchError(url, f"timeout: no complete answer within {self._timeout:g} s", temporary=True) from None
        except aiohttp.ClientError as error:
            blocked = _blocked_cause(error)
            if blocked is not None:
                raise FetchError(url, f"refused address: {blocked.strerror}") from error
            raise FetchError(url, f"connection failed: {error}", temporary=True) from error

    async def _follow(self, url: str, signed: bool, accept: str) -> tuple[dict[str, Any], URL]:
        current = self._checked(url, url)
        for _ in range(MAX_REDIRECTS + 1):
            async with self._session.get(
                current, headers=self._headers(current, signed, accept), allow_redirects=False
            ) as response:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError(url, f"HTTP {response.status} redirect without a Location", response.status)
                    current = self._checked(url, location, base=current)
                    continue
                return await self._read(str(current), response), current
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _checked(self, original: str, url: str, base: URL | None = None) -> URL:
        """The URL to request next (a Location is relative to `base`), if it passes; the fragment is never sent."""
        try:
            parsed = base.join(URL(url)) if base is not None else URL(url)
        except ValueError:
            raise FetchError(original, f"not a valid URL: {url!r}") from None
        if parsed.scheme not in ("http", "https") or not parsed.raw_host:
            raise FetchError(original, f"only http and https URLs can be fetched (got {url!r})")
        if parsed.user is not None or parsed.password is not None:
            raise FetchError(original, "URLs with credentials are not fetched")
        if not self._policy.allows(parsed.raw_host):
            raise FetchError(original, f"blocked domain: {parsed.raw_host} is not allowed by the federation policy")
        if not self._policy.allows_actor(str(parsed.with_fragment(None))):
            raise FetchError(original, "blocked account: this actor is blocked by the federation policy")
        return parsed.with_fragment(None)

    def _headers(self, url: URL, signed: bool, accept: str) -> dict[str, str]:
        if not signed or self._signer is None:
            return {"accept": accept}
        key_id, private_key = self._signer()
        # The headers signed are the headers sent, Host included: aiohttp keeps a Host it is given.
        return signatures.sign("GET", str(url), {"accept": accept}, None, key_id, private_key, datetime.now(UTC))

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> dict[str, Any]:
        if not 200 <= response.status < 300:
            raise FetchError(url, f"HTTP {response.status} {response.reason or ''}".rstrip(), response.status)
        if response.content_type not in JSON_TYPES:
            raise FetchError(url, f"wrong content type {response.content_type}, expected JSON", response.status)
        if response.content_length is not None and response.content_length > self._max_bytes:
            raise FetchError(url, f"too large: {response.content_length} bytes, the limit is {self._max_bytes}")
        body = bytearray()
        # Chunks are counted after decompression, so a small gzip bomb stops at the limit too.
        async for chunk in response.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > self._max_bytes:
                raise FetchError(url, f"too large: more than {self._max_bytes} bytes")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FetchError(url, "not JSON: the body does not parse") from None
        if not isinstance(document, dict):
            raise FetchError(url, f"not a JSON object but {JSON_KINDS.get(type(document), 'something else')}")
        return document
