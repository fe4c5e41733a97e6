"""Pure mapping from our records to the Mastodon API's entities (Account, Status, StatusEdit,
MediaAttachment, Notification, Tag).

Ids are our integer ids as strings: they grow with time, so they sort by length then text in
creation order, as clients expect of Mastodon's snowflakes. Groups are accounts with group: true;
their ids are offset so they never meet a member's.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from federation import ids
from federation.vocab import Record
from node import urls

GROUP_OFFSET = 10**15


def api_time(value: str | None) -> str | None:
    """Our stored times are ISO 8601 UTC with milliseconds and Z already; older forms are mended."""
    if not value:
        return None
    if value.endswith("Z") and "." in value:
        return value
    return value.replace("+00:00", "Z") if "." in value else value.rstrip("Z") + ".000Z"


def _note(text: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def _image(base: str, file_hash: str | None, remote: str | None, default: str) -> str:
    """An account's avatar or header: our file, our copy of another server's image, or the default."""
    if file_hash:
        return f"{base}{urls.media_file(file_hash)}"
    if remote:
        return f"{base}{urls.remote_media(remote)}"
    return f"{base}{default}"


def _images(base: str, avatar: tuple[str | None, str | None], header: tuple[str | None, str | None]) -> dict:
    avatar_url = _image(base, *avatar, "/avatars/default.png")
    header_url = _image(base, *header, "/headers/default.png")
    return {"avatar": avatar_url, "avatar_static": avatar_url, "header": header_url, "header_static": header_url}


def account(base: str, domain: str, row: Record, counts: Mapping[str, int], *, source: bool = False) -> dict:
    remote = bool(row["domain"])
    username = row["username"].split("@")[0]
    profile = row["actor_uri"] if remote else f"{base}{urls.member(row['username'])}"
    entity: dict[str, Any] = {
        "id": str(row["id"]),
        "username": username,
        "acct": row["username"] if remote else username,
        "display_name": row["display_name"] or username,
        "locked": False, "bot": False, "discoverable": True, "indexable": True, "group": False,
        "hide_collections": False, "noindex": False,
        "created_at": api_time(row["created_at"]),
        "note": row["about"] if remote else _note(row["about"]),  # a remote summary is sanitised HTML
        "url": profile,
        "uri": row["actor_uri"] or ids.member(base, row["username"]),
        **_images(base, (row["avatar_hash"], row["avatar_url"]), (row["header_hash"], row["header_url"])),
        "followers_count": counts.get("followers", 0),
        "following_count": counts.get("following", 0),
        "statuses_count": counts.get("statuses", 0),
        "last_status_at": (counts.get("last_status_at") or None),
        "emojis": [],
        "fields": [{"name": "Functie", "value": html.escape(row["job_title"]), "verified_at": None}]
        if row["job_title"] else [],
        "roles": [],
    }
    if source:
        entity["source"] = {"privacy": "public", "sensitive": False, "language": row["language"] or "nl",
                            "note": row["about"], "fields": [], "follow_requests_count": 0,
                            "hide_collections": False, "discoverable": True, "indexable": True}
        entity["role"] = {"id": "0", "name": row["role"], "color": "", "permissions": "0", "highlighted": False}
    return entity


def group_account(base: str, row: Record, counts: Mapping[str, int]) -> dict:
    remote = bool(row["domain"])
    uri = row["actor_uri"] or ids.group(base, row["slug"])
    return {
        "id": str(GROUP_OFFSET + int(row["id"])),
        "username": row["slug"].split("@")[0],
        "acct": row["slug"],
        "display_name": row["name"],
        "locked": False, "bot": False, "discoverable": True, "indexable": True, "group": True,
        "hide_collections": False, "noindex": False,
        "created_at": api_time(row["created_at"]),
        "note": row["description"] if remote else _note(row["description"]),
        "url": uri if remote else f"{base}{urls.group(row['slug'])}",
        "uri": uri,
        **_images(base, (row["icon_hash"], row["icon_url"]), (row["banner_hash"], row["banner_url"])),
        "followers_count": counts.get("followers", 0), "following_count": 0,
        "statuses_count": counts.get("statuses", 0), "last_status_at": None,
        "emojis": [], "fields": [], "roles": [],
    }


PREVIEW_SIDE = 1280  # node/services/images.py scales a preview to fit this square


def _meta(width: int, height: int) -> dict:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": round(width / height, 6)}


def media_attachment(base: str, row: Record) -> dict:
    """A MediaAttachment: an image (GIFs too, as stills or animations: "image") or a document ("unknown").
    Every URL is this node's: our own files, or our cached copy of another server's (remote_url says where
    it came from)."""
    image = row["kind"] == "image"
    meta: dict[str, Any] = {}
    width, height = row["width"], row["height"]
    if width and height:
        meta["original"] = _meta(int(width), int(height))
        if row["preview_hash"]:  # the preview's size follows from the original's (scaled to fit PREVIEW_SIDE)
            scale = min(1.0, PREVIEW_SIDE / max(int(width), int(height)))
            meta["small"] = _meta(max(1, round(int(width) * scale)), max(1, round(int(height) * scale)))
    if image:
        meta["focus"] = {"x": float(row["focus_x"] or 0), "y": float(row["focus_y"] or 0)}
    return {
        "id": str(row["id"]),
        "type": "image" if image else "unknown",
        "url": f"{base}{urls.attachment_href(row)}",
        "preview_url": f"{base}{urls.attachment_src(row)}" if image else None,
        "remote_url": None if row["file_hash"] else row["remote_url"],
        "meta": meta,
        "description": row["description"] or None,
        "blurhash": row["blurhash"] or None,
    }


def status_content(post: Record) -> str:
    """A topic or blog post shows its title in bold, then its body; a reply just its body."""
    if post["deleted_at"]:
        return ""
    if post["kind"] != "reply" and post["title"]:
        return f"<p><strong>{html.escape(post['title'])}</strong></p>{post['content']}"
    return str(post["content"])


def status(base: str, post: Record, author: dict, *, tags: Sequence[str], mentions: Sequence[dict],
           favourited: bool, replies: int, group: dict | None = None, media: Sequence[dict] = ()) -> dict:
    post_id = str(post["id"])
    return {
        "id": post_id,
        "uri": post["uri"] or ids.post(base, post["id"]),
        "url": post["url"] or f"{base}{urls.post(post)}",
        "created_at": api_time(post["published_at"] or post["created_at"]),
        "edited_at": api_time(post["edited_at"]),
        "account": author,
        "content": status_content(post),
        "text": None,
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": list(media),
        "application": None,
        "mentions": list(mentions),
        "tags": [{"name": tag, "url": f"{base}/tags/{tag}"} for tag in tags],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": int(post["like_count"]),
        "replies_count": replies,
        "quotes_count": 0,
        "in_reply_to_id": str(post["parent_id"]) if post["parent_id"] else None,
        "in_reply_to_account_id": str(post["parent_author_id"]) if post["parent_author_id"] else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": post["language"] or None,
        "favourited": favourited,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
        # Meent: where the post lives (a group is an account with group: true)
        "meent": {"kind": post["kind"], "title": post["title"] or None, "group": group},
    }


def status_edit(post: Record, title: str | None, content: str, at: str, account: dict,
                media: Sequence[dict] = ()) -> dict:
    """One version of a status (StatusEdit): its title and sanitised HTML as the Status entity shows them,
    made `at` by `account`. Meent keeps no earlier attachments: `media` is what the post has now."""
    version = {"kind": post["kind"], "title": title, "content": content, "deleted_at": None}
    return {
        "content": status_content(version),
        "spoiler_text": "",
        "sensitive": False,
        "created_at": api_time(at),
        "account": account,
        "poll": None,
        "media_attachments": list(media),
        "emojis": [],
    }


# The stand-in's user name: a hyphen is no character of a member's (accounts.USERNAME), so no member
# can ever be this account, and a client that goes by acct finds no one by it (lookup is a 404).
MODERATION_ACCT = "moderation-log"
MODERATION_SINCE = "1970-01-01T00:00:00.000Z"  # fixed: the stand-in is no account that was ever made


def moderation_account(base: str) -> dict:
    """Who made a version of someone else's post (a moderator), for whoever may not know which
    moderator it was (the public moderation log names no one either): a stand-in Account, id "0",
    pointing at that log."""
    return {
        "id": "0", "username": MODERATION_ACCT, "acct": MODERATION_ACCT, "display_name": "moderator",
        "locked": False, "bot": False, "discoverable": False, "indexable": False, "group": False,
        "hide_collections": True, "noindex": True, "created_at": MODERATION_SINCE, "note": "",
        "url": f"{base}/moderation-log", "uri": f"{base}/moderation-log",
        **_images(base, (None, None), (None, None)),
        "followers_count": 0, "following_count": 0, "statuses_count": 0, "last_status_at": None,
        "emojis": [], "fields": [], "roles": [],
    }


def tag(base: str, name: str) -> dict:
    return {"id": name, "name": name, "url": f"{base}/tags/{name}", "history": [], "following": False}


# A followed topic's new reply and a followed tag's new post are Mastodon's "status" (someone one
# chose to hear of posted), the nearest type every client knows.
NOTIFICATION_TYPES = {"mention": "mention", "reply": "mention", "like": "favourite", "follow": "follow",
                      "reblog": "reblog", "status": "status", "topic_reply": "status", "tag_post": "status"}


def notification(row: Record, account_entity: dict, status_entity: dict | None) -> dict:
    kind = NOTIFICATION_TYPES.get(row["kind"], "mention")
    return {
        "id": str(row["id"]),
        "type": kind,
        "group_key": f"ungrouped-{row['id']}",
        "created_at": api_time(row["created_at"]),
        "account": account_entity,
        "status": status_entity,
    }


def report(row: Record, category: str, target_account: dict, status_ids: Sequence[int],
           rule_ids: Sequence[int]) -> dict:
    """A Report as Mastodon answers POST /api/v1/reports (category already one of Mastodon's four)."""
    return {
        "id": str(row["id"]),
        "action_taken": row["state"] != "open",
        "action_taken_at": api_time(row["handled_at"]),
        "category": category,
        "comment": row["comment"],
        "forwarded": row["forwarded_at"] is not None,
        "created_at": api_time(row["created_at"]),
        "status_ids": [str(i) for i in status_ids] or None,
        "rule_ids": [str(i) for i in rule_ids] or None,
        "collection_ids": [],
        "target_account": target_account,
    }
