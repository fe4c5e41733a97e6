"""Pure mapping between our records and ActivityStreams JSON. No I/O: ids, keys and times come in.

Topics' opening posts are Articles (name, plain summary, audience = group), as
NodeBB sends them; replies are Notes; blog posts are Articles with a url to
their page; deleted posts are Tombstones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from federation import ids

AS = "https://www.w3.org/ns/activitystreams"
CONTEXT: list[Any] = [
    AS,
    "https://w3id.org/security/v1",
    {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#",
     "blurhash": "toot:blurhash", "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}},
]


def image(url: str | None, media_type: str | None) -> dict[str, Any] | None:
    """An actor's icon or image: {"type": "Image", "mediaType", "url"}; None without a URL."""
    if not url:
        return None
    found: dict[str, Any] = {"type": "Image", "url": url}
    if media_type:
        found["mediaType"] = media_type
    return found


def with_images(actor: dict[str, Any], icon: Mapping[str, Any] | None,
                banner: Mapping[str, Any] | None) -> dict[str, Any]:
    """An actor with its avatar or group icon (`icon`) and header or banner (`image`), when it has them."""
    if icon:
        actor["icon"] = dict(icon)
    if banner:
        actor["image"] = dict(banner)
    return actor


def attachment(row: Record, url: str) -> dict[str, Any]:
    """One of our attachments (a media row) as Mastodon reads it: an Image with its description as
    `name`, blurhash and focal point; a Document with its description, else its file name."""
    if row["kind"] == "image":
        found: dict[str, Any] = {"type": "Image", "mediaType": row["media_type"], "url": url,
                                 "name": row["description"] or None}
        for key in ("width", "height", "blurhash"):
            if row[key] is not None:
                found[key] = row[key]
        found["focalPoint"] = [row["focus_x"] or 0.0, row["focus_y"] or 0.0]
        return found
    return {"type": "Document", "mediaType": row["media_type"], "url": url,
            "name": row["description"] or row["name"] or None}


class Record(Protocol):
    """One of our records as the mapping functions read it: a sqlite3.Row or any mapping, by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


def _actor(
    base: str, uri: str, kind: str, username: str, name: str, summary: str, url: str, public_pem: str
) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": kind,
        "preferredUsername": username,
        "name": name,
        "summary": summary,
        "url": url,
        "inbox": ids.inbox(uri),
        "outbox": f"{uri}/outbox",
        "followers": ids.followers(uri),
        "following": f"{uri}/following",
        "endpoints": {"sharedInbox": ids.shared_inbox(base)},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {"id": ids.key(uri), "owner": uri, "publicKeyPem": public_pem},
    }


def person(base: str, account: Record, public_pem: str, about_html: str) -> dict[str, Any]:
    """A member as a Person (with_images adds the avatar and header)."""
    uri = ids.member(base, account["username"])
    actor = _actor(base, uri, "Person", account["username"], account["display_name"], about_html,
                   f"{base}/users/{account['username']}", public_pem)
    actor["liked"] = f"{uri}/liked"
    actor["published"] = account["created_at"]
    if account["job_title"]:
        actor["attachment"] = [{"type": "PropertyValue", "name": "Functie", "value": account["job_title"]}]
    return actor


def group(base: str, record: Record, public_pem: str, moderators: Sequence[str]) -> dict[str, Any]:
    uri = ids.group(base, record["slug"])
    actor = _actor(base, uri, "Group", record["slug"], record["name"], record["description"],
                   f"{base}/groups/{record['slug']}", public_pem)
    actor["attributedTo"] = f"{uri}/moderators"
    actor["moderators"] = f"{uri}/moderators"
    actor["postingRestrictedToMods"] = False
    actor["published"] = record["created_at"]
    del moderators  # served as the moderators collection
    return actor


def organisation(base: str, handle: str, name: str, public_pem: str) -> dict[str, Any]:
    return _actor(base, ids.organisation(base), "Organization", handle, name, "", base + "/", public_pem)


def post_uri(base: str, post: Record) -> str:
    return str(post["uri"] or ids.post(base, post["id"]))


def author_uri(base: str, post: Record) -> str:
    """Who a post is by: its remote author, the organisation for its own blog, else the member."""
    if post["author_uri"]:
        return str(post["author_uri"])
    if post["kind"] == "blog" and post["blog_owner"] is None:
        return ids.organisation(base)
    return ids.member(base, post["author_username"])


def group_uri(base: str, post: Record) -> str | None:
    if post["group_slug"] is None:
        return None
    return str(post["group_uri"] or ids.group(base, post["group_slug"]))


def audience(base: str, post: Record) -> tuple[list[str], list[str]]:
    """Public, addressed to the group (if any) and the author's followers."""
    to = [ids.PUBLIC]
    group = group_uri(base, post)
    if group:
        to.append(group)
    return to, [ids.followers(author_uri(base, post))]


