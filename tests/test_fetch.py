"""Fetcher and the guarded session against a real HTTP server on 127.0.0.1 that checks our signatures."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from federation import signatures
from federation.fetch import ACTIVITY_ACCEPT, Fetcher, FetchError
from federation.http import BlockedAddress, GuardedResolver, make_session
from federation.keys import generate_pem_pair, load_private
from federation.policy import FederationPolicy

KEY_ID = "https://utrecht.example/organisation#main-key"
USER_AGENT = "Meent-test/0.1 (+https://utrecht.example/)"
LOOPBACK = FederationPolicy("open", frozenset(), frozenset(), allow_private_addresses=True)
GUARDED = FederationPolicy("open", frozenset(), frozenset(), allow_private_addresses=False)
SEEN = web.AppKey("seen", list)
PUBLIC_KEY = web.AppKey("public_key", RSAPublicKey)


@dataclass(frozen=True)
class Keys:
    private: RSAPrivateKey
    public: RSAPublicKey


def _pair() -> Keys:
    private = load_private(generate_pem_pair()[1])
    return Keys(private, private.public_key())


@pytest.fixture(scope="module")
def keys() -> Keys:
    return _pair()


@pytest.fixture(scope="module")
def other_keys() -> Keys:
    return _pair()


# The test server -------------------------------------------------------------------------------

@web.middleware
async def check_signature(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
    """Like an "authorized fetch" server: every GET outside /.well-known must carry our signature."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    request.app[SEEN].append(headers)
    if request.path.startswith("/.well-known/"):
        if "signature" in headers:
            return web.Response(status=400, text="WebFinger requests are not signed")
        return await handler(request)
    try:
        params = signatures.verify("GET", request.raw_path, headers, None, request.app[PUBLIC_KEY], datetime.now(UTC))
    except signatures.SignatureError as error:
        return web.Response(status=401, text=str(error))
    if params.headers != signatures.GET_HEADERS or params.key_id != KEY_ID:
        return web.Response(status=401, text="wrong signed headers or key")
    return await handler(request)


def activity(request: web.Request, document: Any, content_type: str = "application/activity+json") -> web.Response:
    return web.Response(body=json.dumps(document).encode(), headers={"Content-Type": content_type})


def base(request: web.Request) -> str:
    return f"http://{request.host}"


async def actor(request: web.Request) -> web.Response:
    response = activity(request, {"id": f"{base(request)}/actor", "type": "Organization"})
    response.set_cookie("tracker", "1")
    return response


async def ld_actor(request: web.Request) -> web.Response:
    content_type = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    return activity(request, {"id": f"{base(request)}/ld", "type": "Person"}, content_type)


async def spoof(request: web.Request) -> web.Response:
    return activity(request, {"id": "https://other.example/users/mayor", "type": "Person"})


async def redirect(request: web.Request) -> web.Response:
    hops = int(request.match_info["hops"])
    raise web.HTTPFound(f"/redirect/{hops - 1}" if hops > 1 else "/actor")


