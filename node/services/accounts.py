"""Members: creation, sign-up by policy, log-in, profiles, roles and invitations."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from federation.keys import generate_pem_pair
from node.markup import clean_text
from node.services import audit, lookalike, mail, outbound
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooManyAttempts
from node.services.second_factor_policy import needs_second_factor
from storage import accounts, groups, keys, second_factor, sessions, settings, tokens
from storage import mail as mail_store
from storage import oidc as oidc_store
from storage.db import Row

USERNAME = re.compile(r"^[a-z0-9_]{2,30}$")
# A dot-atom local part (RFC 5322) only: ":", ";", ",", "<" or quotes would make the To header a group
# or a list of recipients, and a mail that cannot be written.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL = re.compile(rf"^{_ATOM}(\.{_ATOM})*@(?P<domain>[a-z0-9-]+(\.[a-z0-9-]+)+)$", re.IGNORECASE)
ROLES = ("member", "moderator", "admin")
PASSWORD_MIN = 8
PASSWORD_MAX = 256
PROFILE_LIMITS = {"display_name": 100, "job_title": 100, "department": 100, "about": 2000}
INVITE_DAYS = 14
LOCAL_PASSWORDS = "auth.local_passwords"  # "off": members log in through their organisation (OIDC)

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


@functools.cache
def _password_limiter() -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(2)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Invalid("error.password_length", "password", min=PASSWORD_MIN, max=PASSWORD_MAX)


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise Invalid("error.username_format", "username")


def create(
    node: Node, username: str, password: str, *, role: str = "member",
    email: str | None = None, display_name: str = "",
) -> Row:
    """Create an active member with a key pair for federation (CLI, admin, sign-up)."""
    username = username.strip().lower()
    _check_username(username)
    _check_password(password)
    if role not in ROLES:
        raise Invalid("error.role", "role")
    if len(display_name) > PROFILE_LIMITS["display_name"]:
        raise Invalid("error.too_long", "display_name", max=PROFILE_LIMITS["display_name"])
    taken = (accounts.by_username(node.db, username) is not None or groups.by_slug(node.db, username) is not None
             or username == node.config.organisation_handle)  # one fediverse name space: members, groups, us
    if taken:
        raise Conflict("error.username_taken", "username")
    lookalike.check_account(node, username, clean_text(display_name).strip())
    public_pem, private_pem = generate_pem_pair()
    now = node.now()
    with node.db.transaction():
        account_id = accounts.create(
            node.db, username=username, password_hash=hash_password(password), email=email,
            role=role, display_name=clean_text(display_name).strip() or username, now=now,
        )
        keys.put(node.db, f"user:{username}", public_pem, private_pem, now)
    account = accounts.by_id(node.db, account_id)
    assert account is not None
    return account


def registration_mode(node: Node) -> str:
    return settings.get(node.db, "registration.mode") or node.config["registration.mode"]


def allowed_domains(node: Node) -> list[str]:
    stored = settings.get(node.db, "registration.allowed_email_domains")
    if stored is not None:
        return [d for d in stored.split() if d]
    return list(node.config["registration.allowed_email_domains"])


def set_registration_policy(node: Node, mode: str, domains: list[str], *, by: Row | None = None,
                            address: str = "") -> None:
    """by: the admin who changed it (None: the command line), for the audit log."""
    if mode not in ("closed", "invite", "domains"):
        raise Invalid("error.registration_mode", "mode")
    cleaned = sorted({d.strip().lower().lstrip("@") for d in domains if d.strip()})
    if any(not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", d) for d in cleaned):
        raise Invalid("error.domain_format", "domains")
    if mode == "domains" and not cleaned:
        raise Invalid("error.domains_required", "domains")
    if mode == "domains" and not node.config.mail_enabled:
        raise Invalid("error.domains_need_mail", "mode")
    with node.db.transaction():
        settings.put(node.db, "registration.mode", mode)
        settings.put(node.db, "registration.allowed_email_domains", " ".join(cleaned))
        audit.record(node, by, "settings_change", "registration", f"mode={mode} domains={' '.join(cleaned)}",
                     address)


def _invite_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(node: Node, created_by: int | None, address: str = "") -> str:
    """A single-use invitation token; only its hash is stored."""
    token = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    expires = (now + timedelta(days=INVITE_DAYS)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    creator = accounts.by_id(node.db, created_by) if created_by is not None else None
    with node.db.transaction():
        settings.create_invite(node.db, _invite_hash(token), created_by, node.now(), expires)
        audit.record(node, creator, "invite_create", "invite", f"expires {expires}", address)
    return token


def invite_is_valid(node: Node, token: str) -> bool:
    return bool(token) and settings.open_invite(node.db, _invite_hash(token), node.now()) is not None


def sign_up_problems(node: Node, username: str, password: str, email: str, display_name: str) -> list[ServiceError]:
    """Every field problem of a sign-up at once (register() stops at the first), so the form can
    show them all together; the policy checks (closed, invitation) stay register()'s."""
    username = username.strip().lower()
    email = email.strip().lower()
    match = EMAIL.match(email)

    def check_username() -> None:
        _check_username(username)
        if accounts.by_username(node.db, username) is not None or groups.by_slug(node.db, username) is not None \
                or username == node.config.organisation_handle:
            raise Conflict("error.username_taken", "username")

    def check_email() -> None:
        if match is None:
            raise Invalid("error.email_format", "email")
        if registration_mode(node) == "domains" and match.group("domain").lower() not in allowed_domains(node):
            raise Invalid("error.email_domain", "email", domains=", ".join(allowed_domains(node)))

    def check_display_name() -> None:
        if len(display_name) > PROFILE_LIMITS["display_name"]:
            raise Invalid("error.too_long", "display_name", max=PROFILE_LIMITS["display_name"])

    found: list[ServiceError] = []
    for check in (check_username, lambda: _check_password(password), check_email, check_display_name):
        try:
            check()
        except ServiceError as error:
            found.append(error)
    if not any(error.field in ("username", "display_name") for error in found):
        try:  # a name like another member's or a group's (what register() would refuse next)
            lookalike.check_account(node, username, clean_text(display_name).strip())
        except ServiceError as error:
            found.append(error)
    return found


def register(
    node: Node, username: str, password: str, email: str, display_name: str, invite: str = ""
) -> Row:
    """Sign-up through the web, according to the registration policy."""
    mode = registration_mode(node)
    email = email.strip().lower()
    if mode == "closed":
        raise Forbidden("error.registration_closed")
    if settings.get(node.db, LOCAL_PASSWORDS) == "off":  # members come in through the organisation's provider
        raise Forbidden("error.local_passwords_off")
    invite_row = None
    if mode == "invite":
        invite_row = settings.open_invite(node.db, _invite_hash(invite), node.now()) if invite else None
        if invite_row is None:
            raise Forbidden("error.invite_invalid")
    match = EMAIL.match(email)
    if match is None:
        raise Invalid("error.email_format", "email")
    if mode == "domains" and match.group("domain").lower() not in allowed_domains(node):
        raise Invalid("error.email_domain", "email", domains=", ".join(allowed_domains(node)))
    if mode == "domains" and mail_store.account_by_email(node.db, email) is not None:
        raise Conflict("error.email_taken", "email")  # a confirmed member has it: they may reset instead
    with node.db.transaction():
        account = create(node, username, password, email=email, display_name=display_name)
        if invite_row is not None:
            settings.use_invite(node.db, invite_row["id"], account["id"], node.now())
        if mode == "domains":  # the address must be shown to be theirs before the account works
            mail_store.set_pending(node.db, account["id"], True)
            mail.send_confirmation(node, account)
            pending = accounts.by_id(node.db, account["id"])
            assert pending is not None
            account = pending
    return account


def confirm_email(node: Node, token: str) -> Row:
    """Use a confirmation link: the account works from now on."""
    with node.db.transaction():
        account_id = mail.use_link(node, token, "confirm")
        found = accounts.by_id(node.db, account_id)
        if found is None or found["deleted_at"] or found["disabled"]:
            raise Forbidden("error.account_disabled")
        other = mail_store.account_by_email(node.db, found["email"] or "")
        if other is not None and other["id"] != account_id:  # another waiting sign-up with this
            raise Conflict("error.email_taken", "email")  # address was confirmed first
        mail_store.set_pending(node.db, account_id, False)
    account = accounts.by_id(node.db, account_id)
    assert account is not None
    return account


