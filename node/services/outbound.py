"""Local actions as activities: each is stored with one delivery row per target inbox, in the
caller's transaction, so the post, its activity and its deliveries are durable together.

Audiences: the author's remote followers; a remote group's inbox when the thread lives
there; the remote author replied to and remote people mentioned. A local group Announces
what happens in it (Create, Update, Delete, Like) to its remote followers, and a topic's
opening post also as a plain Announce of the Article, the form Mastodon reads.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

import orjson

from federation import audience, ids, reading, vocab
from node.services import actor_objects, blocks
from node.services.context import Node
from node.services.post_objects import object_of
from storage import accounts, activities, deliveries, follows, groups, posts
from storage import actors as actor_cache
from storage.db import Row

PUBLIC = ids.PUBLIC


def new_activity_id(node: Node) -> str:
    return ids.activity(node.config.base_url, uuid.uuid4().hex)


def _owner_of(node: Node, actor_uri: str) -> str:
    """The key owner (keys table) of one of our actors."""
    path = ids.local_path(node.config.base_url, actor_uri) or ""
    if path.startswith("/users/"):
        return "user:" + path.removeprefix("/users/")
    if path.startswith("/groups/"):
        return "group:" + path.removeprefix("/groups/")
    return "organisation"


def _inboxes(node: Node, actor_uris: Iterable[str]) -> list[str]:
    """Inboxes of remote actors we know, shared inboxes collapsed, blocked servers and accounts left out."""
    policy = blocks.policy(node)
    rows = [row for uri in dict.fromkeys(actor_uris)
            if policy.allows_actor(uri) and (row := actor_cache.get(node.db, uri)) is not None]
    return [inbox for inbox in audience.collapse(rows) if policy.allows(audience.domain_of(inbox))]


def follower_inboxes(node: Node, actor_uri: str) -> list[str]:
    policy = blocks.policy(node)
    rows = follows.follower_inboxes(node.db, actor_uri)
    return [inbox for inbox in audience.collapse(rows) if policy.allows(audience.domain_of(inbox))]


def publish(node: Node, activity: dict[str, Any], inboxes: Iterable[str]) -> None:
    """Store the activity (our outbox) and queue it for every inbox, in one transaction."""
    body = orjson.dumps(activity).decode()
    actor = activity["actor"]
    targets = list(dict.fromkeys(inboxes))
    with node.db.transaction():
        activities.put(node.db, uri=activity["id"], kind=activity["type"], actor=actor,
                       obj=reading.id_of(activity.get("object")), body=body, now=node.now())
        if targets:
            deliveries.enqueue(node.db, activity_uri=activity["id"], signer=_owner_of(node, actor),
                               inboxes=targets, now=node.now())
    if targets:
        node.wake_delivery()


def _remote_parties(node: Node, post: Row) -> list[str]:
    """Remote actors a post concerns: the remote group of its thread, the author it answers, those it mentions."""
    parties = []
    if post["group_domain"] and post["group_uri"]:
        parties.append(post["group_uri"])
    if post["parent_author_id"]:
        parent_author = accounts.by_id(node.db, post["parent_author_id"])
        if parent_author is not None and parent_author["actor_uri"]:
            parties.append(parent_author["actor_uri"])
    parties += [row["actor_uri"] for row in posts.mentioned_accounts(node.db, post["id"]) if row["actor_uri"]]
    return parties


def _announce_in_group(node: Node, post: Row, activity: dict[str, Any], with_object: bool = False) -> None:
    """A local group passes on what happens in it to its remote followers (FEP-1b12)."""
    if not post["group_slug"] or post["group_domain"]:
        return
    base = node.config.base_url
    group_uri = ids.group(base, post["group_slug"])
    inboxes = follower_inboxes(node, group_uri)
    to, cc = [PUBLIC], [ids.followers(group_uri)]
    _announce_activity(node, group_uri, activity, inboxes)
    if with_object:
        publish(node, vocab.activity("Announce", _announce_id(node, group_uri, activity, "object"), group_uri,
                                     activity["object"]["id"], to, cc, node.now()), inboxes)


def _announce_activity(node: Node, group_uri: str, activity: dict[str, Any], inboxes: Iterable[str]) -> None:
    publish(node, vocab.activity("Announce", _announce_id(node, group_uri, activity, "activity"), group_uri,
                                 vocab.strip_context(activity), [PUBLIC], [ids.followers(group_uri)], node.now()),
            inboxes)


def group_passes_on(node: Node, group: Row, activity: dict[str, Any], also_to: Iterable[str] = ()) -> None:
    """A local group announces a moderation activity it honoured (a remote moderator's removal, ban
    or lock), embedded unchanged, to its remote followers and to the inboxes that had the post."""
    if group["domain"]:
        return
    group_uri = ids.group(node.config.base_url, group["slug"])
    _announce_activity(node, group_uri, activity, [*follower_inboxes(node, group_uri), *also_to])


def _announce_id(node: Node, group_uri: str, activity: dict[str, Any], form: str) -> str:
    """The id of a group's Announce follows from what it announces, so passing the same activity on
    again (processing it once more after a crash) queues nothing new: publish ignores known ids."""
    announced = activity.get("id")
    if not isinstance(announced, str):
        return new_activity_id(node)
    digest = hashlib.sha256(f"{group_uri} {announced} {form}".encode()).hexdigest()[:32]
    return ids.activity(node.config.base_url, digest)


def _post_activity(node: Node, kind: str, post: Row) -> None:
    base = node.config.base_url
    obj = vocab.strip_context(object_of(node, post))
    actor = vocab.author_uri(base, post)
    to, cc = vocab.audience(base, post)
    activity = vocab.activity(kind, new_activity_id(node), actor, obj, to, cc, node.now())
    inboxes = follower_inboxes(node, actor) + _inboxes(node, _remote_parties(node, post))
    if kind == "Update":  # servers that saw the post only through its group need the Update itself
        inboxes += activities.delivered_inboxes(node.db, obj["id"])
    publish(node, activity, inboxes)
    _announce_in_group(node, post, activity, with_object=kind == "Create" and post["kind"] == "topic")


def post_created(node: Node, post_id: int) -> None:
    post = posts.by_id(node.db, post_id)
    if post is not None and post["state"] == "published" and not post["uri"]:
        _post_activity(node, "Create", post)


def post_updated(node: Node, post_id: int, newly_published: bool) -> None:
    post = posts.by_id(node.db, post_id)
    if post is not None and post["state"] == "published" and not post["uri"]:
        _post_activity(node, "Create" if newly_published else "Update", post)


def post_deleted(node: Node, post_id: int) -> None:
    """A Delete to every inbox that got the post (the same audience as its Create)."""
    post = posts.by_id(node.db, post_id)
    if post is None or post["uri"]:
        return
    base = node.config.base_url
    actor = vocab.author_uri(base, post)
    to, cc = vocab.audience(base, post)
    tombstone = {"id": vocab.post_uri(base, post), "type": "Tombstone"}
    activity = vocab.activity("Delete", new_activity_id(node), actor, tombstone, to, cc, node.now())
    already_sent = activities.delivered_inboxes(node.db, tombstone["id"])
    _forget(node, tombstone["id"])
    publish(node, activity, already_sent + follower_inboxes(node, actor) + _inboxes(node, _remote_parties(node, post)))
    _announce_in_group(node, post, activity)


def _like_activity(node: Node, account: Row, post: Row) -> dict[str, Any]:
    base = node.config.base_url
    actor = ids.member(base, account["username"])
    return vocab.activity("Like", new_activity_id(node), actor, vocab.post_uri(base, post))


def liked(node: Node, account: Row, post_id: int) -> None:
    post = posts.by_id(node.db, post_id)
    if post is None:
        return
    activity = _like_activity(node, account, post)
    parties = _remote_parties(node, post) + ([post["author_uri"]] if post["author_uri"] else [])
    publish(node, activity, _inboxes(node, parties))
    _announce_in_group(node, post, activity)


def unliked(node: Node, account: Row, post_id: int) -> None:
    post = posts.by_id(node.db, post_id)
    if post is None:
        return
    base = node.config.base_url
    actor = ids.member(base, account["username"])
    # name the Like we sent by its id, as receivers look it up; mint one only if we never sent it
    sent = activities.latest(node.db, "Like", actor, vocab.post_uri(base, post))
    like = vocab.strip_context(orjson.loads(sent["body"]) if sent is not None else _like_activity(node, account, post))
    undo = vocab.activity("Undo", new_activity_id(node), actor, like)
    parties = _remote_parties(node, post) + ([post["author_uri"]] if post["author_uri"] else [])
    publish(node, undo, _inboxes(node, parties))
    _announce_in_group(node, post, undo)


def follow(node: Node, follower_uri: str, target: Row) -> str:
    """A Follow of a remote actor (cached in `actors`); returns the activity id."""
    activity = vocab.activity("Follow", new_activity_id(node), follower_uri, target["uri"])
    with node.db.transaction():
        follows.put(node.db, follower_uri, target["uri"], "pending", activity["id"], node.now())
        publish(node, activity, _inboxes(node, [target["uri"]]))
    return str(activity["id"])


def unfollow(node: Node, follower_uri: str, target_uri: str) -> None:
    existing = follows.get(node.db, follower_uri, target_uri)
    if existing is None:
        return
    original = vocab.activity("Follow", existing["activity_uri"] or new_activity_id(node), follower_uri, target_uri)
    undo = vocab.activity("Undo", new_activity_id(node), follower_uri, vocab.strip_context(original))
    with node.db.transaction():
        follows.remove(node.db, follower_uri, target_uri)
        publish(node, undo, _inboxes(node, [target_uri]))


def accept_follow(node: Node, followee_uri: str, follow_activity: dict[str, Any]) -> None:
    follower = reading.id_of(follow_activity.get("actor"))
    accept = vocab.activity("Accept", new_activity_id(node), followee_uri, vocab.strip_context(follow_activity))
    publish(node, accept, _inboxes(node, [follower] if follower else []))


def group_announces(node: Node, post: Row, activity: dict[str, Any]) -> None:
    """A remote author's activity accepted into a local group is passed on to the group's followers."""
    _announce_in_group(node, post, activity, with_object=activity.get("type") == "Create"
                       and post["kind"] == "topic")


def shared(node: Node, account: Row, post: Row) -> None:
    """A member shares a post: an Announce to their followers (each share its own, so sharing again
    after an unshare is sent again)."""
    base = node.config.base_url
    actor = ids.member(base, account["username"])
    share = vocab.activity("Announce", new_activity_id(node), actor, vocab.post_uri(base, post), [PUBLIC],
                           [ids.followers(actor)], node.now())
    publish(node, share, follower_inboxes(node, actor))


def unshared(node: Node, account: Row, post: Row) -> None:
    """Undo the member's latest share of the post, naming it by its id as receivers expect."""
    base = node.config.base_url
    actor = ids.member(base, account["username"])
    latest = activities.latest(node.db, "Announce", actor, vocab.post_uri(base, post))
    if latest is None:
        return
    undo = vocab.activity("Undo", new_activity_id(node), actor, vocab.strip_context(orjson.loads(latest["body"])))
    publish(node, undo, follower_inboxes(node, actor))


