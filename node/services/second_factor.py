"""A second factor for local log-ins: TOTP (RFC 6238) with single-use recovery codes, the admins'
requirement, and the half-finished log-in between the password and the code.

- The secret is kept sealed (AES-GCM under a key derived from node.secret_key), shown only while
  enrolling; a code is good once: the last used time step is stored and a code of that step or
  an earlier one is refused. One step either side is accepted (clocks drift).
- Recovery codes: ten, shown once, stored as SHA-256 (they are random, 50 bits each), single use.
- A half-finished log-in is a row (hashed token, PENDING_MINUTES) that the browser's session
  names; the client cannot forge it, and it ends when used.
- Code failures count as password failures in node/services/throttle.py (same name, same address).
- The policy (node/services/second_factor_policy.py) is for local log-ins only: SSO log-ins
  rely on the provider's MFA and do not ask it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime, timedelta

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from node.services import accounts as member_accounts
from node.services import audit
from node.services.context import Node
from node.services.errors import Conflict, Invalid, TooManyAttempts
from node.services.second_factor_policy import POLICIES, needs_second_factor
from storage import accounts, second_factor, sessions, settings, tokens
from storage.db import Row

PENDING_MINUTES = 10
RECOVERY_COUNT = 10
CODE = re.compile(r"^[0-9]{6}$")
RECOVERY = re.compile(r"^[a-z2-7]{5}-?[a-z2-7]{5}$")
ISSUER = "Meent"


def _key(node: Node) -> bytes:
    return hashlib.sha256(b"meent totp secret\0" + str(node.config["node.secret_key"]).encode()).digest()


def _seal(node: Node, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(_key(node)).encrypt(nonce, secret.encode(), None)).decode()


def _open(node: Node, sealed: str) -> str | None:
    try:
        raw = base64.b64decode(sealed)
        return AESGCM(_key(node)).decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, ValueError):  # node.secret_key changed, or the value is damaged: recovery codes
        return None


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").encode()).hexdigest()


def enrolled(account: Row) -> bool:
    return bool(account["totp_secret"])


def due(node: Node, account: Row) -> bool:
    """A local log-in of this member needs a second step (a code, or enrolment first)."""
    return enrolled(account) or needs_second_factor(node, account)


def set_policy(node: Node, rule: str, *, by: Row | None = None, address: str = "") -> int:
    """Ends the web sessions of members it now covers who have no second factor yet (they enrol at
    their next log-in; the admin who saves it keeps this session); returns how many that concerned."""
    if rule not in POLICIES:
        raise Invalid("error.second_factor_policy", "policy")
    with node.db.transaction():
        settings.put(node.db, "auth.second_factor", rule)
        members = [row for row in accounts.listing(node.db) if not row["disabled"] and not enrolled(row)
                   and needs_second_factor(node, row) and (by is None or row["id"] != by["id"])]
        for row in members:  # app tokens too: they were got without the second factor
            sessions.delete_for_account(node.db, row["id"])
            tokens.revoke_for_account(node.db, row["id"], node.now())
        audit.record(node, by, "totp_policy", "second_factor", rule, address)
    return len(members)


def _held(node: Node, account: Row, login_token: str | None) -> str | None:
    """The sealed secret being enrolled: the half-finished log-in's own (login_token), else the one a
    signed-in member is enrolling from /settings. Never the other one: a second log-in with the
    password must not be shown the secret someone else is scanning."""
    if login_token is not None:
        row = second_factor.pending(node.db, _hash(login_token), node.now())
        return row["totp_pending"] if row is not None and row["account_id"] == account["id"] else None
    fresh = accounts.by_id(node.db, account["id"])
    return fresh["totp_pending"] if fresh else None


def start_enrolment(node: Node, account: Row, login_token: str | None = None) -> str:
    """The pending secret's otpauth:// URI: the one being enrolled (a reload keeps what the app
    scanned), else a new one. login_token: enrolling during that half-finished log-in."""
    if enrolled(account):
        raise Conflict("error.second_factor_on")
    uri = pending_uri(node, account, login_token)
    if uri is not None:
        return uri
    secret = pyotp.random_base32()
    if login_token is not None:
        second_factor.set_login_secret(node.db, _hash(login_token), _seal(node, secret))
    else:
        second_factor.set_pending(node.db, account["id"], _seal(node, secret))
    return _uri(node, account, secret)


def _uri(node: Node, account: Row, secret: str) -> str:
    label = f"{account['username']}@{node.config['node.domain']}"
    return pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER)


def pending_uri(node: Node, account: Row, login_token: str | None = None) -> str | None:
    """The URI of the secret being enrolled (shown again after a wrong first code), or None."""
    sealed = _held(node, account, login_token)
    secret = _open(node, sealed) if sealed else None
    if secret is None:
        return None
    return _uri(node, account, secret)


def _step_of(secret: str, code: str) -> int | None:
    """The time step (previous, current or next) whose code this is, compared in constant time."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.fromtimestamp(time.time()))
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _clean(code: str) -> str:
    return re.sub(r"\s+", "", code).lower()


