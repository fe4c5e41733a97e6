"""Our posts as ActivityStreams objects: the records a post needs (tags, mentions, the person
answered) looked up, then mapped by the pure federation/vocab.py. Used by the ActivityStreams views
and by the outbound service alike."""

from __future__ import annotations

from typing import Any

from federation import ids, vocab
from node import urls
from node.services.context import Node
from storage import accounts, media, posts
from storage.db import Row


def mentions_of(node: Node, post: Row) -> list[tuple[str, str]]:
    """(name, href) of everyone a post mentions; a reply in a remote group also mentions the group,
    so that Mastodon users who answer it address the group too."""
    base_url = node.config.base_url
    domain = node.config["node.domain"]
    found = []
    for row in posts.mentioned_accounts(node.db, post["id"]):
        if row["actor_uri"]:
            found.append((f"@{row['username']}", row["actor_uri"]))
        else:
            found.append((f"@{row['username']}@{domain}", ids.member(base_url, row["username"])))
    if post["group_domain"] and post["group_uri"]:
        found.append((f"@{post['group_slug']}", post["group_uri"]))
    if post["parent_author_id"]:  # the person answered is told, as Mastodon does
        parent_author = accounts.by_id(node.db, post["parent_author_id"])
        if parent_author is not None and parent_author["actor_uri"] and all(
                href != parent_author["actor_uri"] for _, href in found):
            found.append((f"@{parent_author['username']}", parent_author["actor_uri"]))
    return found


def attachments_of(node: Node, post_id: int) -> list[dict[str, Any]]:
    """A post's files as ActivityStreams attachments: ours at our /media/ address (the whole file,
    a document under its own name), a remote post's at the address its server gave."""
    base_url = node.config.base_url
    return [vocab.attachment(row, base_url + urls.attachment_href(row) if row["file_hash"] else row["remote_url"])
            for row in media.of_post(node.db, post_id) if row["file_hash"] or row["remote_url"]]


def object_of(node: Node, post: Row) -> dict[str, Any]:
    base_url = node.config.base_url
    tags = posts.tags_of(node.db, [post["id"]])[post["id"]]
    return vocab.post_object(base_url, post, base_url + urls.post(post), tags, mentions_of(node, post),
                             attachments_of(node, post["id"]))
