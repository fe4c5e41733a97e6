"""Reading the two logs: the public moderation log (anyone, paged newest first by id) and the
audit log (admins only, paged, filtered by action, exported as CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from node.services.accounts import is_admin
from node.services.context import Node
from node.services.errors import Forbidden
from storage import moderation_log
from storage.db import Row

PAGE_SIZE = 50
AUDIT_COLUMNS = ("id", "at", "actor_name", "action", "target", "detail", "address")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class LogPage:
    entries: list[Row]
    older: int | None  # the `before` of the next, older page


def public_page(node: Node, group: Row | None, before: int | None = None, size: int = PAGE_SIZE) -> LogPage:
    """Newest first; group None: the node's whole log."""
    rows = moderation_log.public_entries(node.db, group_id=group["id"] if group else None, limit=size + 1,
                                         before=before)
    return LogPage(rows[:size], rows[size - 1]["id"] if len(rows) > size else None)


def require_admin(actor: Row | None) -> None:
    if not is_admin(actor):
        raise Forbidden("error.not_allowed")


@dataclass(frozen=True)
class AuditPage:
    entries: list[Row]
    page: int
    pages: int
    actions: list[str]


def audit_page(node: Node, actor: Row | None, page: int = 1, action: str | None = None,
               size: int = PAGE_SIZE) -> AuditPage:
    require_admin(actor)
    total = moderation_log.audit_count(node.db, action=action)
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    rows = moderation_log.audit_entries(node.db, limit=size, offset=(page - 1) * size, action=action)
    return AuditPage(rows, page, pages, moderation_log.audit_actions(node.db))


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would take for a formula gets a leading apostrophe (OWASP's advice)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def csv_text(rows: Iterable[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(AUDIT_COLUMNS)
    for row in rows:
        writer.writerow([neutralise(str(row[name])) for name in AUDIT_COLUMNS])
    return out.getvalue()


def audit_csv(node: Node, actor: Row | None) -> str:
    """The whole audit log, newest first. actor None: the command line."""
    if actor is not None:
        require_admin(actor)
    return csv_text(moderation_log.audit_entries(node.db, limit=None))
