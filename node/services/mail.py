"""E-mail: mails are composed here and queued in the outbox (the sender in node/mail_runtime.py
sends them later); single-use links (confirmation, password reset) of which only a hash is kept;
signed one-click unsubscribe links."""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from federation.actors import iso
from node.i18n import translate
from node.services.context import Node
from node.services.errors import Forbidden, Invalid
from storage import accounts, mail
from storage.db import Row

LINK_HOURS = {"confirm": 48, "reset": 1}
RESEND_MINUTES = 5
UNSUBSCRIBE_KINDS = (*mail.PREF_KINDS, "all")


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str



def language_of(node: Node, account: Row) -> str:
    return str(account["language"] or node.config["node.default_language"])


def compose(lang: str, subject: str, paragraphs: list[str], link: str = "", link_label: str = "",
            unsubscribe_url: str = "") -> Mail:
    """Plain text and the same as simple HTML (one column, a link, the unsubscribe line)."""
    subject = " ".join(subject.split())  # a header: one line, whatever a title held
    text = "\n\n".join([*paragraphs, *([f"{link_label}:\n{link}"] if link else [])])
    parts = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    if link:
        parts.append(f'<p><a href="{html.escape(link)}">{html.escape(link_label)}</a></p>'
                     f'<p style="font-size:small">{html.escape(link)}</p>')
    if unsubscribe_url:
        words = translate(lang, "mail.unsubscribe")
        text += f"\n\n-- \n{words}: {unsubscribe_url}"
        parts.append(f'<hr><p style="font-size:small"><a href="{html.escape(unsubscribe_url)}">'
                     f"{html.escape(words)}</a></p>")
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(subject)}'
            f'</title></head><body style="font-family:sans-serif;max-width:40em">{"".join(parts)}</body></html>')
    return Mail(subject, text + "\n", page)


def queue(node: Node, recipient: str, kind: str, message: Mail, unsubscribe_url: str = "") -> int:
    """Put a mail in the outbox (in the caller's transaction, if any); the sender is woken."""
    if not node.config.mail_enabled:
        raise Forbidden("error.mail_off")
    mail_id = mail.enqueue(node.db, recipient=recipient, kind=kind, subject=message.subject, text_body=message.text,
                           html_body=message.html, unsubscribe_url=unsubscribe_url, now=node.now())
    node.wake_mail()
    return mail_id


# Single-use links


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(node: Node, account: Row, purpose: str) -> str:
    """A fresh link for the account; earlier links of the same purpose stop working."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    mail.retire_tokens(node.db, account["id"], purpose, node.now())
    mail.add_token(node.db, token_hash=token_hash(token), purpose=purpose, account_id=account["id"],
                   now=node.now(), expires_at=iso(now + timedelta(hours=LINK_HOURS[purpose])))
    path = {"confirm": "/register/confirm", "reset": "/password/reset"}[purpose]
    return f"{node.config.base_url}{path}?token={token}"


def check_link(node: Node, token: str, purpose: str) -> Row:
    """The open link's row; Invalid (with a clear message) for an unknown, used or expired link."""
    row = mail.token(node.db, token_hash(token), purpose) if 20 <= len(token) <= 100 else None
    if row is None:
        raise Invalid("error.link_unknown", "token")
    if row["used_at"]:
        raise Invalid("error.link_used", "token")
    if row["expires_at"] <= node.now():
        raise Invalid("error.link_expired", "token")
    return row


def use_link(node: Node, token: str, purpose: str) -> int:
    """Use the link once (call in the transaction that does what it allows); returns the account id."""
    row = check_link(node, token, purpose)
    if not mail.use_token(node.db, row["id"], node.now()):
        raise Invalid("error.link_used", "token")
    return int(row["account_id"])


def recently_sent(node: Node, account: Row, purpose: str) -> bool:
    """An open link of this kind was made in the last few minutes: asking again sends nothing (no
    mail bombing through the forgot-password form); the earlier mail is still good."""
    since = iso(datetime.now(UTC) - timedelta(minutes=RESEND_MINUTES))
    return mail.open_token_since(node.db, account["id"], purpose, since, node.now())


def _send_link(node: Node, account: Row, purpose: str) -> None:
    """A mail with a fresh single-use link; the texts are mail.{purpose}.subject, .body and .link."""
    lang = language_of(node, account)
    link = new_link(node, account, purpose)
    site = node.config["node.name"]
    message = compose(lang, translate(lang, f"mail.{purpose}.subject", site=site),
                      [translate(lang, "mail.greeting", name=account["display_name"]),
                       translate(lang, f"mail.{purpose}.body", site=site, hours=LINK_HOURS[purpose],
                                 username=account["username"])],
                      link, translate(lang, f"mail.{purpose}.link"))
    queue(node, account["email"], purpose, message)


def send_confirmation(node: Node, account: Row) -> None:
    _send_link(node, account, "confirm")


def send_reset(node: Node, account: Row) -> None:
    _send_link(node, account, "reset")


# Unsubscribe links: signed with the node's secret, so they work without logging in and cannot be
# made up for another member or kind.


def _signature(node: Node, account_id: int, kind: str) -> str:
    key = node.config["node.secret_key"].encode()
    return hmac.new(key, f"mail-unsubscribe:{account_id}:{kind}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(node: Node, account_id: int, kind: str) -> str:
    return f"{node.config.base_url}/mail/unsubscribe/{account_id}/{kind}/{_signature(node, account_id, kind)}"


def check_unsubscribe(node: Node, account_id: int, kind: str, signature: str) -> None:
    if kind not in UNSUBSCRIBE_KINDS or not hmac.compare_digest(_signature(node, account_id, kind), signature):
        raise Invalid("error.link_unknown", "token")


def unsubscribe(node: Node, account_id: int, kind: str, signature: str) -> None:
    check_unsubscribe(node, account_id, kind, signature)
    if accounts.by_id(node.db, account_id) is None:  # deleted since: nothing left to stop
        return
    kinds = mail.PREF_KINDS if kind == "all" else (kind,)
    mail.put_prefs(node.db, account_id, {name: 0 for name in kinds})
