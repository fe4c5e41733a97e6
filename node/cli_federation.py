"""`meent federation status|retry|drop`: what /admin/federation shows and does, from the shell (the
node may be running: its workers pick up retried rows at their next poll)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from node.services import federation_status

Opener = Callable[[argparse.Namespace], Any]


def add_parsers(sub: Any, with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                open_node: Opener) -> None:
    federation = sub.add_parser("federation", help="federation queues: status, retry, drop").add_subparsers(
        dest="federation_command", required=True, metavar="COMMAND")
    p = with_config(federation.add_parser("status", help="queue depths, failing servers, failed activities"))
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.set_defaults(func=lambda args: _status(open_node(args), args.json))
    p = with_config(federation.add_parser("retry", help="try failed activities and deliveries again"))
    p.add_argument("--inbox", type=int, action="append", metavar="ID", help="only this inbox row (repeatable)")
    p.add_argument("--server", metavar="DOMAIN", help="only deliveries to this server, and send its waiting rows now")
    p.set_defaults(func=lambda args: _retry(open_node(args), args.inbox, args.server))
    p = with_config(federation.add_parser("drop", help="forget failed activities or deliveries"))
    p.add_argument("--inbox", type=int, action="append", metavar="ID", help="this failed or refused inbox row")
    p.add_argument("--server", metavar="DOMAIN", help="the failed deliveries to this server")
    p.set_defaults(func=lambda args: _drop(open_node(args), args.inbox, args.server))


def _status(node: Any, as_json: bool) -> None:
    status = federation_status.status(node)
    if as_json:
        print(json.dumps(status.as_json(), indent=2))
        return
    print(f"inbox       pending {status.inbox['pending']:>6}  oldest {status.inbox_oldest_pending or '-'}"
          f"  done {status.inbox['done']}  refused {status.inbox['refused']}  failed {status.inbox['failed']}")
    print(f"deliveries  pending {status.deliveries['pending']:>6}  oldest {status.deliveries_oldest_pending or '-'}"
          f"  done {status.deliveries['done']}  failed {status.deliveries['failed']}")
    for server in status.failing_servers:
        state = "unreachable" if server["unreachable_since"] else "failing"
        print(f"server {server['domain']}: {state} since {server['failing_since']}, {server['waiting']} waiting,"
              f" last error: {server['last_error'] or '-'}")
    for row in status.failed_inbox:
        print(f"failed inbox row {row['id']}: {row['type']} {row['activity_id']}: {row['error']}")


def _retry(node: Any, rows: list[int] | None, server: str | None) -> None:
    if rows:
        print(f"{federation_status.retry_inbox(node, rows)} inbox rows to process again")
    elif server:
        print(f"{federation_status.retry_deliveries(node, server)} deliveries to {server} to send again")
    else:
        print(f"{federation_status.retry_inbox(node)} inbox rows and"
              f" {federation_status.retry_deliveries(node)} deliveries to try again")


def _drop(node: Any, rows: list[int] | None, server: str | None) -> None:
    if not rows and not server:
        raise SystemExit("meent: say what to drop: --inbox ID or --server DOMAIN")
    if rows:
        print(f"dropped {federation_status.drop_inbox(node, rows)} inbox rows")
    if server:
        print(f"dropped {federation_status.drop_deliveries(node, server)} failed deliveries to {server}")
