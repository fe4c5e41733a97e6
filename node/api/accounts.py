"""Accounts: the member's own, others (members here and elsewhere, and groups), follows, relationships."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import ids
from node.api import auth, entities, present
from node.api.respond import (
    ApiError,
    endpoint,
    flag,
    json,
    limit,
    link_header,
    paging_id,
    params,
    path_id,
    strings,
    text,
    upload_params,
)
from node.services import accounts as account_service
from node.services import groups as group_service
from node.services import media, network
from node.services.context import Node
from node.web import node_of
from storage import accounts, follows, groups, notifications, timelines
from storage.db import Row


def _target(request: Request) -> tuple[str, Row]:
    """("group", row) or ("account", row) for the id in the path."""
    node = node_of(request)
    number = path_id(request)
    if number >= entities.GROUP_OFFSET:
        row = groups.by_id(node.db, number - entities.GROUP_OFFSET)
        if row is not None:
            return "group", row
    else:
        row = accounts.by_id(node.db, number)
        if row is not None and not row["disabled"]:
            return "account", row
    raise ApiError(404, "Record not found")


def _uri(request: Request, kind: str, row: Row) -> str:
    base = node_of(request).config.base_url
    if kind == "group":
        return str(row["actor_uri"] or ids.group(base, row["slug"]))
    return str(row["actor_uri"] or ids.member(base, row["username"]))


def relationship(request: Request, me: Row, kind: str, row: Row) -> dict:
    node = node_of(request)
    my_uri = ids.member(node.config.base_url, me["username"])
    uri = _uri(request, kind, row)
    follow = follows.get(node.db, my_uri, uri)
    following = follow is not None and follow["state"] == "accepted"
    if kind == "group" and row["domain"] is None:
        following = groups.follows(node.db, row["id"], me["id"])
    followed_by = follows.get(node.db, uri, my_uri)
    api_id = str(entities.GROUP_OFFSET + row["id"]) if kind == "group" else str(row["id"])
    return {"id": api_id, "following": following, "showing_reblogs": True,
            "notifying": follow is not None and bool(follow["notify"]),
            "languages": None, "followed_by": followed_by is not None and followed_by["state"] == "accepted",
            "blocking": False, "blocked_by": False, "muting": False, "muting_notifications": False,
            "muting_expires_at": None, "requested": follow is not None and follow["state"] == "pending",
            "requested_by": False, "domain_blocking": False, "endorsed": False, "note": ""}


@endpoint
async def verify_credentials(request: Request) -> Response:
    return json(present.account(node_of(request), auth.member(request, "read:accounts"), source=True))


@endpoint
async def update_credentials(request: Request) -> Response:
    """display_name and note, and (multipart) an avatar and a header: every image is made before
    anything changes, so a refused one leaves the profile as it was."""
    account = auth.member(request, "write:accounts")
    node = node_of(request)
    values, uploads = await upload_params(request, node.config)
    changes = {"display_name": text(values, "display_name", account["display_name"]),
               "about": text(values, "note", account["about"])}
    images = {which: await media.upload_image(node, uploads[which][1], uploads[which][0], which)
              for which in ("avatar", "header") if which in uploads}
    account_service.update_profile(node, account, changes)
    for which, file_hash in images.items():
        media.set_account_image(node, _fresh(node, account), which, file_hash)
    return json(present.account(node, _fresh(node, account), source=True))


def _fresh(node: Node, account: Row) -> Row:
    found = accounts.by_id(node.db, account["id"])
    assert found is not None
    return found


async def _remove_image(request: Request, which: str) -> Response:
    account = auth.member(request, "write:accounts")
    node = node_of(request)
    media.set_account_image(node, account, which, None)
    return json(present.account(node, _fresh(node, account), source=True))


@endpoint
async def remove_avatar(request: Request) -> Response:
    """DELETE /api/v1/profile/avatar (Mastodon 4.2): back to the default image."""
    return await _remove_image(request, "avatar")


@endpoint
async def remove_header(request: Request) -> Response:
    return await _remove_image(request, "header")


@endpoint
async def show(request: Request) -> Response:
    auth.optional_member(request, "read:accounts")
    kind, row = _target(request)
    node = node_of(request)
    return json(present.group(node, row) if kind == "group" else present.account(node, row))


@endpoint
async def lookup(request: Request) -> Response:
    auth.optional_member(request, "read:accounts")
    node = node_of(request)
    acct = text(await params(request), "acct").strip().lstrip("@")
    name, _, domain = acct.partition("@")
    local = not domain or domain.lower() == str(node.config["node.domain"]).lower()
    account = accounts.local_by_username(node.db, name) if local else accounts.by_username(node.db, acct)
    if account is not None and not account["disabled"]:
        return json(present.account(node, account))
    group = groups.local_by_slug(node.db, name) if local else groups.by_slug(node.db, acct)
    if group is not None:
        return json(present.group(node, group))
    raise ApiError(404, "Record not found")


@endpoint
async def statuses(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:accounts")
    kind, row = _target(request)
    values = await params(request)
    node = node_of(request)
    if text(values, "pinned") in ("true", "1") or text(values, "only_media") in ("true", "1"):
        return json([])
    where, args = ("posts.group_id = ?", [row["id"]]) if kind == "group" else ("posts.author_id = ?", [row["id"]])
    if text(values, "exclude_replies") in ("true", "1"):
        where += " AND posts.parent_id IS NULL"
    rows = timelines.page(node.db, where, args, limit=limit(values), max_id=paging_id(values, "max_id"),
                          since_id=paging_id(values, "since_id"), min_id=paging_id(values, "min_id"))
    items = present.statuses(node, rows, viewer)
    return json(items, headers=link_header(request, items))


@endpoint
async def relationships(request: Request) -> Response:
    me = auth.member(request, "read:follows")
    values = await params(request)
    found = []
    for api_id in strings(values, "id"):
        request.path_params["id"] = api_id
        try:
            kind, row = _target(request)
        except ApiError:
            continue
        found.append(relationship(request, me, kind, row))
    return json(found)


@endpoint
async def follow(request: Request) -> Response:
    me = auth.member(request, "write:follows")
    kind, row = _target(request)
    values = await params(request)
    node = node_of(request)
    if kind == "group":
        group_service.follow(node, me, row["slug"])
    elif row["id"] == me["id"]:
        raise ApiError(403, "You cannot follow yourself")
    elif row["domain"]:
        runtime = node.runtime()
        await network.follow(node, runtime.fetcher, runtime.actors, me, row["actor_uri"])
    else:
        base = node.config.base_url
        me_uri, them = ids.member(base, me["username"]), ids.member(base, row["username"])
        if follows.get(node.db, me_uri, them) is None:
            follows.put(node.db, me_uri, them, "accepted", None, node.now())
            notifications.add(node.db, row["id"], "follow", None, me["id"], node.now())
    if kind == "account" and "notify" in values:  # the bell: hear of each new post
        follows.set_notify(node.db, ids.member(node.config.base_url, me["username"]), _uri(request, kind, row),
                           flag(values, "notify"))
    return json(relationship(request, me, kind, row))


@endpoint
async def unfollow(request: Request) -> Response:
    me = auth.member(request, "write:follows")
    kind, row = _target(request)
    node = node_of(request)
    if kind == "group":
        group_service.unfollow(node, me, row["slug"])
    elif row["domain"]:
        network.unfollow(node, me, row["actor_uri"])
    else:
        base = node.config.base_url
        follows.remove(node.db, ids.member(base, me["username"]), ids.member(base, row["username"]))
    return json(relationship(request, me, kind, row))


@endpoint
async def follow_lists(request: Request) -> Response:
    """Followers and following: not listed through the API yet; an empty page is a valid answer."""
    auth.optional_member(request, "read:accounts")
    _target(request)
    return json([])
