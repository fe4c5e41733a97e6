"""Records to API entities, with what they need from the database (counts, likes, tags), in batches."""

from __future__ import annotations

from typing import Any

from federation import ids
from node.api import entities
from node.services import media
from node.services.context import Node
from node.services.revisions import Version
from storage import accounts, follows, groups, posts
from storage.db import Row


def account_counts(node: Node, row: Row) -> dict[str, Any]:
    db = node.db
    uri = row["actor_uri"] or ids.member(node.config.base_url, row["username"])
    count, last = posts.author_stats(db, row["id"])
    # follows of remote groups are also group follows: count them once
    remote_following = follows.count_following(db, uri) - follows.count_following_groups(db, uri)
    return {"followers": follows.count_followers(db, uri),
            "following": groups.count_followed_by(db, row["id"]) + max(remote_following, 0),
            "statuses": count, "last_status_at": last[:10] if last else None}


def account(node: Node, row: Row, *, source: bool = False) -> dict:
    return entities.account(node.config.base_url, node.config["node.domain"], row, account_counts(node, row),
                            source=source)


def group(node: Node, row: Row) -> dict:
    db = node.db
    uri = row["actor_uri"] or ids.group(node.config.base_url, row["slug"])
    return entities.group_account(node.config.base_url, row, {
        "followers": groups.count_local_followers(db, row["id"]) + follows.count_followers(db, uri),
        "statuses": posts.count_in_group(db, row["id"])})


def account_by_id(node: Node, api_id: str) -> dict | None:
    """The Account entity for an API id: a member (local or remote) or a group."""
    if not api_id.isdigit() or len(api_id) > 19:
        return None
    number = int(api_id)
    if number >= entities.GROUP_OFFSET:
        row = groups.by_id(node.db, number - entities.GROUP_OFFSET)
        return group(node, row) if row is not None else None
    found = accounts.by_id(node.db, number)
    return account(node, found) if found is not None and not found["disabled"] else None


def statuses(node: Node, rows: list[Row], viewer: Row | None) -> list[dict]:
    """Status entities for many posts with a handful of queries."""
    if not rows:
        return []
    base = node.config.base_url
    post_ids = [row["id"] for row in rows]
    tags = posts.tags_of(node.db, post_ids)
    liked = posts.liked_by(node.db, viewer["id"], post_ids) if viewer else set()
    children = posts.direct_reply_counts(node.db, post_ids)
    attachments = media.for_posts(node, post_ids)
    authors: dict[int, dict] = {}
    group_entities: dict[int, dict] = {}
    result = []
    for row in rows:
        if row["author_id"] not in authors:
            author = accounts.by_id(node.db, row["author_id"])
            assert author is not None
            authors[row["author_id"]] = account(node, author)
        group_entity = None
        if row["group_id"]:
            if row["group_id"] not in group_entities:
                group_row = groups.by_id(node.db, row["group_id"])
                assert group_row is not None
                group_entities[row["group_id"]] = group(node, group_row)
            group_entity = group_entities[row["group_id"]]
        mentions = [{"id": str(m["id"]), "username": m["username"].split("@")[0],
                     "acct": m["username"], "url": m["actor_uri"] or f"{base}/users/{m['username']}"}
                    for m in posts.mentioned_accounts(node.db, row["id"])]
        replies = row["reply_count"] if row["id"] == row["topic_id"] else children.get(row["id"], 0)
        result.append(entities.status(base, row, authors[row["author_id"]], tags=tags[row["id"]],
                                      mentions=mentions, favourited=row["id"] in liked, replies=int(replies),
                                      group=group_entity, media=[entities.media_attachment(base, m)
                                                                 for m in attachments.get(row["id"], [])]))
    return result


def status_history(node: Node, post: Row, versions: list[Version]) -> list[dict]:
    """StatusEdit entities, oldest first; each version's account is whoever made it (the author
    where that account is no longer known; a moderator only for those who may know,
    `Version.by_id`). A version a moderator withdrew keeps no text: empty content."""
    base = node.config.base_url
    attached = [entities.media_attachment(base, m) for m in media.for_posts(node, [post["id"]]).get(post["id"], [])]
    made_by: dict[int, dict] = {}
    for by_id in {v.by_id for v in versions if v.by_id is not None} | {post["author_id"]}:
        if (row := accounts.by_id(node.db, by_id)) is not None:
            made_by[by_id] = account(node, row)
    author = made_by[post["author_id"]]
    edits = []
    for v in versions:
        who = made_by.get(v.by_id or 0) or (entities.moderation_account(base) if v.by_moderator else author)
        edits.append(entities.status_edit(post, v.title, v.content, v.at, who, [] if v.redacted else attached))
    return edits


def media_attachment(node: Node, row: Row) -> dict:
    return entities.media_attachment(node.config.base_url, row)


def status(node: Node, row: Row, viewer: Row | None) -> dict:
    return statuses(node, [row], viewer)[0]
