"""`meent block` and `meent unblock`: what /admin/blocks does, from the shell. The running node notices
the change within seconds (its federation runtime polls the blocks table)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from node.services import blocks

Opener = Callable[[argparse.Namespace], Any]


def add_parsers(sub: Any, with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                open_node: Opener) -> None:
    p = with_config(sub.add_parser("block", help="block (or --limit) a remote account or server, at once"))
    p.add_argument("target", metavar="ACTOR_URL|DOMAIN", help="an account's URL or a domain (with its subdomains)")
    p.add_argument("--limit", action="store_true", help="limit instead: its posts only shown to its followers")
    p.add_argument("--reason", default="", help="why (required; shown in the public moderation log)")
    p.set_defaults(func=lambda args: _block(open_node(args), args.target, args.reason, args.limit))
    p = with_config(sub.add_parser("unblock", help="lift a block or limit set with `meent block` or the admin page"))
    p.add_argument("target", metavar="ACTOR_URL|DOMAIN")
    p.set_defaults(func=lambda args: _unblock(open_node(args), args.target))


def _block(node: Any, target: str, reason: str, limit: bool) -> None:
    row = blocks.block(node, None, target, reason, limit=limit)
    print(f"{row['target']}: {'limited' if row['severity'] == 'limit' else 'blocked'} ({row['kind']})")


def _unblock(node: Any, target: str) -> None:
    blocks.unblock(node, None, target)
    print(f"{blocks.parse_target(target).value}: block or limit lifted")
