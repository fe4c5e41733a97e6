"""What every action needs: the config, the database and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from node.config import Config
from storage.db import Database


def utc_now() -> str:
    """ISO 8601 in UTC with milliseconds: sortable as text."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Node:
    config: Config
    db: Database

    def now(self) -> str:
        return utc_now()
