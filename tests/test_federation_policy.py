"""FederationPolicy: which hosts we talk to and which addresses we connect to. Pure, table-driven."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from federation.policy import FederationPolicy, is_public_address, normalise_host
from node.config import from_values


def policy(
    mode: str = "open", allowed: tuple[str, ...] = (), blocked: tuple[str, ...] = (), private: bool = False
) -> FederationPolicy:
    return FederationPolicy(mode, frozenset(allowed), frozenset(blocked), private)


OPEN = policy(blocked=("evil.example", "spam.example:8443"))
ALLOWLIST = policy("allowlist", allowed=("utrecht.example", "Amsterdam.Example"), blocked=("bad.utrecht.example",))


@pytest.mark.parametrize(("value", "expected"), [
    ("example.org", "example.org"),
    ("Example.ORG", "example.org"),
    ("example.org:8443", "example.org"),
    ("https://example.org/users/anne", "example.org"),
    ("https://Example.org:8443/x?y#z", "example.org"),
    ("https://user:pw@example.org/", "example.org"),
    ("example.org.", "example.org"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("[::1]:8080", "::1"),
    ("http://[2001:db8::1]/", "2001:db8::1"),
    ("127.0.0.1:8000", "127.0.0.1"),
    ("::1", "::1"),
    ("::FFFF:127.0.0.1", "::ffff:7f00:1"),
    ("", None),
    ("https:///path", None),
    ("http://[bad/", None),
])
def test_normalise_host(value: str, expected: str | None) -> None:
    assert normalise_host(value) == expected


@pytest.mark.parametrize(("rules", "host", "expected"), [
    (OPEN, "example.org", True),
    (OPEN, "evil.example", False),
    (OPEN, "EVIL.example", False),
    (OPEN, "evil.example.", False),
    (OPEN, "evil.example:443", False),
    (OPEN, "https://evil.example/users/x", False),
    (OPEN, "social.evil.example", False),
    (OPEN, "a.b.evil.example", False),
    (OPEN, "notevil.example", True),
    (OPEN, "evil.example.org", True),
    (OPEN, "spam.example", False),
    (OPEN, "spam.example:9000", False),
    (OPEN, "", False),
    (ALLOWLIST, "utrecht.example", True),
    (ALLOWLIST, "https://utrecht.example:8443/users/anne", True),
    (ALLOWLIST, "social.utrecht.example", True),
    (ALLOWLIST, "amsterdam.example", True),
    (ALLOWLIST, "bad.utrecht.example", False),
    (ALLOWLIST, "x.bad.utrecht.example", False),
    (ALLOWLIST, "example.org", False),
    (ALLOWLIST, "eviltrecht.example", False),
    (ALLOWLIST, "utrecht.example.evil.org", False),
    (policy("allowlist"), "utrecht.example", False),
])
def test_allows(rules: FederationPolicy, host: str, expected: bool) -> None:
    assert rules.allows(host) is expected


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True),
    ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False),
    ("127.8.9.10", False),
    ("10.1.2.3", False),
    ("172.16.0.1", False),
    ("192.168.1.1", False),
    ("100.64.0.1", False),          # carrier-grade NAT: not public either
    ("169.254.169.254", False),     # cloud metadata
    ("0.0.0.0", False),
    ("224.0.0.1", False),
    ("240.0.0.1", False),
    ("255.255.255.255", False),
    ("::1", False),
    ("::", False),
    ("fe80::1", False),
    ("fe80::1%eth0", False),
    ("fc00::1", False),
    ("ff02::1", False),
    ("ff0e::1", False),             # global multicast is still multicast
    ("::ffff:127.0.0.1", False),
    ("::ffff:10.0.0.1", False),
    ("::ffff:93.184.216.34", True),
    ("2002:7f00:1::", False),       # 6to4 wrapping 127.0.0.1
    ("64:ff9b::a00:1", False),      # NAT64 wrapping 10.0.0.1
    ("64:ff9b::5db8:d822", True),   # NAT64 wrapping 93.184.216.34
])
def test_address_allowed(address: str, public: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert is_public_address(ip) is public
    assert policy().address_allowed(ip) is public
    assert policy(private=True).address_allowed(ip) is True


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="open, allowlist"):
        policy("closed")


def test_from_config(tmp_path: Path) -> None:
    config = from_values({
        "node": {"domain": "utrecht.example", "name": "Utrecht", "secret_key": "x" * 32},
        "federation": {
            "mode": "allowlist",
            "allowed_domains": ["amsterdam.example", "rotterdam.example:8443"],
            "blocked_domains": ["spam.example"],
            "allow_private_addresses": True,
        },
    }, tmp_path)
    rules = FederationPolicy.from_config(config)
    assert rules == FederationPolicy(
        "allowlist", frozenset({"amsterdam.example", "rotterdam.example"}), frozenset({"spam.example"}), True
    )
    assert rules.allows("rotterdam.example")
    assert not rules.allows("spam.example")


def test_from_config_defaults(tmp_path: Path) -> None:
    config = from_values({"node": {"domain": "utrecht.example", "name": "Utrecht", "secret_key": "x" * 32}}, tmp_path)
    rules = FederationPolicy.from_config(config)
    assert rules == FederationPolicy("open", frozenset(), frozenset(), False)
    assert rules.allows("anything.example")
    assert not rules.address_allowed(ipaddress.ip_address("127.0.0.1"))
