"""The one outbound HTTP session for federation, with the address guard built into its connector.

The guard judges the IP address that is actually connected to, not the name in
the URL, so a name that resolves (or later re-resolves: DNS rebinding) to
127.0.0.1 or 10.x is refused. It sits in two places because aiohttp has two
paths to a socket:

- names go through the connector's resolver: `GuardedResolver` drops refused
  addresses and raises `BlockedAddress` when none remain;
- literal IP hosts (`http://127.0.0.1/`, `http://[::1]/`) never reach the
  resolver: aiohttp's TCPConnector returns them directly. The socket factory,
  which aiohappyeyeballs calls with every address it is about to connect to,
  checks those (and, as a second line, every resolved address too).
"""

from __future__ import annotations

import errno
import ipaddress
import socket

import aiohttp
from aiohappyeyeballs import AddrInfoType, SocketFactoryType  # aiohttp's own dependency; its socket_factory type
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.policy import FederationPolicy, IPAddress


class BlockedAddress(OSError):
    """A host resolved only to addresses the federation policy refuses (loopback, private, ...)."""

    def __init__(self, message: str) -> None:
        # With an errno the message lands in strerror, which is what aiohttp's ClientConnectorError
        # shows; a message-only OSError would appear there as "[None]".
        super().__init__(errno.EACCES, message)


def _parse(address: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _allowed(policy: FederationPolicy, address: str) -> bool:
    ip = _parse(address)
    return ip is not None and policy.address_allowed(ip)


class GuardedResolver(AbstractResolver):
    """Resolves with another resolver and keeps only the addresses the policy allows."""

    def __init__(self, policy: FederationPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        # ThreadedResolver rather than DefaultResolver: the connector never closes a resolver it was
        # given, and ThreadedResolver holds nothing that needs closing (aiodns' resolver would).
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept = [result for result in results if _allowed(self._policy, result["host"])]
        if not kept:
            refused = ", ".join(sorted({result["host"] for result in results})) or "nothing"
            raise BlockedAddress(f"{host} resolves to refused address {refused} (private or local network)")
        return kept

    async def close(self) -> None:
        await self._inner.close()


def guarded_socket_factory(policy: FederationPolicy) -> SocketFactoryType:
    """A socket factory for TCPConnector that refuses to create a socket for a refused address."""

    def factory(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _, address = addr_info
        if not _allowed(policy, address[0]):
            raise BlockedAddress(f"connection to refused address {address[0]} (private or local network)")
        return socket.socket(family=family, type=kind, proto=proto)

    return factory


def make_session(
    policy: FederationPolicy, user_agent: str, *, limit: int = 100, limit_per_host: int = 8,
    total_timeout: float = 20.0,
) -> aiohttp.ClientSession:
    """The outbound session: address guard, no cookies, no proxy from the environment, our User-Agent.

    Call it inside the running event loop and close the session when done.
    """
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(policy),
        socket_factory=guarded_socket_factory(policy),
        limit=limit,
        limit_per_host=limit_per_host,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": user_agent},
        timeout=aiohttp.ClientTimeout(total=total_timeout),
        auto_decompress=True,
        trust_env=False,
    )
