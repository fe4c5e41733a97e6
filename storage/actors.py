"""The cache of remote actors: their inboxes and public keys."""

from __future__ import annotations

from storage.db import Database, Row

FIELDS = ("uri", "type", "username", "domain", "name", "inbox", "shared_inbox", "followers", "url", "key_id",
          "public_key_pem", "raw", "fetched_at")


def put(db: Database, record: dict[str, object]) -> None:
    values = [record.get(name) for name in FIELDS]
    db.execute(
        f"INSERT INTO actors ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})"
        f" ON CONFLICT(uri) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in FIELDS[1:])}",
        values,
    )


def get(db: Database, uri: str) -> Row | None:
    return db.one("SELECT * FROM actors WHERE uri = ?", (uri,))


def by_key_id(db: Database, key_id: str) -> Row | None:
    return db.one("SELECT * FROM actors WHERE key_id = ?", (key_id,))
