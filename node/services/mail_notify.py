"""Notifications by e-mail: mentions, replies to a member's posts, new topics in the groups they
follow; each on or off, at once or in a daily digest. Only rows are written here (in the
transaction that made the notification); the outbox sender sends them later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from node import urls
from node.i18n import translate
from node.services import mail
from node.services.context import Node
from storage import accounts, groups, posts, subscriptions
from storage import mail as mail_store

DEFAULTS = {"mention": 1, "reply": 1, "topic": 0, "digest": 0}
# A subscription's notification follows the member's choice for its like: a new reply in a followed
# topic as a reply, a new post with a followed tag as a new topic.
PREF_OF = {"topic_reply": "reply", "tag_post": "topic"}
DIGEST_HOURS = 24


def prefs(node: Node, account_id: int) -> dict[str, int]:
    row = mail_store.prefs(node.db, account_id)
    return {name: int(row[name]) for name in DEFAULTS} if row else dict(DEFAULTS)


def save_prefs(node: Node, account_id: int, chosen: dict[str, bool]) -> None:
    mail_store.put_prefs(node.db, account_id, {name: int(bool(chosen.get(name))) for name in DEFAULTS})


def post_event(node: Node, account_id: int, kind: str, post_id: int, from_account: int) -> None:
    """A member was told of a post (kind mention, reply, topic, topic_reply or tag_post): mail them if
    they want it, and not from a topic they muted."""
    if not node.config.mail_enabled or subscriptions.is_muted(node.db, account_id, post_id):
        return
    member = accounts.by_id(node.db, account_id)
    if member is None or member["domain"] or not member["email"] or member["disabled"] or member["email_pending"]:
        return
    chosen = prefs(node, account_id)
    post, sender = posts.by_id(node.db, post_id), accounts.by_id(node.db, from_account)
    pref = PREF_OF.get(kind, kind)
    if not chosen[pref] or post is None or sender is None:
        return
    lang = mail.language_of(node, member)
    # a reply in a followed blog post says so: the topic text would call it a topic
    key = f"mail.notify.{kind}" + (".blog" if kind == "topic_reply" and post["topic_kind"] == "blog" else "")
    line = translate(lang, key, name=sender["display_name"] or sender["username"],
                     title=post["topic_title"] or post["title"] or "…")
    url = node.config.base_url + urls.post(post)
    if chosen["digest"]:
        mail_store.add_digest_item(node.db, account_id, pref, line, url, node.now())
        return
    unsubscribe = mail.unsubscribe_url(node, account_id, pref)
    message = mail.compose(lang, line, [translate(lang, "mail.greeting", name=member["display_name"]), line], url,
                           translate(lang, "mail.notify.link"), unsubscribe)
    mail.queue(node, member["email"], pref, message, unsubscribe)


def new_topic(node: Node, post_id: int, already: frozenset[int] = frozenset()) -> None:
    """A topic started in a local group: its local followers, except the author and those `already`
    mailed of it (through a followed tag)."""
    post = posts.by_id(node.db, post_id)
    if post is None or not post["group_id"] or not node.config.mail_enabled:
        return
    for username in groups.local_follower_usernames(node.db, post["group_id"]):
        member = accounts.local_by_username(node.db, username)
        if member is not None and member["id"] != post["author_id"] and member["id"] not in already:
            post_event(node, member["id"], "topic", post_id, post["author_id"])


def send_digests(node: Node, now: datetime | None = None) -> int:
    """One mail per member whose waiting items are due (their last digest a day ago, or none); returns
    how many were queued."""
    moment = now or datetime.now(UTC)
    before = (moment - timedelta(hours=DIGEST_HOURS)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    queued = 0
    for account_id in mail_store.digest_accounts(node.db, before):
        member = accounts.by_id(node.db, account_id)
        with node.db.transaction(counts=False):
            items = mail_store.take_digest_items(node.db, account_id, node.now())
            if (member is None or not member["email"] or not items or member["disabled"]
                    or member["email_pending"] or member["deleted_at"]):
                continue
            lang = mail.language_of(node, member)
            subject = translate(lang, "mail.digest.subject", site=node.config["node.name"], count=len(items))
            lines = [f"{item['line']}\n{item['url']}" for item in items]
            unsubscribe = mail.unsubscribe_url(node, account_id, "all")
            message = mail.compose(lang, subject, [translate(lang, "mail.greeting", name=member["display_name"]),
                                                   *lines], unsubscribe_url=unsubscribe)
            mail.queue(node, member["email"], "digest", message, unsubscribe)
            queued += 1
    return queued
