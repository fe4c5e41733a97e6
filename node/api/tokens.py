"""OAuth 2 as a service: apps, authorization codes (PKCE S256), tokens, scopes. Secrets are hashed."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from node.api.respond import ApiError
from node.services import accounts as member_accounts
from node.services.context import Node
from storage import accounts, tokens
from storage.db import Row

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
TOP_SCOPES = ("read", "write", "follow", "push", "profile")
CODE_MINUTES = 10


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(raw: str | list[str], default: str = "read") -> list[str]:
    """Scopes as a list; unknown ones refused (read:statuses style sub-scopes are accepted)."""
    words = raw if isinstance(raw, list) else raw.replace(",", " ").replace("+", " ").split()
    scopes = list(dict.fromkeys(w for word in words for w in word.split()))
    if not scopes:
        scopes = default.split()
    for scope in scopes:
        if scope.split(":")[0] not in TOP_SCOPES:
            raise ApiError(422, "invalid_scope", f"Unknown scope {scope}")
    return scopes


# The deprecated "follow" scope, like read and write, still grants what it always did.
IMPLIED_BY = {"write:follows": ("follow", "write"), "read:follows": ("follow", "read")}


def allows(granted: str, needed: str) -> bool:
    """Whether a token's scopes cover `needed`, a scope such as "write:statuses".

    "write" covers every write:* scope and "read" every read:*; a narrow scope never covers a broad one.
    """
    have = set(granted.split())
    if needed in have or needed.split(":")[0] in have:
        return True
    return any(scope in have for scope in IMPLIED_BY.get(needed, ()))


def valid_redirect(uri: str) -> bool:
    """OOB, an https or http URL, or an app's custom scheme (com.keylesspalace.tusky://oauth)."""
    if uri == OOB:
        return True
    if any(c.isspace() for c in uri) or not SCHEME.match(uri):
        return False
    parts = urlsplit(uri)
    return bool(parts.netloc) if parts.scheme in ("http", "https") else bool(parts.netloc or parts.path)


def register_app(node: Node, name: str, redirect_uris: list[str], scopes: str, website: str | None) -> dict:
    if not name.strip():
        raise ApiError(422, "Validation failed: Application name can't be blank")
    if not redirect_uris or not all(valid_redirect(u) for u in redirect_uris):
        raise ApiError(422, "Validation failed: Redirect URI must be an absolute URI.")
    scope_list = parse_scopes(scopes)
    client_id, client_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    app_id = tokens.create_app(node.db, name=name.strip()[:200], website=website or None, client_id=client_id,
                               secret_hash=digest(client_secret), redirect_uris="\n".join(redirect_uris),
                               scopes=" ".join(scope_list), now=node.now())
    return {"id": str(app_id), "name": name.strip()[:200], "website": website or None,
            "redirect_uri": "\n".join(redirect_uris), "redirect_uris": redirect_uris,
            "scopes": scope_list, "client_id": client_id, "client_secret": client_secret,
            "client_secret_expires_at": 0, "vapid_key": ""}


def app_for(node: Node, client_id: str, client_secret: str | None = None) -> Row:
    app = tokens.app_by_client_id(node.db, client_id) if client_id else None
    if app is None or (client_secret is not None and not secrets.compare_digest(
            app["client_secret_hash"], digest(client_secret))):
        raise ApiError(401, "invalid_client", "Client authentication failed due to unknown client.")
    return app


def check_request(app: Row, redirect_uri: str, scopes: list[str]) -> None:
    if redirect_uri not in app["redirect_uris"].split("\n"):
        raise ApiError(400, "invalid_grant", "The redirect URI is not one the app registered.")
    allowed = set(app["scopes"].split())
    if not all(allows(" ".join(allowed), scope) for scope in scopes):
        raise ApiError(400, "invalid_scope", "The app did not register these scopes.")


def issue_code(node: Node, app: Row, account: Row, redirect_uri: str, scopes: list[str],
               challenge: str | None, method: str | None) -> str:
    if challenge and (method or "plain") != "S256":
        raise ApiError(400, "invalid_request", "Only the S256 code challenge method is supported.")
    code = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(minutes=CODE_MINUTES)).isoformat(timespec="milliseconds")
    tokens.create_code(node.db, code_hash=digest(code), app_id=app["id"], account_id=account["id"],
                       scopes=" ".join(scopes), redirect_uri=redirect_uri, challenge=challenge,
                       method="S256" if challenge else None, expires_at=expires.replace("+00:00", "Z"))
    return code


def _issue_token(node: Node, app: Row, account_id: int | None, scopes: str) -> dict:
    token = secrets.token_urlsafe(32)
    tokens.create_token(node.db, token_hash=digest(token), app_id=app["id"], account_id=account_id, scopes=scopes,
                        now=node.now())
    return {"access_token": token, "token_type": "Bearer", "scope": scopes,
            "created_at": int(datetime.now(UTC).timestamp())}


def exchange_code(node: Node, app: Row, code: str, redirect_uri: str, verifier: str | None) -> dict:
    row = tokens.use_code(node.db, digest(code), node.now())
    if row is None or row["app_id"] != app["id"] or row["redirect_uri"] != redirect_uri:
        raise ApiError(400, "invalid_grant", "The authorization code is invalid, expired or already used.")
    if row["code_challenge"]:
        expected = base64.urlsafe_b64encode(hashlib.sha256((verifier or "").encode()).digest()).rstrip(b"=")
        if not secrets.compare_digest(expected.decode(), row["code_challenge"]):
            raise ApiError(400, "invalid_grant", "The code verifier does not match the challenge.")
    return _issue_token(node, app, row["account_id"], row["scopes"])


def password_grant(node: Node, app: Row, account: Row | None, scopes: list[str]) -> dict:
    if account is None:
        raise ApiError(400, "invalid_grant", "The user name or password is wrong.")
    check_request(app, app["redirect_uris"].split("\n")[0], scopes)
    member_accounts.note_login(node, account["id"])
    return _issue_token(node, app, account["id"], " ".join(scopes))


def client_grant(node: Node, app: Row, scopes: list[str]) -> dict:
    check_request(app, app["redirect_uris"].split("\n")[0], scopes)
    return _issue_token(node, app, None, " ".join(scopes))


def revoke(node: Node, app: Row, token: str) -> None:
    tokens.revoke(node.db, digest(token), app["id"], node.now())


def bearer(node: Node, token: str) -> tuple[Row | None, Row] | None:
    """(account or None for an app token, token row) of a valid token."""
    row = tokens.token(node.db, digest(token))
    if row is None:
        return None
    account = accounts.by_id(node.db, row["account_id"]) if row["account_id"] else None
    if row["account_id"] and (account is None or account["disabled"] or account["suspended_at"]):
        return None
    return account, row
