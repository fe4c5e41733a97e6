"""Outbox, followers, following, liked and moderators collections and the moderation log, paged as
OrderedCollectionPages."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from federation import ids, vocab
from federation import moderation_log as log_vocab
from node.ap.respond import activity_json, base, node_of, not_found, paged
from node.services import moderation
from storage import accounts, activities, follows, groups, posts
from storage import moderation_log as moderation_log_store
from storage.db import Row


def _member(request: Request) -> Row | None:
    account = accounts.local_by_username(node_of(request).db, request.path_params["name"])
    return None if account is None or account["disabled"] else account


def _group(request: Request) -> Row | None:
    return groups.local_by_slug(node_of(request).db, request.path_params["slug"])


def _actor_uri(request: Request) -> str | None:
    """The actor whose collection is asked for, from the path."""
    base_url = base(request)
    if "name" in request.path_params:
        member = _member(request)
        return ids.member(base_url, member["username"]) if member else None
    if "slug" in request.path_params:
        group = _group(request)
        return ids.group(base_url, group["slug"]) if group else None
    return ids.organisation(base_url)


async def outbox(request: Request) -> Response:
    actor = _actor_uri(request)
    if actor is None:
        return not_found()
    db = node_of(request).db

    def items(limit: int, offset: int) -> list[Any]:
        return [orjson.loads(row["body"]) for row in activities.of_actor(db, actor, limit, offset)]

    return paged(request, f"{actor}/outbox", activities.count_of_actor(db, actor), items)


def _local_group_followers(request: Request) -> list[str]:
    group = _group(request) if "slug" in request.path_params else None
    if group is None:
        return []
    base_url = base(request)
    return [ids.member(base_url, name) for name in groups.local_follower_usernames(node_of(request).db, group["id"])]


async def followers(request: Request) -> Response:
    actor = _actor_uri(request)
    if actor is None:
        return not_found()
    db = node_of(request).db
    local = _local_group_followers(request)
    remote_total = follows.count_followers(db, actor)

    def items(limit: int, offset: int) -> list[Any]:
        everyone = local + follows.followers(db, actor, limit + offset, 0)
        return everyone[offset:offset + limit]

    return paged(request, ids.followers(actor), len(local) + remote_total, items)


async def following(request: Request) -> Response:
    actor = _actor_uri(request)
    if actor is None:
        return not_found()
    db = node_of(request).db
    member = _member(request) if "name" in request.path_params else None
    local_groups = ([ids.group(base(request), g["slug"]) for g in groups.followed_by(db, member["id"])
                     if g["domain"] is None] if member else [])
    remote = follows.following(db, actor)
    everything = local_groups + [uri for uri in remote if uri not in local_groups]
    return paged(request, f"{actor}/following", len(everything),
                  lambda limit, offset: everything[offset:offset + limit])


async def liked(request: Request) -> Response:
    member = _member(request)
    if member is None:
        return not_found()
    db = node_of(request).db
    uri = f"{ids.member(base(request), member['username'])}/liked"
    total = posts.count_liked_by(db, member["id"])
    return paged(request, uri, total, lambda limit, offset: [
        vocab.post_uri(base(request), row) for row in posts.liked_by_account(db, member["id"], limit, offset)])


async def moderators(request: Request) -> Response:
    group = _group(request)
    if group is None:
        return not_found()
    base_url = base(request)
    items = moderation.moderator_uris(node_of(request), group)
    return activity_json(vocab.ordered_collection(f"{ids.group(base_url, group['slug'])}/moderators", len(items),
                                                  items=items))


def _log_group(request: Request) -> tuple[bool, Row | None]:
    """(found, group): the node's log has no group; a group's log needs the group (local or a copy)."""
    if "slug" not in request.path_params:
        return True, None
    group = groups.by_slug(node_of(request).db, request.path_params["slug"])
    return group is not None, group


async def moderation_log(request: Request) -> Response:
    """The public moderation log, newest first: the node's, or one group's."""
    found, group = _log_group(request)
    if not found:
        return not_found()
    db, base_url = node_of(request).db, base(request)
    group_id = group["id"] if group else None
    uri = log_vocab.log_uri(base_url, group["slug"] if group else None)
    return paged(request, uri, moderation_log_store.count(db, group_id=group_id), lambda limit, offset: [
        log_vocab.entry(base_url, row)
        for row in moderation_log_store.public_entries(db, group_id=group_id, limit=limit, offset=offset)])


async def moderation_log_entry(request: Request) -> Response:
    row = moderation_log_store.public_entry(node_of(request).db, request.path_params["entry_id"])
    if row is None:
        return not_found()
    return activity_json({"@context": vocab.AS} | log_vocab.entry(base(request), row))
