"""Reading what other servers send: ActivityStreams values and remote posts as plain values, within
the bounds a remote object may make us read. Pure: no HTML cleaning (the service layer sanitises),
no I/O; the time comes in. Writing our own records as ActivityStreams is federation/vocab.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from federation import ids

POST_TYPES = frozenset({"Note", "Article", "Page", "Question"})
PUBLIC_NAMES = frozenset({ids.PUBLIC, "as:Public", "Public"})
AUTHOR_TYPES = ("", "Person", "Service", "Application")
# What one remote object may make us store or read.
MAX_CONTENT = 200_000
MAX_URL = 2000
MAX_TAGS = 30
MAX_MENTIONS = 30
MAX_RECIPIENTS = 500
MAX_SUMMARY = 5000  # a remote actor's profile text or a group's description


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def id_of(value: Any) -> str | None:
    """The id of a link, an embedded object or a plain URI string."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get("id") or value.get("href")
        return found if isinstance(found, str) else None
    return None


def ids_of(value: Any) -> list[str]:
    return [i for i in (id_of(v) for v in as_list(value)) if i]


def text_of(obj: Mapping[str, Any], key: str) -> str:
    """A natural-language property, from `key` or the first value of `keyMap`."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    mapped = obj.get(f"{key}Map")
    if isinstance(mapped, Mapping):
        for text in mapped.values():
            if isinstance(text, str):
                return text
    return ""


ACTIVITY_TYPES = frozenset({
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce", "Add", "Remove",
    "Block", "Flag", "Move", "Lock", "Dislike", "EmojiReact",
})


def kind(value: Any) -> str:
    """An object's type; for a list-valued type (["Note", "Article"]) the first name. "" when none. Pure."""
    found = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(found, list):
        found = next((item for item in found if isinstance(item, str)), None)
    return found if isinstance(found, str) else ""


def bounded(value: Any, cap: int) -> list[Any]:
    """as_list, at most `cap` items: a remote object decides how much it may make us read or store."""
    return as_list(value)[:cap]


def web_url(value: Any) -> bool:
    """An http(s) URL with a host: the only kind we store as an address to fetch, link or deliver to."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def origin(uri: str) -> str:
    """scheme://host[:port] in lower case, the unit of "an object lives on its own server"."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}".lower()


def recipients(obj: Mapping[str, Any]) -> list[str]:
    """to and cc, bounded."""
    return ids_of(bounded(obj.get("to"), MAX_RECIPIENTS)) + ids_of(bounded(obj.get("cc"), MAX_RECIPIENTS))


def is_public(obj: Mapping[str, Any]) -> bool:
    """Addressed to the public, or not addressed at all (some forums send no addressing)."""
    audience = recipients(obj)
    return not audience or any(uri in PUBLIC_NAMES for uri in audience)


def first_actor(value: Any) -> str | None:
    """attributedTo may be a list (Lemmy: [person, group]); the person is the author."""
    for item in as_list(value):
        if isinstance(item, Mapping) and kind(item) not in AUTHOR_TYPES:
            continue
        found = id_of(item)
        if found:
            return found
    return None


def bounded_url(value: Any) -> str | None:
    """The id of a link or object when it is a web URL of sane length (we store it)."""
    found = id_of(value)
    return found if found is not None and len(found) <= MAX_URL and web_url(found) else None


MAX_TIME = 64  # an ISO 8601 time with microseconds and an offset has 32 characters


def remote_time(value: Any, now: datetime) -> datetime | None:
    """A remote timestamp, never later than `now` (a post dated 9999 must not stay on top); None
    for anything else than a sane ISO 8601 string, as for no time at all."""
    if not isinstance(value, str) or len(value) > MAX_TIME:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return min(moment.astimezone(UTC), now)
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+01:00" is before the first moment in UTC
        return None


