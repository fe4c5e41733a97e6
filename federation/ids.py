"""The ActivityPub ids of our own actors, objects and collections. Pure: built from base_url only."""

from __future__ import annotations

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
