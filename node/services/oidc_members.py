"""Members who log in through an OpenID provider: created on the first log-in, kept up to date on the
next, and shut out the day the provider no longer knows them (re-validated with the refresh token)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from federation.keys import generate_pem_pair
from node.markup import clean_text
from node.services import accounts as member_accounts
from node.services import audit, lookalike, oidc, sessions
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid
from storage import accounts, groups, keys, settings
from storage import oidc as links
from storage.db import Row

log = logging.getLogger("meent.oidc")
CHECK_HOURS = 12  # a link is re-checked when its last check is older (the task runs hourly: at least daily)
# Without a refresh token the provider cannot be asked: a day after the last SSO log-in the member's
# sessions and app tokens end, so that the next log-in, through the provider, checks the account again.
UNCHECKED_HOURS = 24
REVALIDATE_SECONDS = 3600
LOCAL_PASSWORDS = member_accounts.LOCAL_PASSWORDS


# -- refresh tokens: usable again, so encrypted rather than hashed --------------------------------

def _cipher(node: Node) -> AESGCM:
    return AESGCM(hashlib.sha256(b"meent oidc refresh token\0" + node.config["node.secret_key"].encode()).digest())


def seal(node: Node, token: str | None) -> str:
    if not token:
        return ""
    nonce = secrets.token_bytes(12)
    return base64.urlsafe_b64encode(nonce + _cipher(node).encrypt(nonce, token.encode(), None)).decode()


def unseal(node: Node, sealed: str) -> str | None:
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed)
        return _cipher(node).decrypt(raw[:12], raw[12:], None).decode()
    except (ValueError, InvalidTag):  # node.secret_key changed: the next log-in stores a new one
        return None


# -- local passwords on or off --------------------------------------------------------------------

def local_passwords_on(node: Node) -> bool:
    return settings.get(node.db, LOCAL_PASSWORDS) != "off"


def set_local_passwords(node: Node, on: bool, by: Row, address: str = "") -> None:
    """Off only once SSO is configured; admins keep their local emergency log-in either way."""
    if not on and not oidc.providers(node):
        raise Invalid("error.oidc_none_configured", "local_passwords")
    with node.db.transaction():
        settings.put(node.db, LOCAL_PASSWORDS, "on" if on else "off")
        audit.record(node, by, "settings_change", "local_passwords", "on" if on else "off", address)
    if not on:  # what a local password got before stops working too: sessions and app tokens
        for member in accounts.listing(node.db):
            if member["role"] != "admin" and not links.links_for(node.db, member["id"]):
                sessions.end_all(node, member["id"], revoke_tokens=True)


# -- sign-in --------------------------------------------------------------------------------------

def _text(claims: dict[str, Any], *names: str, limit: int = 100) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return clean_text(value).strip()[:limit]
    return ""


def _email(claims: dict[str, Any]) -> str:
    email = _text(claims, "email", "preferred_username", "upn", limit=254).lower()
    return email if member_accounts.EMAIL.match(email) else ""


def _profile(claims: dict[str, Any]) -> dict[str, str]:
    fields = {"display_name": _text(claims, "name") or " ".join(
        part for part in (_text(claims, "given_name"), _text(claims, "family_name")) if part)}
    email = _email(claims)
    if email:
        fields["email"] = email
    department, title = _text(claims, "department"), _text(claims, "job_title", "jobTitle")
    if department:
        fields["department"] = department
    if title:
        fields["job_title"] = title
    return {name: value for name, value in fields.items() if value}


def _vouched(provider: oidc.Provider, claims: dict[str, Any]) -> bool:
    """Does the provider vouch for the token's e-mail address? Verified, or given by a tenant on this
    provider's allow-list (Entra sends no email_verified, and any tenant's user may type any address)."""
    tenant = claims.get("tid")
    return claims.get("email_verified") is True or (isinstance(tenant, str) and tenant in provider.allowed_tenants)


def _domain_gate(node: Node, provider: oidc.Provider, claims: dict[str, Any]) -> None:
    """The registration's allowed e-mail domains stay a second gate for new members."""
    domains = member_accounts.allowed_domains(node)
    if not domains:
        return
    vouched = _vouched(provider, claims)
    email = _text(claims, "email", limit=254).lower()
    if not vouched or not member_accounts.EMAIL.match(email) or email.split("@")[1] not in domains:
        raise Forbidden("error.oidc_domain", domains=", ".join(domains))


def _base_username(claims: dict[str, Any]) -> str:
    source = _email(claims).split("@")[0] or _text(claims, "preferred_username", "name") or "lid"
    ascii_name = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode().lower()
    cleaned = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", ascii_name)).strip("_")[:24]
    return cleaned if len(cleaned) >= 2 else "lid"


def _free_username(node: Node, claims: dict[str, Any]) -> str:
    """The first variant (jan, jan2, jan3, ...) that is free and looks like nobody else."""
    base = _base_username(claims)
    for number in range(1, 1000):
        candidate = base if number == 1 else f"{base}{number}"
        taken = (accounts.by_username(node.db, candidate) is not None
                 or groups.by_slug(node.db, candidate) is not None
                 or candidate == node.config.organisation_handle)
        if taken:
            continue
        try:
            lookalike.check_account(node, candidate, "")
        except Conflict:
            continue
        return candidate
    raise Conflict("error.username_taken", "username")


def _create_member(node: Node, profile: dict[str, str], claims: dict[str, Any]) -> int:
    username = _free_username(node, claims)
    display_name = profile.get("display_name", "") or username
    try:
        lookalike.check_account(node, username, display_name)
    except Conflict:  # a name that reads like a group's: the member can choose another in settings
        display_name = username
    public_pem, private_pem = generate_pem_pair()
    account_id = accounts.create(node.db, username=username, password_hash="!", email=profile.get("email"),
                                 role="member", display_name=display_name, now=node.now())
    keys.put(node.db, f"user:{username}", public_pem, private_pem, node.now())
    extra: dict[str, str] = {name: profile[name] for name in ("department", "job_title") if name in profile}
    if extra:
        links.update_member(node.db, account_id, extra)
    return account_id


