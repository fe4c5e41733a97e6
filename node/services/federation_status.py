"""What the admin sees of federation and may do about it: queue depths, the oldest waiting items,
failing servers with their last error, activities that were refused or failed; retry and drop.
Shared by /admin/federation and `meent federation status|retry`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.services import audit
from node.services.context import Node
from storage import deliveries, inbox
from storage.db import Row

LISTED = 50


@dataclass(frozen=True)
class Status:
    inbox: dict[str, int]
    inbox_oldest_pending: str | None
    deliveries: dict[str, int]
    deliveries_oldest_pending: str | None
    failing_servers: list[dict[str, Any]]
    failed_inbox: list[dict[str, Any]]
    refused_inbox: list[dict[str, Any]]
    failed_deliveries: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def status(node: Node) -> Status:
    db = node.db
    return Status(
        inbox=inbox.counts(db), inbox_oldest_pending=inbox.oldest_pending(db),
        deliveries=deliveries.counts(db), deliveries_oldest_pending=deliveries.oldest_pending(db),
        failing_servers=[dict(row) for row in deliveries.failing_servers(db, LISTED)],
        failed_inbox=[dict(row) for row in inbox.finished_badly(db, "failed", LISTED)],
        refused_inbox=[dict(row) for row in inbox.finished_badly(db, "refused", LISTED)],
        failed_deliveries=[dict(row) for row in deliveries.failed(db, LISTED)],
    )


def retry_inbox(node: Node, row_ids: list[int] | None = None, *, by: Row | None = None, address: str = "") -> int:
    """Failed inbox rows (these, or every failed one) are processed again now. by: the admin (None: the
    command line), for the audit log, as in the functions below."""
    with node.db.transaction():
        count = inbox.retry(node.db, row_ids, node.now())
        audit.record(node, by, "federation_retry", "inbox", _rows(row_ids, count), address)
    if node.federation is not None:
        node.federation.inbox_worker.wake()
    return count


def drop_inbox(node: Node, row_ids: list[int], *, by: Row | None = None, address: str = "") -> int:
    with node.db.transaction():
        count = inbox.drop(node.db, row_ids)
        audit.record(node, by, "federation_drop", "inbox", _rows(row_ids, count), address)
    return count


def retry_deliveries(node: Node, domain: str | None = None, *, by: Row | None = None, address: str = "") -> int:
    """Deliveries that failed for good (all, or one server's) are tried again; a server's waiting
    rows are also sent now, without sitting out their back-off."""
    with node.db.transaction():
        count = deliveries.retry_failed(node.db, node.now(), domain)
        if domain is not None:
            count += deliveries.send_now(node.db, domain, node.now())
        audit.record(node, by, "federation_retry", f"deliveries {domain or '(all)'}", f"{count} rows", address)
    node.wake_delivery()
    return count


def drop_deliveries(node: Node, domain: str | None = None, *, by: Row | None = None, address: str = "") -> int:
    with node.db.transaction():
        count = deliveries.drop_failed(node.db, domain)
        audit.record(node, by, "federation_drop", f"deliveries {domain or '(all)'}", f"{count} rows", address)
    return count


def _rows(row_ids: list[int] | None, count: int) -> str:
    which = "all failed" if row_ids is None else "rows " + " ".join(map(str, row_ids))
    return f"{which}: {count} rows"
