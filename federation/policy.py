"""Which remote servers we talk to, and which network addresses we connect to. Pure.

Two separate questions: `allows` judges a host *name* (the admin's blocklist and,
in allowlist mode, the allowlist); `address_allowed` judges the IP address a name
resolved to, so that a remote object cannot make us fetch from our own network
(loopback, private ranges, cloud metadata at 169.254.169.254, ...).

The config's lists are the start-up defaults; `Rules` are what admins set at run time (their own
blocks and limits, and the shared lists they subscribe to). The node reads those from its database
and hands them in with `FederationPolicy.update` (no SQL here); the running policy changes in place,
so every part holding it (inbox, fetchers, delivery) sees the new rules at once.

Priorities, highest first: an admin's own block or limit; the config (blocked_domains, then
allowed_domains); the shared lists (a block or limit beats an allow on another list); then the mode.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MODES = ("open", "allowlist")
# DNS64 gateways synthesise IPv6 addresses that carry the IPv4 address in their last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def normalise_host(value: str) -> str | None:
    """The bare, lower-case ASCII host of "host", "host:port" or a URL; None when there is none.

    A trailing dot is dropped ("evil.example." is the same name as "evil.example"),
    and international names become their punycode form, as in the config.
    """
    value = value.strip()
    try:
        # A bare IPv6 address ("::1", as yarl's URL.raw_host gives it) cannot be told from host:port.
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        pass
    try:
        host = urlsplit(value if "://" in value else "//" + value).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return host.lower() or None


def _normalise_domains(domains: Iterable[str]) -> frozenset[str]:
    # Config entries may carry a port ("node.example:8443"); ports never matter for policy.
    return frozenset(host for host in (normalise_host(d) for d in domains) if host)


def _suffixes(host: str) -> list[str]:
    """host and every parent domain: "a.b.example" -> a.b.example, b.example, example."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _matches(host: str, domains: frozenset[str]) -> bool:
    """True when host is one of the domains or a subdomain of one (a few set lookups, whatever the size)."""
    return any(suffix in domains for suffix in _suffixes(host))


@dataclass(frozen=True)
class Rules:
    """Blocks, limits and allows set at run time, as normalised sets (the node builds them)."""

    blocked_domains: frozenset[str] = frozenset()  # an admin's own domain blocks
    limited_domains: frozenset[str] = frozenset()  # an admin's own domain limits
    blocked_actors: frozenset[str] = frozenset()  # actor URIs
    limited_actors: frozenset[str] = frozenset()
    list_blocked: frozenset[str] = frozenset()  # from subscribed block lists (severity block)
    list_limited: frozenset[str] = frozenset()  # from subscribed block lists (severity limit)
    list_allowed: frozenset[str] = frozenset()  # from subscribed allow lists


def verdict(host: str, mode: str, config_allowed: frozenset[str], config_blocked: frozenset[str],
            rules: Rules) -> tuple[str, str]:
    """(severity, source) for a normalised host name: severity one of "block", "limit", "allow";
    source one of "admin", "config", "list", "mode". Pure; the priority rule in one place."""
    if _matches(host, rules.blocked_domains):
        return "block", "admin"
    if _matches(host, rules.limited_domains):
        return "limit", "admin"
    if _matches(host, config_blocked):
        return "block", "config"
    if _matches(host, config_allowed):
        return "allow", "config"
    if _matches(host, rules.list_blocked):
        return "block", "list"
    allowed = mode == "open" or _matches(host, rules.list_allowed)
    if allowed and _matches(host, rules.list_limited):  # a list's limit never lets in what the mode keeps out
        return "limit", "list"
    if mode == "allowlist" and allowed:
        return "allow", "list"
    return ("allow" if allowed else "block"), "mode"


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address, which is where packets go."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; False for anything inside a network."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return is_public_address(inner)
    refused = (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
    )
    # is_global also excludes ranges that are none of the above, such as 100.64.0.0/10 (carrier NAT).
    return not refused and ip.is_global


@dataclass(frozen=True)
class FederationPolicy:
    mode: str
    allowed_domains: frozenset[str]
    blocked_domains: frozenset[str]
    allow_private_addresses: bool
    rules: Rules = field(default_factory=Rules, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"federation mode must be one of {', '.join(MODES)} (got {self.mode!r})")
        # Normalised once here so that every comparison in `allows` is a plain string match.
        object.__setattr__(self, "allowed_domains", _normalise_domains(self.allowed_domains))
        object.__setattr__(self, "blocked_domains", _normalise_domains(self.blocked_domains))

    @classmethod
    def from_config(cls, config: Any) -> FederationPolicy:
        """The policy from a node Config (anything with `config[key]`)."""
        return cls(
            mode=config["federation.mode"],
            allowed_domains=frozenset(config["federation.allowed_domains"]),
            blocked_domains=frozenset(config["federation.blocked_domains"]),
            allow_private_addresses=bool(config["federation.allow_private_addresses"]),
        )

    def update(self, rules: Rules) -> None:
        """Take the rules set at run time; every holder of this policy sees them from now on."""
        object.__setattr__(self, "rules", rules)

    def verdict(self, host: str) -> tuple[str, str]:
        """(severity, source) for a host ("host", "host:port" or a URL); see the module's priorities."""
        name = normalise_host(host)
        if name is None:
            return "block", "mode"
        return verdict(name, self.mode, self.allowed_domains, self.blocked_domains, self.rules)

    def allows(self, host: str) -> bool:
        """May we talk to this host ("host", "host:port" or a URL)? Blocks win over the allowlist;
        a limited host is talked to (its posts are shown to its followers only)."""
        return self.verdict(host)[0] != "block"

    def allows_actor(self, uri: str) -> bool:
        """May this actor (by URI) reach us, and we it: its host is allowed and it is not blocked itself."""
        return uri not in self.rules.blocked_actors and self.allows(uri)

    def limited(self, uri: str) -> bool:
        """Are this actor's posts shown only to its followers (it, or its server, is limited)?"""
        return uri in self.rules.limited_actors or self.verdict(uri)[0] == "limit"

    def address_allowed(self, ip: IPAddress) -> bool:
        """May we open a connection to this resolved address?"""
        return self.allow_private_addresses or is_public_address(ip)
