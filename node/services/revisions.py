"""The edit history of a post: each edit keeps the version it replaces (storage/writing.py), shown
to everyone who may see the post, with a readable difference between versions. A moderator's
redaction keeps no earlier text, only a trace that versions were withdrawn and by whom. Who the
moderator was who made a version of someone else's post (a redaction or not) only the post's
moderators see, as the public moderation log names no one."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from node import markup
from node.services import moderation
from node.services.context import Node
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
    by_id: int | None  # the account that made this version (None: no longer known, or a moderator not named)
    redacted: bool = False  # earlier versions a moderator withdrew: no title, no text
    by_moderator: bool = False  # made by someone other than the author: a moderator
    compared: bool = True  # False after withdrawn versions: nothing to compare with
    same_text: bool = False  # title and text as before: only attachments, tags or the summary changed
    title_changed: bool = False
    changes: list[Piece] = field(default_factory=list)


def text_changed(post: Row, title: str | None, source: str, content: str) -> bool:
    """Whether an edit changes what the history keeps of a version: the title and the text. A local
    post's text is its Markdown source: its HTML also depends on which mentioned names exist now, so
    saving an unchanged text after @name registered changes nothing (the HTML only when there is no
    source). Another server's post is what it sends: its source and its HTML."""
    if title not in (None, post["title"]):
        return True
    if not post["uri"] and (source or post["source"]):
        return source != post["source"]
    return source != post["source"] or content != post["content"]


def record(node: Node, post: Row, editor_id: int | None, at: str | None = None) -> None:
    """Keep the version an edit replaces; call in the edit's transaction, before the post changes,
    and only for an edit that changes something. at: when the edit was made (default now)."""
    writing.add_revision(node.db, post, editor_id, at or node.now(), KEEP)


def redact(node: Node, post: Row, moderator_id: int) -> None:
    """A moderator's edit of someone else's text: the earlier versions go (what it took out must
    not stay readable), a row without text says that they were withdrawn (call in its transaction)."""
    writing.redact_revisions(node.db, post, moderator_id, node.now())


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
    moderation.check_may_see(node, post, viewer)  # limited authors' text stays hidden here too
    rows = writing.revisions(node.db, post["id"])
    names_moderators = viewer is not None and moderation.may_moderate_post(node, viewer, post)
    organisation_post = post["kind"] == "blog" and post["blog_owner"] is None and not post["uri"]
    versions: list[Version] = []
    by, by_username, by_id = post["author_name"], post["author_username"], post["author_id"]
    by_moderator = False
    for number, row in enumerate(rows, 1):
        redacted = bool(row["redacted"])
        versions.append(Version(number, None if redacted else row["title"], "" if redacted else row["source"],
                                "" if redacted else row["content"], by, by_username, row["written_at"], by_id,
                                redacted=redacted, by_moderator=by_moderator))
        by, by_username, by_id = row["editor_name"] or "", row["editor_username"] or "", row["editor_id"]
        # only a moderator edits someone else's post (but for the organisation's blog, which every
        # admin writes, in their own name); who it was, only the post's moderators learn
        by_moderator = row["editor_id"] != post["author_id"] and not (
            organisation_post and row["editor_role"] == "admin" and not redacted)
        if by_moderator and not names_moderators:
            by, by_username, by_id = "", "", None
    at = post["edited_at"] or post["published_at"] or post["created_at"]
    versions.append(Version(len(rows) + 1, post["title"], post["source"], post["content"], by, by_username, at,
                            by_id, by_moderator=by_moderator))
    for before, after in zip(versions, versions[1:], strict=False):
        if before.redacted:
            after.compared = False  # nothing to compare with: the earlier text is gone
            continue
        after.title_changed = before.title != after.title
        after.same_text = not after.title_changed and _text(before) == _text(after)
        after.changes = [] if after.same_text else diff(_text(before), _text(after))
    return versions
