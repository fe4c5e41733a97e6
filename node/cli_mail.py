"""`meent mail test ADDRESS`: send one mail straight to the configured SMTP server (no outbox) and
say plainly what failed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

import aiosmtplib

from node.config import Config
from node.mail_runtime import describe, send_test
from storage import mail as outbox
from storage.db import Database


def add_parsers(sub: Any, with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                load_config: Callable[[argparse.Namespace], Config]) -> None:
    mail = sub.add_parser("mail", help="e-mail").add_subparsers(dest="mail_command", required=True,
                                                                metavar="COMMAND")
    p = with_config(mail.add_parser("test", help="send a test mail to ADDRESS with the [mail] settings"))
    p.add_argument("address")
    p.set_defaults(func=lambda args: _test(load_config(args), args.address))
    p = with_config(mail.add_parser("outbox", help="the outbox, newest first: id, state, attempts, to, subject, error"))
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    p.set_defaults(func=lambda args: _outbox(load_config(args), args.limit))


def _outbox(config: Config, limit: int) -> None:
    if limit < 1:
        raise SystemExit("meent: --limit must be at least 1")
    db = Database(config.database_path)
    try:
        db.migrate()
        for row in outbox.listing(db, limit):
            when = row["sent_at"] or row["next_try_at"]
            print(f"{row['id']}\t{row['state']}\t{row['attempts']}\t{when}\t{row['recipient']}\t{row['subject']}"
                  f"\t{row['last_error']}")
    finally:
        db.close()


def _test(config: Config, address: str) -> None:
    if not config.mail_enabled:
        raise SystemExit("meent: no [mail] table in the config: e-mail is off")
    if "@" not in address or any(c.isspace() for c in address):
        raise SystemExit(f"meent: not an e-mail address: {address!r}")
    where = f"{config['mail.host']}:{config['mail.port']} ({config['mail.security']})"
    try:
        asyncio.run(send_test(config, address))
    except aiosmtplib.SMTPAuthenticationError as error:
        raise SystemExit(f"meent: {where}: the server refused mail.user/mail.password: {describe(error)}") from None
    except aiosmtplib.SMTPRecipientsRefused as error:
        raise SystemExit(f"meent: {where}: the server refused the address {address}: {describe(error)}") from None
    except aiosmtplib.SMTPSenderRefused as error:
        raise SystemExit(f"meent: {where}: the server refused mail.from: {describe(error)}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise SystemExit(f"meent: cannot send through {where}: {describe(error)}") from None
    print(f"sent a test mail to {address} through {where}", file=sys.stdout)
