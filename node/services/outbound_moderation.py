"""Moderators' actions as activities (issue 9), queued like every other activity (node/services/outbound.py).

A moderator M acts on something in group G: M's activity goes to those concerned (every inbox that had the
post, its remote parties, G's remote followers), and G, when it is ours, passes it on unchanged inside an
Announce to the same inboxes (FEP-1b12). For a group on another server, M's activity goes to that group,
which passes it on itself. The wire formats are in /work/wt/BRIEF.md and docs/architecture.md.
"""

from __future__ import annotations

from typing import Any

import orjson

from federation import ids, vocab
from node.services import outbound
from node.services.context import Node
from storage import activities, groups
from storage.db import Row


def moderator_uri(node: Node, actor: Row | None) -> str:
    """Who signs a moderator's activity: the member, or the organisation for the command line."""
    base = node.config.base_url
    if actor is None:
        return ids.organisation(base)
    return str(actor["actor_uri"] or ids.member(base, actor["username"]))


def group_uri(node: Node, group: Row | None) -> str | None:
    if group is None:
        return None
    return str(group["actor_uri"] or ids.group(node.config.base_url, group["slug"]))


def _spread(node: Node, group: Row | None, activity: dict[str, Any], inboxes: list[str]) -> None:
    if group is not None and group["domain"]:  # another server's group announces it itself
        outbound.publish(node, activity, inboxes + outbound.inboxes_of(node, [group["actor_uri"]]))
        return
    uri = group_uri(node, group)
    targets = list(dict.fromkeys(inboxes + (outbound.follower_inboxes(node, uri) if uri else [])))
    outbound.publish(node, activity, targets)
    if uri:
        outbound.publish(node, vocab.group_announce(outbound.new_activity_id(node), uri, activity, node.now()),
                         targets)


def audience_of_post(node: Node, post: Row) -> list[str]:
    """Every inbox that had the post (also through our group's Announce of another server's Create of it),
    and its remote author and parties."""
    obj = vocab.post_uri(node.config.base_url, post)
    parties = outbound.concerned(node, post) + ([post["author_uri"]] if post["author_uri"] else [])
    had = activities.delivered_inboxes(node.db, obj)
    if post["uri"] and post["group_slug"] and not post["group_domain"]:
        had += activities.announced_inboxes(node.db, ids.group(node.config.base_url, post["group_slug"]), obj)
    return list(dict.fromkeys(had + outbound.inboxes_of(node, parties)))


def author_deleted(node: Node, post: Row, inboxes: list[str]) -> list[str]:
    """A removed post written here: its author's plain Delete, the only form Mastodon honours, to every
    inbox that had it and the author's followers; returns those inboxes."""
    base = node.config.base_url
    obj, author = vocab.post_uri(base, post), vocab.author_uri(base, post)
    inboxes = list(dict.fromkeys(inboxes + outbound.follower_inboxes(node, author)))
    outbound.forget(node, obj)  # our outbox keeps no copy, and what is still queued about it stays here
    to, cc = vocab.audience(base, post)
    outbound.publish(node, vocab.activity("Delete", outbound.new_activity_id(node), author, obj, to, cc, node.now()),
                     inboxes)
    return inboxes


def removed(node: Node, actor: Row | None, post: Row, reason: str) -> str:
    """A removal: for a post of ours, its author's plain Delete first (what Mastodon honours), then the
    moderator's Delete, and for a whole topic the Remove of its thread from the group; returns the Delete's id."""
    base = node.config.base_url
    obj = vocab.post_uri(base, post)
    group = groups.by_id(node.db, post["group_id"]) if post["group_id"] else None
    inboxes = audience_of_post(node, post)
    if not post["uri"]:
        inboxes = author_deleted(node, post, inboxes)
    moderator, where = moderator_uri(node, actor), group_uri(node, group)
    delete = vocab.moderator_delete(outbound.new_activity_id(node), moderator, obj, where, reason, node.now())
    _spread(node, group, delete, inboxes)
    if where and post["id"] == post["topic_id"]:
        remove = vocab.moderator_remove(outbound.new_activity_id(node), moderator, vocab.thread_context(base, post),
                                        where, reason, node.now())
        _spread(node, group, remove, inboxes)
    return str(delete["id"])


def _undo_latest(node: Node, actor: Row | None, group: Row | None, kind: str, obj: str, inboxes: list[str],
                 fallback: dict[str, Any]) -> str:
    """Undo our latest activity of a kind about obj in this group (or, never sent, the one we would have)."""
    where = group_uri(node, group)
    for row in activities.of_kind_about(node.db, kind, obj):
        sent = orjson.loads(row["body"])
        if sent.get("audience") == where:
            fallback = sent
            break
    undo = vocab.undo(outbound.new_activity_id(node), moderator_uri(node, actor), fallback, node.now())
    _spread(node, group, undo, inboxes)
    return str(undo["id"])


def locked(node: Node, actor: Row | None, topic: Row, reason: str) -> str:
    group = groups.by_id(node.db, topic["group_id"]) if topic["group_id"] else None
    lock = vocab.topic_lock(outbound.new_activity_id(node), moderator_uri(node, actor),
                            vocab.post_uri(node.config.base_url, topic), group_uri(node, group), reason, node.now())
    _spread(node, group, lock, audience_of_post(node, topic))
    return str(lock["id"])


def unlocked(node: Node, actor: Row | None, topic: Row) -> str:
    group = groups.by_id(node.db, topic["group_id"]) if topic["group_id"] else None
    obj = vocab.post_uri(node.config.base_url, topic)
    fallback = vocab.topic_lock(outbound.new_activity_id(node), moderator_uri(node, actor), obj,
                                group_uri(node, group), "", node.now())
    return _undo_latest(node, actor, group, "Lock", obj, audience_of_post(node, topic), fallback)


def _account_uri(node: Node, account: Row) -> str:
    return str(account["actor_uri"] or ids.member(node.config.base_url, account["username"]))


def banned(node: Node, actor: Row | None, group: Row, account: Row, reason: str, expires: str | None) -> str:
    where = group_uri(node, group)
    assert where is not None
    block = vocab.group_ban(outbound.new_activity_id(node), moderator_uri(node, actor), _account_uri(node, account),
                            where, reason, expires, node.now())
    _spread(node, group, block, outbound.inboxes_of(node, [account["actor_uri"]] if account["actor_uri"] else []))
    return str(block["id"])


def unbanned(node: Node, actor: Row | None, group: Row, account: Row) -> str:
    where = group_uri(node, group)
    assert where is not None
    uri = _account_uri(node, account)
    fallback = vocab.group_ban(outbound.new_activity_id(node), moderator_uri(node, actor), uri, where, "", None,
                               node.now())
    inboxes = outbound.inboxes_of(node, [account["actor_uri"]] if account["actor_uri"] else [])
    return _undo_latest(node, actor, group, "Block", uri, inboxes, fallback)


def moderators_changed(node: Node, group: Row, account: Row, added: bool) -> str:
    """The group tells its followers (and the account, when remote) of a moderator added or removed."""
    where = group_uri(node, group)
    assert where is not None
    change = vocab.moderators_change("Add" if added else "Remove", outbound.new_activity_id(node), where,
                                     _account_uri(node, account), node.now())
    extra = outbound.inboxes_of(node, [account["actor_uri"]] if account["actor_uri"] else [])
    outbound.publish(node, change, list(dict.fromkeys(extra + outbound.follower_inboxes(node, where))))
    return str(change["id"])
