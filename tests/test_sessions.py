"""Server-side sessions: log-out for real, the member's list of sessions, the admin's "log out
everywhere", expiry, and the log-in throttle kept in the database."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from node.services import sessions
from node.services.throttle import PER_ACCOUNT
from tests.helpers import CSRF, PASSWORD, Site, make_site

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0"
          " Mobile/15E148 Safari/604.1")


def browser(site: Site, address: str = "10.0.0.2", agent: str = FIREFOX) -> TestClient:
    """Another browser on the same node, from its own address."""
    return TestClient(site.client.app, base_url="http://127.0.0.1:8000", client=(address, 50000),
                      headers={"user-agent": agent})


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    response = client.post("/login", data={"csrf": csrf_of(client), "username": name, "password": password},
                           follow_redirects=False)
    return response.status_code


def signed_in(client: TestClient) -> bool:
    return "Uitloggen" in client.get("/").text


def session_rows(site: Site, name: str) -> list[dict[str, object]]:
    rows = site.node.db.all("SELECT s.* FROM sessions s JOIN accounts a ON a.id = s.account_id"
                            " WHERE a.username = ? ORDER BY s.id", (name,))
    return [dict(row) for row in rows]


def cookie_token(client: TestClient) -> str:
    """The token inside the signed session cookie (payload.timestamp.signature, payload base64 JSON)."""
    cookie = client.cookies.get("meent_session")
    assert cookie
    token: str = json.loads(base64.b64decode(cookie.split(".")[0]))["token"]
    return token


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    copied = site.client.cookies.get("meent_session")
    assert copied and len(session_rows(site, "anne")) == 1
    site.logout()
    assert session_rows(site, "anne") == []
    thief = browser(site)
    thief.cookies.set("meent_session", copied, domain="127.0.0.1")
    assert not signed_in(thief)  # the replayed cookie names a row that no longer exists
    assert thief.get("/settings", follow_redirects=False).headers["location"] == "/login?next=/settings"


def test_only_a_hash_of_the_token_is_stored(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    token = cookie_token(site.client)
    dump = "\n".join(site.node.db.writer.iterdump())
    assert token not in dump
    assert session_rows(site, "anne")[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_a_new_log_in_gets_a_new_token(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    first = cookie_token(site.client)
    site.login("anne")  # logging in again in the same browser replaces the session, no fixation
    assert cookie_token(site.client) != first
    assert len(session_rows(site, "anne")) == 1


def test_settings_lists_the_sessions_and_ends_one(site: Site) -> None:
    site.member("anne")
    phone = browser(site, "10.0.0.7", SAFARI)
    assert log_in(phone, "anne") == 303
    site.login("anne")
    page = site.client.get("/settings").text
    assert "Waar u bent ingelogd" in page and "Safari, iOS" in page and "10.0.0.7" in page
    assert page.count("Deze sessie") == 1
    phone_row = next(row for row in session_rows(site, "anne") if row["address"] == "10.0.0.7")
    assert phone_row["user_agent"] == SAFARI
    response = site.post("/settings/sessions/end", {"session": str(phone_row["id"])}, site.csrf("/settings"))
    assert response.status_code == 303 and response.headers["location"] == "/settings#sessions"
    assert "Sessie beëindigd." in site.client.get("/settings").text
    assert not signed_in(phone) and signed_in(site.client)
    assert "U bent nergens anders ingelogd." in site.client.get("/settings?lang=nl").text
    assert "Where you are logged in" in site.client.get("/settings?lang=en").text


def test_ending_all_other_sessions(site: Site) -> None:
    site.member("anne")
    others = [browser(site, "10.0.0.2"), browser(site, "10.0.0.3", SAFARI)]
    for other in others:
        assert log_in(other, "anne") == 303
    site.login("anne")
    response = site.post("/settings/sessions/others", {}, site.csrf("/settings"))
    assert response.status_code == 303
    assert "2 andere sessies beëindigd." in site.client.get("/settings").text
    assert [signed_in(other) for other in others] == [False, False]
    assert signed_in(site.client) and len(session_rows(site, "anne")) == 1


def test_a_member_cannot_end_another_members_session_or_their_own_by_id(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    bram = browser(site)
    assert log_in(bram, "bram") == 303
    site.login("anne")
    csrf = site.csrf("/settings")
    bram_session = session_rows(site, "bram")[0]["id"]
    own = session_rows(site, "anne")[0]["id"]
    for value in (str(bram_session), str(own), "abc", ""):
        response = site.post("/settings/sessions/end", {"session": value}, csrf)
        assert response.status_code == 404 and "Deze sessie bestaat niet (meer)." in response.text
    assert signed_in(bram) and signed_in(site.client)


def test_forged_csrf_on_the_session_forms_changes_nothing(site: Site) -> None:
    site.member("beheer", role="admin")
    site.member("anne")
    anne = browser(site)
    assert log_in(anne, "anne") == 303
    second = browser(site, "10.0.0.3")
    assert log_in(second, "beheer") == 303
    site.login("beheer")
    before = site.node.db.all("SELECT * FROM sessions ORDER BY id")
    forms = [("/settings/sessions/end", {"session": str(session_rows(site, "beheer")[0]["id"])}),
             ("/settings/sessions/others", {}), ("/admin/members/anne", {"action": "end_sessions"})]
    for path, form in forms:
        for token in ("forged-token", ""):
            response = site.client.post(path, data={"csrf": token} | form, follow_redirects=False)
            assert response.status_code == 403 and "Het formulier is verlopen" in response.text
        assert site.client.post(path, data=form, follow_redirects=False).status_code == 403
    assert [tuple(row) for row in site.node.db.all("SELECT * FROM sessions ORDER BY id")] == [
        tuple(row) for row in before]
    assert signed_in(anne) and signed_in(second)


def test_admin_logs_a_member_out_everywhere_and_revokes_their_tokens(site: Site) -> None:
    site.member("beheer", role="admin")
    site.member("anne")
    anne = browser(site)
    assert log_in(anne, "anne") == 303
    app = site.client.post("/api/v1/apps", data={"client_name": "Telefoon", "scopes": "read write"}).json()
    grant = site.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": "anne", "password": PASSWORD, "scope": "read"}).json()
    bearer = {"authorization": f"Bearer {grant['access_token']}"}
    assert site.client.get("/api/v1/accounts/verify_credentials", headers=bearer).status_code == 200
    site.login("beheer")
    page = site.client.get("/admin").text
    assert "Uitloggen op alle apparaten" in page
    response = site.post("/admin/members/anne", {"action": "end_sessions"}, site.csrf("/admin"))
    assert response.status_code == 303
    assert "anne is overal uitgelogd" in site.client.get("/admin").text
    assert not signed_in(anne) and session_rows(site, "anne") == []
    assert site.client.get("/api/v1/accounts/verify_credentials", headers=bearer).status_code == 401
    assert signed_in(site.client)  # the admin's own session goes on
    assert log_in(anne, "anne") == 303  # ending sessions is not a block: anne may log in again


def test_disabling_a_member_ends_their_sessions(site: Site) -> None:
    site.member("beheer", role="admin")
    site.member("anne")
    anne = browser(site)
    assert log_in(anne, "anne") == 303
    site.login("beheer")
    csrf = site.csrf("/admin")
    site.post("/admin/members/anne", {"action": "disable"}, csrf)
    assert session_rows(site, "anne") == []
    site.post("/admin/members/anne", {"action": "enable"}, csrf)
    assert not signed_in(anne)  # enabling again does not bring the old session back


def test_a_new_password_ends_every_other_session_and_renews_this_one(site: Site) -> None:
    site.member("anne")
    other = browser(site)
    assert log_in(other, "anne") == 303
    site.login("anne")
    old_cookie = site.client.cookies.get("meent_session")
    response = site.post("/settings/password", {"current_password": PASSWORD, "new_password": "a new password"},
                         site.csrf("/settings"))
    assert response.status_code == 303
    assert signed_in(site.client) and not signed_in(other)
    assert len(session_rows(site, "anne")) == 1
    replay = browser(site, "10.0.0.9")
    replay.cookies.set("meent_session", old_cookie or "", domain="127.0.0.1")
    assert not signed_in(replay)  # this browser's session was renewed: its cookie from before is dead


def test_an_expired_session_is_refused_and_deleted(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    past = iso(datetime.now(UTC) - timedelta(minutes=1))
    site.node.db.execute("UPDATE sessions SET expires_at = ?", (past,))
    assert not signed_in(site.client)
    assert session_rows(site, "anne") == []


def test_expired_sessions_are_pruned_at_log_in(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    bram = browser(site)
    assert log_in(bram, "bram") == 303
    site.node.db.execute("UPDATE sessions SET expires_at = ?", (iso(datetime.now(UTC) - timedelta(days=1)),))
    site.login("anne")  # bram's expired row goes, though bram never comes back
    assert session_rows(site, "bram") == [] and len(session_rows(site, "anne")) == 1


def test_last_seen_moves_the_expiry_but_is_written_only_every_few_minutes(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    now = datetime.now(UTC)
    soon = iso(now + timedelta(hours=1))
    recent = iso(now - timedelta(seconds=sessions.TOUCH_SECONDS // 2))
    site.node.db.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ?", (recent, soon))
    assert signed_in(site.client)
    row = session_rows(site, "anne")[0]
    assert (row["last_seen_at"], row["expires_at"]) == (recent, soon)  # seen a moment ago: no write
    stale = iso(now - timedelta(seconds=sessions.TOUCH_SECONDS + 60))
    site.node.db.execute("UPDATE sessions SET last_seen_at = ?", (stale,))
    assert signed_in(site.client)
    row = session_rows(site, "anne")[0]
    assert str(row["last_seen_at"]) > iso(now - timedelta(seconds=1))
    assert str(row["expires_at"]) > iso(now + sessions.LIFETIME - timedelta(minutes=1))  # sliding: 14 days on


def test_the_throttle_counts_failures_per_account_across_addresses(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    per_address = 5  # below the limit per (name, address): only the account-wide count can block
    guessers = [browser(site, f"10.1.0.{number}") for number in range(PER_ACCOUNT // per_address)]
    for guesser in guessers:
        for _ in range(per_address):
            assert log_in(guesser, "anne", "wrong password") == 401
    assert log_in(guessers[0], "anne") == 429  # a guessing address is refused even with the password
    assert log_in(guessers[0], "bram") == 303  # other names from there are not locked
    assert log_in(browser(site, "10.2.0.1"), "anne") == 303  # anne's own, clean address still gets in


def test_the_throttle_survives_a_restart(tmp_path: Path) -> None:
    first = make_site(tmp_path)
    with first.client:
        first.member("anne")
        for _ in range(10):
            assert first.post("/login", {"username": "anne", "password": "wrong password"}).status_code == 401
    first.node.db.close()
    second = make_site(tmp_path)  # a new app and a new database connection on the same file
    with second.client:
        response = second.post("/login", {"username": "anne", "password": PASSWORD})
        assert response.status_code == 429
    second.node.db.close()


@pytest.mark.parametrize(("agent", "expected"), [
    (FIREFOX, "Firefox, Linux"),
    (SAFARI, "Safari, iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
     "Edge, Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome, macOS"),
    ("curl/8.5.0", "curl/8.5.0"),
    ("", ""),
])
def test_describe_agent(agent: str, expected: str) -> None:
    assert sessions.describe_agent(agent) == expected


def test_user_agent_and_address_are_cut_to_size(site: Site) -> None:
    site.member("anne")
    long_agent = "x" * 5000
    assert log_in(browser(site, "10.0.0.2", long_agent), "anne") == 303
    row = session_rows(site, "anne")[0]
    assert row["user_agent"] == long_agent[:sessions.AGENT_MAX]
    assert re.fullmatch(r"10\.0\.0\.2", str(row["address"]))
