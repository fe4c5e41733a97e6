"""The edit history of a post: each edit keeps the version it replaces (storage/writing.py), shown
to everyone who may see the post, with a readable difference between versions."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from node import markup
from node.services import blocks, moderation
from node.services.context import Node
from node.services.errors import NotFound
from storage import writing
from storage.db import Row

KEEP = 50  # revisions per post; older ones go
WORDS = re.compile(r"\s+|\S+")


@dataclass
class Piece:
    kind: str  # "same", "ins" or "del"
    text: str


@dataclass
class Version:
    number: int
    title: str | None
    source: str
    content: str
    by: str
    by_username: str
    at: str
    by_id: int | None  # the account that made this version (None: no longer known)
    title_changed: bool = False
    changes: list[Piece] = field(default_factory=list)


def record(node: Node, post: Row, editor_id: int | None, title: str | None, source: str, content: str) -> None:
    """Call in the edit's transaction, before the post changes; an edit that changes nothing keeps nothing."""
    if source == post["source"] and content == post["content"] and title in (None, post["title"]):
        return
    writing.add_revision(node.db, post, editor_id, node.now(), KEEP)


def forget(node: Node, post_id: int) -> None:
    """Drop a post's earlier versions (a moderator's redaction; call in its transaction)."""
    writing.delete_revisions(node.db, post_id)


def diff(old: str, new: str) -> list[Piece]:
    """Word by word (whitespace kept), so a changed word reads as one deletion and one insertion."""
    a, b = _words(old), _words(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("ins", "".join(b[j1:j2])))
    return pieces


def _text(version: Version) -> str:
    """A remote post may come without its Markdown source: then its text."""
    return version.source or markup.plain_text(version.content)


def _words(text: str) -> list[str]:
    return WORDS.findall(text)


def history(node: Node, post: Row, viewer: Row | None) -> list[Version]:
    """Every version, oldest first, the last one the current text. A deleted post has none; a removed
    one only for its author and its moderators."""
    if post["deleted_at"] or blocks.hidden_ids(node, [post], viewer):  # limited authors' text stays hidden here too
        raise NotFound("error.post_not_found")
    if post["removed_at"] or post["topic_removed_at"]:
        own = viewer is not None and viewer["id"] == post["author_id"]
        if not own and not (viewer is not None and moderation.may_moderate_post(node, viewer, post)):
            raise NotFound("error.post_not_found")
    rows = writing.revisions(node.db, post["id"])
    versions: list[Version] = []
    by, by_username, by_id = post["author_name"], post["author_username"], post["author_id"]
    for number, row in enumerate(rows, 1):
        versions.append(Version(number, row["title"], row["source"], row["content"], by, by_username,
                                row["written_at"], by_id))
        by, by_username, by_id = row["editor_name"] or "", row["editor_username"] or "", row["editor_id"]
    at = post["edited_at"] or post["published_at"] or post["created_at"]
    versions.append(Version(len(rows) + 1, post["title"], post["source"], post["content"], by, by_username, at,
                            by_id))
    for before, after in zip(versions, versions[1:], strict=False):
        after.changes = diff(_text(before), _text(after))
        after.title_changed = before.title != after.title
    return versions
