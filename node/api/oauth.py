"""OAuth 2 endpoints: register an app, authorize (our log-in and consent page), tokens, revoke."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.api import tokens
from node.api.auth import app_token
from node.api.respond import ApiError, json, params, strings, text
from node.pages.oidc import sso_context
from node.pages.second_factor import after_password
from node.services import accounts, second_factor
from node.web import client_address, current_account, field, log_in, node_of, read_form, render, t
from storage import tokens as token_store
from storage.db import Row

AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "scopes", "state", "code_challenge",
                    "code_challenge_method")


async def register_app(request: Request) -> Response:
    values = await params(request)
    redirects = strings(values, "redirect_uris") or text(values, "redirect_uris", tokens.OOB).split()
    app = tokens.register_app(node_of(request), text(values, "client_name"), redirects,
                              text(values, "scopes", "read"), text(values, "website") or None)
    return json(app)


async def verify_app(request: Request) -> Response:
    token = app_token(request)
    app = token_store.app_by_id(node_of(request).db, token["app_id"])
    assert app is not None
    uris = app["redirect_uris"].split("\n")
    return json({"id": str(app["id"]), "name": app["name"], "website": app["website"],
                 "redirect_uri": app["redirect_uris"], "redirect_uris": uris,
                 "scopes": app["scopes"].split(), "vapid_key": ""})


def _authorize_request(request: Request, values: dict[str, str]) -> tuple[Row, str, list[str]]:
    node = node_of(request)
    app = tokens.app_for(node, values.get("client_id", ""))
    redirect_uri = values.get("redirect_uri") or app["redirect_uris"].split("\n")[0]
    scopes = tokens.parse_scopes(values.get("scope", "") or values.get("scopes", ""), "read")
    tokens.check_request(app, redirect_uri, scopes)
    if values.get("response_type", "code") != "code":
        raise ApiError(400, "unsupported_response_type", "Only response_type=code is supported.")
    if values.get("code_challenge") and values.get("code_challenge_method", "plain") != "S256":
        raise ApiError(400, "invalid_request", "Only the S256 code challenge method is supported.")
    return app, redirect_uri, scopes


async def authorize_page(request: Request) -> Response:
    values = dict(request.query_params)
    try:
        app, _, scopes = _authorize_request(request, values)
    except ApiError as error:
        return render(request, "error.html", {"title_key": "oauth.title", "message": error.description}, 400)
    return render(request, "oauth_authorize.html", {"app": app, "scopes": scopes, "query": values,
                                                    **sso_context(request)})


async def authorize(request: Request) -> Response:
    form = await read_form(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        app, redirect_uri, scopes = _authorize_request(request, values)
    except ApiError as error:
        return render(request, "error.html", {"title_key": "oauth.title", "message": error.description}, 400)
    node = node_of(request)
    account = current_account(request)
    if account is None:
        account = await accounts.authenticate(node, field(form, "username"), field(form, "password"),
                                              client_address(request))
        if account is None:
            return render(request, "oauth_authorize.html", {
                **sso_context(request), "app": app, "scopes": scopes, "query": values,
                "errors": {"_": t(request, "login.failed")},
                "values": {"username": field(form, "username")}}, 401)
        back_here = "/oauth/authorize?" + urlencode({k: v for k, v in values.items() if k in AUTHORIZE_FIELDS})
        second_step = after_password(request, account, back_here)
        if second_step is not None:  # the code (or enrolment) first, then this consent page again
            return second_step
        log_in(request, account)
    if field(form, "decision") != "approve":
        return _back(redirect_uri, {"error": "access_denied", "state": values.get("state", "")})
    code = tokens.issue_code(node, app, account, redirect_uri, scopes, values.get("code_challenge") or None,
                             values.get("code_challenge_method") or None)
    if redirect_uri == tokens.OOB:
        return render(request, "oauth_code.html", {"app": app, "code": code})
    return _back(redirect_uri, {"code": code, "state": values.get("state", "")})


def _back(redirect_uri: str, query: dict[str, str]) -> Response:
    if redirect_uri == tokens.OOB:
        return json({"error": query.get("error", "access_denied")}, 400)
    clean = {k: v for k, v in query.items() if v}
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + joiner + urlencode(clean), status_code=303)


async def token(request: Request) -> Response:
    values = await params(request)
    node = node_of(request)
    grant = text(values, "grant_type")
    if grant not in ("authorization_code", "password", "client_credentials"):
        raise ApiError(400, "unsupported_grant_type", "Use authorization_code, password or client_credentials.")
    app = tokens.app_for(node, text(values, "client_id"), text(values, "client_secret"))
    if grant == "authorization_code":
        result = tokens.exchange_code(node, app, text(values, "code"), text(values, "redirect_uri"),
                                      text(values, "code_verifier") or None)
    elif grant == "password":
        account = await accounts.authenticate(node, text(values, "username"), text(values, "password"),
                                              client_address(request))
        if account is not None and second_factor.due(node, account):
            raise ApiError(400, "invalid_grant", "This account signs in with a second factor: use the browser-based"
                           " authorization code flow (/oauth/authorize) instead of the password grant.")
        result = tokens.password_grant(node, app, account, tokens.parse_scopes(text(values, "scope"), app["scopes"]))
    else:
        result = tokens.client_grant(node, app, tokens.parse_scopes(text(values, "scope"), "read"))
    return json(result)


async def revoke(request: Request) -> Response:
    values = await params(request)
    node = node_of(request)
    app = tokens.app_for(node, text(values, "client_id"), text(values, "client_secret"))
    tokens.revoke(node, app, text(values, "token"))
    return json({})


async def server_metadata(request: Request) -> Response:
    base = node_of(request).config.base_url
    return json({
        "issuer": base + "/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(tokens.TOP_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })
