"""Log-in with the organisation's account against a real OpenID provider on loopback.

panva's oidc-provider (tests/oidc_provider, Node 22 from npm, installed by `make oidc-provider`)
runs with test users and a client; a real `meent serve` is configured with it. The tests walk the
whole redirect flow over HTTP: Meent's start, the provider's log-in form, the callback. Tokens the
provider would never issue (wrong issuer or audience, expired, another key, alg none, unknown kid)
are signed here, some with the provider's own key (the test made it), and checked by our code
against the provider's real JWKS endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from node.app import create_app
from node.config import from_values, to_toml
from node.services import accounts, lifecycle, oidc, oidc_members
from node.services.context import Node
from storage import oidc as links
from storage.db import Database
from tests.helpers import CSRF, PASSWORD, LiveNode, free_port, serve_node
from tests.oidc_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    NAME,
    TENANT,
    OpenIdProvider,
    node_tables,
    provider_installed,
)

pytestmark = pytest.mark.skipif(not provider_installed(),
                                reason="oidc-provider is not installed (make oidc-provider needs npm)")



class World:
    def __init__(self, provider: OpenIdProvider, live: LiveNode, node: Node) -> None:
        self.provider, self.live, self.node = provider, live, node

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=30)

    def to_callback(self, client: httpx.Client, user: str, next_url: str = "/settings") -> str:
        """Start at Meent, log in at the provider; the callback URL the provider sends the browser to."""
        page = client.get(f"{self.live.url}/auth/oidc/start", params={"provider": NAME, "next": next_url},
                          follow_redirects=True)
        assert page.status_code == 200 and 'name="login"' in page.text, page.text[:500]
        action = re.search(r'action="([^"]+)"', page.text)
        assert action
        response = client.post(self.provider.issuer + action.group(1), data={"login": user})
        while response.status_code in (302, 303):
            location = str(response.headers["location"])
            location = location if location.startswith("http") else self.provider.issuer + location
            if location.startswith(f"{self.live.url}/auth/oidc/callback"):
                return location
            response = client.get(location)
        raise AssertionError(f"no callback: {response.status_code} {response.text[:500]}")

    def log_in(self, client: httpx.Client, user: str) -> httpx.Response:
        return client.get(self.to_callback(client, user))

    def account(self, username: str) -> Any:
        return self.node.db.one("SELECT * FROM accounts WHERE username = ?", (username,))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = OpenIdProvider(folder, base + "/auth/oidc/callback")
    provider.start()
    tables = node_tables(port, folder, provider)
    config_path = folder / "config.toml"
    config_path.write_text(to_toml(tables))
    config = from_values(tables, folder)
    node = create_app(config, Database(config.database_path)).state.node  # migrates; the same database
    accounts.create(node, "beheerder", PASSWORD, role="admin", display_name="Beheerder")
    accounts.create(node, "alice", PASSWORD, display_name="Een andere Alice")  # the name SSO would want
    live = serve_node(config_path, port)
    try:
        yield World(provider, live, node)
    finally:
        live.stop()
        provider.stop()
        node.db.close()


def test_a_first_log_in_without_a_destination_lands_on_the_welcome_page(world: World) -> None:
    with world.client() as client:
        first = client.get(world.to_callback(client, "jet", "/"))
        assert first.status_code == 303 and first.headers["location"] == "/welcome", first.text[:500]
        assert "Welkom bij" in client.get(world.live.url + "/welcome").text
    with world.client() as client:
        again = client.get(world.to_callback(client, "jet", "/"))
        assert again.status_code == 303 and again.headers["location"] == "/"


def test_first_log_in_creates_the_member_and_the_next_updates_it(world: World) -> None:
    with world.client() as client:
        done = world.log_in(client, "alice")
        assert done.status_code == 303 and done.headers["location"] == "/settings", done.text[:500]
        assert client.get(world.live.url + "/settings").status_code == 200  # signed in
    link = links.link(world.node.db, NAME, f"{TENANT}:oid-alice")  # Entra's tid:oid, not sub
    assert link is not None and link["refresh_token"]  # sealed, not the token itself
    member = world.node.db.one("SELECT * FROM accounts WHERE id = ?", (link["account_id"],))
    assert member["username"] == "alice2"  # alice was taken by a local member
    assert (member["display_name"], member["email"]) == ("Alice de Vries", "alice@gemeente.example")
    assert (member["department"], member["job_title"]) == ("Burgerzaken", "Adviseur")
    assert member["password_hash"] == "!" and member["last_login_at"]
    with world.node.db.transaction():  # as if the member had changed their name here; the provider wins
        links.update_member(world.node.db, member["id"], {"display_name": "Oude naam", "email": "oud@x.example"})
    with world.client() as client:
        assert world.log_in(client, "alice").status_code == 303
    again = world.node.db.one("SELECT * FROM accounts WHERE id = ?", (member["id"],))
    assert (again["display_name"], again["email"]) == ("Alice de Vries", "alice@gemeente.example")
    assert world.node.db.scalar("SELECT count(*) FROM oidc_links WHERE subject = ?",
                                (f"{TENANT}:oid-alice",)) == 1


def test_a_link_keyed_by_the_bare_oid_is_rekeyed_to_tid_and_oid(world: World) -> None:
    """Links made before the tenant was part of the key stay the same member's."""
    with world.client() as client:
        assert world.log_in(client, "ivo").status_code == 303
    member = world.account("ivo")
    with world.node.db.transaction():
        world.node.db.execute("UPDATE oidc_links SET subject = 'oid-ivo' WHERE account_id = ?", (member["id"],))
    with world.client() as client:
        assert world.log_in(client, "ivo").status_code == 303
    rows = world.node.db.all("SELECT subject, account_id FROM oidc_links WHERE subject LIKE '%oid-ivo'")
    assert [(row["subject"], row["account_id"]) for row in rows] == [(f"{TENANT}:oid-ivo", member["id"])]
    assert world.node.db.scalar("SELECT count(*) FROM accounts WHERE display_name = 'Ivo Mulder'") == 1


