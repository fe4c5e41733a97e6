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


def add_parsers(sub: Any, with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                load_config: Callable[[argparse.Namespace], Config]) -> None:
    mail = sub.add_parser("mail", help="e-mail").add_subparsers(dest="mail_command", required=True,
                                                                metavar="COMMAND")
    p = with_config(mail.add_parser("test", help="send a test mail to ADDRESS with the [mail] settings"))
    p.add_argument("address")
    p.set_defaults(func=lambda args: _test(load_config(args), args.address))


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
