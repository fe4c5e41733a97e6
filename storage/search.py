"""Full-text search over posts with SQLite FTS5 (diacritics folded)."""

from __future__ import annotations

import re

from storage.db import Database

WORD = re.compile(r"\w+", re.UNICODE)


def index(db: Database, post_id: int, title: str, body: str, tags: list[str]) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM posts_fts WHERE rowid = ?", (post_id,))
        conn.execute(
            "INSERT INTO posts_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
            (post_id, title, body, " ".join(tags)),
        )


def unindex(db: Database, post_id: int) -> None:
    db.execute("DELETE FROM posts_fts WHERE rowid = ?", (post_id,))


def match_expression(text: str) -> str:
    """User text as a safe FTS5 query: every word must occur, the last as a prefix."""
    words = WORD.findall(text)[:12]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def search(db: Database, text: str, limit: int = 50) -> list[int]:
    expression = match_expression(text)
    if not expression:
        return []
    rows = db.all(
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY bm25(posts_fts, 5.0, 1.0, 3.0) LIMIT ?",
        (expression, limit),
    )
    return [row["rowid"] for row in rows]
