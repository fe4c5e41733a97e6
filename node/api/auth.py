"""Who is calling the API: the bearer token's member and scopes."""

from __future__ import annotations

from starlette.requests import Request

from node.api import tokens
from node.api.respond import ApiError
from node.web import node_of
from storage.db import Row


def _token(request: Request) -> tuple[Row | None, Row] | None:
    if "api_token" not in request.state._state:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        found = None
        if scheme.lower() == "bearer" and value.strip():
            found = tokens.bearer(node_of(request), value.strip())
            if found is None:
                raise ApiError(401, "The access token is invalid")
        elif header:
            raise ApiError(401, "The access token is invalid")
        request.state.api_token = found
    result: tuple[Row | None, Row] | None = request.state.api_token
    return result


def optional_member(request: Request, scope: str = "read") -> Row | None:
    """The member behind the token, if any; public reads work without one."""
    found = _token(request)
    if found is None:
        return None
    account, token = found
    if not tokens.allows(token["scopes"], scope):
        raise ApiError(403, "This action is outside the authorized scopes")
    return account


def member(request: Request, scope: str) -> Row:
    """The member behind the token, which must allow `scope`."""
    found = _token(request)
    if found is None:
        raise ApiError(401, "The access token is invalid")
    account, token = found
    if not tokens.allows(token["scopes"], scope):
        raise ApiError(403, "This action is outside the authorized scopes")
    if account is None:
        raise ApiError(422, "This method requires an authenticated user")
    return account


def app_token(request: Request) -> Row:
    """Any valid token (an app's own token included)."""
    found = _token(request)
    if found is None:
        raise ApiError(401, "The access token is invalid")
    return found[1]
