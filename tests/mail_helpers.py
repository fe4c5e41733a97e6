"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, optionally behind STARTTLS or
implicit TLS with a throw-away CA and with AUTH, and reading links out of mails."""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


def _write_private(path: Path, data: bytes) -> None:
    """A key or certificate only the test's user can read (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass(frozen=True)
class Tls:
    """A throw-away CA (ca_file, the PEM a client trusts) and a server certificate it signed for 127.0.0.1."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def make(cls, folder: Path, name: str = "test") -> Tls:
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name(f"Meent {name} CA")
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, encipher_only=False,
                                           decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        made = cls(folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem")
        _write_private(made.ca_file, ca.public_bytes(serialization.Encoding.PEM))
        _write_private(made.cert_file, cert.public_bytes(serialization.Encoding.PEM))
        _write_private(made.key_file, key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        return made

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


class Authenticator:
    """aiosmtpd's authenticator: one user with one password; anything else is refused (535)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.tries: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        self.tries.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers: 235, or 535 refused


class _ImplicitTlsController(Controller):
    """aiosmtpd counts only STARTTLS as TLS, so it would not offer AUTH on an implicit-TLS connection, and
    asking it not to require TLS for AUTH warns (an error under pytest); the connection is TLS from the
    first byte, so here AUTH is offered without the warning."""

    def factory(self) -> Any:
        server = super().factory()
        server._auth_require_tls = False
        return server


class SmtpServer:
    """security "none", "starttls" (required before MAIL) or "tls" (implicit, from the first byte);
    with auth=(user, password) AUTH is required, and offered only over TLS."""

    def __init__(self, port: int | None = None, *, security: str = "none", tls: Tls | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        assert security in ("none", "starttls", "tls") and (security == "none") == (tls is None)
        self.port = port or free_port()
        self.security = security
        self.tls = tls
        self.authenticator = Authenticator(*auth) if auth else None
        self.received = Received()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        options: dict[str, Any] = {}
        if self.tls is not None and self.security == "starttls":
            options |= {"tls_context": self.tls.server_context(), "require_starttls": True}
        elif self.tls is not None:
            options |= {"ssl_context": self.tls.server_context()}
        if self.authenticator is not None:
            options |= {"authenticator": self.authenticator, "auth_required": True}
        kind = _ImplicitTlsController if self.security == "tls" else Controller
        self.controller = kind(self.received, hostname="127.0.0.1", port=self.port, **options)
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
        return {"host": "127.0.0.1", "port": self.port, "from": "Meent <noreply@127.0.0.1>",
                "security": self.security, **extra}

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