def post_redacted(node: Node, post_id: int) -> None:
    """A moderator's redaction: every activity of ours that embeds the post (its Create, its Updates,
    a group's Announces of them) embeds the post as it is now, in our outbox and in what is still
    queued (deliveries read the body from there), so the text taken out is served and sent no more.
    Call in the redaction's transaction, after the post changed."""
    post = posts.by_id(node.db, post_id)
    if post is None or post["uri"]:
        return
    current = vocab.strip_context(object_of(node, post))
    with node.db.transaction():
        for row in activities.about_object(node.db, current["id"]):
            rewritten = vocab.replace_object(orjson.loads(row["body"]), current)
            activities.set_body(node.db, row["uri"], orjson.dumps(rewritten).decode())


def _forget(node: Node, object_id: str) -> None:
    """A deleted post leaves no copy in our outbox, and what is still queued about it is not sent."""
    with node.db.transaction():
        for row in activities.about_object(node.db, object_id):
            redacted = vocab.redact(orjson.loads(row["body"]), object_id)
            activities.set_body(node.db, row["uri"], orjson.dumps(redacted).decode())
            deliveries.cancel_pending(node.db, row["uri"], "the post was deleted")


def forward_report(node: Node, flag: dict[str, Any], recipients: Iterable[str]) -> list[str]:
    """A report (Flag) to the inboxes of the remote actors it concerns; nothing is stored or sent when
    none of them has an inbox we know (or their servers are blocked). Returns those inboxes."""
    inboxes = _inboxes(node, recipients)
    if inboxes:
        publish(node, flag, inboxes)
    return inboxes
