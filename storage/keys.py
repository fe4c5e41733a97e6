"""Key pairs of our actors (organisation, members, groups), stored as PEM."""

from __future__ import annotations

from storage.db import Database, Row


def put(db: Database, owner: str, public_pem: str, private_pem: str, now: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO keys (owner, public_pem, private_pem, created_at) VALUES (?, ?, ?, ?)",
        (owner, public_pem, private_pem, now),
    )


def get(db: Database, owner: str) -> Row | None:
    return db.one("SELECT * FROM keys WHERE owner = ?", (owner,))


def owners(db: Database) -> set[str]:
    return {row["owner"] for row in db.all("SELECT owner FROM keys")}
