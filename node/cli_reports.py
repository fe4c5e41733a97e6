"""`meent moderation reports [--open]`: the report queue, one report a line (id, state, target URL,
category: text), for admins and for scripts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from storage import reports

Opener = Callable[[argparse.Namespace], Any]


def add_parsers(moderation: Any, with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                open_node: Opener) -> None:
    """`moderation` is the sub-parsers object of `meent moderation`, shared with its other commands."""
    p = with_config(moderation.add_parser("reports", help="list reports, newest first: id, state, target, reason"))
    state = p.add_mutually_exclusive_group()
    state.add_argument("--open", dest="state", action="store_const", const="open", help="only open reports")
    state.add_argument("--state", choices=["open", "resolved", "dismissed"], help="only reports in this state")
    p.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    p.set_defaults(func=lambda args: _reports(open_node(args), args.state, args.limit))


def line(row: Any) -> str:
    """One report as one tab-separated line; the text on one line too."""
    text = " ".join(str(row["comment"]).split())
    reason = f"{row['category']}: {text}" if text else str(row["category"])
    return f"{row['id']}\t{row['state']}\t{row['target_url']}\t{reason}"


def _reports(node: Any, state: str | None, limit: int) -> None:
    if limit < 1:
        raise SystemExit("meent: --limit must be at least 1")
    for row in reports.listing(node.db, state=state, group_ids=None, limit=limit):
        print(line(row))
