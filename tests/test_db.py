"""The database's version, which keys the visitors' page cache: it moves on commits that pages show
and on any commit by another process, but not on queue bookkeeping (counts=False)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.db import Database


def test_version_moves_on_shown_commits_and_other_processes_not_on_bookkeeping(tmp_path: Path) -> None:
    db = Database(tmp_path / "node.db")
    db.migrate()
    start = db.version()
    assert db.version() == start
    with db.transaction(counts=False) as conn:  # an inbox row, a delivery result, page views
        conn.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
    assert db.version() == start
    with db.transaction() as conn:
        conn.execute("UPDATE settings SET value = '2' WHERE key = 'x'")
    after_ours = db.version()
    assert after_ours != start
    other = sqlite3.connect(tmp_path / "node.db", isolation_level=None)  # the CLI, in its own process
    other.execute("UPDATE settings SET value = '3' WHERE key = 'x'")
    other.close()
    assert db.version() != after_ours
    db.close()
