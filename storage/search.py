"""Full-text search over posts with SQLite FTS5 (diacritics folded)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from storage import accounts
from storage.db import Database, Row

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


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to; None is "any". Dates are ISO strings, `until` exclusive."""

    group_id: int | None = None
    author_id: int | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    # Authors whose posts this viewer does not see (limited, not followed): left out of the count and
    # the pages alike, so "12 results" is what the pages show. Not a filter the person chose.
    hidden_authors: tuple[int, ...] = ()

    @property
    def any(self) -> bool:
        return any(value is not None for value in (self.group_id, self.author_id, self.kind, self.since, self.until))


# Only what a visitor may see: the post and its thread published, not deleted, not removed.
_VISIBLE = ("p.deleted_at IS NULL AND p.removed_at IS NULL AND p.state = 'published'"
            " AND root.deleted_at IS NULL AND root.removed_at IS NULL AND root.state = 'published'")
_WRITTEN = "coalesce(p.published_at, p.created_at)"
# A count stops just past this: "more than 1000 results" is all a person needs to know, and it stays
# cheap; paging goes no further either.
COUNT_CAP = 1000


def _where(filters: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = [_VISIBLE]
    params: list[object] = []
    for clause, value in (("p.group_id = ?", filters.group_id), ("p.author_id = ?", filters.author_id),
                          ("p.kind = ?", filters.kind), (f"{_WRITTEN} >= ?", filters.since),
                          (f"{_WRITTEN} < ?", filters.until)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if filters.hidden_authors:
        clauses.append("p.author_id NOT IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(filters.hidden_authors)))
    return " AND ".join(clauses), params


def _source(text: str, filters: Filters) -> tuple[str, list[object], str]:
    """FROM ... WHERE ... and the order: by relevance with words, newest first with filters only."""
    where, params = _where(filters)
    joins = "JOIN posts root ON root.id = p.topic_id"
    expression = match_expression(text)
    if expression:
        return (f"posts_fts JOIN posts p ON p.id = posts_fts.rowid {joins} WHERE posts_fts MATCH ? AND {where}",
                [expression, *params], "bm25(posts_fts, 5.0, 1.0, 3.0), p.id DESC")
    return f"posts p {joins} WHERE {where}", params, "p.id DESC"


def remote_authors(db: Database, text: str, filters: Filters, viewer_uri: str | None) -> list[Row]:
    """The remote authors (id, actor_uri, followed: whether the viewer's follow of them is accepted)
    of the posts a search counts (the first COUNT_CAP + 1, so leaving some authors out lets it reach
    others: blocks.hidden_authors_among asks again)."""
    if not match_expression(text) and not filters.any:
        return []
    source, params, _ = _source(text, filters)
    authors = f"SELECT p.author_id FROM {source} LIMIT ?"  # the rows count() looks at
    return db.all(accounts.remote_authors_query(authors, "?"), [viewer_uri, *params, COUNT_CAP + 1])


def find(db: Database, text: str, filters: Filters, limit: int, offset: int = 0) -> list[int]:
    """Ids of visible posts matching the words (if any) and the filters, one page of them."""
    if not match_expression(text) and not filters.any:
        return []
    source, params, order = _source(text, filters)
    rows = db.all(f"SELECT p.id FROM {source} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset])
    return [row["id"] for row in rows]


def count(db: Database, text: str, filters: Filters) -> int:
    """How many posts `find` pages through, up to COUNT_CAP + 1 (more than the cap)."""
    if not match_expression(text) and not filters.any:
        return 0
    source, params, _ = _source(text, filters)
    return int(db.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {source} LIMIT ?)", [*params, COUNT_CAP + 1]) or 0)
