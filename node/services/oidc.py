"""Log-in with the organisation's account: OpenID Connect, authorization code flow with PKCE (S256).

The attempt's state, nonce and PKCE verifier stay on the server (single use, ten minutes); the state
in the URL only names the attempt, and through it the provider. The ID token is checked here in
full: issuer (never skipped; Entra's `{tenantid}` template is filled in from the token's `tid`,
which must be on the allow-list), audience, nonce, expiry and signature with the provider's JWKS
(refetched once for an unknown key id; only algorithms the provider advertises; `none` never).
The JOSE parts come from joserfc. Members and links: node/services/oidc_members.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from node.services.context import Node
from node.services.errors import Forbidden, NotFound
from storage import oidc

FLOW_SECONDS = 600
LEEWAY_SECONDS = 120  # clocks of provider and node may differ a little
DISCOVERY_SECONDS = 3600
TIMEOUT = aiohttp.ClientTimeout(total=10)
CALLBACK_PATH = "/auth/oidc/callback"


class LoginFailed(Forbidden):
    """The provider's answer cannot be trusted or used; `reason` is for the log, never the page."""

    def __init__(self, reason: str) -> None:
        super().__init__("error.oidc_failed")
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    allowed_tenants: tuple[str, ...]


def providers(node: Node) -> list[Provider]:
    return [Provider(p["name"], p["issuer"].rstrip("/"), p["client_id"], p["client_secret"],
                     tuple(p["allowed_tenants"])) for p in node.config["auth.oidc"]]


def provider(node: Node, name: str) -> Provider:
    for candidate in providers(node):
        if candidate.name == name:
            return candidate
    raise NotFound("error.oidc_unknown_provider")


def redirect_uri(node: Node) -> str:
    return node.config.base_url + CALLBACK_PATH


# -- discovery and keys, cached per issuer ------------------------------------------------------

_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, KeySet] = {}
_jwks_fetched: dict[str, float] = {}
REFETCH_SECONDS = 30


