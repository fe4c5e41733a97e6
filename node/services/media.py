"""Pictures and documents: uploads, attaching them to posts, the images of members, groups and the
organisation, and the pruning of what nothing uses any more.

- An upload is checked from its bytes (node/services/sniff.py), images are re-encoded without their
  metadata (node/services/images.py, in a worker thread), and the result is stored by content hash
  (node/services/media_store.py) with a `media` row that no post owns yet. A post takes its uploads
  in the transaction that writes it; uploads never taken are removed after media.orphan_hours.
- Every image needs a description (alt text) before a post may carry it.
- A file goes when nothing names it any more: at once for a deleted post's files, otherwise at the
  next pruning (media.prune, every ten minutes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import anyio.to_thread

from federation.actors import iso
from node import urls
from node.markup import clean_text
from node.services import audit, images, media_store, outbound, sniff
from node.services.context import Node
from node.services.errors import Forbidden, Invalid, NotFound, TooLarge, Unsupported
from storage import media, settings
from storage.db import Row

log = logging.getLogger("meent.media")

DESCRIPTION_MAX = 1500  # Mastodon's description_limit
NAME_MAX = 120
IMAGE_PURPOSES = ("avatar", "header", "icon", "banner", "logo")
UNUSED_GRACE = timedelta(hours=1)  # an image chosen a moment ago may not be in its row yet
_limiter: anyio.CapacityLimiter | None = None


def _image_limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # at most two images decoded at once: each may take a few hundred MB
        _limiter = anyio.CapacityLimiter(2)
    return _limiter



def root(node: Node) -> Path:
    return node.config.media_path


def clean_name(name: str) -> str:
    """The file name as shown and offered for download: the last path part, printable, bounded."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", clean_text(base)).strip(" .")
    return base[:NAME_MAX] or "bestand"


