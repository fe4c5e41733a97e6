"""E-mail (issue 10): confirmation, password reset, notification and digest mails through a real
SMTP server on loopback, links that work once, the outbox across an outage, `meent mail test`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest

from node.config import ConfigError
from node.services import accounts, groups, mail_notify, posts
from storage import accounts as account_store
from storage import mail as mail_store
from tests.federation_helpers import eventually
from tests.helpers import CSRF, PASSWORD, Site, free_port, make_config, make_site, meent, serve_node
from tests.mail_helpers import SmtpServer, link, parts


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailing(tmp_path: Path, smtp: SmtpServer) -> Iterator[Site]:
    made = make_site(tmp_path, mail=smtp.config(retry_first_seconds=1),
                     registration={"mode": "domains", "allowed_email_domains": ["utrecht.nl"]})
    with made.client:
        yield made
    made.node.db.close()


def _sign_up(site: Site, name: str = "bob") -> None:
    response = site.post("/register", {"username": name, "password": PASSWORD, "email": f"{name}@utrecht.nl",
                                       "display_name": name.title()}, site.csrf("/register"))
    assert response.status_code == 200 and "Kijk in je e-mail" in response.text


def _token(url: str) -> str:
    return url.split("token=", 1)[1]


def test_config_without_mail_refuses_domain_sign_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"registration\.mode: .*\[mail\]"):
        make_config(tmp_path, registration={"mode": "domains", "allowed_email_domains": ["utrecht.nl"]})
    with pytest.raises(ConfigError, match=r"mail\.host: missing"):
        make_config(tmp_path, mail={"from": "x@y.nl"})
    with pytest.raises(ConfigError, match=r"mail\.security: must be one of none, starttls, tls"):
        make_config(tmp_path, mail={"host": "127.0.0.1", "from": "x@y.nl", "security": "ssl"})
    config = tmp_path / "config.toml"
    config.write_text('[node]\ndomain = "127.0.0.1:8000"\nname = "T"\nsecret_key = "' + "s" * 40 + '"\n'
                      'https = false\n[registration]\nmode = "domains"\nallowed_email_domains = ["utrecht.nl"]\n')
    result = meent("serve", "--config", str(config), check=False)
    assert result.returncode == 2 and "registration.mode" in result.stderr and "[mail]" in result.stderr


def test_pages_say_when_there_is_no_email(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    with site.client:
        assert "verstuurt geen e-mail" in site.client.get("/password/forgot").text
        assert "verstuurt geen e-mail" in site.client.get("/register/resend").text
        site.member("beheer", role="admin")
        site.login("beheer")
        response = site.post("/admin/registration", {"mode": "domains", "domains": "utrecht.nl"}, site.csrf("/admin"))
        assert response.status_code == 422 and "[mail]" in response.text
        assert accounts.registration_mode(site.node) == "closed"
    site.node.db.close()


def test_sign_up_by_domain_works_only_after_the_mailed_link(mailing: Site, smtp: SmtpServer) -> None:
    _sign_up(mailing)
    [message] = smtp.wait_for("bob@utrecht.nl", what="the confirmation")
    assert message["From"] == "Meent <noreply@127.0.0.1>" and "Bevestig je e-mailadres" in message["Subject"]
    assert message["Message-ID"] and message["Date"] and "List-Unsubscribe" not in message
    url = link(message, "/register/confirm?token=")
    response = mailing.post("/login", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 403 and "Bevestig eerst je e-mailadres" in response.text
    page = mailing.client.get(url.removeprefix("http://127.0.0.1:8000"))  # a mail scanner's GET uses nothing
    assert page.status_code == 200 and 'action="/register/confirm"' in page.text
    assert account_store.by_username(mailing.node.db, "bob")["email_pending"] == 1
    response = mailing.post("/register/confirm", {"token": _token(url)}, mailing.csrf("/login"))
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/welcome"
    mailing.login("bob")
    mailing.logout()
    again = mailing.post("/register/confirm", {"token": _token(url)}, mailing.csrf("/login"))
    assert again.status_code == 400 and "al gebruikt" in again.text
    guessed = mailing.client.get("/register/confirm?token=" + "A" * 43)
    assert guessed.status_code == 400 and "ongeldig" in guessed.text and "Er is niets gewijzigd" in guessed.text
    assert "gebruikersnaam bob" in parts(message)[0]  # the mail says which account it would switch on
    # the address is bob's now: a second sign-up with it is refused, and cannot catch his mails
    taken = mailing.post("/register", {"username": "bobby", "password": PASSWORD, "email": "bob@utrecht.nl",
                                       "display_name": "Bobby"}, mailing.csrf("/register"))
    assert taken.status_code == 409 and "al een account met dit e-mailadres" in taken.text
    assert account_store.by_username(mailing.node.db, "bobby") is None


def test_confirmation_links_expire_and_can_be_sent_again(mailing: Site, smtp: SmtpServer) -> None:
    _sign_up(mailing, "carla")
    [first] = smtp.wait_for("carla@utrecht.nl")
    mailing.node.db.execute("UPDATE mail_tokens SET expires_at = '2000-01-01T00:00:00.000Z'")
    expired = mailing.post("/register/confirm", {"token": _token(link(first, "token="))}, mailing.csrf("/login"))
    assert expired.status_code == 400 and "verlopen" in expired.text
    assert account_store.by_username(mailing.node.db, "carla")["email_pending"] == 1  # nothing changed
    for address in ("carla@utrecht.nl", "nobody@utrecht.nl"):  # the same answer, known or not
        response = mailing.post("/register/resend", {"email": address}, mailing.csrf("/register/resend"))
        assert response.status_code == 200 and "Als dit adres bij ons bekend is" in response.text
    second = smtp.wait_for("carla@utrecht.nl", count=2)[1]
    response = mailing.post("/register/confirm", {"token": _token(link(second, "token="))}, mailing.csrf("/login"))
    assert response.status_code == 303
    mailing.login("carla")
    assert not [m for m in smtp.messages if "nobody" in str(m["To"])]


def test_forgotten_password_resets_once_and_ends_other_sessions(mailing: Site, smtp: SmtpServer) -> None:
    accounts.create(mailing.node, "anne", PASSWORD, email="anne@utrecht.nl", display_name="Anne")
    other = make_site_client(mailing)
    assert other.post("/login", data={"csrf": _csrf(other, "/login"), "username": "anne",
                                      "password": PASSWORD}, follow_redirects=False).status_code == 303
    assert 'href="/password/forgot"' in mailing.client.get("/login").text
    answers = []
    for address in ("Anne@utrecht.nl", "niemand@utrecht.nl"):
        response = mailing.post("/password/forgot", {"email": address}, mailing.csrf("/password/forgot"))
        answers.append((response.status_code, response.text.replace(address, "")))
    assert answers[0] == answers[1] and answers[0][0] == 200
    [message] = smtp.wait_for("anne@utrecht.nl", what="the reset link")
    assert "Nieuw wachtwoord" in message["Subject"] and "anne" in parts(message)[0]
    url = link(message, "/password/reset?token=")
    assert 'name="token"' in mailing.client.get(url.removeprefix("http://127.0.0.1:8000")).text
    short = mailing.post("/password/reset", {"token": _token(url), "password": "kort"}, mailing.csrf("/login"))
    assert short.status_code == 422 and "8 tot 256" in short.text  # the usual rules; the link still works
    response = mailing.post("/password/reset", {"token": _token(url), "password": "een nieuw wachtwoord"},
                            mailing.csrf("/login"))
    assert response.status_code == 303
    assert other.get("/settings", follow_redirects=False).status_code == 303  # the other browser is out
    assert mailing.post("/login", {"username": "anne", "password": PASSWORD}).status_code == 401
    mailing.login("anne", "een nieuw wachtwoord")
    again = mailing.post("/password/reset", {"token": _token(url), "password": "nog een ander wachtwoord"},
                         mailing.csrf("/settings"))
    assert again.status_code == 400 and "al gebruikt" in again.text
    assert not [m for m in smtp.messages if "niemand" in str(m["To"])]


def make_site_client(site: Site) -> httpx.Client:
    from starlette.testclient import TestClient

    return TestClient(site.client.app, base_url="http://127.0.0.1:8000")


def _csrf(client: httpx.Client, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match
    return match.group(1)


def test_admin_sends_a_reset_link(mailing: Site, smtp: SmtpServer) -> None:
    accounts.create(mailing.node, "anne", PASSWORD, email="anne@utrecht.nl")
    mailing.node.db.execute("UPDATE accounts SET language = 'en' WHERE username = 'anne'")
    mailing.member("beheer", role="admin")
    mailing.login("beheer")
    csrf = mailing.csrf("/admin")
    assert 'value="send_reset"' in mailing.client.get("/admin").text
    assert mailing.post("/admin/members/anne", {"action": "send_reset"}, csrf).status_code == 303
    [message] = smtp.wait_for("anne@utrecht.nl")
    assert message["Subject"].startswith("New password for")  # in the member's language
    assert 'lang="en"' in parts(message)[1]
    assert mailing.post("/admin/members/beheer2", {"action": "send_reset"}, csrf).status_code == 404


def test_notification_mails_and_one_click_unsubscribe(mailing: Site, smtp: SmtpServer) -> None:
    node = mailing.node
    anne = accounts.create(node, "anne", PASSWORD, email="anne@utrecht.nl", display_name="Anne")
    bram = accounts.create(node, "bram", PASSWORD, email="bram@utrecht.nl", display_name="Bram")
    mailing.group()
    mailing.login("anne")
    response = mailing.post("/settings/mail", {"mention": "1", "reply": "1", "topic": "1", "digest": "0"},
                            mailing.csrf("/settings"))
    assert response.status_code == 303
    groups.follow(node, anne, "open-overheid")
    group = groups.get(node, "open-overheid")
    topic = posts.start_topic(node, bram, group, "Woo-verzoeken", "Wie weet hoe dit werkt, @anne?")
    mails = smtp.wait_for("anne@utrecht.nl", count=2, what="the topic and mention mails")
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == ["Bram begon een nieuw onderwerp: \u201cWoo-verzoeken\u201d",
                        "Bram noemde je in \u201cWoo-verzoeken\u201d"]
    mention = next(m for m in mails if "noemde" in str(m["Subject"]))
    assert mention["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mention["List-Unsubscribe"]).strip("<>")
    assert f"/mail/unsubscribe/{anne['id']}/mention/" in unsubscribe and unsubscribe in parts(mention)[0]
    assert f"/groups/open-overheid/topics/{topic['id']}" in parts(mention)[0]
    mine = posts.reply(node, anne, topic["id"], "Ik zoek het uit.")
    posts.reply(node, bram, mine["id"], "Dank je!")
    reply = smtp.wait_for("anne@utrecht.nl", count=3, what="the reply mail")[2]
    assert "reageerde op je bericht" in str(reply["Subject"])
    mailing.logout()
    # the mail program's one-click POST: no session, no CSRF token; the signed link is enough
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    forged = mailing.client.post(path.replace(f"/{anne['id']}/", f"/{bram['id']}/"),
                                 content=b"List-Unsubscribe=One-Click",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 400 and mail_notify.prefs(node, bram["id"])["mention"] == 1
    done = mailing.client.post(path, content=b"List-Unsubscribe=One-Click",
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and mail_notify.prefs(node, anne["id"]) == {
        "mention": 0, "reply": 1, "topic": 1, "digest": 0}
    before = len(mail_store.listing(node.db))
    posts.reply(node, bram, topic["id"], "@anne nog een keer")
    assert len(mail_store.listing(node.db)) == before  # no mention mail queued any more


def test_daily_digest_collects_notifications(mailing: Site, smtp: SmtpServer) -> None:
    node = mailing.node
    anne = accounts.create(node, "anne", PASSWORD, email="anne@utrecht.nl", display_name="Anne")
    bram = accounts.create(node, "bram", PASSWORD, email="bram@utrecht.nl", display_name="Bram")
    mailing.group()
    mail_notify.save_prefs(node, anne["id"], {"mention": True, "reply": True, "digest": True})
    group = groups.get(node, "open-overheid")
    topic = posts.start_topic(node, anne, group, "Archief", "Hoe archiveren we?")
    posts.reply(node, bram, topic["id"], "Zo.")
    posts.reply(node, bram, topic["id"], "En zo, @anne.")  # one notification a post: the mention
    assert not mail_store.listing(node.db)  # nothing at once
    now = datetime.now(UTC)
    assert mail_notify.send_digests(node, now) == 1
    [digest] = smtp.wait_for("anne@utrecht.nl", what="the digest")
    text, html = parts(digest)
    assert "2 nieuwe meldingen" in str(digest["Subject"])
    assert "Bram noemde je" in text and "Bram reageerde op je bericht" in text and "Bram noemde je" in html
    assert f"/mail/unsubscribe/{anne['id']}/all/" in str(digest["List-Unsubscribe"])
    posts.reply(node, bram, topic["id"], "Nog iets.")
    assert mail_notify.send_digests(node, now + timedelta(hours=1)) == 0  # one a day
    assert mail_notify.send_digests(node, now + timedelta(hours=25)) == 1
    assert "1 nieuwe melding" in str(smtp.wait_for("anne@utrecht.nl", count=2)[1]["Subject"])


def test_outbox_keeps_mails_while_the_server_is_down(tmp_path: Path) -> None:
    smtp = SmtpServer()  # not started: the mail server is down
    port = free_port()
    data = tmp_path / "node"
    meent("init", "--data-dir", str(data), "--domain", f"127.0.0.1:{port}", "--admin", "beheer",
          "--password", PASSWORD, "--name", "Gemeente Test")
    config = data / "config.toml"
    config.write_text(config.read_text() + f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
                      'from = "Meent <noreply@127.0.0.1>"\nretry_first_seconds = 1\n')
    meent("user", "add", "anne", "--password", PASSWORD, "--email", "anne@utrecht.nl", "--config", str(config))
    live = serve_node(config, port)
    try:
        with httpx.Client(base_url=live.url) as client:
            match = CSRF.search(client.get("/password/forgot").text)
            assert match
            form = {"csrf": match.group(1), "email": "anne@utrecht.nl"}
            assert client.post("/password/forgot", data=form).status_code == 200
        db = sqlite3.connect(str(data / "meent.db"))

        def row() -> tuple[str, int, str]:
            return db.execute("SELECT state, attempts, last_error FROM mail_outbox").fetchone()
        state, attempts, error = eventually(lambda: row() if row()[1] >= 2 else None, what="two failed tries")
        assert state == "pending" and "SMTPConnect" in error, error
        smtp.start()
        [message] = smtp.wait_for("anne@utrecht.nl", what="the mail after the outage")
        assert "/password/reset?token=" in parts(message)[0]
        assert eventually(lambda: row()[0] == "sent", what="the row marked sent")
        db.close()
        listed = meent("mail", "outbox", "--config", str(config)).stdout.split("\t")
        assert listed[1] == "sent" and int(listed[2]) >= 3 and listed[4] == "anne@utrecht.nl"
    finally:
        live.stop()
        smtp.stop()


def test_mail_test_command(tmp_path: Path, smtp: SmtpServer) -> None:
    base = {"node": {"domain": "127.0.0.1:8000", "name": "Gemeente Test", "secret_key": "s" * 40, "https": False}}
    from node.config import to_toml

    good = tmp_path / "good.toml"
    good.write_text(to_toml(base | {"mail": smtp.config()}))
    result = meent("mail", "test", "ops@utrecht.nl", "--config", str(good))
    assert "sent a test mail to ops@utrecht.nl" in result.stdout
    [message] = smtp.wait_for("ops@utrecht.nl")
    assert "test" in str(message["Subject"]) and parts(message)[0]
    down = tmp_path / "down.toml"
    down.write_text(to_toml(base | {"mail": smtp.config(port=free_port(), timeout_seconds=5)}))
    result = meent("mail", "test", "ops@utrecht.nl", "--config", str(down), check=False)
    assert result.returncode != 0 and "cannot send through 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
    none = tmp_path / "none.toml"
    none.write_text(to_toml(base))
    result = meent("mail", "test", "ops@utrecht.nl", "--config", str(none), check=False)
    assert result.returncode != 0 and "no [mail] table" in result.stderr
    result = meent("mail", "test", "not an address", "--config", str(good), check=False)
    assert result.returncode != 0 and "not an e-mail address" in result.stderr


def test_mail_back_off_spreads_retries_over_two_days() -> None:
    from federation.backoff import MAIL

    quick = MAIL.with_first(timedelta(seconds=1))
    assert [MAIL.delay(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert MAIL.delay(8) == timedelta(hours=1)  # capped
    tries = next(n for n in range(1, 200) if MAIL.delay(n) is None)
    assert sum((MAIL.step(n) for n in range(1, tries)), timedelta()) >= timedelta(days=2)
    assert quick.delay(1) == timedelta(seconds=1) and quick.delay(2) == timedelta(seconds=2)


def test_unsubscribe_page_in_english_and_bad_links(mailing: Site) -> None:
    from node.services import mail

    anne = accounts.create(mailing.node, "anne", PASSWORD, email="anne@utrecht.nl")
    path = mail.unsubscribe_url(mailing.node, anne["id"], "all").removeprefix("http://127.0.0.1:8000")
    page = mailing.client.get(path + "?lang=en")
    assert page.status_code == 200 and "No more e-mail about notifications?" in page.text
    assert mail_notify.prefs(mailing.node, anne["id"])["mention"] == 1  # a GET changes nothing
    for bad in (path.replace("/all/", "/likes/"), path[:-1] + ("0" if path[-1] != "0" else "1"),
                path.replace(f"/{anne['id']}/", "/abc/")):
        assert mailing.client.get(bad).status_code == 400
        assert mailing.client.post(bad, content=b"List-Unsubscribe=One-Click").status_code == 400
    assert mailing.client.post(path, headers={"accept": "text/html"}).status_code == 200
    assert mail_notify.prefs(mailing.node, anne["id"]) == {"mention": 0, "reply": 0, "topic": 0, "digest": 0}
    english = mailing.client.get("/password/forgot?lang=en").text
    assert "Forgotten password" in english and "Enter your e-mail address" in english


def test_a_refused_address_fails_alone_and_asking_again_soon_sends_nothing(mailing: Site, smtp: SmtpServer) -> None:
    node = mailing.node
    accounts.create(node, "weg", PASSWORD, email="refused@utrecht.nl")
    accounts.create(node, "anne", PASSWORD, email="anne@utrecht.nl")
    for address in ("refused@utrecht.nl", "anne@utrecht.nl", "anne@utrecht.nl"):
        response = mailing.post("/password/forgot", {"email": address}, mailing.csrf("/password/forgot"))
        assert response.status_code == 200 and "Als dit adres bij ons bekend is" in response.text
    smtp.wait_for("anne@utrecht.nl")
    rows = {row["recipient"]: row for row in eventually(
        lambda: [r for r in mail_store.listing(node.db) if r["state"] != "pending"] if all(
            r["state"] != "pending" for r in mail_store.listing(node.db)) else None, what="both rows done")}
    assert len(mail_store.listing(node.db)) == 2  # the second request within minutes queued nothing
    refused = rows["refused@utrecht.nl"]
    assert refused["state"] == "failed" and refused["attempts"] == 1 and "550" in refused["last_error"]
    assert rows["anne@utrecht.nl"]["state"] == "sent" and rows["anne@utrecht.nl"]["sent_at"]


def test_an_address_that_cannot_be_written_fails_alone_and_cannot_be_signed_up(mailing: Site,
                                                                                 smtp: SmtpServer) -> None:
    """"a:b;@corp.com" made the To header a group and the sender stop for good, holding up every mail
    after it; such an address is refused at sign-up, and a row that has one fails without the others."""
    refused = mailing.post("/register", {"username": "groep", "password": PASSWORD, "email": "a:b;@utrecht.nl",
                                         "display_name": "Groep"}, mailing.csrf("/register"))
    assert refused.status_code == 422 and account_store.by_username(mailing.node.db, "groep") is None
    db = mailing.node.db
    for recipient in ("a:b;@utrecht.nl", "anne@utrecht.nl"):  # as rows queued before the rule
        mail_store.enqueue(db, recipient=recipient, kind="reset", subject="Test", text_body="Tekst",
                           html_body="<p>Tekst</p>", unsubscribe_url="", now=mailing.node.now())
    mailing.node.wake_mail()
    [message] = smtp.wait_for("anne@utrecht.nl")
    assert message["To"] == "anne@utrecht.nl"
    states = eventually(lambda: (lambda rows: rows if all(r["state"] != "pending" for r in rows) else None)(
        mail_store.listing(db)), what="every row done")
    by_recipient = {r["recipient"]: r for r in states}
    assert by_recipient["a:b;@utrecht.nl"]["state"] == "failed" and by_recipient["a:b;@utrecht.nl"]["attempts"] == 1
    assert by_recipient["anne@utrecht.nl"]["state"] == "sent"  # not held up behind it


def test_of_two_waiting_sign_ups_with_one_address_only_the_first_confirmed_gets_it(mailing: Site,
                                                                                   smtp: SmtpServer) -> None:
    _sign_up(mailing, "femke")
    response = mailing.post("/register", {"username": "femke2", "password": PASSWORD, "email": "femke@utrecht.nl",
                                          "display_name": "Femke"}, mailing.csrf("/register"))
    assert response.status_code == 200  # nobody has the address yet: both wait for their link
    first, second = smtp.wait_for("femke@utrecht.nl", count=2)
    assert mailing.post("/register/confirm", {"token": _token(link(second, "token="))},
                        mailing.csrf("/login")).status_code == 303
    late = mailing.post("/register/confirm", {"token": _token(link(first, "token="))}, mailing.csrf("/login"))
    assert late.status_code == 409 and "al een account met dit e-mailadres" in late.text
    assert account_store.by_username(mailing.node.db, "femke")["email_pending"] == 1  # nothing changed
    assert account_store.by_username(mailing.node.db, "femke2")["email_pending"] == 0


def test_a_reset_link_does_not_undo_a_disabling_or_a_deletion(mailing: Site, smtp: SmtpServer) -> None:
    from node.services import lifecycle

    for name in ("gert", "hein"):
        accounts.create(mailing.node, name, PASSWORD, email=f"{name}@utrecht.nl", display_name=name.title())
        mailing.post("/password/forgot", {"email": f"{name}@utrecht.nl"}, mailing.csrf("/password/forgot"))
    urls = {name: link(smtp.wait_for(f"{name}@utrecht.nl")[0], "/password/reset?token=") for name in ("gert", "hein")}
    accounts.set_disabled(mailing.node, "gert", True)
    refused = mailing.post("/password/reset", {"token": _token(urls["gert"]), "password": "een nieuw wachtwoord"},
                           mailing.csrf("/login"))
    assert refused.status_code == 400 and "al gebruikt" in refused.text  # disabling retired the link
    assert account_store.by_username(mailing.node.db, "gert")["password_hash"].startswith("$argon2")
    assert accounts.verify_password(account_store.by_username(mailing.node.db, "gert")["password_hash"], PASSWORD)
    db = mailing.node.db
    hein = account_store.by_username(db, "hein")["id"]
    with db.transaction():  # what else the member left with the mail: preferences, a digest item, a queued mail
        db.execute("INSERT INTO mail_prefs (account_id) VALUES (?)", (hein,))
        db.execute("INSERT INTO mail_digest_items (account_id, kind, line, url, created_at) VALUES"
                   " (?, 'reply', 'x', '/x', '2026-01-01T00:00:00.000Z')", (hein,))
        db.execute("INSERT INTO mail_outbox (recipient, kind, subject, text_body, html_body, unsubscribe_url,"
                   " next_try_at, created_at) VALUES ('hein@utrecht.nl', 'reply', 's', 't', 'h', '',"
                   " '2999-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
    lifecycle.delete_member(mailing.node, "hein")
    gone = mailing.post("/password/reset", {"token": _token(urls["hein"]), "password": "een nieuw wachtwoord"},
                        mailing.csrf("/login"))
    assert gone.status_code == 400  # the link itself went with the member
    for table in ("mail_tokens", "mail_prefs", "mail_digest_items"):
        assert db.scalar(f"SELECT count(*) FROM {table} WHERE account_id = ?", (hein,)) == 0, table
    assert db.scalar("SELECT count(*) FROM mail_outbox WHERE recipient = 'hein@utrecht.nl'") == 0
    assert db.scalar("SELECT count(*) FROM mail_outbox WHERE recipient = 'gert@utrecht.nl'") == 1


def test_a_reset_or_confirm_link_keeps_the_first_confirmed_owner_of_an_address(mailing: Site,
                                                                              smtp: SmtpServer) -> None:
    _sign_up(mailing, "ilse")
    response = mailing.post("/register", {"username": "ilse2", "password": PASSWORD, "email": "ilse@utrecht.nl",
                                          "display_name": "Ilse"}, mailing.csrf("/register"))
    assert response.status_code == 200
    first, second = smtp.wait_for("ilse@utrecht.nl", count=2)
    assert mailing.post("/register/confirm", {"token": _token(link(first, "token="))},
                        mailing.csrf("/login")).status_code == 303  # ilse has the address now
    admin = accounts.create(mailing.node, "baas", PASSWORD, role="admin")
    accounts.admin_send_reset(mailing.node, "ilse2", by=admin)
    reset = smtp.wait_for("ilse@utrecht.nl", count=3)[2]
    done = mailing.post("/password/reset", {"token": _token(link(reset, "token=")), "password": "een nieuw wachtwoord"},
                        mailing.csrf("/login"))
    assert done.status_code == 303
    assert account_store.by_username(mailing.node.db, "ilse2")["email_pending"] == 1  # not a second owner
    assert account_store.by_username(mailing.node.db, "ilse")["email_pending"] == 0


def test_a_confirmation_link_of_a_disabled_member_never_works_again(mailing: Site, smtp: SmtpServer) -> None:
    _sign_up(mailing, "joost")
    [message] = smtp.wait_for("joost@utrecht.nl")
    accounts.set_disabled(mailing.node, "joost", True)
    refused = mailing.post("/register/confirm", {"token": _token(link(message, "token="))}, mailing.csrf("/login"))
    assert refused.status_code == 400
    accounts.set_disabled(mailing.node, "joost", False)  # re-enabled: the old link stays dead
    again = mailing.post("/register/confirm", {"token": _token(link(message, "token="))}, mailing.csrf("/login"))
    assert again.status_code == 400 and "al gebruikt" in again.text
    assert account_store.by_username(mailing.node.db, "joost")["email_pending"] == 1
