"""Where each thing lives (DESIGN.md's URL scheme), as paths. Pure."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from node.services.sniff import EXTENSIONS


def group(slug: str) -> str:
    return f"/groups/{slug}"


def topic(group_slug: str, topic_id: int) -> str:
    return f"/groups/{group_slug}/topics/{topic_id}"


def blog(owner_username: str | None) -> str:
    return "/blog/organisation" if owner_username is None else f"/users/{owner_username}/blog"


def blog_post(owner_username: str | None, post_id: int) -> str:
    return f"/blog/{post_id}" if owner_username is None else f"/users/{owner_username}/blog/{post_id}"


def thread(post: Any) -> str:
    """The page of the thread a post belongs to (a topic or a blog post)."""
    if post["group_slug"]:
        return topic(post["group_slug"], post["topic_id"])
    return blog_post(post["blog_owner_username"], post["topic_id"])


def thread_page(post: Any, page: int) -> str:
    """One page of a post's thread; page 1 is the thread's own address."""
    return thread(post) if page <= 1 else f"{thread(post)}?page={page}"


def in_thread(post: Any, page: int) -> str:
    """A reply's anchor on the page of its thread it is on (node/threads.py knows the page)."""
    return reply_at(post, post["id"], page)


def reply_at(thread_post: Any, post_id: int, page: int) -> str:
    """The anchor of post post_id on a page of thread_post's thread."""
    return f"{thread_page(thread_post, page)}#post-{post_id}"


def post(post: Any) -> str:
    """A post's place: a root is its page; a reply its permalink, which leads to the page of the
    thread it is on now (pages fill as replies come, so the page is not part of the address)."""
    if post["id"] == post["topic_id"]:
        return thread(post)
    return f"/posts/{post['id']}"


def member(username: str) -> str:
    return f"/users/{username}"


def tag(name: str) -> str:
    return f"/tags/{name}"


_POST_PATHS = (
    re.compile(r"^/posts/(\d{1,18})$"),
    re.compile(r"^/groups/[^/]+/topics/(\d{1,18})$"),
    re.compile(r"^/blog/(\d{1,18})$"),
    re.compile(r"^/users/[^/]+/blog/(\d{1,18})$"),
)
_ANCHOR = re.compile(r"^post-(\d{1,18})$")


def post_id_of(path: str, fragment: str = "") -> int | None:
    """The post a path of ours names (the inverse of post() and of ids.post): a reply by its anchor."""
    anchor = _ANCHOR.match(fragment)
    for pattern in _POST_PATHS:
        match = pattern.match(path.rstrip("/") if path != "/" else path)
        if match:
            return int(anchor.group(1)) if anchor else int(match.group(1))
    return None


def media_file(file_hash: str, name: str = "") -> str:
    """A stored file (node/pages/media.py); the name only for the download dialog."""
    return f"/media/{file_hash}/{name}" if name else f"/media/{file_hash}"


def remote_key(url: str) -> str:
    """The key of another server's file in our cache (remote_media.url_hash) and in its path."""
    return hashlib.sha256(url.encode()).hexdigest()


def remote_media(url: str) -> str:
    """Our copy of another server's image (fetched and cached by this node when first shown)."""
    return f"/media/remote/{remote_key(url)}"


def attachment_src(row: Any) -> str:
    """What a thread shows inline: the preview when there is one."""
    if row["file_hash"]:
        return media_file(row["preview_hash"] or row["file_hash"])
    return remote_media(row["remote_url"] or "")


def download_name(row: Any) -> str:
    """A file's name safe in a URL and a Content-Disposition header: ASCII letters, digits, dot,
    dash and underscore, with the extension of the type we found."""
    ext = EXTENSIONS.get(row["media_type"], "bin")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (row["name"] or "").rsplit(".", 1)[0]).strip("-.")[:80]
    return f"{stem or 'bestand'}.{ext}"


def attachment_href(row: Any) -> str:
    """The whole file: the image at full size, or the document under its own name to download."""
    if row["file_hash"]:
        return media_file(row["file_hash"], download_name(row) if row["kind"] == "document" else "")
    return remote_media(row["remote_url"] or "")