def resend_confirmation(node: Node, email: str) -> None:
    """A new confirmation link for an unconfirmed account with this address; silent otherwise, so
    the answer never tells whether the address is known."""
    account = mail_store.account_by_email(node.db, email.strip().lower(), pending=True)
    if (account is not None and account["email_pending"] and not account["disabled"]
            and not mail.recently_sent(node, account, "confirm")):
        with node.db.transaction():
            mail.send_confirmation(node, account)


def signs_in_elsewhere(node: Node, account: Row) -> bool:
    """A member of the organisation's provider (SSO): a local password would pass by its MFA and
    outlive the day they leave, so none is ever set for them here."""
    return bool(oidc_store.links_for(node.db, account["id"]))


def request_reset(node: Node, email: str) -> None:
    """A reset link to the member with this address; silent when there is none (same answer), and
    for members who sign in through the organisation's provider."""
    account = mail_store.account_by_email(node.db, email.strip().lower())
    if (account is not None and not account["disabled"] and not signs_in_elsewhere(node, account)
            and not mail.recently_sent(node, account, "reset")):
        with node.db.transaction():
            mail.send_reset(node, account)


def admin_send_reset(node: Node, username: str, *, by: Row, address: str = "") -> None:
    account = get(node, username)
    if not account["email"]:
        raise Invalid("error.member_no_email")
    if signs_in_elsewhere(node, account):
        raise Invalid("error.member_signs_in_elsewhere")
    with node.db.transaction():
        mail.send_reset(node, account)
        audit.record(node, by, "password_reset_sent", account["username"], "", address)