def thread_context(base: str, post: Record) -> str:
    """The thread's context (FEP-7888): ours, or the one a remote thread's opening post named, else
    (a remote thread that named none) that opening post's id."""
    if not post["topic_uri"]:
        return ids.context(base, post["topic_id"])
    return str(post["topic_context"] or post["topic_uri"])


def post_object(
    base: str, post: Record, html_url: str, tags: Sequence[str], mentions: Sequence[tuple[str, str]] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A post as an Article (topic, blog post), Note (reply) or Tombstone (deleted); `attachments`
    as made by attachment()."""
    uri = post_uri(base, post)
    if post["deleted_at"] or post["removed_at"]:  # removed by a moderator: gone for other servers too
        gone = post["deleted_at"] or post["removed_at"]
        return {"@context": CONTEXT, "id": uri, "type": "Tombstone", "deleted": gone,
                "formerType": "Note" if post["kind"] == "reply" else "Article"}
    to, cc = audience(base, post)
    obj: dict[str, Any] = {
        "@context": CONTEXT,
        "id": uri,
        "type": "Note" if post["kind"] == "reply" else "Article",
        "attributedTo": author_uri(base, post),
        "content": post["content"],
        "contentMap": {post["language"]: post["content"]},
        "mediaType": "text/html",
        "source": {"content": post["source"], "mediaType": "text/markdown"},
        "published": post["published_at"] or post["created_at"],
        "url": html_url,
        "to": to,
        "cc": cc + [href for _, href in mentions if href not in cc and href not in to],
        "inReplyTo": post["parent_uri"] or (ids.post(base, post["parent_id"]) if post["parent_id"] else None),
        "context": thread_context(base, post),
        "tag": [{"type": "Hashtag", "name": f"#{t}", "href": f"{base}/tags/{t}"} for t in tags]
        + [{"type": "Mention", "name": name, "href": href} for name, href in mentions],
        "sensitive": False,
    }
    if post["kind"] != "reply":
        obj["name"] = post["title"]
        obj["summary"] = post["summary"]
    group = group_uri(base, post)
    if group:
        obj["audience"] = group
    if post["edited_at"]:
        obj["updated"] = post["edited_at"]
    if attachments:
        obj["attachment"] = list(attachments)
    return obj


def activity(kind: str, activity_id: str, actor: str, obj: Any, to: Sequence[str] = (),
             cc: Sequence[str] = (), published: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"@context": CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj}
    if to:
        result["to"] = list(to)
    if cc:
        result["cc"] = list(cc)
    if published:
        result["published"] = published
    return result


def redact(value: Any, object_id: str) -> Any:
    """An activity with every embedded copy of one object replaced by a Tombstone (for deleted posts)."""
    if isinstance(value, Mapping):
        if value.get("id") == object_id and value.get("type") != "Tombstone":
            return {"id": object_id, "type": "Tombstone"}
        return {key: redact(item, object_id) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, object_id) for item in value]
    return value


def replace_object(value: Any, new: Mapping[str, Any]) -> Any:
    """An activity with every embedded copy of an object replaced by its new version (a moderator's
    redaction: the old copies in our outbox must not keep the text it took out). A Tombstone stays."""
    if isinstance(value, Mapping):
        if value.get("id") == new["id"] and value.get("type") != "Tombstone" and len(value) > 1:
            return dict(new)
        return {key: replace_object(item, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_object(item, new) for item in value]
    return value


def strip_context(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object embedded in an activity does not repeat the @context."""
    return {k: v for k, v in obj.items() if k != "@context"}


def ordered_collection(uri: str, total: int, first: str | None = None,
                       items: Sequence[Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"@context": AS, "id": uri, "type": "OrderedCollection", "totalItems": total}
    if items is not None:
        result["orderedItems"] = list(items)
    elif first:
        result["first"] = first
    return result


def collection_page(uri: str, part_of: str, items: Sequence[Any], next_page: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"@context": AS, "id": uri, "type": "OrderedCollectionPage", "partOf": part_of,
                              "orderedItems": list(items)}
    if next_page:
        result["next"] = next_page
    return result


def flag(activity_id: str, actor: str, objects: Sequence[str], text: str, *, to: Sequence[str] = (),
         lemmy: bool = False) -> dict[str, Any]:
    """A report (Flag). Mastodon's form: `object` the list [account, posts...], reason in `content`.
    Lemmy's form (lemmy=True; to a group): one `object`, the group in `to` and `audience`, the reason
    in `summary`, and in `content` too for servers that read that."""
    result: dict[str, Any] = {"@context": CONTEXT, "id": activity_id, "type": "Flag", "actor": actor,
                              "content": text}
    if lemmy:
        result["object"] = objects[0]
        result["summary"] = text
        if to:
            result["audience"] = to[0]
    else:
        result["object"] = list(objects)
    if to:
        result["to"] = list(to)
    return result
# Moderation (issue 9). The moderator's activity names the group as its audience; the group passes it
# on unchanged inside an Announce (FEP-1b12), so servers that trust only the group can check it.

def _moderation(kind: str, activity_id: str, actor: str, obj: Any, group: str | None, reason: str,
                published: str) -> dict[str, Any]:
    result = activity(kind, activity_id, actor, obj, [ids.PUBLIC], [group, ids.followers(group)] if group else [],
                      published)
    if reason:
        result["summary"] = reason
    if group:
        result["audience"] = group
    return result


def moderator_delete(activity_id: str, moderator: str, object_id: str, group: str | None, reason: str,
                     published: str) -> dict[str, Any]:
    """A moderator's removal of a post: Delete{object: the post's id, summary: the reason}."""
    return _moderation("Delete", activity_id, moderator, object_id, group, reason, published)


def moderator_remove(activity_id: str, moderator: str, context: str, group: str, reason: str,
                     published: str) -> dict[str, Any]:
    """A whole topic taken out of its group (NodeBB): Remove{object: the thread's context, target: group}."""
    result = _moderation("Remove", activity_id, moderator, context, group, reason, published)
    result["target"] = group
    return result


def group_ban(activity_id: str, moderator: str, account: str, group: str, reason: str, expires: str | None,
              published: str) -> dict[str, Any]:
    """A ban from a group (Lemmy, Mbin): Block{object: the account, target: the group}, expires when it ends."""
    result = _moderation("Block", activity_id, moderator, account, group, reason, published)
    result["target"] = group
    if expires:
        result["expires"] = expires
    return result


def topic_lock(activity_id: str, moderator: str, topic: str, group: str | None, reason: str,
               published: str) -> dict[str, Any]:
    """No new replies (Lemmy): Lock{object: the topic's id}."""
    return _moderation("Lock", activity_id, moderator, topic, group, reason, published)


def undo(activity_id: str, actor: str, undone: Mapping[str, Any], published: str) -> dict[str, Any]:
    """Undo of one of our activities, embedded without its @context, to the same audience."""
    inner = strip_context(undone)
    result = activity("Undo", activity_id, actor, inner, inner.get("to", ()), inner.get("cc", ()), published)
    if "audience" in inner:
        result["audience"] = inner["audience"]
    return result


def group_announce(activity_id: str, group: str, announced: Mapping[str, Any], published: str) -> dict[str, Any]:
    """A group passes an activity on to its followers, embedded unchanged (less its @context)."""
    return activity("Announce", activity_id, group, strip_context(announced), [ids.PUBLIC], [ids.followers(group)],
                    published)


def moderators_change(kind: str, activity_id: str, group: str, account: str, published: str) -> dict[str, Any]:
    """Add or Remove of an account on the group's moderators collection, by the group."""
    result = activity(kind, activity_id, group, account, [ids.PUBLIC], [ids.followers(group)], published)
    result["target"] = moderators_collection(group)
    return result


def moderators_collection(group: str) -> str:
    return f"{group}/moderators"
