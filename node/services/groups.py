"""Discussion groups: created by admins and moderators, followed by members."""

from __future__ import annotations

import re

from federation import ids
from federation.keys import generate_pem_pair
from node.markup import clean_text
from node.services import lookalike, outbound
from node.services.accounts import can_moderate
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid, NotFound
from storage import accounts, actors, groups, keys
from storage.db import Row

SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")
NAME_MAX = 100
DESCRIPTION_MAX = 2000


def create(node: Node, creator: Row | None, slug: str, name: str, description: str = "") -> Row:
    """creator None means the CLI, which acts with the admin's authority."""
    if creator is not None and not can_moderate(creator):
        raise Forbidden("error.not_allowed")
    slug, name, description = slug.strip().lower(), clean_text(name).strip(), clean_text(description).strip()
    if not SLUG.match(slug):
        raise Invalid("error.slug_format", "slug")
    if not name:
        raise Invalid("error.required", "name")
    if len(name) > NAME_MAX:
        raise Invalid("error.too_long", "name", max=NAME_MAX)
    if len(description) > DESCRIPTION_MAX:
        raise Invalid("error.too_long", "description", max=DESCRIPTION_MAX)
    if (groups.by_slug(node.db, slug) is not None or accounts.local_by_username(node.db, slug) is not None
            or slug == node.config.organisation_handle):
        raise Conflict("error.slug_taken", "slug")  # members and groups share one fediverse name space
    lookalike.check_group(node, slug, name)
    public_pem, private_pem = generate_pem_pair()
    now = node.now()
    with node.db.transaction():
        group_id = groups.create(
            node.db, slug=slug, name=name, description=description,
            created_by=creator["id"] if creator else None, now=now,
        )
        keys.put(node.db, f"group:{slug}", public_pem, private_pem, now)
        if creator is not None:  # who made the group moderates it (node/services/moderation.py)
            groups.add_moderator(node.db, group_id, creator["id"], creator["id"], now)
    return get_by_id(node, group_id)


def moderates(node: Node, account: Row | None, group: Row | None) -> bool:
    """May this account moderate this group? Admins: every group. The node's moderators: every
    group of ours. A group's own moderators (local or remote): that group."""
    if account is None or group is None or account["disabled"] or account["suspended_at"]:
        return False
    if account["role"] == "admin" and not account["domain"]:
        return True
    if can_moderate(account) and group["domain"] is None:
        return True
    return groups.is_moderator(node.db, group["id"], account["id"])


def get(node: Node, slug: str) -> Row:
    group = groups.by_slug(node.db, slug)
    if group is None:
        raise NotFound("error.group_not_found")
    return group


def get_by_id(node: Node, group_id: int) -> Row:
    group = groups.by_id(node.db, group_id)
    if group is None:
        raise NotFound("error.group_not_found")
    return group


def follow(node: Node, account: Row, slug: str) -> None:
    """Follow a group; a group on another server is sent a Follow as well."""
    group = get(node, slug)
    with node.db.transaction():
        groups.follow(node.db, group["id"], account["id"], node.now())
        remote = actors.get(node.db, group["actor_uri"]) if group["actor_uri"] else None
        if remote is not None:
            outbound.follow(node, ids.member(node.config.base_url, account["username"]), remote)


def unfollow(node: Node, account: Row, slug: str) -> None:
    group = get(node, slug)
    with node.db.transaction():
        groups.unfollow(node.db, group["id"], account["id"])
        if group["actor_uri"]:
            outbound.unfollow(node, ids.member(node.config.base_url, account["username"]), group["actor_uri"])
