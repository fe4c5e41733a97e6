"""What's new to a member: read marks per thread, and the markers lists and groups show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from node.services import blocks
from node.services.context import Node
from storage import reads
from storage.db import Row


def mark(node: Node, account: Row | None, topic_id: int) -> int | None:
    return reads.mark(node.db, account["id"], topic_id) if account else None


def seen(node: Node, account: Row | None, topic_id: int, post_id: int, mark: int | None = None) -> None:
    """The member saw the thread up to post_id (a mark never moves back). mark: theirs as read
    before; when it is already there, nothing is written (a member's page view costs no sync)."""
    if account is not None and (mark is None or post_id > mark):
        reads.advance(node.db, account["id"], topic_id, post_id, node.now())


def with_unread(node: Node, rows: Iterable[Row], account: Row | None) -> list[Any]:
    """List rows with what is new to the member: never_read (someone else's thread they never
    opened), unread_count (new replies in a thread they opened or started) and, for a
    reply row, unread (that reply is new). Posts the member does not see (blocks) are never new. One
    query for the whole list (two when an account or server is limited). Visitors: rows unchanged."""
    rows = list(rows)
    if account is None or not rows:
        return rows
    topic_ids = sorted({int(row["topic_id"] or row["id"]) for row in rows})
    hidden = _hidden(node, account, topic_ids)
    state = reads.of_threads(node.db, account["id"], topic_ids, hidden)
    unseen_authors = set(hidden)
    annotated: list[Any] = []
    for row in rows:
        thread = state.get(int(row["topic_id"] or row["id"]))
        mark = thread["mark"] if thread else None
        new_replies = int(thread["new_replies"]) if thread else 0
        root_new = bool(thread["root_new"]) if thread else False
        # someone else's thread never opened is new as a whole; one's own counts as read from its start
        never_read = mark is None and root_new
        annotated.append(Marked(row, {
            "never_read": never_read,
            "unread_count": 0 if never_read else new_replies,
            "unread": (row["id"] != row["topic_id"] and row["author_id"] != account["id"] and row["id"] > (mark or 0)
                       and row["author_id"] not in unseen_authors),
        }))
    return annotated


class Marked(Mapping[str, Any]):
    """A list row with what is new added, read like the row (copying a row's 40 columns into a dict
    for each of a page's rows was a third of a member's home page)."""

    __slots__ = ("row", "extra")

    def __init__(self, row: Row, extra: dict[str, Any]) -> None:
        self.row, self.extra = row, extra

    def __getitem__(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        try:
            return self.row[key]
        except IndexError:  # sqlite3.Row's answer for a column it lacks
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        yield from self.row.keys()
        yield from self.extra

    def __len__(self) -> int:
        return len(self.row.keys()) + len(self.extra)


def unread_per_group(node: Node, account: Row | None) -> dict[int, int]:
    """Per group: how many topics have something new to the member (empty for visitors)."""
    if account is None:
        return {}
    return reads.unread_topics_per_group(node.db, account["id"], _hidden(node, account, None))


def _hidden(node: Node, account: Row, topic_ids: list[int] | None) -> tuple[int, ...]:
    """The authors of new posts in these threads (None: in any group) whose posts the member does not
    see (blocks: a limited account they do not follow), so that no count includes what the thread
    page hides. One query, and none when nothing is limited (the usual case)."""
    return blocks.hidden_authors_among(
        node, account, lambda uri, _: reads.new_remote_authors(node.db, account["id"], uri or "", topic_ids))
