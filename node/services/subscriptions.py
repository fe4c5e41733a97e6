"""Members who follow someone with notify=true (the bell in Mastodon apps) hear of each new post."""

from __future__ import annotations

from federation import vocab
from node.services.context import Node
from storage import accounts, follows, notifications, posts


def tell_subscribers(node: Node, post_id: int, already: frozenset[int] = frozenset()) -> set[int]:
    """Notify the subscribers of a new post's author, except members `already` told of this post
    (one notification per member per post); returns whom it notified."""
    post = posts.by_id(node.db, post_id)
    if post is None or post["state"] != "published":
        return set()
    base = node.config.base_url
    told: set[int] = set()
    for username in follows.members_to_notify(node.db, vocab.author_uri(base, post), base):
        member = accounts.local_by_username(node.db, username)
        if member is not None and member["id"] != post["author_id"] and member["id"] not in already | told:
            notifications.add(node.db, member["id"], "status", post_id, post["author_id"], node.now())
            told.add(member["id"])
    return told
