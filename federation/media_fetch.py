"""Fetching another server's image or document for our cache (node/services/media_remote.py).

The same rules as fetching objects (federation/fetch.py): redirects followed here, at most three,
each hop checked (http or https, no credentials, a domain the policy allows), the address guard in
the session (no private or local addresses), one deadline for the whole chain, and the body read
in chunks that stop past the size cap. Only the declared types the caller accepts are read at all;
what the bytes really are is decided by the caller (sniffing, re-encoding). No SQL, no HTML.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
from yarl import URL

from federation.fetch import CHUNK, MAX_REDIRECTS, REDIRECTS, _blocked_cause
from federation.policy import FederationPolicy


class MediaFetchError(Exception):
    """The file could not be had; `reason` says why (stored with the back-off)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason


def checked(policy: FederationPolicy, original: str, url: str, base: URL | None = None) -> URL:
    """The URL to request next (a Location is relative to `base`), if the policy allows it. Pure."""
    try:
        parsed = base.join(URL(url)) if base is not None else URL(url)
    except ValueError:
        raise MediaFetchError(original, f"not a valid URL: {url[:200]!r}") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise MediaFetchError(original, "only http and https URLs are fetched")
    if parsed.user is not None or parsed.password is not None:
        raise MediaFetchError(original, "URLs with credentials are not fetched")
    if not policy.allows(parsed.raw_host):
        raise MediaFetchError(original, f"blocked domain: {parsed.raw_host}")
    return parsed.with_fragment(None)


async def fetch_bytes(session: aiohttp.ClientSession, policy: FederationPolicy, url: str, *, max_bytes: int,
                      timeout: float, accepts: Callable[[str], bool]) -> tuple[str, bytes]:
    """(declared content type, body) of `url`; MediaFetchError when refused or not had."""
    try:
        async with asyncio.timeout(timeout):
            return await _follow(session, policy, url, max_bytes, accepts)
    except TimeoutError:
        raise MediaFetchError(url, f"timeout: no complete answer within {timeout:g} s") from None
    except aiohttp.ClientError as error:
        blocked = _blocked_cause(error)
        if blocked is not None:
            raise MediaFetchError(url, f"refused address: {blocked.strerror}") from None
        raise MediaFetchError(url, f"connection failed: {error}") from None


async def _follow(session: aiohttp.ClientSession, policy: FederationPolicy, url: str, max_bytes: int,
                  accepts: Callable[[str], bool]) -> tuple[str, bytes]:
    current = checked(policy, url, url)
    for _ in range(MAX_REDIRECTS + 1):
        async with session.get(current, allow_redirects=False, headers={"accept": "image/*, */*;q=0.5"}) as response:
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise MediaFetchError(url, f"HTTP {response.status} redirect without a Location")
                current = checked(policy, url, location, base=current)
                continue
            if not 200 <= response.status < 300:
                raise MediaFetchError(url, f"HTTP {response.status}")
            content_type = response.content_type.lower()
            if not accepts(content_type):
                raise MediaFetchError(url, f"not a type we take: {content_type[:100]}")
            if response.content_length is not None and response.content_length > max_bytes:
                raise MediaFetchError(url, f"too large: {response.content_length} bytes, the limit is {max_bytes}")
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):  # counted after decompression
                body += chunk
                if len(body) > max_bytes:
                    raise MediaFetchError(url, f"too large: more than {max_bytes} bytes")
            return content_type, bytes(body)
    raise MediaFetchError(url, f"more than {MAX_REDIRECTS} redirects")