def reset_password(node: Node, token: str, new: str) -> Row:
    """Use a reset link: a new password (the usual rules), every session of the member ended."""
    mail.check_link(node, token, "reset")
    _check_password(new)
    password_hash = hash_password(new)
    with node.db.transaction():
        account_id = mail.use_link(node, token, "reset")
        found = accounts.by_id(node.db, account_id)
        if found is None or found["deleted_at"]:
            raise Forbidden("error.account_deleted")
        if found["disabled"]:  # disabled after the link was sent: an admin's decision a link cannot undo
            raise Forbidden("error.account_disabled")
        if signs_in_elsewhere(node, found):  # linked after the link was sent
            raise Invalid("error.member_signs_in_elsewhere")
        accounts.set_password_hash(node.db, account_id, password_hash)
        sessions.delete_for_account(node.db, account_id)  # after a compromise: every way in ends
        tokens.revoke_for_account(node.db, account_id, node.now())
        second_factor.end_pending_for(node.db, account_id)
        other = mail_store.account_by_email(node.db, found["email"] or "")
        if other is None or other["id"] == account_id:  # the link reached them: the address is theirs,
            mail_store.set_pending(node.db, account_id, False)  # unless someone confirmed it first
    account = accounts.by_id(node.db, account_id)
    assert account is not None
    return account


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Argon2 check; an unknown account is checked against a dummy hash so it takes as long."""
    try:
        _hasher.verify(stored_hash or _dummy_hash(), password[:PASSWORD_MAX])
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


async def authenticate(node: Node, username: str, password: str, address: str = "") -> Row | None:
    """The enabled local member with this password, or None; TooManyAttempts after repeated failures.

    The argon2 check (about 80 ms and 64 MiB) runs in a worker thread, at most two at once,
    so log-ins neither stall the event loop nor pile up memory.
    """
    username = username.strip().lower()
    if not node.logins.allowed(node.db, address, username):
        raise TooManyAttempts("error.too_many_attempts")
    account = accounts.local_by_username(node.db, username)
    stored = account["password_hash"] if account else None
    if not await anyio.to_thread.run_sync(verify_password, stored, password, limiter=_password_limiter()):
        node.logins.failed(node.db, address, username)
        return None
    if account is None or account["disabled"]:
        return None
    if account["email_pending"]:  # the right password, but the address is not confirmed yet
        raise Forbidden("error.email_unconfirmed")
    if account["suspended_at"]:  # the right password: they may know why they cannot come in
        raise Forbidden("error.account_suspended", reason=account["suspended_reason"] or "")
    if account["role"] != "admin" and settings.get(node.db, LOCAL_PASSWORDS) == "off":  # SSO only; admins
        raise Forbidden("error.local_passwords_off")  # keep a local emergency log-in
    if not account["totp_secret"]:  # with a code still to give, the throttle keeps counting its guesses,
        node.logins.succeeded(node.db, address, username)  # and the log-in is recorded after the code
        record_staff_login(node, account, address)
    if _hasher.check_needs_rehash(account["password_hash"]):
        accounts.set_password_hash(node.db, account["id"], hash_password(password))
    return account


def record_staff_login(node: Node, account: Row, address: str) -> None:
    """Admins' and moderators' log-ins go to the audit log (once the last step is passed)."""
    if account["role"] in ("admin", "moderator"):
        audit.record(node, account, "admin_login", account["username"], account["role"], address)


def note_login(node: Node, account_id: int) -> None:
    """An app token got with the password grant (web log-ins are noted by sessions.start)."""
    accounts.set_last_login(node.db, account_id, node.now())


def change_password(node: Node, account: Row, current: str, new: str) -> None:
    """A new password ends every web session of the member; the door signs its own browser in again."""
    try:
        _hasher.verify(account["password_hash"], current[:PASSWORD_MAX])
    except (VerificationError, InvalidHashError):
        raise Invalid("error.password_wrong", "current_password") from None
    _check_password(new)
    password_hash = hash_password(new)
    with node.db.transaction():
        accounts.set_password_hash(node.db, account["id"], password_hash)
        sessions.delete_for_account(node.db, account["id"])


def update_profile(node: Node, account: Row, fields: dict[str, str]) -> None:
    cleaned: dict[str, str] = {}
    for name, limit in PROFILE_LIMITS.items():
        value = clean_text(fields.get(name, account[name])).strip()
        if len(value) > limit:
            raise Invalid("error.too_long", name, max=limit)
        cleaned[name] = value
    language = fields.get("language", account["language"])
    if language not in ("", "nl", "en"):
        raise Invalid("error.language", "language")
    cleaned["language"] = language
    if not cleaned["display_name"]:
        cleaned["display_name"] = account["username"]
    accounts.update_profile(node.db, account["id"], cleaned)
    outbound.actor_updated(node, "person", account["id"])  # followers elsewhere see the new name and text


def get(node: Node, username: str) -> Row:
    account = accounts.by_username(node.db, username)
    if account is None:
        raise NotFound("error.member_not_found")
    return account


def set_role(node: Node, username: str, role: str, *, by: Row | None = None, address: str = "") -> None:
    """by: the admin who changed it (None: the command line), for the audit log. A promotion the
    second-factor policy now covers ends the sessions and app tokens of a member not enrolled."""
    if role not in ROLES:
        raise Invalid("error.role", "role")
    account = get(node, username)
    with node.db.transaction():
        accounts.set_role(node.db, account["id"], role)
        newly_covered = (not account["totp_secret"] and not needs_second_factor(node, account)
                         and needs_second_factor(node, account, role) and not signs_in_elsewhere(node, account))
        if newly_covered:  # what they got with the password alone must not carry the new powers:
            sessions.delete_for_account(node.db, account["id"])  # they enrol at their next log-in
            tokens.revoke_for_account(node.db, account["id"], node.now())
        audit.record(node, by, "role_change", account["username"], f"{account['role']} -> {role}", address)


def set_disabled(node: Node, username: str, disabled: bool, *, by: Row | None = None, address: str = "") -> None:
    """Disabling also ends the member's web sessions (their API tokens stop working while disabled)."""
    account = get(node, username)
    if account["deleted_at"]:
        raise Conflict("error.member_deleted")
    with node.db.transaction():
        accounts.set_disabled(node.db, account["id"], disabled)
        if disabled:  # and links mailed before do not work once they are enabled again
            sessions.delete_for_account(node.db, account["id"])
            for purpose in ("confirm", "reset"):
                mail_store.retire_tokens(node.db, account["id"], purpose, node.now())
        audit.record(node, by, "account_disable" if disabled else "account_enable", account["username"], "",
                     address)


def can_moderate(account: Row | None) -> bool:
    """The node's moderators and admins: they moderate every local group. A group's own moderators
    are in `groups.moderates`."""
    return account is not None and account["role"] in ("moderator", "admin") and not account["domain"]


def is_admin(account: Row | None) -> bool:
    return account is not None and account["role"] == "admin"