def test_a_deleted_member_does_not_come_back_through_the_provider(world: World) -> None:
    with world.client() as client:
        assert world.log_in(client, "hanna").status_code == 303
    member = world.account("hanna")
    lifecycle.delete_member(world.node, "hanna")
    with world.client() as client:
        refused = world.log_in(client, "hanna")
        assert refused.status_code == 403 and "verwijderd" in refused.text, refused.text[:500]
        assert client.get(world.live.url + "/settings", follow_redirects=False).status_code in (302, 303)
    link = links.link(world.node.db, NAME, f"{TENANT}:oid-hanna")
    assert link is not None and link["account_id"] == member["id"]
    assert link["disabled_at"] and link["refresh_token"] == ""
    assert world.node.db.scalar("SELECT count(*) FROM accounts WHERE display_name = 'Hanna Kok'") == 0


def test_a_replayed_state_is_refused(world: World) -> None:
    with world.client() as client:
        callback = world.to_callback(client, "dave")
        assert client.get(callback).status_code == 303
        client.cookies.clear()
        replay = client.get(callback)
    assert replay.status_code == 403
    assert "niet worden gecontroleerd" in replay.text


def test_a_state_used_twice_in_the_same_browser_is_refused(world: World) -> None:
    with world.client() as client:
        callback = world.to_callback(client, "dave")
        assert client.get(callback).status_code == 303
        assert client.get(callback).status_code == 403


def test_a_forged_state_is_refused(world: World) -> None:
    with world.client() as client:
        callback = world.to_callback(client, "dave")
        query = parse_qs(urlsplit(callback).query)
        forged = client.get(f"{world.live.url}/auth/oidc/callback",
                            params={"state": "forged-" + query["state"][0][:10], "code": query["code"][0]})
        assert forged.status_code == 403
        # the real state from another browser (log-in CSRF) is refused too
        with world.client() as other:
            assert other.get(callback).status_code == 403