def _check_size(node: Node, data: bytes) -> None:
    if len(data) > node.config["media.max_file_bytes"]:
        raise TooLarge("error.file_too_large", "file", max=node.config["media.max_file_bytes"] // 1_000_000)
    if not data:
        raise Invalid("error.file_empty", "file")


def allowed_document_types(node: Node) -> list[str]:
    return [sniff.DOCUMENTS[ext] for ext in node.config["media.document_types"]]


async def _processed(node: Node, data: bytes, media_type: str, purpose: str) -> images.Processed:
    def work() -> images.Processed:
        if purpose == "attachment":
            return images.attachment(data, media_type, node.config["media.max_pixels"])
        return images.shaped(data, media_type, purpose, node.config["media.max_pixels"])
    try:
        return await anyio.to_thread.run_sync(work, limiter=_image_limiter())
    except images.ImageRefused as refused:
        raise Invalid(refused.reason, "file") from None


def _store(node: Node, encoded: images.Encoded, blurhash: str | None) -> str:
    hash_ = media_store.write(root(node), encoded.data)
    media.put_file(node.db, hash_=hash_, media_type=encoded.media_type, size=len(encoded.data),
                   width=encoded.width, height=encoded.height, blurhash=blurhash, now=node.now())
    return hash_


async def upload(node: Node, account: Row, data: bytes, name: str, description: str = "") -> Row:
    """An attachment not yet in a post (an image re-encoded, a document kept as it is)."""
    _check_size(node, data)
    media_type = sniff.sniff(data, name)
    description = check_description(description)
    name = clean_name(name)
    if media_type in sniff.IMAGE_TYPES:
        done = await _processed(node, data, media_type, "attachment")
        with node.db.transaction():
            file_hash = _store(node, done.full, done.blurhash)
            preview_hash = _store(node, done.preview, done.blurhash) if done.preview else None
            media_id = media.add(node.db, account_id=account["id"], kind="image", media_type=done.full.media_type,
                                 file_hash=file_hash, preview_hash=preview_hash, name=name, description=description,
                                 width=done.full.width, height=done.full.height, blurhash=done.blurhash,
                                 size=len(done.full.data), now=node.now())
    elif media_type is not None and media_type in allowed_document_types(node):
        with node.db.transaction():
            file_hash = media_store.write(root(node), data)
            media.put_file(node.db, hash_=file_hash, media_type=media_type, size=len(data), width=None,
                           height=None, blurhash=None, now=node.now())
            media_id = media.add(node.db, account_id=account["id"], kind="document", media_type=media_type,
                                 file_hash=file_hash, preview_hash=None, name=name, description=description,
                                 width=None, height=None, blurhash=None, size=len(data), now=node.now())
    else:
        allowed = ", ".join(["JPEG", "PNG", "GIF", "WebP", *[e.upper() for e in node.config["media.document_types"]]])
        raise Unsupported("error.file_type", "file", allowed=allowed)
    row = media.by_id(node.db, media_id)
    assert row is not None
    return row


async def upload_image(node: Node, data: bytes, name: str, purpose: str) -> str:
    """An avatar, header, group icon, banner or logo, cut to its shape; returns the file's hash
    (the caller names it in the account, group or settings row)."""
    _check_size(node, data)
    media_type = sniff.image_type(data[:16])
    if media_type is None:
        raise Unsupported("error.image_type", "file")
    done = await _processed(node, data, media_type, purpose)
    with node.db.transaction():
        return _store(node, done.full, done.blurhash)


def check_description(text: str) -> str:
    """A description (alt text) as stored: cleaned, at most DESCRIPTION_MAX characters."""
    cleaned = clean_text(text or "").strip()
    if len(cleaned) > DESCRIPTION_MAX:
        raise Invalid("error.too_long", "description", max=DESCRIPTION_MAX)
    return cleaned


def check_focus(value: str) -> tuple[float, float]:
    """Mastodon's focus: "x,y", each from -1 to 1."""
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError:
        raise Invalid("error.media_focus", "focus") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise Invalid("error.media_focus", "focus")
    return x, y


def own(node: Node, account: Row, media_id: int) -> Row:
    """The member's own upload (404 for anyone else's: ids are not secrets, but not a listing either)."""
    row = media.by_id(node.db, media_id)
    if row is None or row["account_id"] != account["id"]:
        raise NotFound("error.media_not_found")
    return row


def describe(node: Node, account: Row, media_id: int, description: str | None, focus: str | None = None) -> Row:
    """An upload's description and focus before it is attached. Once it is part of a post, only an
    edit of the post changes them (posts.edit), so that the change is kept and sent; until then it
    is not found here, as Mastodon answers."""
    row = own(node, account, media_id)
    if row["post_id"] is not None:
        raise NotFound("error.media_not_found")
    text = row["description"] if description is None else check_description(description)
    x, y = (row["focus_x"], row["focus_y"]) if not focus else check_focus(focus)
    with node.db.transaction():
        media.describe(node.db, media_id, text, x, y)
    found = media.by_id(node.db, media_id)
    assert found is not None
    return found


def changed_descriptions(node: Node, post_id: int, descriptions: Mapping[int, str]) -> dict[int, str]:
    """Of the new descriptions given for a post's attachments (by id), those that differ from the stored
    ones, cleaned. An edit writes them in its own transaction (write_descriptions), so that a changed
    description is a change of the post: an Update goes out with it. Ids not attached to the post are
    left out; an image's description may not be emptied."""
    changed = {}
    for row in media.of_post(node.db, post_id):
        if row["id"] not in descriptions:
            continue
        text = check_description(descriptions[row["id"]])
        if text == row["description"]:
            continue
        if row["kind"] == "image" and not text:
            raise Invalid("error.media_needs_description", "media_ids", name=row["name"])
        changed[int(row["id"])] = text
    return changed


def write_descriptions(node: Node, changed: Mapping[int, str]) -> None:
    """Write what changed_descriptions found (in the edit's transaction); the focus stays."""
    for media_id, text in changed.items():
        row = media.by_id(node.db, media_id)
        if row is not None:
            media.describe(node.db, media_id, text, row["focus_x"], row["focus_y"])


def check_attachable(node: Node, account: Row, media_ids: list[int], post_id: int | None = None) -> list[Row]:
    """The uploads a post is about to carry, in order: the member's own, not in another post, at most
    media.max_files_per_post and media.max_post_bytes, every image described."""
    if len(media_ids) != len(set(media_ids)):
        raise Invalid("error.media_twice", "media_ids")
    if len(media_ids) > node.config["media.max_files_per_post"]:
        raise Invalid("error.media_too_many", "media_ids", max=node.config["media.max_files_per_post"])
    rows = [own(node, account, media_id) for media_id in media_ids]
    for row in rows:
        if row["post_id"] is not None and row["post_id"] != post_id:
            raise Invalid("error.media_in_use", "media_ids")
        if row["kind"] == "image" and not row["description"]:
            raise Invalid("error.media_needs_description", "media_ids", name=row["name"])
    if sum(int(row["size"] or 0) for row in rows) > node.config["media.max_post_bytes"]:
        raise TooLarge("error.media_post_too_large", "media_ids",
                       max=node.config["media.max_post_bytes"] // 1_000_000)
    return rows


def attach(node: Node, post_id: int, rows: list[Row]) -> None:
    """Give the checked uploads to the post (in the post's transaction); on an edit, those not
    given again are taken off (and their files go once nothing uses them)."""
    kept = [int(row["id"]) for row in rows]
    before = media.of_post(node.db, post_id)
    media.detach_others(node.db, post_id, kept)
    for position, row in enumerate(rows):
        media.attach(node.db, row["id"], post_id, position)
    dropped = [r for r in before if r["id"] not in kept]
    if dropped:
        node.db.after_commit(lambda: release(node, _hashes(dropped)))


def _hashes(rows: list[Row]) -> list[str]:
    return [h for row in rows for h in (row["file_hash"], row["preview_hash"]) if h]


def for_post(node: Node, post_id: int) -> list[Row]:
    return media.of_post(node.db, post_id)


def for_posts(node: Node, post_ids: list[int]) -> dict[int, list[Row]]:
    return media.of_posts(node.db, post_ids)


def member_deleted(node: Node, account_id: int) -> None:
    """In the deletion's transaction: their avatar, header and unattached uploads go (their posts'
    attachments go with the posts)."""
    hashes = media.forget_account_media(node.db, account_id)
    if hashes:
        node.db.after_commit(lambda: release(node, hashes))


def post_deleted(node: Node, post_id: int) -> None:
    """A post became a tombstone (in its transaction): its attachments go, their files once unused."""
    rows = media.of_post(node.db, post_id)
    if not rows:
        return
    media.delete_for_post(node.db, post_id)
    node.db.after_commit(lambda: release(node, _hashes(rows)))


def release(node: Node, hashes: list[str]) -> int:
    """Remove these files now if nothing uses them any more (no grace: they were in use a moment ago
    and nothing takes a file back without uploading it again)."""
    with node.db.transaction(counts=False):
        unused = set(media.unused_files(node.db, iso(datetime.now(UTC) + timedelta(days=1))))
        gone = [h for h in hashes if h in unused]
        media.forget_files(node.db, gone)
    for hash_ in gone:
        media_store.remove(root(node), hash_)
    return len(gone)


# The images of members, groups and the organisation


def _old_and_new(node: Node, old: str | None, new: str | None) -> None:
    if old and old != new:
        node.db.after_commit(lambda: release(node, [old]))


def set_account_image(node: Node, account: Row, which: str, file_hash: str | None) -> None:
    if which not in ("avatar", "header"):
        raise Invalid("error.not_allowed", "which")
    with node.db.transaction():
        media.set_account_image(node.db, account["id"], which, file_hash)
        _old_and_new(node, account[f"{which}_hash"], file_hash)
        outbound.actor_updated(node, "person", account["id"])  # followers elsewhere show the new image


def set_group_image(node: Node, group: Row, which: str, file_hash: str | None) -> None:
    if which not in ("icon", "banner"):
        raise Invalid("error.not_allowed", "which")
    with node.db.transaction():
        media.set_group_image(node.db, group["id"], which, file_hash)
        _old_and_new(node, group[f"{which}_hash"], file_hash)
        outbound.actor_updated(node, "group", group["id"])


LOGO = media.LOGO


def logo(node: Node) -> str | None:
    return settings.get(node.db, LOGO) or None


def set_logo(node: Node, file_hash: str | None, *, by: Row, address: str = "") -> None:
    if by["role"] != "admin":
        raise Forbidden("error.not_allowed")
    old = logo(node)
    with node.db.transaction():
        settings.put(node.db, LOGO, file_hash or "")
        audit.record(node, by, "logo_change", "organisation", "set" if file_hash else "removed", address)
        _old_and_new(node, old, file_hash)
        outbound.actor_updated(node, "organisation")


# Remote media (the node serves every file itself: a visitor's browser never asks another server;
# the paths are in node/urls.py)


def remember_remote(node: Node, url: str) -> str:
    """Note a URL a stored object named (only those are ever fetched); returns its hash."""
    url_hash = urls.remote_key(url)
    media.register_remote(node.db, url_hash, url, node.now())
    return url_hash


# Pruning


def prune(node: Node) -> dict[str, int]:
    """Uploads never attached (older than media.orphan_hours), cached remote copies not viewed for
    media.remote_keep_days or past media.remote_cache_bytes, then every file nothing uses."""
    now = datetime.now(UTC)
    with node.db.transaction(counts=False):
        orphans = media.prune_orphans(node.db, iso(now - timedelta(hours=node.config["media.orphan_hours"])))
        copies = media.drop_remote_copies(node.db, unused_before=iso(now - timedelta(
            days=node.config["media.remote_keep_days"])), over_bytes=node.config["media.remote_cache_bytes"])
        unused = media.unused_files(node.db, iso(now - UNUSED_GRACE))
        media.forget_files(node.db, unused)
    for hash_ in unused:
        media_store.remove(root(node), hash_)
    leftovers = 0
    for part in media_store.leftovers(root(node)):
        if datetime.fromtimestamp(part.stat().st_mtime, UTC) < now - UNUSED_GRACE:
            part.unlink(missing_ok=True)
            leftovers += 1
    if orphans or copies or unused or leftovers:
        log.info("media pruned: %d uploads never attached, %d cached copies, %d files, %d half-written",
                 orphans, copies, len(unused), leftovers)
    return {"orphans": orphans, "copies": copies, "files": len(unused), "leftovers": leftovers}