async def redirect_away(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": request.query["to"]})  # HTTPFound would check it


async def huge(request: web.Request) -> web.Response:
    return web.Response(body=b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}', content_type="application/json")


async def huge_chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(b'{"a": "')
        for _ in range(32):
            await response.write(b"x" * 65_536)
        await response.write(b'"}')
    except ConnectionError:
        pass  # the client hung up at its limit, as it should
    return response


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return activity(request, {"id": f"{base(request)}/slow"})


async def html(request: web.Request) -> web.Response:
    return web.Response(text="<!doctype html><p>Hello</p>", content_type="text/html")


async def garbage(request: web.Request) -> web.Response:
    return web.Response(text="{not json", content_type="application/activity+json")


async def gone(request: web.Request) -> web.Response:
    raise web.HTTPGone()


async def array(request: web.Request) -> web.Response:
    return activity(request, [{"id": f"{base(request)}/array"}])


async def webfinger(request: web.Request) -> web.Response:
    subject = request.query.get("resource", "")
    # A JRD carries no id of its own; this one names another origin to show the id rule does not apply.
    return activity(request, {"subject": subject, "id": "https://other.example/x", "links": []}, "application/jrd+json")


ROUTES = {
    "/actor": actor, "/ld": ld_actor, "/spoof": spoof, "/redirect/{hops}": redirect, "/redirect-away": redirect_away,
    "/huge": huge, "/huge-chunked": huge_chunked, "/slow": slow, "/html": html, "/garbage": garbage, "/gone": gone,
    "/array": array, "/.well-known/webfinger": webfinger,
}


@asynccontextmanager
async def serving(public_key: RSAPublicKey) -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """The server's base URL and the headers of every request it saw."""
    app = web.Application(middlewares=[check_signature])
    app[SEEN] = []
    app[PUBLIC_KEY] = public_key
    for path, handler in ROUTES.items():
        app.router.add_get(path, handler)
    # handler_cancellation: the slow handler stops when the client gives up, so shutdown is quick.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}", app[SEEN]
    finally:
        await runner.cleanup()


def fetch(
    keys: Keys, path: str, *, policy: FederationPolicy = LOOPBACK, jrd: bool = False, signed: bool = True,
    with_signer: bool = True, host: str = "127.0.0.1", **options: Any,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """One fetch of `path` from a fresh server: the document and the headers the server saw."""

    async def scenario() -> tuple[dict[str, Any], list[dict[str, str]]]:
        async with serving(keys.public) as (url, seen), make_session(policy, USER_AGENT) as session:
            fetcher = Fetcher(session, policy, (lambda: (KEY_ID, keys.private)) if with_signer else None, **options)
            target = url.replace("127.0.0.1", host) + path
            document = await (fetcher.get_jrd(target) if jrd else fetcher.get_json(target, signed=signed))
            return document, seen

    return asyncio.run(scenario())


def fetch_error(keys: Keys, path: str, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(keys, path, **kwargs)
    return caught.value


# What a good fetch looks like ------------------------------------------------------------------

def test_signed_get_of_an_actor(keys: Keys) -> None:
    document, seen = fetch(keys, "/actor")
    assert document["type"] == "Organization"
    assert document["id"].endswith("/actor")
    [headers] = seen
    assert headers["accept"] == ACTIVITY_ACCEPT
    assert headers["user-agent"] == USER_AGENT
    assert headers["signature"].startswith(f'keyId="{KEY_ID}",algorithm="rsa-sha256"')


def test_ld_json_with_a_profile_is_json(keys: Keys) -> None:
    document, _ = fetch(keys, "/ld")
    assert document["type"] == "Person"


def test_cookies_are_never_sent_back(keys: Keys) -> None:
    async def scenario() -> list[dict[str, str]]:
        async with serving(keys.public) as (url, seen), make_session(LOOPBACK, USER_AGENT) as session:
            fetcher = Fetcher(session, LOOPBACK, lambda: (KEY_ID, keys.private))
            await fetcher.get_json(url + "/actor")
            await fetcher.get_json(url + "/actor")
            return seen

    first, second = asyncio.run(scenario())
    assert "cookie" not in first and "cookie" not in second


def test_the_server_refuses_another_key(keys: Keys, other_keys: Keys) -> None:
    error = fetch_error(Keys(other_keys.private, keys.public), "/actor")
    assert error.status == 401
    assert "HTTP 401" in str(error)


@pytest.mark.parametrize("options", [{"signed": False}, {"with_signer": False}])
def test_unsigned_fetches_carry_no_signature(keys: Keys, options: dict[str, bool]) -> None:
    assert fetch_error(keys, "/actor", **options).status == 401


def test_webfinger_is_unsigned_and_has_no_id_rule(keys: Keys) -> None:
    document, seen = fetch(keys, "/.well-known/webfinger?resource=acct:anne@127.0.0.1", jrd=True)
    assert document["subject"] == "acct:anne@127.0.0.1"
    assert seen[0]["accept"] == "application/jrd+json, application/json"
    assert "signature" not in seen[0]


# Redirects ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("hops", [1, 3])
def test_redirects_are_followed_and_signed_again(keys: Keys, hops: int) -> None:
    document, seen = fetch(keys, f"/redirect/{hops}")
    assert document["id"].endswith("/actor")
    assert len(seen) == hops + 1  # every hop passed the server's signature check


def test_four_redirects_are_too_many(keys: Keys) -> None:
    error = fetch_error(keys, "/redirect/4")
    assert "more than 3 redirects" in str(error)


@pytest.mark.parametrize(("to", "message"), [
    ("https://blocked.example/actor", "blocked domain: blocked.example"),
    ("file:///etc/passwd", "only http and https"),
    ("http://[bad/", "not a valid URL"),
])
def test_a_bad_redirect_is_not_followed(keys: Keys, to: str, message: str) -> None:
    policy = FederationPolicy("open", frozenset(), frozenset({"blocked.example"}), True)
    assert message in str(fetch_error(keys, f"/redirect-away?to={quote(to)}", policy=policy))


# Answers that are refused -----------------------------------------------------------------------

def test_an_id_on_another_origin_is_refused(keys: Keys) -> None:
    error = fetch_error(keys, "/spoof")
    assert "id origin mismatch" in str(error)
    assert "https://other.example/users/mayor" in str(error)


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_a_huge_body_is_refused(keys: Keys, path: str) -> None:
    error = fetch_error(keys, path)
    assert "too large" in str(error)
    assert "1048576" in str(error)


def test_a_slow_answer_times_out(keys: Keys) -> None:
    error = fetch_error(keys, "/slow", timeout=0.3)
    assert "timeout" in str(error)


@pytest.mark.parametrize(("path", "message"), [
    ("/html", "wrong content type text/html"),
    ("/garbage", "not JSON"),
    ("/array", "not a JSON object but an array"),
])
def test_what_is_not_a_json_object_is_refused(keys: Keys, path: str, message: str) -> None:
    assert message in str(fetch_error(keys, path))


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/gone", 410)])
def test_http_errors_carry_their_status(keys: Keys, path: str, status: int) -> None:
    error = fetch_error(keys, path)
    assert error.status == status
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "/relative", "http://u:p@127.0.0.1/"])
def test_only_plain_http_urls_are_fetched(url: str) -> None:
    async def scenario() -> None:
        async with make_session(LOOPBACK, USER_AGENT) as session:
            await Fetcher(session, LOOPBACK, None).get_json(url)

    with pytest.raises(FetchError, match="http and https|credentials"):
        asyncio.run(scenario())


# The policy -----------------------------------------------------------------------------------------

def test_a_blocked_domain_is_not_contacted(keys: Keys) -> None:
    policy = FederationPolicy("open", frozenset(), frozenset({"127.0.0.1"}), True)
    error = fetch_error(keys, "/actor", policy=policy)
    assert "blocked domain: 127.0.0.1" in str(error)


@pytest.mark.parametrize(("allowed", "ok"), [({"127.0.0.1"}, True), ({"utrecht.example"}, False)])
def test_allowlist_mode(keys: Keys, allowed: set[str], ok: bool) -> None:
    policy = FederationPolicy("allowlist", frozenset(allowed), frozenset(), True)
    if ok:
        assert fetch(keys, "/actor", policy=policy)[0]["type"] == "Organization"
    else:
        assert "blocked domain" in str(fetch_error(keys, "/actor", policy=policy))


# The address guard --------------------------------------------------------------------------------

def test_a_literal_loopback_address_is_refused(keys: Keys) -> None:
    # aiohttp never asks the resolver about literal IPs; the session's socket factory catches these.
    error = fetch_error(keys, "/actor", policy=GUARDED)
    assert "refused address" in str(error) and "127.0.0.1" in str(error)
    assert isinstance(error.__cause__, aiohttp.ClientConnectorError)
    assert isinstance(error.__cause__.os_error, BlockedAddress)


@pytest.mark.parametrize("url", [
    "http://[::1]:9/actor", "http://[::ffff:127.0.0.1]:9/actor", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1:9/actor", "http://0.0.0.0:9/actor",
])
def test_literal_private_addresses_are_refused_before_connecting(url: str) -> None:
    async def scenario() -> None:
        async with make_session(GUARDED, USER_AGENT) as session:
            await Fetcher(session, GUARDED, None).get_json(url)

    with pytest.raises(FetchError, match="refused address: connection to refused address"):
        asyncio.run(scenario())


def test_a_name_resolving_to_loopback_is_refused(keys: Keys) -> None:
    error = fetch_error(keys, "/actor", policy=GUARDED, host="localhost")
    assert "localhost resolves to refused address 127.0.0.1" in str(error)
    assert isinstance(error.__cause__, aiohttp.ClientConnectorError)
    assert isinstance(error.__cause__.os_error, BlockedAddress)


class FixedResolver(AbstractResolver):
    """Answers every name with the same addresses, as a rebinding DNS server might."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        return [
            {"hostname": host, "host": address, "port": port, "family": family, "proto": 0, "flags": 0}
            for address in self.addresses
        ]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("policy", "addresses", "kept"), [
    (GUARDED, ["93.184.216.34", "127.0.0.1", "10.0.0.1"], ["93.184.216.34"]),
    (GUARDED, ["::ffff:192.168.0.1", "2606:2800:220:1:248:1893:25c8:1946"], ["2606:2800:220:1:248:1893:25c8:1946"]),
    (GUARDED, ["169.254.169.254"], []),
    (GUARDED, [], []),
    (LOOPBACK, ["127.0.0.1", "10.0.0.1"], ["127.0.0.1", "10.0.0.1"]),
])
def test_the_resolver_drops_refused_addresses(policy: FederationPolicy, addresses: list[str], kept: list[str]) -> None:
    resolver = GuardedResolver(policy, FixedResolver(addresses))
    if kept:
        results = asyncio.run(resolver.resolve("remote.example", 443))
        assert [result["host"] for result in results] == kept
    else:
        with pytest.raises(BlockedAddress, match="remote.example resolves to refused address"):
            asyncio.run(resolver.resolve("remote.example", 443))
