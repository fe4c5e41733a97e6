"""What a node's inbox worker did under bench/inbox.py's load, counted from its `inbox` table.

The node stamps each row with received_at and processed_at (its clock, ISO 8601 with milliseconds,
UTC; migration 0009), and the load generator gives the measured phases as Unix time (the same
clock), so the rows that became `done` within a window, and the backlog (received, not finished) at
any moment, are counted after the fact, without touching the node while it is measured. Then
`drain` watches the pending rows while the node, no longer loaded, works through them.

Read-only connections: the node may be running (WAL lets a reader in beside its writer).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

POLL_S = 0.25


def stamp(moment: float) -> str:
    """Unix time as the node writes its timestamps (federation.actors.iso), so strings compare. Pure."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def unix(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@contextmanager
def reader(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def done_within(conn: sqlite3.Connection, start: float, end: float) -> int:
    """Rows that became `done` in [start, end)."""
    return int(conn.execute("SELECT count(*) FROM inbox WHERE state = 'done' AND processed_at >= ?"
                            " AND processed_at < ?", (stamp(start), stamp(end))).fetchone()[0])


def backlog_at(conn: sqlite3.Connection, moment: float) -> int:
    """Rows received by `moment` and not finished by then (done, refused or failed)."""
    at = stamp(moment)
    return int(conn.execute("SELECT count(*) FROM inbox WHERE received_at <= ?"
                            " AND (processed_at IS NULL OR processed_at > ?)", (at, at)).fetchone()[0])


@dataclass
class Processing:
    """The worker during the load: in the node's measured phases, and in the other server's phases."""

    done: int = 0  # within the node's measured phases
    seconds: float = 0.0
    phase_rates: list[float] = field(default_factory=list)
    backlog_at_start: int = 0  # when the first measured phase began
    backlogs: list[int] = field(default_factory=list)  # at the end of each of the node's phases
    done_elsewhere: int = 0  # between the node's phases (the other server measured)
    seconds_elsewhere: float = 0.0
    backlog_at_stop: int = 0  # when the load stopped

    @property
    def per_s(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def growth(self) -> int:
        """How much the backlog grew from the first measured phase's start to the last one's end."""
        return (self.backlogs[-1] if self.backlogs else 0) - self.backlog_at_start

    @property
    def per_s_elsewhere(self) -> float:
        return self.done_elsewhere / self.seconds_elsewhere if self.seconds_elsewhere else 0.0


def processing(db_path: Path, windows: list[tuple[float, float]], stopped_at: float) -> Processing:
    """Count the worker's progress within the node's measured `windows` and between them."""
    result = Processing()
    with reader(db_path) as conn:
        result.backlog_at_start = backlog_at(conn, windows[0][0]) if windows else 0
        for start, end in windows:
            done = done_within(conn, start, end)
            result.done += done
            result.seconds += end - start
            result.phase_rates.append(done / max(end - start, 1e-9))
            result.backlogs.append(backlog_at(conn, end))
        for (_, end), (start, _) in pairwise(windows):
            result.done_elsewhere += done_within(conn, end, start)
            result.seconds_elsewhere += start - end
        result.backlog_at_stop = backlog_at(conn, stopped_at)
    return result


@dataclass
class Drain:
    backlog: int  # pending rows when the watch began
    seconds: float  # from the load's stop until the last row was finished (or the bound)
    left: int  # still pending at the bound; 0 when drained
    done_after: int  # rows that became done after the load's stop
    states: dict[str, int]  # rows by state at the end

    @property
    def per_s(self) -> float:
        return self.done_after / self.seconds if self.seconds else 0.0


def pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM inbox WHERE state = 'pending'").fetchone()[0])


def drain(db_path: Path, stopped_at: float, bound_s: float) -> Drain:
    """Watch the pending rows until none are left or `bound_s` after `stopped_at` has passed. The time
    taken is the last processed_at (exact), not when the watch noticed."""
    with reader(db_path) as conn:
        backlog = left = pending(conn)
        while left and time.time() < stopped_at + bound_s:
            time.sleep(POLL_S)
            left = pending(conn)
        last = conn.execute("SELECT max(processed_at) FROM inbox").fetchone()[0]
        done_after = done_within(conn, stopped_at, time.time() + 60)
        states = dict(conn.execute("SELECT state, count(*) FROM inbox GROUP BY state").fetchall())
    if left:
        seconds = time.time() - stopped_at
    else:
        seconds = max(0.0, unix(last) - stopped_at) if last else 0.0
    return Drain(backlog, seconds, left, done_after, {str(k): int(v) for k, v in states.items()})
