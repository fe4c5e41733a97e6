"""Mail over STARTTLS and implicit TLS, with AUTH (issue 10: `[mail] security`, `user`, `password`),
against a real aiosmtpd behind a throw-away CA. The sender verifies the server's certificate: the
CA is trusted through SSL_CERT_FILE (what OpenSSL reads for its default store), and a certificate
from another CA is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import to_toml
from node.services import accounts
from storage import mail as mail_store
from tests.federation_helpers import eventually
from tests.helpers import PASSWORD, make_site, meent
from tests.mail_helpers import SmtpServer, Tls

USER, SECRET = "meent", "een-smtp-wachtwoord"
BASE = {"node": {"domain": "127.0.0.1:8000", "name": "Gemeente Test", "secret_key": "s" * 40, "https": False}}


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tls:
    made = Tls.make(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(made.ca_file))  # this process and the meent it runs
    return made


def _mail_test(tmp_path: Path, mail: dict[str, object], name: str = "mail.toml") -> tuple[int, str, str]:
    config = tmp_path / name
    config.write_text(to_toml(BASE | {"mail": mail}))
    result = meent("mail", "test", "ops@utrecht.nl", "--config", str(config), check=False)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_through_tls_with_the_right_password_only(tmp_path: Path, tls: Tls, security: str) -> None:
    smtp = SmtpServer(security=security, tls=tls, auth=(USER, SECRET)).start()
    try:
        code, out, err = _mail_test(tmp_path, smtp.config(user=USER, password=SECRET))
        assert code == 0 and f"({security})" in out, err
        [message] = smtp.wait_for("ops@utrecht.nl")
        assert "test" in str(message["Subject"])
        code, _, err = _mail_test(tmp_path, smtp.config(user=USER, password="fout"), "wrong.toml")
        assert code == 1 and "refused mail.user/mail.password" in err and "535" in err, err
        assert "Traceback" not in err
        assert smtp.authenticator is not None
        outcomes = [ok for _, ok in smtp.authenticator.tries]
        assert outcomes[0] and outcomes[1:] and not any(outcomes[1:])  # the client may try a second mechanism
    finally:
        smtp.stop()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_of_another_ca_is_refused(tmp_path: Path, tls: Tls, security: str) -> None:
    rogue = Tls.make(tmp_path / "rogue", "rogue")  # signed by a CA nobody trusts
    smtp = SmtpServer(security=security, tls=rogue).start()
    try:
        code, _, err = _mail_test(tmp_path, smtp.config(timeout_seconds=5))
        assert code == 1 and "CERTIFICATE_VERIFY_FAILED" in err, err
        assert smtp.messages == []
    finally:
        smtp.stop()


def test_starttls_against_a_server_without_it_fails_clearly(tmp_path: Path, tls: Tls) -> None:
    plain = SmtpServer().start()
    try:
        code, _, err = _mail_test(tmp_path, plain.config(security="starttls", timeout_seconds=5))
        assert code == 1 and "STARTTLS" in err and "Traceback" not in err, err
        assert plain.messages == []
    finally:
        plain.stop()


def test_the_outbox_keeps_a_mail_the_server_refuses_to_take_without_the_right_login(tmp_path: Path,
                                                                                     tls: Tls) -> None:
    smtp = SmtpServer(security="starttls", tls=tls, auth=(USER, SECRET)).start()
    try:
        (tmp_path / "wrong").mkdir()
        wrong = make_site(tmp_path / "wrong", mail=smtp.config(user=USER, password="fout", retry_first_seconds=1))
        with wrong.client:
            accounts.create(wrong.node, "anne", PASSWORD, email="anne@utrecht.nl")
            accounts.request_reset(wrong.node, "anne@utrecht.nl")

            def tried() -> object:
                rows = mail_store.listing(wrong.node.db)
                return rows[0] if rows and rows[0]["attempts"] >= 1 else None
            row = eventually(tried, what="a failed try")
            assert row["state"] == "pending" and "535" in row["last_error"], row["last_error"]
        (tmp_path / "right").mkdir()
        right = make_site(tmp_path / "right", mail=smtp.config(user=USER, password=SECRET, retry_first_seconds=1))
        with right.client:
            accounts.create(right.node, "anne", PASSWORD, email="anne@utrecht.nl")
            accounts.request_reset(right.node, "anne@utrecht.nl")
            [message] = smtp.wait_for("anne@utrecht.nl", what="the reset mail over STARTTLS with AUTH")
            assert "/password/reset?token=" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    finally:
        smtp.stop()
