"""Which inboxes an activity goes to: shared inboxes collapse followers per server. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from federation.vocab import Record


def collapse(recipients: Iterable[Record]) -> list[str]:
    """One inbox per server where it has a shared inbox, otherwise each actor's own inbox.

    `recipients` have `inbox` and `shared_inbox` (None when the server has none).
    """
    chosen: dict[str, None] = {}
    for recipient in recipients:
        target = recipient["shared_inbox"] or recipient["inbox"]
        if target:
            chosen[target] = None
    return list(chosen)


def domain_of(url: str) -> str:
    """The host[:port] a URL points at: the unit of blocking, allow-listing and back-off ("" if malformed)."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""
