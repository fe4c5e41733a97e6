"""What every action needs: the config, the database and the clock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from federation.actors import iso
from node.config import Config
from node.services.throttle import LoginThrottle
from storage import posts
from storage.db import Database

if TYPE_CHECKING:  # the runtime is wired by the app; services only reach it through the node
    from node.federation_runtime import FederationRuntime


def utc_now() -> str:
    """ISO 8601 in UTC with milliseconds: sortable as text (federation/actors.iso's format)."""
    return iso(datetime.now(UTC))


@dataclass
class Node:
    config: Config
    db: Database
    # Page views counted in memory and written in batches: a commit per view would
    # cost more than the page itself (bench/pages.py).
    views: Counter[int] = field(default_factory=Counter)
    # Set by the app when the delivery worker runs: new deliveries go out at once.
    wake_delivery: Callable[[], None] = lambda: None
    # Set by the app when the mail sender runs: queued mails go out at once.
    wake_mail: Callable[[], None] = lambda: None
    logins: LoginThrottle = field(default_factory=LoginThrottle)
    # Built once at start-up by the app (node/federation_runtime.py): fetchers, remote actors, workers.
    federation: FederationRuntime | None = None

    def runtime(self) -> FederationRuntime:
        """The federation runtime; the doors that fetch or resolve remote things need it running."""
        if self.federation is None:
            raise RuntimeError("federation is not running: the app's lifespan starts it")
        return self.federation

    def now(self) -> str:
        return utc_now()

    def flush_views(self) -> None:
        if self.views:
            counts, self.views = dict(self.views), Counter()
            posts.add_views(self.db, counts)
