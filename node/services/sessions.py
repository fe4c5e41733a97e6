"""Web sessions kept server-side: start at log-in, look up per request, end for real.

The cookie carries a random token; the database keeps only its SHA-256, so neither a copy of
the database nor an old cookie after log-out signs anyone in. A session lives LIFETIME after it
was last seen (sliding); last_seen_at is written at most every TOUCH_SECONDS, not per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from node.services.context import Node
from node.services.errors import NotFound
from storage import accounts, sessions, tokens
from storage.db import Row

LIFETIME = timedelta(days=14)
TOUCH_SECONDS = 300
AGENT_MAX = 300
ADDRESS_MAX = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _later(now: str, delta: timedelta) -> str:
    moment = datetime.fromisoformat(now) + delta
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start(node: Node, account_id: int, user_agent: str, address: str) -> tuple[str, int]:
    """A new session for the member: (the token for the cookie, the session id). Expired rows go first.
    Every web log-in comes through here, so it also notes the member's last log-in."""
    now = node.now()
    sessions.prune(node.db, now)
    token = secrets.token_urlsafe(32)
    session_id = sessions.create(node.db, token_hash=token_hash(token), account_id=account_id, now=now,
                                 expires_at=_later(now, LIFETIME), user_agent=user_agent[:AGENT_MAX],
                                 address=address[:ADDRESS_MAX])
    accounts.set_last_login(node.db, account_id, now)
    return token, session_id


def account_for(node: Node, token: str) -> Row | None:
    """The enabled local member this token signs in (with session_id), or None.

    An expired session is deleted when it is met; a live one has its last-seen time moved on
    when it is older than TOUCH_SECONDS, which also moves its expiry.
    """
    row = sessions.account_by_token(node.db, token_hash(token))
    if row is None:
        return None
    now = node.now()
    if row["session_expires_at"] <= now:
        sessions.delete(node.db, row["session_id"])
        return None
    if row["disabled"] or row["suspended_at"] or row["domain"] is not None:
        return None
    if _later(row["session_seen_at"], timedelta(seconds=TOUCH_SECONDS)) <= now:
        sessions.touch(node.db, row["session_id"], now, _later(now, LIFETIME))
    return row


def end(node: Node, token: str) -> None:
    """Log-out: the row is deleted, so a copy of the cookie no longer works."""
    sessions.delete_by_token(node.db, token_hash(token))


def listing(node: Node, account_id: int) -> list[Row]:
    return sessions.for_account(node.db, account_id, node.now())


def end_one(node: Node, account_id: int, session_id: int, current_id: int | None) -> None:
    """End another of the member's sessions (this one ends by logging out)."""
    if session_id == current_id or not sessions.delete_one_of(node.db, account_id, session_id):
        raise NotFound("error.session_not_found", "session")


def end_others(node: Node, account_id: int, current_id: int | None) -> int:
    return sessions.delete_for_account(node.db, account_id, keep=current_id)


def end_all(node: Node, account_id: int, *, revoke_tokens: bool = False) -> int:
    """Every session of the member; revoke_tokens also revokes the client API's access tokens."""
    with node.db.transaction():
        ended = sessions.delete_for_account(node.db, account_id)
        if revoke_tokens:
            tokens.revoke_for_account(node.db, account_id, node.now())
    return ended


def active_counts(node: Node) -> dict[int, int]:
    return sessions.counts(node.db, node.now())


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_agent(user_agent: str) -> str:
    """A short name for a browser's User-Agent ("Firefox, Linux"); else the start of the string itself."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser or system:
        return ", ".join(part for part in (browser, system) if part)
    return re.sub(r"\s+", " ", user_agent).strip()[:60]
