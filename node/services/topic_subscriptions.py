"""Following and muting single topics, following tags (issue 12).

A member who follows a topic is told of every new reply in it ("topic_reply"); one who follows a
tag is told of every new topic, blog post or reply carrying it ("tag_post"). Starting a topic or
replying in one follows it, unless the member muted it. Muting silences a topic completely, as
Discourse's "muted" does: no notification of any kind comes from a post in it, not even a reply
to one's own post or a mention (storage.notifications.add and mail_notify.post_event check it).
Each member hears of a post once: those `already` told (mentioned, the parent's author, the
author's bell subscribers) are passed in.
"""

from __future__ import annotations

from node import markup
from node.services import blocks, mail_notify, moderation
from node.services.context import Node
from node.services.errors import Invalid, NotFound
from storage import accounts, notifications, posts
from storage import subscriptions as store
from storage.db import Row

LEVELS = (store.FOLLOW, store.MUTE)


def _root(node: Node, account: Row, topic_id: int) -> Row:
    """A thread's opening post (topic or blog post) the member may see (a removed one only its
    author and its moderators see)."""
    root = posts.by_id(node.db, topic_id) if 0 < topic_id < 2**63 else None
    if (root is None or root["id"] != root["topic_id"] or root["deleted_at"]
            or (root["state"] != "published" and root["author_id"] != account["id"])
            or (root["removed_at"] and root["author_id"] != account["id"]
                and not moderation.may_moderate_post(node, account, root))):
        raise NotFound("error.post_not_found")
    return root


def level(node: Node, account: Row | None, topic_id: int) -> str | None:
    """'follow', 'mute' or None (no choice made) for the member and thread."""
    return store.topic_level(node.db, account["id"], topic_id) if account is not None else None


def set_level(node: Node, account: Row, topic_id: int, chosen: str) -> Row:
    """chosen: 'follow', 'mute' or '' (neither: stop following, or unmute). Returns the thread's root."""
    if chosen not in (*LEVELS, ""):
        raise Invalid("error.not_allowed", "level")
    root = _root(node, account, topic_id)
    with node.db.transaction():
        if chosen:
            store.set_topic(node.db, account["id"], root["id"], chosen, node.now())
        else:
            store.clear_topic(node.db, account["id"], root["id"])
    return root


def check_tag(raw: str) -> str:
    tag = markup.normalise_tag(raw)
    if not tag or not markup.HASHTAG.fullmatch("#" + tag):
        raise NotFound("error.post_not_found")
    return tag


def follows_tag(node: Node, account: Row | None, tag: str) -> bool:
    return account is not None and store.follows_tag(node.db, account["id"], tag)


def set_tag(node: Node, account: Row, raw: str, follow: bool) -> str:
    tag = check_tag(raw)
    with node.db.transaction():
        if follow:
            store.follow_tag(node.db, account["id"], tag, node.now())
        else:
            store.unfollow_tag(node.db, account["id"], tag)
    return tag


def listing(node: Node, account: Row) -> dict[str, list]:
    """What the member follows and mutes, for the notifications page."""
    rows = store.topics_of(node.db, account["id"])
    return {"followed": [r for r in rows if r["level"] == store.FOLLOW],
            "muted": [r for r in rows if r["level"] == store.MUTE],
            "tags": store.tags_of(node.db, account["id"])}


def auto_follow(node: Node, account_id: int, topic_id: int) -> None:
    """The author of a topic or reply follows its thread, unless they chose otherwise before."""
    store.follow_unless_set(node.db, account_id, topic_id, node.now())


def tell(node: Node, post_id: int, already: frozenset[int] = frozenset()) -> set[int]:
    """Notify the followers of a new post's thread and tags (in the caller's transaction); returns
    whom it notified."""
    post = posts.by_id(node.db, post_id)
    if post is None or not posts.is_visible(post):  # a draft, or in a removed or deleted thread
        return set()
    skip = set(already) | {int(post["author_id"])} | store.muted_by(node.db, post["topic_id"])
    told: set[int] = set()
    recipients: list[tuple[int, str]] = []
    if post["id"] != post["topic_id"]:
        recipients += [(member, "topic_reply") for member in store.topic_followers(node.db, post["topic_id"])]
    tags = posts.tags_of(node.db, [post_id])[post_id]
    recipients += [(member, "tag_post") for member in store.tag_followers(node.db, tags)]
    limited = bool(blocks.hidden_ids(node, [post], None))  # hidden from someone who follows no one
    for member, kind in recipients:
        if member in skip or member in told:
            continue
        if limited:  # only then does it matter whom the reader follows
            reader = accounts.by_id(node.db, member)
            if reader is None or blocks.hidden_ids(node, [post], reader):
                continue
        notifications.add(node.db, member, kind, post_id, post["author_id"], node.now())
        mail_notify.post_event(node, member, kind, post_id, post["author_id"])
        told.add(member)
    return told