def tags(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The tag list, bounded: a post with 15,000 tags is read as far as a person would write them."""
    return [t for t in bounded(obj.get("tag"), 4 * (MAX_TAGS + MAX_MENTIONS)) if isinstance(t, Mapping)]


def hashtag_names(obj: Mapping[str, Any]) -> list[str]:
    """The names of its Hashtag tags, as sent ("#Zorg")."""
    return [str(t.get("name", "")) for t in tags(obj) if kind(t) == "Hashtag"]


def mention_hrefs(obj: Mapping[str, Any]) -> list[str]:
    """Whom a post mentions (its Mention tags), each once, at most MAX_MENTIONS."""
    hrefs = [t["href"] for t in tags(obj) if kind(t) == "Mention" and isinstance(t.get("href"), str)]
    return list(dict.fromkeys(hrefs))[:MAX_MENTIONS]


MAX_ATTACHMENTS = 8
MAX_DESCRIPTION = 1500  # Mastodon's description limit
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class RemoteAttachment:
    """An image or document a remote post carries, as sent (fetched only through our cache)."""

    kind: str  # image | document
    media_type: str
    url: str
    name: str  # the alt text of an image, a document's description or name
    width: int | None
    height: int | None
    blurhash: str | None
    focus: tuple[float, float]


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000 else None


def _focus(value: Any) -> tuple[float, float]:
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and -1 <= v <= 1 for v in value):
        return float(value[0]), float(value[1])
    return 0.0, 0.0


def _link_url(value: Any) -> str | None:
    """The URL of an attachment: a string, a Link ({"href"}), or a list of those (the first web URL)."""
    for item in bounded(value, 5):
        found = item.get("href") if isinstance(item, Mapping) else item
        if isinstance(found, str) and len(found) <= MAX_URL and web_url(found):
            return found
    return None


def read_attachment(item: Any, document_types: frozenset[str]) -> RemoteAttachment | None:
    """An Image, or a Document that is an image (Mastodon's form) or one of `document_types`;
    None for Links, PropertyValues (profile fields) and anything else."""
    if not isinstance(item, Mapping) or kind(item) not in ("Image", "Document"):
        return None
    url = _link_url(item.get("url")) or _link_url(item.get("href"))
    media_type = item.get("mediaType")
    media_type = media_type.split(";")[0].strip().lower() if isinstance(media_type, str) else ""
    if url is None:
        return None
    if kind(item) == "Image" and not media_type:
        media_type = "image/*"  # the type is checked again from the bytes when fetched
    if media_type in IMAGE_TYPES or media_type == "image/*":
        found_kind = "image"
    elif media_type in document_types and kind(item) == "Document":
        found_kind = "document"
    else:
        return None
    blurhash = item.get("blurhash")
    return RemoteAttachment(
        kind=found_kind, media_type=media_type, url=url,
        name=text_of(item, "name")[:MAX_DESCRIPTION] or (text_of(item, "summary")[:MAX_DESCRIPTION]),
        width=_size(item.get("width")), height=_size(item.get("height")),
        blurhash=blurhash if isinstance(blurhash, str) and len(blurhash) <= 100 else None,
        focus=_focus(item.get("focalPoint")),
    )


def attachments(obj: Mapping[str, Any], document_types: frozenset[str] = frozenset()) -> list[RemoteAttachment]:
    """The images and documents of a post, each URL once, at most MAX_ATTACHMENTS; a Lemmy or
    Mbin Page's `image` (the link's thumbnail or the posted image) counts as one image."""
    found: dict[str, RemoteAttachment] = {}
    for item in bounded(obj.get("attachment"), 4 * MAX_ATTACHMENTS):
        read = read_attachment(item, document_types)
        if read is not None and read.url not in found:
            found[read.url] = read
    page_image = obj.get("image")
    if kind(obj) == "Page" and page_image is not None:
        image = page_image if isinstance(page_image, Mapping) else {"type": "Image", "url": page_image}
        read = read_attachment({**image, "type": "Image"}, document_types)
        if read is not None and read.url not in found:
            found[read.url] = read
    return list(found.values())[:MAX_ATTACHMENTS]


def actor_image(value: Any) -> str | None:
    """An actor's icon or image: an Image object, a plain URL or a list of those; the first URL."""
    for item in bounded(value, 5):
        if isinstance(item, str):
            url = item if len(item) <= MAX_URL and web_url(item) else None
        elif isinstance(item, Mapping) and kind(item) in ("Image", ""):
            url = _link_url(item.get("url")) or _link_url(item.get("href"))
        else:
            url = None
        if url:
            return url
    return None


def actor_images(doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(avatar or group icon, header or banner) URLs of an actor document."""
    return actor_image(doc.get("icon")), actor_image(doc.get("image"))


@dataclass(frozen=True)
class RemotePost:
    """A remote Note, Article, Page or Question as we read it, before its HTML is cleaned."""

    content_html: str  # as sent, cut at MAX_CONTENT; a Page without content gives its summary
    name: str  # the title, as sent
    summary_html: str
    source_markdown: str  # the author's Markdown, when given as source with mediaType text/markdown
    language: str
    published: datetime | None
    updated: datetime | None  # when its author last changed it, as sent (never after now)
    url: str | None  # its page, when a web URL
    context: str | None  # its thread's collection (FEP-7888)
    hashtags: list[str]
    mentions: list[str]
    attachments: list[RemoteAttachment]


def read_post(obj: Mapping[str, Any], now: datetime, document_types: frozenset[str] = frozenset()) -> RemotePost:
    """document_types: the media types of documents we take (images are always taken)."""
    content = text_of(obj, "content")[:MAX_CONTENT]
    if kind(obj) == "Page" and not content:
        content = text_of(obj, "summary")[:MAX_CONTENT]
    source = obj.get("source")
    markdown = (source.get("content", "")[:MAX_CONTENT] if isinstance(source, Mapping)
                and source.get("mediaType") == "text/markdown" and isinstance(source.get("content"), str) else "")
    content_map = obj.get("contentMap")
    language = next(iter(content_map), "") if isinstance(content_map, Mapping) else ""
    url = id_of(obj.get("url"))
    return RemotePost(
        content_html=content, name=text_of(obj, "name"), summary_html=text_of(obj, "summary")[:MAX_CONTENT],
        source_markdown=markdown, language=str(language)[:10] or "nl",
        published=remote_time(obj.get("published"), now), updated=remote_time(obj.get("updated"), now),
        url=url if web_url(url) else None,
        context=bounded_url(obj.get("context")), hashtags=hashtag_names(obj), mentions=mention_hrefs(obj),
        attachments=attachments(obj, document_types),
    )


def summary_of(doc: Mapping[str, Any]) -> str:
    """An actor's summary (profile text, group description) as sent, bounded."""
    return text_of(doc, "summary")[:MAX_SUMMARY]


MAX_FLAG_OBJECTS = 20  # an account and the posts about it, as Mastodon sends them
MAX_FLAG_TEXT = 20_000  # raw; the service keeps at most a few thousand characters of plain text


@dataclass(frozen=True)
class RemoteFlag:
    """A report from another server, in Mastodon's form (object [account, posts...], reason in
    `content`) or Lemmy's (one object, `to` the group, reason in `summary`), read alike."""

    id: str
    actor: str
    objects: list[str]  # web URLs only, at most MAX_FLAG_OBJECTS, each once
    text_html: str  # as sent, cut at MAX_FLAG_TEXT
    to: list[str]


def read_flag(activity: Mapping[str, Any]) -> RemoteFlag:
    objects = [url for url in (bounded_url(item) for item in bounded(activity.get("object"), MAX_FLAG_OBJECTS))
               if url]
    text = text_of(activity, "content") or text_of(activity, "summary")
    return RemoteFlag(
        id=str(activity.get("id") or ""), actor=id_of(activity.get("actor")) or "",
        objects=list(dict.fromkeys(objects)), text_html=text[:MAX_FLAG_TEXT],
        to=[uri for uri in recipients(activity) + ids_of(bounded(activity.get("audience"), 5)) if web_url(uri)],
    )
