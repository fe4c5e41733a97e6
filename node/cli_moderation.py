"""`meent moderation remove URL --reason TEXT [--by NAME]`: a post removed from the shell as a moderator
would remove it from its page, with the same federation (the running node's delivery worker sends what
this queues at its next poll, within a second or two)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from node.services import moderation
from storage import accounts

Opener = Callable[[argparse.Namespace], Any]


class UnknownModerator(Exception):
    """--by names no local account."""


def add_moderation_remove(moderation_commands: Any,
                          with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                          open_node: Opener) -> None:
    """The `remove` subcommand, under the `moderation` subparsers (shared with `moderation reports`)."""
    p = with_config(moderation_commands.add_parser(
        "remove", help="remove a post (here or a copy of one elsewhere) as a moderator, with a reason"))
    p.add_argument("url", help="the post's page or id URL (/posts/ID, a topic, a blog post, a remote post's id)")
    p.add_argument("--reason", required=True, help="why (kept, and shown in the public moderation log)")
    p.add_argument("--by", metavar="NAME", help="the local moderator acting (default: the command line, as admin)")
    p.set_defaults(func=lambda args: remove(open_node(args), args.url, args.reason, args.by))


def remove(node: Any, url: str, reason: str, by: str | None) -> None:
    actor = None
    if by is not None:
        actor = accounts.local_by_username(node.db, by.strip().lower())
        if actor is None:
            raise UnknownModerator(f"--by: no local account named {by!r}")
    post = moderation.find_post(node, url)
    removed = moderation.remove_post(node, actor, post["id"], reason)
    print(f"Removed {moderation.post_url(node, removed)} ({removed['kind']}): {removed['removed_reason']}")
