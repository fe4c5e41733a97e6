"""Rules: an ordered list of short texts for one group, or for the whole node (group_id NULL)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Database, Row


def of(db: Database, group_id: int | None) -> list[Row]:
    """In their order; group_id None: the node's own rules."""
    if group_id is None:
        return db.all("SELECT id, position, text FROM rules WHERE group_id IS NULL ORDER BY position, id")
    return db.all("SELECT id, position, text FROM rules WHERE group_id = ? ORDER BY position, id", (group_id,))


def replace(db: Database, group_id: int | None, texts: Sequence[str], now: str) -> None:
    """The new list in place of the old one. A rule whose text stays keeps its row (and its id, which
    the client API hands out); call inside a transaction."""
    kept = {row["text"]: row["id"] for row in of(db, group_id)}
    wanted = set(texts)
    for text, rule_id in kept.items():
        if text not in wanted:
            db.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
    for position, text in enumerate(texts):
        if text in kept:
            db.execute("UPDATE rules SET position = ? WHERE id = ?", (position, kept[text]))
        else:
            db.execute("INSERT INTO rules (group_id, position, text, created_at) VALUES (?, ?, ?, ?)",
                       (group_id, position, text, now))
