"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and reading links out of mails."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.federation_helpers import eventually
from tests.helpers import free_port

LINK = re.compile(r"https?://[^\s<>\"]+")


class Received:
    """The aiosmtpd handler: every message delivered, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address.startswith("refused@"):  # a mailbox that does not exist: a permanent refusal
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received = Received()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.received, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.received.lock:
            return list(self.received.messages)

    def config(self, **extra: object) -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "from": "Meent <noreply@127.0.0.1>", **extra}

    def wait_for(self, to: str, count: int = 1, what: str = "a mail") -> list[EmailMessage]:
        """The mails to `to` once there are at least `count` of them."""
        def arrived() -> list[EmailMessage]:
            found = [m for m in self.messages if to in str(m["To"])]
            return found if len(found) >= count else []
        return eventually(arrived, what=f"{what} to {to}")


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a multipart/alternative mail."""
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def link(message: EmailMessage, path: str) -> str:
    text, html = parts(message)
    found = [url for url in LINK.findall(text) if path in url]
    assert found, f"no {path} link in: {text}"
    assert found[0] in html.replace("&amp;", "&")
    return found[0]
