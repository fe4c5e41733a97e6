"""The ActivityPub ids of our own actors, objects and collections. Pure: built from base_url only."""

from __future__ import annotations

import re

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def organisation(base: str) -> str:
    return f"{base}/organisation"


def member(base: str, username: str) -> str:
    return f"{base}/users/{username}"


def group(base: str, slug: str) -> str:
    return f"{base}/groups/{slug}"


def post(base: str, post_id: int) -> str:
    return f"{base}/posts/{post_id}"


def context(base: str, topic_id: int) -> str:
    return f"{base}/posts/{topic_id}/context"


def activity(base: str, activity_id: str) -> str:
    return f"{base}/activities/{activity_id}"


def key(actor: str) -> str:
    return f"{actor}#main-key"


def inbox(actor: str) -> str:
    return f"{actor}/inbox"


def followers(actor: str) -> str:
    return f"{actor}/followers"


def shared_inbox(base: str) -> str:
    return f"{base}/inbox"


def local_path(base: str, uri: str) -> str | None:
    """The path of one of our URIs, or None for another server's."""
    if uri == base or uri.startswith(base + "/"):
        return uri[len(base):] or "/"
    return None


ACTOR_NAME = re.compile(r"[a-z0-9_-]{1,50}")  # what usernames and group slugs are made of


def parse_actor(base: str, uri: str) -> tuple[str, str] | None:
    """("organisation", ""), ("member", name) or ("group", slug) for exactly one of our actor ids, else
    None: a longer path, a query, a fragment or a trailing slash is not an actor id."""
    path = local_path(base, uri)
    if path is None:
        return None
    if path == "/organisation":
        return "organisation", ""
    for prefix, kind in (("/users/", "member"), ("/groups/", "group")):
        name = path.removeprefix(prefix)
        if name != path and ACTOR_NAME.fullmatch(name):
            return kind, name
    return None
