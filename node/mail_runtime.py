"""The mail sender, started in the app's lifespan: it sends what is due in the outbox over SMTP
(aiosmtplib, with a timeout on every step), retries failures with the one back-off policy
(federation/backoff.py MAIL), queues the daily digests and prunes old outbox rows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import aiosmtplib

from federation.backoff import MAIL
from federation.queue_loop import first_of
from node.config import Config
from node.services import mail_notify
from node.services.context import Node
from storage import mail
from storage.db import Row

log = logging.getLogger("meent.mail")
BATCH = 50
POLL_SECONDS = 60.0
CHORES_EVERY_SECONDS = 600.0  # digests and pruning


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message(config: Config, recipient: str, subject: str, text: str, html: str,
            unsubscribe_url: str = "") -> EmailMessage:
    """multipart/alternative: plain text first, then the same as HTML; RFC 8058 one-click unsubscribe."""
    sender = config["mail.from"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].partition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class Smtp:
    """One connection to the configured server, for a batch of mails."""

    def __init__(self, config: Config) -> None:
        security = config["mail.security"]
        self.client = aiosmtplib.SMTP(
            hostname=config["mail.host"], port=config["mail.port"], use_tls=security == "tls",
            start_tls=security == "starttls", timeout=config["mail.timeout_seconds"],
            username=config["mail.user"] or None, password=config["mail.password"] or None,
        )

    async def __aenter__(self) -> Smtp:
        await self.client.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            await self.client.quit()

    async def send(self, msg: EmailMessage, recipient: str) -> None:
        # the envelope names the one stored recipient, never what parsing the To header makes of it
        await self.client.send_message(msg, recipients=[recipient])


def describe(error: BaseException) -> str:
    """One line for last_error and the CLI."""
    text = str(error).strip() or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]


class MailSender:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.policy = MAIL.with_first(timedelta(seconds=node.config["mail.retry_first_seconds"]))
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    def _failed(self, row: Row, error: BaseException, *, final: bool = False) -> None:
        wait = None if final else self.policy.delay(int(row["attempts"]) + 1)
        next_try = None if wait is None else _iso(datetime.now(UTC) + wait)
        log.warning("mail %s to %s failed (%s); %s", row["id"], row["recipient"], describe(error),
                    "giving up" if next_try is None else f"trying again at {next_try}")
        mail.mark_failed(self.node.db, row["id"], describe(error), next_try)

    async def send_due(self) -> int:
        """Send what is due now over one connection; returns how many were sent."""
        rows = mail.due(self.node.db, self.node.now(), BATCH)
        if not rows:
            return 0
        sent = 0
        try:
            async with Smtp(self.node.config) as smtp:
                for row in rows:
                    try:
                        msg = message(self.node.config, row["recipient"], row["subject"], row["text_body"],
                                      row["html_body"], row["unsubscribe_url"])
                        await smtp.send(msg, row["recipient"])
                    except aiosmtplib.SMTPRecipientsRefused as error:
                        codes = [refusal.code for refusal in error.recipients]
                        self._failed(row, error, final=all(code >= 500 for code in codes))
                        continue
                    except aiosmtplib.SMTPResponseException as error:  # this mail; the connection lives
                        self._failed(row, error, final=error.code >= 500)  # 5xx: permanent (RFC 5321)
                        continue
                    except (aiosmtplib.SMTPException, OSError, TimeoutError):
                        raise  # the server or the connection, not this mail: handled below for the round
                    except Exception as error:  # a mail that cannot be written never will be, and must not
                        self._failed(row, error, final=True)  # hold up the ones queued after it
                        continue
                    mail.mark_sent(self.node.db, row["id"], self.node.now())
                    sent += 1
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:  # the server: the rest wait
            for row in rows:
                current = mail.by_id(self.node.db, row["id"])
                if current is not None and current["state"] == "pending" and current["attempts"] == row["attempts"]:
                    self._failed(row, error)
        return sent

    def _poll_seconds(self) -> float:
        due = mail.next_due_at(self.node.db)
        if due is None:
            return POLL_SECONDS
        wait = (datetime.fromisoformat(due.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()
        return min(POLL_SECONDS, max(0.05, wait))

    def chores(self) -> None:
        mail_notify.send_digests(self.node)
        now = datetime.now(UTC)
        mail.prune(self.node.db, done_before=_iso(now - timedelta(days=self.node.config["federation.keep_done_days"])),
                   others_before=_iso(now - timedelta(days=self.node.config["federation.keep_failed_days"])))

    async def run(self, stop: asyncio.Event) -> None:
        chores_at = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            self._woken.clear()
            try:
                if loop.time() >= chores_at:
                    chores_at = loop.time() + CHORES_EVERY_SECONDS
                    self.chores()
                while await self.send_due() == BATCH:
                    pass
            except Exception:  # the rows wait in the table for the next round
                log.exception("mail round failed; trying again at the next poll")
            await first_of(self._woken, stop, timeout=self._poll_seconds())


class MailRuntime:
    """Started and stopped by the app's lifespan; nothing runs without [mail]."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.node.config.mail_enabled:
            return
        sender = MailSender(self.node)
        self.node.wake_mail = sender.wake
        self.task = asyncio.create_task(sender.run(self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        self.node.wake_mail = lambda: None
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, timeout=10)
            except TimeoutError:
                self.task.cancel()


async def send_test(config: Config, recipient: str) -> None:
    """`meent mail test`: one mail straight to the server, no outbox; raises what failed."""
    msg = message(config, recipient, f"Meent: test ({config['node.name']})",
                  "Dit is een testbericht van Meent. / This is a test message from Meent.\n",
                  "<p>Dit is een testbericht van Meent. / This is a test message from Meent.</p>")
    async with Smtp(config) as smtp:
        await smtp.send(msg, recipient)