def sign_in(node: Node, result: oidc.Result, address: str = "") -> Row:
    """The member this provider account belongs to, created on the first log-in."""
    subject = oidc.subject(result.claims)
    profile = _profile(result.claims)
    if not _vouched(result.provider, result.claims):  # reset and notification mails go to it: only one vouched for
        profile.pop("email", None)
    name = result.provider.name
    with node.db.transaction():
        link = links.link(node.db, name, subject)
        legacy = oidc.legacy_subject(result.claims)
        if link is None and legacy is not None:
            link = links.link(node.db, name, legacy)
            if link is not None:  # keyed by the oid alone before: from now on by tid:oid
                _check_legacy_link(node, result.provider, link, profile)
                links.set_subject(node.db, link["id"], subject)
        if link is None:
            _domain_gate(node, result.provider, result.claims)
            account_id = _create_member(node, profile, result.claims)
            links.create_link(node.db, provider=name, subject=subject, account_id=account_id,
                              refresh_token=seal(node, result.refresh_token), now=node.now())
            audit.record(node, None, "oidc_member_create", str(account_id), name, address,
                         actor_name=f"oidc:{name}")
        else:
            account_id = link["account_id"]
            if link["disabled_at"]:  # shut out by re-validation: back only once an admin re-enabled the
                member = accounts.by_id(node.db, account_id)  # member and the provider knows them again
                if member is None or member["deleted_at"]:  # a deleted member never comes back this way
                    raise Forbidden("error.account_deleted")
                if member["disabled"]:
                    raise Forbidden("error.account_disabled")
                links.enable_link(node.db, link["id"])
            update: dict[str, str] = {key: profile[key] for key in ("display_name", "email") if key in profile}
            links.update_member(node.db, account_id, update)
            links.refresh_link(node.db, link["id"], seal(node, result.refresh_token) or None, node.now())
        account = accounts.by_id(node.db, account_id)
        assert account is not None
        if account["disabled"]:
            raise Forbidden("error.account_disabled")
        if account["suspended_at"]:
            raise Forbidden("error.account_suspended", reason=account["suspended_reason"] or "")
    return account


def _check_legacy_link(node: Node, provider: oidc.Provider, link: Row, profile: dict[str, str]) -> None:
    """An old link stored no tenant: with several allowed tenants, an `oid` alone could be another
    tenant's person, so the member's vouched e-mail address must match too."""
    if len(provider.allowed_tenants) <= 1:  # one tenant only: _check_claims holds tid to it
        return
    member = accounts.by_id(node.db, link["account_id"])
    known = (member["email"] or "").lower() if member is not None else ""
    if not known or profile.get("email", "").lower() != known:
        log.warning("oidc link %s: keyed by oid alone and the e-mail does not match; refused", link["id"])
        raise Forbidden("error.oidc_legacy_link")


# -- re-validation --------------------------------------------------------------------------------

def _shut_out(node: Node, link: Row, reason: str) -> None:
    with node.db.transaction():
        links.disable_link(node.db, link["id"], reason, node.now())
        accounts.set_disabled(node.db, link["account_id"], True)
        audit.record(node, None, "oidc_member_disable", str(link["account_id"]), reason,
                     actor_name=f"oidc:{link['provider']}")
    sessions.end_all(node, link["account_id"], revoke_tokens=True)


async def revalidate(node: Node, *, older_than: timedelta = timedelta(hours=CHECK_HOURS)) -> int:
    """Ask each provider about every link not checked lately; returns how many were shut out.

    invalid_grant (or 401) from the token endpoint means the account or its grant is gone: the link
    and the member are disabled and every session and app token ends. A provider that cannot be
    reached leaves the link for the next pass (logged); a link with no refresh token is logged too.
    """
    before = (datetime.now(UTC) - older_than).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    stale = (datetime.now(UTC) - timedelta(hours=UNCHECKED_HOURS)).isoformat(timespec="milliseconds")
    configured = {p.name: p for p in oidc.providers(node)}
    shut = 0
    for link in links.due_for_check(node.db, before):
        chosen = configured.get(link["provider"])
        token = unseal(node, link["refresh_token"])
        if chosen is None or token is None:
            if (link["checked_at"] or "") < stale.replace("+00:00", "Z"):
                ended = sessions.end_all(node, link["account_id"], revoke_tokens=True)
                if ended:
                    log.info("oidc link %s: not checked for %d h, %d sessions ended; the next log-in checks it",
                             link["id"], UNCHECKED_HOURS, ended)
            continue
        try:
            new = await oidc.refresh(chosen, token)
        except oidc.TokenRefused as refused:
            _shut_out(node, link, f"provider refused the refresh token ({refused})")
            shut += 1
            continue
        except oidc.LoginFailed as failed:
            log.warning("oidc link %s: provider unreachable (%s); trying again later", link["id"], failed.reason)
            continue
        with node.db.transaction():
            links.refresh_link(node.db, link["id"], seal(node, new) or None, node.now())
    return shut


async def revalidate_forever(node: Node) -> None:
    """The background pass, hourly (a link is checked when its last check is CHECK_HOURS old)."""
    if not oidc.providers(node):
        return
    while True:
        try:
            await revalidate(node)
        except Exception:  # a bug here must not stop the next pass; it is logged with its traceback
            log.exception("oidc re-validation pass failed")
        await asyncio.sleep(REVALIDATE_SECONDS)