async def _request(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    """One call to the provider, with a timeout; the status and the JSON body (None if not JSON)."""
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as client, \
                client.request(method, url, allow_redirects=False, **kwargs) as response:
            status = response.status
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise LoginFailed(f"{url}: {error.__class__.__name__}") from None
    return status, body


async def _get_json(url: str) -> dict[str, Any]:
    status, body = await _request("GET", url)
    if status != 200 or not isinstance(body, dict):
        raise LoginFailed(f"{url}: HTTP {status}" + ("" if isinstance(body, dict) else ", not a JSON object"))
    return body


async def discovery(issuer: str) -> dict[str, Any]:
    """The provider's metadata; its `issuer` must be the configured one exactly (OIDC Discovery 4.3)."""
    cached = _discovery.get(issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    document = await _get_json(issuer + "/.well-known/openid-configuration")
    if not _same_issuer(str(document.get("issuer", "")).rstrip("/"), issuer):
        raise LoginFailed(f"discovery names issuer {document.get('issuer')!r}, configured {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise LoginFailed(f"discovery lacks {key}")
    _discovery[issuer] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


def _same_issuer(advertised: str, configured: str) -> bool:
    """Equal, or Entra's multi-tenant template (.../{tenantid}/v2.0) for .../common/v2.0 and the like."""
    if advertised == configured:
        return True
    if "{tenantid}" not in advertised:
        return False
    pattern = re.escape(advertised).replace(re.escape("{tenantid}"), "[^/]+")
    return re.fullmatch(pattern, configured) is not None


async def _keys(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    """The provider's keys; `fresh` refetches (key rotation), at most every REFETCH_SECONDS, so tokens
    with made-up key ids cannot make us hammer the provider."""
    fetched = _jwks_fetched.get(jwks_uri, 0.0)
    if jwks_uri not in _jwks or (fresh and time.monotonic() - fetched > REFETCH_SECONDS):
        _jwks_fetched[jwks_uri] = time.monotonic()
        body = await _get_json(jwks_uri)
        try:
            _jwks[jwks_uri] = KeySet.import_key_set(body)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise LoginFailed("the provider's JWKS cannot be read") from None
    return _jwks[jwks_uri]


# -- the flow ------------------------------------------------------------------------------------

def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _scopes(document: dict[str, Any]) -> str:
    supported = document.get("scopes_supported") or []
    wanted = ["openid", "profile", "email"] + (["offline_access"] if "offline_access" in supported else [])
    return " ".join(wanted)


async def start(node: Node, name: str, next_url: str) -> tuple[str, str]:
    """The provider's authorization URL for a new attempt, remembered on the server, and its state
    (the door binds it to the browser)."""
    chosen = provider(node, name)
    document = await discovery(chosen.issuer)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    with node.db.transaction():
        oidc.put_flow(node.db, state_hash=_hash(state), provider=chosen.name, nonce=nonce, verifier=verifier,
                      next_url=next_url, expires_at=time.time() + FLOW_SECONDS, now=time.time())
    query = urlencode({
        "response_type": "code", "client_id": chosen.client_id, "redirect_uri": redirect_uri(node),
        "scope": _scopes(document), "state": state, "nonce": nonce,
        "code_challenge": _challenge(verifier), "code_challenge_method": "S256",
    })
    endpoint = document["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state


@dataclass(frozen=True)
class Result:
    provider: Provider
    claims: dict[str, Any]
    refresh_token: str | None
    next_url: str


async def finish(node: Node, state: str, code: str) -> Result:
    """The callback: the attempt (used up now), the code exchanged, the ID token checked."""
    with node.db.transaction():
        flow = oidc.take_flow(node.db, _hash(state), time.time()) if state else None
    if flow is None:
        raise LoginFailed("unknown, used or expired state")
    chosen = provider(node, flow["provider"])
    document = await discovery(chosen.issuer)
    tokens = await _token_request(chosen, document, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(node),
        "code_verifier": flow["verifier"],
    })
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise LoginFailed("no id_token in the token response")
    claims = await validate_id_token(chosen, document, id_token, flow["nonce"])
    refresh = tokens.get("refresh_token")
    return Result(chosen, claims, refresh if isinstance(refresh, str) else None, flow["next"])


def _client_auth(chosen: Provider, document: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if chosen.client_secret and "client_secret_basic" not in methods and "client_secret_post" in methods:
        return {"data": {**form, "client_id": chosen.client_id, "client_secret": chosen.client_secret}}
    if chosen.client_secret:
        pair = f"{quote(chosen.client_id, safe='')}:{quote(chosen.client_secret, safe='')}"  # RFC 6749 2.3.1
        return {"data": form, "headers": {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}}
    return {"data": {**form, "client_id": chosen.client_id}}


class TokenRefused(Exception):
    """The token endpoint said no (invalid_grant, 401): the grant or the account is gone."""


async def _token_request(chosen: Provider, document: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    status, body = await _request("POST", document["token_endpoint"], **_client_auth(chosen, document, form))
    if status != 200 or not isinstance(body, dict):
        error_code = str(body.get("error", "")) if isinstance(body, dict) else ""
        if error_code == "invalid_grant":  # this member's grant is gone: their account, not ours
            raise TokenRefused(error_code)
        # invalid_client, unauthorized_client, a bare 401: our client's credentials (an expired secret)
        # or the provider are at fault, and no member may be shut out for that
        raise LoginFailed(f"token endpoint: HTTP {status} {error_code}".rstrip())
    return body


# -- the ID token --------------------------------------------------------------------------------

def _algorithms(chosen: Provider, document: dict[str, Any]) -> list[str]:
    advertised = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    allowed = [a for a in advertised if isinstance(a, str) and a != "none"]
    if not chosen.client_secret:
        allowed = [a for a in allowed if not a.startswith("HS")]
    return allowed


def _header(id_token: str) -> dict[str, Any]:
    """The protected header, read before any key is chosen (an alg outside the list stops here)."""
    try:
        part = id_token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise LoginFailed("the id_token is not a compact JWS") from None
    if not isinstance(header, dict) or id_token.count(".") != 2:
        raise LoginFailed("the id_token is not a compact JWS")
    return header


async def validate_id_token(chosen: Provider, document: dict[str, Any], id_token: str, nonce: str,
                            *, now: float | None = None) -> dict[str, Any]:
    """The token's claims once every check passed; LoginFailed names the first that did not."""
    header = _header(id_token)
    alg = header.get("alg")
    algorithms = _algorithms(chosen, document)
    if alg not in algorithms:  # `none` is never in the list
        raise LoginFailed(f"algorithm {alg!r} not allowed (provider offers {algorithms})")
    if str(alg).startswith("HS"):
        key: Any = OctKey.import_key(chosen.client_secret)
    else:
        key = await _keys(document["jwks_uri"])
        kid = header.get("kid")
        if kid is not None and all(k.kid != kid for k in key.keys):  # the provider rotated its keys
            key = await _keys(document["jwks_uri"], fresh=True)
            if all(k.kid != kid for k in key.keys):
                raise LoginFailed(f"unknown key id {kid!r}")
    try:
        token = jwt.decode(id_token, key, algorithms=[str(alg)])
    except (JoseError, ValueError, TypeError) as error:
        raise LoginFailed(f"bad signature ({error.__class__.__name__})") from None
    claims = dict(token.claims)
    _check_claims(chosen, str(document["issuer"]).rstrip("/"), claims, nonce, time.time() if now is None else now)
    return claims


def _expected_issuer(issuer: str, claims: dict[str, Any]) -> str:
    """The discovery's issuer; Entra's multi-tenant template gets the token's own tenant filled in."""
    if "{tenantid}" not in issuer:
        return issuer
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", tenant):
        raise LoginFailed("multi-tenant issuer but the token has no tid")
    return issuer.replace("{tenantid}", tenant)


def _check_claims(chosen: Provider, issuer: str, claims: dict[str, Any], nonce: str, now: float) -> None:
    if "{tenantid}" in issuer and not chosen.allowed_tenants:  # /common, /organizations: any tenant on earth
        raise LoginFailed("a multi-tenant issuer needs allowed_tenants: the tenants whose people may log in")
    expected = _expected_issuer(issuer, claims)
    if not secrets.compare_digest(str(claims.get("iss", "")).rstrip("/").encode(), expected.encode()):
        raise LoginFailed(f"issuer {claims.get('iss')!r} is not {expected!r}")
    if chosen.allowed_tenants and claims.get("tid") not in chosen.allowed_tenants:
        raise LoginFailed(f"tenant {claims.get('tid')!r} is not allowed")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if chosen.client_id not in audiences:
        raise LoginFailed(f"audience {audience!r} is not {chosen.client_id!r}")
    if len(audiences) > 1 and claims.get("azp") != chosen.client_id:
        raise LoginFailed("several audiences and azp is not us")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise LoginFailed("nonce does not match")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS < now:
        raise LoginFailed("the id_token has expired")
    if not isinstance(iat, int | float) or iat - LEEWAY_SECONDS > now:
        raise LoginFailed("the id_token was issued in the future")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LoginFailed("the id_token has no sub")


def subject(claims: dict[str, Any]) -> str:
    """The provider's stable id of the person: Entra's `tid:oid` (an `oid` is only unique within its
    tenant, and a multi-tenant app sees several), else `sub`."""
    if isinstance(claims.get("tid"), str) and isinstance(claims.get("oid"), str):
        return f"{claims['tid']}:{claims['oid']}"
    return str(claims["sub"])


def legacy_subject(claims: dict[str, Any]) -> str | None:
    """The bare `oid` that links made before the tenant was part of the key used."""
    if isinstance(claims.get("tid"), str) and isinstance(claims.get("oid"), str):
        return str(claims["oid"])
    return None


async def refresh(chosen: Provider, refresh_token: str) -> str | None:
    """Use the refresh token: a new one if the provider rotates it; TokenRefused if the grant is gone."""
    document = await discovery(chosen.issuer)
    body = await _token_request(chosen, document, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    new = body.get("refresh_token")
    return new if isinstance(new, str) else None
