"""Open the database and run migrations; one writer connection, one reader.

Every handler runs on the event loop thread, so the single writer connection
serialises the node's writes (as Datasette's execute_write_fn does). A transaction
also holds a lock, so that another thread of this process (a test driving a
running node through TestClient's portal) waits for it instead of joining it, and
the rollback of one can never take the other's writes along. (Another process,
such as the command line, has its own connection: SQLite's own locking covers it.)
Nothing may await inside a transaction: another task of the loop would join it
(tests/test_db.py checks the source for that).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.migrations import MIGRATIONS

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

# Set while the inbox worker processes rows that are already on disk: what its commits record is
# derived from those rows and is done again if lost, so they skip the fsync (synchronous=NORMAL).
# WAL keeps commits in order, so a lost one takes every later one with it (the "done" mark
# included), and the next FULL commit (a post, a received activity) makes all earlier ones durable.
_derived = ContextVar("meent_derived_writes", default=False)


@contextmanager
def derived_writes() -> Iterator[None]:
    """Commits in this context (this task, and tasks it starts) need not survive a power cut."""
    token = _derived.set(True)
    try:
        yield
    finally:
        _derived.reset(token)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a post or a queued delivery must survive power loss once we answer.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.writer = _connect(self.path)
        self.reader = _connect(self.path)
        # Bumped by every commit of ours that changes what pages show (see version()).
        self.generation = 0
        # Commits by other processes (the CLI), as told by the reader's data_version, which also moves
        # on our own writer's commits: those are noted right after they happen and not counted here.
        self.external = 0
        self._data_version = self._reader_data_version()
        self._after_commit: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._owner: int | None = None  # the thread whose transaction is open

    def _in_my_transaction(self) -> bool:
        return self._owner == threading.get_ident()

    def after_commit(self, work: Callable[[], object]) -> None:
        """Run `work` once the transaction in progress has committed (never if it rolls back): for
        what is outside the database, such as removing a file the transaction stopped using."""
        if self._in_my_transaction():
            self._after_commit.append(work)
        else:
            work()

    def migrate(self) -> None:
        MIGRATIONS.apply(sqlite_utils.Database(self.writer))

    def close(self) -> None:
        self.writer.close()
        self.reader.close()

    @contextmanager
    def transaction(self, *, counts: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE on the writer; commit on success, roll back on error.

        counts=False is for bookkeeping (view counters) that must not invalidate cached pages.
        """
        if self._in_my_transaction():  # nested: part of the one already open on this thread
            yield self.writer
            return
        with self._lock:
            self._owner = threading.get_ident()
            try:
                derived = _derived.get()
                if derived:
                    self.writer.execute("PRAGMA synchronous=NORMAL")
                try:
                    self.writer.execute("BEGIN IMMEDIATE")
                    try:
                        yield self.writer
                    except BaseException:
                        self.writer.execute("ROLLBACK")
                        self._after_commit.clear()
                        raise
                    try:
                        self.writer.execute("COMMIT")
                    except BaseException:
                        self._after_commit.clear()
                        raise
                finally:
                    if derived:
                        self.writer.execute("PRAGMA synchronous=FULL")
                self._data_version = self._reader_data_version()  # ours: bookkeeping must not empty caches
                if counts:
                    self.generation += 1
                pending, self._after_commit = self._after_commit, []
            finally:
                self._owner = None
        for work in pending:
            work()

    def version(self) -> tuple[int, int]:
        """Changes when something that pages show is committed by us (not with counts=False), or when
        another process (the CLI) commits anything."""
        data_version = self._reader_data_version()
        if data_version != self._data_version:
            self._data_version = data_version
            self.external += 1
        return self.generation, self.external

    def _reader_data_version(self) -> int:
        return int(self.reader.execute("PRAGMA data_version").fetchone()[0])

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """One write statement in its own transaction (or the current one)."""
        with self.transaction() as conn:
            return conn.execute(sql, params)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        conn = self.writer if self._in_my_transaction() else self.reader
        return conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params = ()) -> Row | None:
        conn = self.writer if self._in_my_transaction() else self.reader
        row: Row | None = conn.execute(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def backup(self, target: str | Path) -> None:
        """A consistent copy, safe while the node runs (SQLite online backup)."""
        dest = sqlite3.connect(str(target))
        try:
            self.reader.backup(dest)
        finally:
            dest.close()