# For the moderators' activities (node/services/outbound_moderation.py).

def inboxes_of(node: Node, actor_uris: Iterable[str]) -> list[str]:
    return _inboxes(node, actor_uris)


def concerned(node: Node, post: Row) -> list[str]:
    """The remote actors a post concerns (its remote group, the author it answers, those it mentions)."""
    return _remote_parties(node, post)


def forget(node: Node, object_id: str) -> None:
    _forget(node, object_id)


def actor_deleted(node: Node, username: str, post_uris: Iterable[str]) -> None:
    """A Delete of the member's actor to every server that follows them or got one of their posts.
    Signed with their key, which stays only for this (the actor itself answers 410 from now on)."""
    actor = ids.member(node.config.base_url, username)
    inboxes = follower_inboxes(node, actor)
    for uri in post_uris:
        inboxes += activities.delivered_inboxes(node.db, uri)
    activity = vocab.activity("Delete", new_activity_id(node), actor, actor, [PUBLIC], [], node.now())
    publish(node, activity, inboxes)


def actor_updated(node: Node, kind: str, record_id: int | None = None) -> None:
    """An Update of one of our actors (a new avatar, header, group icon, banner or logo, read anew
    here) to the servers that follow it, so they show the new image. kind: person, group or
    organisation (record_id: the account's or group's id)."""
    doc: dict[str, Any] | None = None
    if kind == "person" and record_id is not None:
        account = accounts.by_id(node.db, record_id)
        if account is not None and not account["domain"] and not account["deleted_at"]:
            doc = actor_objects.person(node, account)
    elif kind == "group" and record_id is not None:
        record = groups.by_id(node.db, record_id)
        doc = actor_objects.group(node, record) if record is not None and not record["domain"] else None
    elif kind == "organisation":
        doc = actor_objects.organisation(node)
    if doc is None:
        return
    actor = doc["id"]
    inner = vocab.strip_context(doc)
    publish(node, vocab.activity("Update", new_activity_id(node), actor, inner, [PUBLIC], [ids.followers(actor)],
                                 node.now()), follower_inboxes(node, actor))