def test_a_tenant_not_on_the_allow_list_is_refused(world: World) -> None:
    with world.client() as client:
        refused = world.log_in(client, "mallory")
    assert refused.status_code == 403
    assert world.node.db.scalar("SELECT count(*) FROM oidc_links WHERE subject LIKE '%oid-mallory'") == 0
    assert world.account("mallory") is None


def test_the_allowed_email_domains_stay_a_second_gate(world: World) -> None:
    with world.client() as client:
        refused = world.log_in(client, "erin")
    assert refused.status_code == 403 and "gemeente.example" in refused.text
    assert world.account("erin") is None


def test_a_wrong_issuer_in_discovery_stops_the_start(world: World) -> None:
    """Configured as localhost, the provider calls itself 127.0.0.1: discovery is refused."""
    with pytest.raises(oidc.LoginFailed) as failed:
        asyncio.run(oidc.discovery(world.provider.issuer.replace("127.0.0.1", "localhost")))
    assert "discovery names issuer" in failed.value.reason


def test_a_disabled_user_is_shut_out_by_re_validation(world: World) -> None:
    with world.client() as client:
        assert world.log_in(client, "carol").status_code == 303
        assert client.get(world.live.url + "/settings").status_code == 200
        link = links.link(world.node.db, NAME, f"{TENANT}:oid-carol")
        assert link is not None
        # an app token, got through the consent page's SSO button (Mastodon apps log in the same way)
        token = _app_token_through_sso(world, client, "carol")
        me = httpx.get(world.live.url + "/api/v1/accounts/verify_credentials",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert me.status_code == 200 and me.json()["username"] == "carol"
        assert asyncio.run(oidc_members.revalidate(world.node, older_than=timedelta(0))) == 0  # still known
        world.provider.disable("carol")
        assert asyncio.run(oidc_members.revalidate(world.node, older_than=timedelta(0))) == 1
        assert client.get(world.live.url + "/settings", follow_redirects=False).status_code in (302, 303)
    member = world.node.db.one("SELECT * FROM accounts WHERE id = ?", (link["account_id"],))
    assert member["disabled"] == 1
    assert links.link(world.node.db, NAME, f"{TENANT}:oid-carol")["disabled_at"]
    refused = httpx.get(world.live.url + "/api/v1/accounts/verify_credentials",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert refused.status_code == 401


def test_an_expired_client_secret_shuts_nobody_out(world: World) -> None:
    """The provider refusing our client (invalid_client, 401) is our configuration's fault, not the
    member's: re-validation leaves every link and member as they were (an expired Entra secret)."""
    with world.client() as client:
        assert world.log_in(client, "gijs").status_code == 303
    values = dict(world.node.config.values)
    values["auth.oidc"] = [{**entry, "client_secret": "expired"} for entry in values["auth.oidc"]]
    expired = dataclasses.replace(world.node, config=dataclasses.replace(world.node.config, values=values))
    assert asyncio.run(oidc_members.revalidate(expired, older_than=timedelta(0))) == 0
    link = links.link(world.node.db, NAME, f"{TENANT}:oid-gijs")
    assert link is not None and link["disabled_at"] is None
    assert world.node.db.scalar("SELECT disabled FROM accounts WHERE id = ?", (link["account_id"],)) == 0


def _app_token_through_sso(world: World, client: httpx.Client, user: str) -> str:
    redirect = "urn:ietf:wg:oauth:2.0:oob"
    app = httpx.post(world.live.url + "/api/v1/apps", data={
        "client_name": "Testapp", "redirect_uris": redirect, "scopes": "read"}, timeout=10).json()
    query = {"client_id": app["client_id"], "redirect_uri": redirect, "response_type": "code", "scope": "read"}
    with world.client() as fresh:  # not yet signed in: the consent page offers the provider's button
        consent = fresh.get(world.live.url + "/oauth/authorize", params=query)
        assert consent.status_code == 200 and f"Inloggen met {NAME}" in consent.text
        button = re.search(r'href="(/auth/oidc/start\?[^"]+)"', consent.text)
        assert button
        next_url = parse_qs(urlsplit(button.group(1).replace("&amp;", "&")).query)["next"][0]
        assert next_url.startswith("/oauth/authorize?")
        done = fresh.get(world.to_callback(fresh, user, next_url))
        assert done.status_code == 303 and done.headers["location"] == next_url
        page = fresh.get(world.live.url + next_url)
        csrf = CSRF.search(page.text)
        assert csrf
        answer = fresh.post(world.live.url + "/oauth/authorize", data={**query, "csrf": csrf.group(1),
                                                                        "decision": "approve"})
        code = re.search(r"<code[^>]*>([^<]+)</code>", answer.text)
        assert answer.status_code == 200 and code, answer.text[:500]
    token = httpx.post(world.live.url + "/oauth/token", data={
        "grant_type": "authorization_code", "code": code.group(1).strip(), "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": redirect}, timeout=10)
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


# -- the provider's real token, rewritten on its way by the proxy: the callback refuses it ---------

def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return tuple(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[return-value]
                 for part in (header, payload))


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _resigned(world: World, key: RSAKey | None = None, **changes: Any) -> Callable[[str], str]:
    def tamper(token: str) -> str:
        _, claims = _parts(token)
        claims.update(changes)
        signer = key or world.provider.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)
    return tamper


def _unsigned(token: str) -> str:
    _, claims = _parts(token)
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


TAMPERED = {
    "wrong issuer": lambda world: _resigned(world, iss="http://127.0.0.1:1"),
    "wrong audience": lambda world: _resigned(world, aud="another-client"),
    "expired": lambda world: _resigned(world, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "another key, same kid": lambda world: _resigned(
        world, RSAKey.generate_key(2048, parameters={"kid": "provider-key"}, private=True)),
    "unknown kid": lambda world: _resigned(
        world, RSAKey.generate_key(2048, parameters={"kid": "never-published"}, private=True)),
    "alg none": lambda world: _unsigned,
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_the_callback_refuses_a_tampered_id_token(world: World, case: str) -> None:
    world.provider.proxy.tamper = TAMPERED[case](world)
    try:
        with world.client() as client:
            refused = world.log_in(client, "frank")
    finally:
        world.provider.proxy.tamper = None
    assert refused.status_code == 403, refused.text[:300]
    assert "niet worden gecontroleerd" in refused.text
    assert links.link(world.node.db, NAME, f"{TENANT}:oid-frank") is None


def test_the_untampered_path_through_the_proxy_works(world: World) -> None:
    """The same walk with the token left alone logs in: the refusals above are about the token."""
    world.provider.proxy.tamper = _resigned(world)  # re-signed with the provider's key, claims unchanged
    try:
        with world.client() as client:
            assert world.log_in(client, "frank").status_code == 303
    finally:
        world.provider.proxy.tamper = None
    assert links.link(world.node.db, NAME, f"{TENANT}:oid-frank") is not None


# -- tokens the provider never issued, checked by our code against its real JWKS ---------------------

def _claims(world: World, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": world.provider.issuer, "aud": CLIENT_ID, "sub": "x", "nonce": "n-1",
                              "iat": now, "exp": now + 300, "tid": TENANT}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _check(world: World, token: str, issuer: str | None = None,
           tenants: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Our validation against the real discovery and JWKS; `issuer` replaces the advertised one,
    `tenants` the configured allowed_tenants."""
    chosen = oidc.providers(world.node)[0]
    if tenants is not None:
        chosen = dataclasses.replace(chosen, allowed_tenants=tenants)

    async def run() -> dict[str, Any]:
        document = await oidc.discovery(chosen.issuer)
        if issuer is not None:
            document = {**document, "issuer": issuer}
        return await oidc.validate_id_token(chosen, document, token, "n-1")
    return asyncio.run(run())


def _signed(world: World, key: RSAKey | None = None, **changes: Any) -> str:
    key = key or world.provider.key
    return jwt.encode({"alg": "RS256", "kid": key.kid}, _claims(world, **changes), key)


def test_a_token_signed_with_the_providers_key_passes(world: World) -> None:
    assert _check(world, _signed(world))["sub"] == "x"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"iss": "http://127.0.0.1:1"}, "issuer"),
    ({"aud": "someone-else"}, "audience"),
    ({"aud": [CLIENT_ID, "someone-else"]}, "azp"),
    ({"nonce": "n-2"}, "nonce"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "future"),
    ({"tid": "tenant-elders"}, "tenant"),
])
def test_a_token_with_a_wrong_claim_is_refused(world: World, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, _signed(world, **changes))
    assert reason in failed.value.reason


def test_a_token_signed_with_another_key_is_refused(world: World) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "provider-key"}, private=True)  # the same kid, a forger's key
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, _signed(world, other))
    assert "bad signature" in failed.value.reason


def test_a_token_with_an_unknown_kid_is_refused(world: World) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "rotated-key"}, private=True)
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, _signed(world, other))
    assert "unknown key id" in failed.value.reason


def test_alg_none_is_refused(world: World) -> None:
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    token = f"{part({'alg': 'none'})}.{part(_claims(world))}."
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, token)
    assert "not allowed" in failed.value.reason


def test_hs256_with_the_client_secret_is_refused_when_the_provider_does_not_offer_it(world: World) -> None:
    document = asyncio.run(oidc.discovery(world.provider.issuer))
    secret = OctKey.import_key(CLIENT_SECRET)
    token = jwt.encode({"alg": "HS256"}, _claims(world), secret)
    expected_refusal = "HS256" not in document.get("id_token_signing_alg_values_supported", [])
    if expected_refusal:
        with pytest.raises(oidc.LoginFailed) as failed:
            _check(world, token)
        assert "not allowed" in failed.value.reason
    else:
        assert _check(world, token)["sub"] == "x"


def test_an_entra_tenant_template_is_filled_from_tid(world: World) -> None:
    """Entra's common endpoint advertises .../{tenantid}: the token's own tid fills it in."""
    template = world.provider.issuer + "/{tenantid}"
    good = _signed(world, iss=f"{world.provider.issuer}/{TENANT}")
    assert _check(world, good, template)["tid"] == TENANT
    with pytest.raises(oidc.LoginFailed) as failed:  # a token of another tenant, with our tid claimed
        _check(world, _signed(world, iss=f"{world.provider.issuer}/tenant-elders"), template)
    assert "issuer" in failed.value.reason
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, _signed(world, iss=f"{world.provider.issuer}/{TENANT}", tid=None), template)
    assert "no tid" in failed.value.reason


def test_a_multi_tenant_issuer_without_allowed_tenants_lets_nobody_in(world: World) -> None:
    """/common or /organizations with no allow-list would take any tenant's users (and their
    self-typed e-mail addresses): refused with a reason naming the missing setting."""
    template = world.provider.issuer + "/{tenantid}"
    with pytest.raises(oidc.LoginFailed) as failed:
        _check(world, _signed(world, iss=f"{world.provider.issuer}/{TENANT}"), template, tenants=())
    assert "allowed_tenants" in failed.value.reason


def test_a_multi_tenant_discovery_matches_the_common_endpoint() -> None:
    assert oidc._same_issuer("https://login.microsoftonline.com/{tenantid}/v2.0",
                             "https://login.microsoftonline.com/common/v2.0")
    assert not oidc._same_issuer("https://login.microsoftonline.com/{tenantid}/v2.0",
                                 "https://login.example.nl/common/v2.0")
    assert not oidc._same_issuer("https://a.example/x", "https://a.example/y")


def test_a_rotated_key_is_found_by_refetching_the_jwks(world: World) -> None:
    """The node still holds yesterday's key set (the provider has rotated since): one refetch finds
    the new key and the token passes."""
    from joserfc.jwk import KeySet

    document = asyncio.run(oidc.discovery(world.provider.issuer))
    old = RSAKey.generate_key(2048, parameters={"kid": "yesterday"}, private=True)
    oidc._jwks[document["jwks_uri"]] = KeySet([old])
    oidc._jwks_fetched[document["jwks_uri"]] = 0.0
    assert _check(world, _signed(world))["sub"] == "x"
    assert any(key.kid == "provider-key" for key in oidc._jwks[document["jwks_uri"]].keys)
