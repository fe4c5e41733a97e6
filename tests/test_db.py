"""The database's version, which keys the visitors' page cache: it moves on commits that pages show
and on any commit by another process, but not on queue bookkeeping (counts=False)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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


def test_derived_writes_skip_the_fsync_only_where_they_are_asked_for(tmp_path: Path) -> None:
    import asyncio

    from storage.db import derived_writes

    db = Database(tmp_path / "node.db")
    db.migrate()
    seen: dict[str, int] = {}

    def level() -> int:
        return int(db.writer.execute("PRAGMA synchronous").fetchone()[0])  # 2 FULL, 1 NORMAL

    async def worker() -> None:
        with derived_writes():
            with db.transaction() as conn:
                seen["worker inside"] = level()
                conn.execute("INSERT INTO settings (key, value) VALUES ('w', '1')")
                await_point.set()
            await asyncio.sleep(0)

    async def request() -> None:
        await await_point.wait()
        with db.transaction() as conn:
            seen["request inside"] = level()
            conn.execute("INSERT INTO settings (key, value) VALUES ('r', '1')")

    async def main() -> None:
        await asyncio.gather(asyncio.create_task(worker()), asyncio.create_task(request()))

    await_point = asyncio.Event()
    asyncio.run(main())
    assert seen == {"worker inside": 1, "request inside": 2}
    assert level() == 2  # FULL again after the derived commit
    with pytest.raises(sqlite3.IntegrityError), derived_writes(), db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('w', 'duplicate')")  # rolled back
    assert level() == 2
    assert db.scalar("SELECT count(*) FROM settings") == 2
    db.close()


def test_a_transaction_on_another_thread_waits_instead_of_joining_and_losing_its_writes(tmp_path: Path) -> None:
    """A test (or a command) that writes while the node's own thread has a transaction open: before
    the lock its writes joined that transaction, and that transaction's rollback took them along."""
    import threading
    import time

    db = Database(tmp_path / "node.db")
    db.migrate()
    rounds = 40
    errors: list[BaseException] = []

    def failing_writer() -> None:
        for n in range(rounds):
            try:
                with db.transaction() as conn:
                    conn.execute("INSERT INTO settings (key, value) VALUES (?, 'rolled back')", (f"a{n}",))
                    time.sleep(0.002)  # held open while the other thread writes
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

    def writer() -> None:
        try:
            for n in range(rounds):
                with db.transaction() as conn:
                    conn.execute("INSERT INTO settings (key, value) VALUES (?, 'kept')", (f"b{n}",))
                time.sleep(0.001)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=failing_writer), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    kept = {row["key"]: row["value"] for row in db.all("SELECT key, value FROM settings")}
    assert kept == {f"b{n}": "kept" for n in range(rounds)}
    assert db.one("SELECT 1 FROM settings WHERE key = 'a0'") is None  # read outside any transaction
    db.close()


def test_no_code_awaits_inside_a_transaction() -> None:
    """A transaction is owned by a thread, not a task: an await inside one would let another task of
    the event loop join it (and lose its writes with a rollback), so none may be written."""
    import ast

    root = Path(__file__).resolve().parent.parent
    found = []
    for folder in ("node", "federation", "storage"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.With) or not any(
                        isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
                        and item.context_expr.func.attr == "transaction" for item in node.items):
                    continue
                for inner in (n for statement in node.body for n in ast.walk(statement)):
                    if isinstance(inner, (ast.Await, ast.AsyncWith, ast.AsyncFor)):
                        found.append(f"{path.relative_to(root)}:{inner.lineno}")
    assert found == []