def confirm_enrolment(node: Node, account: Row, code: str, login_token: str | None = None) -> list[str]:
    """The first code proves the app has the secret: TOTP is on; returns the recovery codes (shown once)."""
    fresh = accounts.by_id(node.db, account["id"])
    sealed = _held(node, account, login_token)
    secret = _open(node, sealed) if sealed else None
    if secret is None or fresh is None or enrolled(fresh):
        raise Invalid("error.second_factor_no_enrolment", "code")
    code = _clean(code)
    step = _step_of(secret, code) if CODE.match(code) else None
    if step is None:
        raise Invalid("error.second_factor_code", "code")
    codes = [_recovery_code() for _ in range(RECOVERY_COUNT)]
    with node.db.transaction():
        second_factor.enable(node.db, account["id"], _seal(node, secret), step, [_hash(c) for c in codes])
        audit.record(node, account, "totp_enable", account["username"], "", "")
    return codes


def _recovery_code() -> str:
    letters = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
    return f"{letters[:5]}-{letters[5:]}"


def check(node: Node, account: Row, code: str, address: str = "", *, logging_in: bool = True) -> bool:
    """A current authenticator code (not used before) or an unused recovery code; counts failures
    with the password's throttle. Invalid for input that is neither form."""
    username = account["username"]
    if not node.logins.allowed(node.db, address, username):
        raise TooManyAttempts("error.too_many_attempts")
    code = _clean(code)
    if CODE.match(code):
        sealed = account["totp_secret"]
        secret = _open(node, sealed) if sealed else None
        step = _step_of(secret, code) if secret else None
        ok = step is not None and second_factor.use_step(node.db, account["id"], step)
    elif RECOVERY.match(code):
        ok = second_factor.use_recovery_code(node.db, account["id"], _hash(code), node.now())
        if ok:
            audit.record(node, account, "recovery_code_used", username,
                         f"{second_factor.recovery_codes_left(node.db, account['id'])} left", address)
    else:
        node.logins.failed(node.db, address, username)
        raise Invalid("error.second_factor_format", "code")
    if not ok:
        node.logins.failed(node.db, address, username)
        return False
    node.logins.succeeded(node.db, address, username)
    if logging_in:
        member_accounts.record_staff_login(node, account, address)
    return True


def disable(node: Node, account: Row, code: str, password: str, address: str = "") -> None:
    """Off again, with a current code (or recovery code) or the password; a wrong password counts
    in the throttle like a wrong code."""
    if password:
        if not node.logins.allowed(node.db, address, account["username"]):
            raise TooManyAttempts("error.too_many_attempts")
        ok = member_accounts.verify_password(account["password_hash"], password)
        if not ok:
            node.logins.failed(node.db, address, account["username"])
    else:
        ok = bool(code) and check(node, account, code, address, logging_in=False)
    if not ok:
        raise Invalid("error.second_factor_disable", "code")
    if needs_second_factor(node, account):  # the admins require one: it stays on
        raise Invalid("error.second_factor_required", "code")
    with node.db.transaction():
        second_factor.disable(node.db, account["id"])
        audit.record(node, account, "totp_disable", account["username"], "", address)


def recovery_codes_left(node: Node, account: Row) -> int:
    return second_factor.recovery_codes_left(node.db, account["id"])


def _later(now: str, minutes: int) -> str:
    moment = datetime.fromisoformat(now) + timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def begin(node: Node, account: Row, step: str) -> str:
    """A half-finished log-in: step "code" (enrolled) or "enrol" (required, not yet enrolled)."""
    token = secrets.token_urlsafe(32)
    now = node.now()
    second_factor.start_pending(node.db, _hash(token), account["id"], step, _later(now, PENDING_MINUTES), now)
    return token


def pending(node: Node, token: str) -> tuple[Row, str] | None:
    """(the member, the step due) of a live half-finished log-in, or None (unknown or expired)."""
    row = second_factor.pending(node.db, _hash(token), node.now()) if token else None
    account = accounts.by_id(node.db, row["account_id"]) if row else None
    if row is None or account is None or account["disabled"] or account["suspended_at"]:
        return None
    return account, row["step"]


def finish(node: Node, token: str) -> None:
    second_factor.end_pending(node.db, _hash(token))
