"""The loop both queue workers share (inbox processing, delivery): on a wake, or every poll, write
what has finished, then start what is due without waiting for it; on stop, give the running work
a moment and write what it finished. The workers say what dispatching and writing mean."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine
from typing import Any

STOP_GRACE_SECONDS = 5.0


class QueueLoop:
    name = "queue"

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._woken = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Something was queued or finished: go round now instead of at the next poll."""
        self._woken.set()

    def _dispatch(self) -> int:
        """Start what is due and has room; returns how many were started. Never waits."""
        raise NotImplementedError

    def _flush(self) -> None:
        """Write the results of what has finished (then it is no longer in flight)."""
        raise NotImplementedError

    def _poll_seconds(self) -> float:
        raise NotImplementedError

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._woken.clear()
            try:
                self._flush()
                self._dispatch()
            except sqlite3.Error:  # a full disk or a locked file may pass; the rows wait in the table
                self._log.exception("%s round failed; trying again at the next poll", self.name)
            await first_of(self._woken, stop, timeout=self._poll_seconds())
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        self._flush()

    async def _to_the_end(self) -> int:
        """Everything due now, and what that makes due, to the end (tests and benches); returns how
        many were started."""
        started = 0
        while True:
            started += self._dispatch()
            if not self._tasks:
                break
            await asyncio.wait(set(self._tasks))
            self._flush()
        self._flush()
        return started


async def first_of(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
