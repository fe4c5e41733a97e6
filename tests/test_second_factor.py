"""The second factor (issue 10 item 3), with pyotp as the member's authenticator app: enrol, log in
in two steps, wrong and reused codes, recovery codes, the admins' requirement, turning it off, the
password grant, and bad input."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest

from tests.helpers import PASSWORD, Site, make_site

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')
CODES = re.compile(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = make_site(tmp_path)
    made.member("anna")
    return made


def _enrol(site: Site, path: str = "/settings/second-factor") -> tuple[pyotp.TOTP, list[str]]:
    page = site.client.get(path)
    assert page.status_code == 200, page.text
    assert "otpauth://totp/" in page.text and "<svg" in page.text
    match = SECRET.search(page.text)
    assert match
    totp = pyotp.TOTP(match.group(1))
    done = site.post(path, {"code": totp.now()}, csrf=site.csrf(path))
    assert done.status_code == 200, done.text
    codes = CODES.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def _later_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: accepted (one step of drift) and never used before."""
    return totp.at(time.time() + totp.interval)


def _password(site: Site, name: str = "anna") -> str:
    response = site.post("/login", {"username": name, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _code(site: Site, code: str) -> int:
    return site.post("/login/code", {"code": code}, csrf=site.csrf("/login/code")).status_code


def _signed_in(site: Site) -> bool:
    return site.client.get("/settings", follow_redirects=False).status_code == 200


def test_enrol_then_log_in_with_a_code_in_two_steps(site: Site) -> None:
    site.login("anna")
    totp, _ = _enrol(site)
    row = site.node.db.one("SELECT totp_secret, totp_pending FROM accounts WHERE username = 'anna'")
    assert row is not None and row["totp_pending"] is None
    assert totp.secret not in row["totp_secret"]  # sealed, not the plain secret
    assert "otpauth://" not in site.client.get("/settings/second-factor").text  # never shown again
    site.logout()
    assert _password(site) == "/login/code"
    assert not _signed_in(site)  # half logged in is not logged in
    assert _code(site, _later_code(totp)) == 303
    assert _signed_in(site)


def test_a_wrong_code_and_a_reused_code_are_refused(site: Site) -> None:
    site.login("anna")
    totp, _ = _enrol(site)
    site.logout()
    _password(site)
    assert _code(site, "000000" if totp.now() != "000000" else "111111") == 401
    code = _later_code(totp)
    assert _code(site, code) == 303
    site.logout()
    _password(site)
    assert _code(site, code) == 401  # the same code again, within its window
    assert _code(site, totp.now()) == 401  # an earlier step than the last used one
    assert not _signed_in(site)


def test_a_recovery_code_works_once(site: Site) -> None:
    site.login("anna")
    _, codes = _enrol(site)
    site.logout()
    _password(site)
    assert _code(site, codes[0].upper()) == 303  # typed in capitals: still the code
    site.logout()
    _password(site)
    assert _code(site, codes[0]) == 401
    assert _code(site, "abcde-fghij") == 401  # a guessed one
    assert _code(site, codes[1].replace("-", "")) == 303
    assert "nog 8 herstelcodes" in site.client.get("/settings/second-factor").text


@pytest.mark.parametrize("bad", ["12345", "1234567", "abcdef", "12 34 5x", "a" * 200, "'; DROP TABLE--"])
def test_codes_of_the_wrong_shape_get_a_clear_400(site: Site, bad: str) -> None:
    site.login("anna")
    _enrol(site)
    site.logout()
    _password(site)
    response = site.post("/login/code", {"code": bad}, csrf=site.csrf("/login/code"))
    assert response.status_code == 422
    assert "Vul zes cijfers in" in response.text


def test_code_failures_are_throttled_like_password_failures(site: Site) -> None:
    site.login("anna")
    _enrol(site)
    site.logout()
    _password(site)
    statuses = [_code(site, "abcde-fghij") for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_the_right_password_again_does_not_reset_the_count_of_wrong_codes(site: Site) -> None:
    """Whoever has the password must not get ten new code guesses by giving it again."""
    site.login("anna")
    _enrol(site)
    site.logout()
    _password(site)
    assert [_code(site, "abcde-fghij") for _ in range(9)] == [401] * 9
    _password(site)  # right again: a new half-login, but the same count
    assert [_code(site, "abcde-fghij") for _ in range(2)] == [401, 429]


def test_an_expired_or_forged_half_login_goes_back_to_the_password(site: Site) -> None:
    site.login("anna")
    totp, _ = _enrol(site)
    site.logout()
    assert site.client.get("/login/code", follow_redirects=False).headers["location"] == "/login"  # none at all
    _password(site)
    site.node.db.execute("UPDATE pending_logins SET expires_at = '2000-01-01T00:00:00.000Z'")
    response = site.post("/login/code", {"code": _later_code(totp)}, csrf=site.csrf("/login"))
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not _signed_in(site)


def test_turning_it_off_needs_a_code_or_the_password(site: Site) -> None:
    site.login("anna")
    totp, _ = _enrol(site)
    form = "/settings/second-factor"
    wrong = {"code": "", "password": "wrong password"}
    assert site.post(form + "/disable", wrong, csrf=site.csrf(form)).status_code == 422
    assert site.post(form + "/disable", {"code": "", "password": PASSWORD}, csrf=site.csrf(form)).status_code == 303
    site.logout()
    site.login("anna")  # one step again
    assert _signed_in(site)
    totp, _ = _enrol(site)
    assert site.post(form + "/disable", {"code": _later_code(totp)}, csrf=site.csrf(form)).status_code == 303
    assert site.node.db.one("SELECT totp_secret FROM accounts WHERE username = 'anna'")["totp_secret"] is None


@pytest.mark.parametrize("policy, covered, free", [("staff", "mod", "anna"), ("everyone", "anna", None)])
def test_the_admins_requirement_sends_members_to_enrol(site: Site, policy: str, covered: str, free: str | None) -> None:
    site.member("boss", "admin")
    site.member("mod", "moderator")
    site.login("boss")
    _enrol(site)  # the admin has one already, so the policy does not lock them out
    assert site.post("/admin/second-factor", {"policy": policy}, csrf=site.csrf("/admin")).status_code == 303
    assert "totp_policy" in site.client.get("/admin/audit").text
    site.logout()
    assert _password(site, covered) == "/login/enrol"
    assert not _signed_in(site)  # cannot use the site until enrolled
    _enrol(site, "/login/enrol")
    assert _signed_in(site)
    site.logout()
    assert _password(site, covered) == "/login/code"
    if free is not None:
        site.client.cookies.clear()
        assert _password(site, free) == "/"


def test_a_policy_ends_the_sessions_of_those_without_a_second_factor(site: Site) -> None:
    from storage import tokens

    site.member("boss", "admin")
    db = site.node.db
    app_id = tokens.create_app(db, name="Elk", website=None, client_id="c", secret_hash="s", redirect_uris="",
                               scopes="read", now=site.node.now())
    tokens.create_token(db, token_hash="h-anna", app_id=app_id, scopes="read", now=site.node.now(),
                        account_id=db.scalar("SELECT id FROM accounts WHERE username = 'anna'"))
    site.login("anna")
    anna_cookies = dict(site.client.cookies)
    site.client.cookies.clear()
    site.login("boss")
    _enrol(site)
    site.post("/admin/second-factor", {"policy": "everyone"}, csrf=site.csrf("/admin"))
    assert _signed_in(site)  # the admin has a second factor
    site.client.cookies.clear()
    site.client.cookies.update(anna_cookies)
    assert not _signed_in(site)
    assert site.node.db.scalar("SELECT count(*) FROM oauth_tokens WHERE revoked_at IS NULL AND account_id ="
                               " (SELECT id FROM accounts WHERE username = 'anna')") == 0


def test_an_unknown_policy_is_a_clear_400(site: Site) -> None:
    site.member("boss", "admin")
    site.login("boss")
    response = site.post("/admin/second-factor", {"policy": "sometimes"}, csrf=site.csrf("/admin"))
    assert response.status_code == 422 and "Kies een van de opties" in response.text


def _app(site: Site) -> dict[str, str]:
    answer = site.client.post("/api/v1/apps", data={"client_name": "Test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                    "scopes": "read write"})
    assert answer.status_code == 200, answer.text
    app: dict[str, str] = answer.json()
    return app


def test_the_password_grant_is_refused_for_an_account_with_a_second_factor(site: Site) -> None:
    app = _app(site)
    grant = {"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
             "username": "anna", "password": PASSWORD, "scope": "read"}
    assert site.client.post("/oauth/token", data=grant).status_code == 200
    site.login("anna")
    _enrol(site)
    refused = site.client.post("/oauth/token", data=grant)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant" and "authorization code" in refused.json()["error_description"]


def test_the_oauth_consent_page_asks_for_the_code_too(site: Site) -> None:
    site.login("anna")
    totp, _ = _enrol(site)
    site.logout()
    app = _app(site)
    query = {"client_id": app["client_id"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "response_type": "code",
             "scope": "read"}
    page = "/oauth/authorize?" + "&".join(f"{k}={v}" for k, v in query.items())
    step = site.post("/oauth/authorize", query | {"username": "anna", "password": PASSWORD, "decision": "approve"},
                     csrf=site.csrf(page))
    assert step.status_code == 303 and step.headers["location"] == "/login/code"
    back = site.post("/login/code", {"code": _later_code(totp)}, csrf=site.csrf("/login/code"))
    assert back.status_code == 303 and back.headers["location"].startswith("/oauth/authorize?client_id=")
    consent = site.client.get(back.headers["location"])
    assert 'name="password"' not in consent.text  # signed in now: only approve or deny
    done = site.post("/oauth/authorize", query | {"decision": "approve"}, csrf=site.csrf(back.headers["location"]))
    assert done.status_code == 200 and "code" in done.text


def test_the_last_log_in_is_shown_on_admin(site: Site) -> None:
    site.member("boss", "admin")
    site.login("boss")
    page = site.client.get("/admin?lang=en").text
    assert "Last log-in" in page and "Never" in page  # anna never logged in
    stamp = site.node.db.one("SELECT last_login_at FROM accounts WHERE username = 'boss'")["last_login_at"]
    assert stamp and stamp[:16].replace("T", " ") in page
    app = _app(site)
    site.client.post("/oauth/token", data={"grant_type": "password", "client_id": app["client_id"],
                                           "client_secret": app["client_secret"], "username": "anna",
                                           "password": PASSWORD, "scope": "read"})
    assert site.node.db.one("SELECT last_login_at FROM accounts WHERE username = 'anna'")["last_login_at"]


def test_a_required_second_factor_stays_on_and_new_members_enrol_first(tmp_path: Path) -> None:
    from node.services import accounts as account_service
    from node.services import second_factor as service

    site = make_site(tmp_path, registration={"mode": "invite"})
    site.member("anna")
    service.set_policy(site.node, "everyone")
    # a new member enrols before anything else: no session from the sign-up alone
    invite = account_service.create_invite(site.node, None)
    response = site.post("/register", {"username": "nieuw", "password": PASSWORD, "email": "nieuw@utrecht.nl",
                                       "display_name": "Nieuw", "invite": invite},
                         csrf=site.csrf(f"/register?invite={invite}"))
    assert response.status_code == 303 and response.headers["location"] == "/login/enrol"
    assert not _signed_in(site)
    site.client.cookies.clear()
    # under the requirement, turning it off is refused, even with the right password
    site.post("/login", {"username": "anna", "password": PASSWORD})
    totp, _ = _enrol(site, "/login/enrol")
    form = "/settings/second-factor"
    refused = site.post(form + "/disable", {"code": "", "password": PASSWORD}, csrf=site.csrf(form))
    assert refused.status_code == 422 and "niet uitzetten" in refused.text
    assert site.node.db.one("SELECT totp_secret FROM accounts WHERE username = 'anna'")["totp_secret"]


def _token_for(site: Site, name: str) -> None:
    from storage import tokens

    db = site.node.db
    app_id = tokens.create_app(db, name="Elk", website=None, client_id=f"c-{name}", secret_hash="s",
                               redirect_uris="", scopes="read", now=site.node.now())
    tokens.create_token(db, token_hash=f"h-{name}", app_id=app_id, scopes="read", now=site.node.now(),
                        account_id=db.scalar("SELECT id FROM accounts WHERE username = ?", (name,)))


def _live_tokens(site: Site, name: str) -> int:
    return int(site.node.db.scalar("SELECT count(*) FROM oauth_tokens WHERE revoked_at IS NULL AND account_id ="
                                   " (SELECT id FROM accounts WHERE username = ?)", (name,)))


def test_a_promotion_the_staff_policy_covers_ends_what_the_password_alone_got(site: Site) -> None:
    site.member("boss", "admin")
    site.member("piet")
    for name in ("anna", "piet"):
        _token_for(site, name)
    site.login("anna")
    anna_cookies = dict(site.client.cookies)
    app = _app(site)  # and a code from the consent page, not exchanged yet
    from node.api import tokens as api_tokens
    from storage import tokens as token_store
    code = api_tokens.issue_code(site.node, token_store.app_by_client_id(site.node.db, app["client_id"]),
                                 site.node.db.one("SELECT * FROM accounts WHERE username = 'anna'"),
                                 "urn:ietf:wg:oauth:2.0:oob", ["read"], None, None)
    site.client.cookies.clear()
    site.login("boss")
    _enrol(site)
    assert site.post("/admin/second-factor", {"policy": "staff"}, csrf=site.csrf("/admin")).status_code == 303
    assert _live_tokens(site, "anna") == 1  # a member: not covered yet
    promoted = site.post("/admin/members/anna", {"action": "role", "role": "moderator"}, csrf=site.csrf("/admin"))
    assert promoted.status_code == 303
    assert site.post("/admin/members/piet", {"action": "role", "role": "member"},
                     csrf=site.csrf("/admin")).status_code == 303
    assert _live_tokens(site, "anna") == 0 and _live_tokens(site, "piet") == 1  # piet stays a member
    exchanged = site.client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
    assert exchanged.status_code == 400 and exchanged.json()["error"] == "invalid_grant"
    assert _signed_in(site)  # the admin who promoted
    site.client.cookies.clear()
    site.client.cookies.update(anna_cookies)
    assert not _signed_in(site)
    site.client.cookies.clear()
    assert _password(site, "anna") == "/login/enrol"  # the new moderator enrols before anything else


def test_a_secret_being_enrolled_is_shown_to_its_own_log_in_only(site: Site) -> None:
    site.member("boss", "admin")
    site.login("boss")
    _enrol(site)
    site.post("/admin/second-factor", {"policy": "everyone"}, csrf=site.csrf("/admin"))
    site.client.cookies.clear()
    assert _password(site) == "/login/enrol"
    first = SECRET.search(site.client.get("/login/enrol").text)
    assert first and SECRET.search(site.client.get("/login/enrol").text).group(1) == first.group(1)  # a reload
    mine = dict(site.client.cookies)
    site.client.cookies.clear()  # someone else who knows the password, in another browser
    assert _password(site) == "/login/enrol"
    other = SECRET.search(site.client.get("/login/enrol").text)
    assert other and other.group(1) != first.group(1)
    wrong = site.post("/login/enrol", {"code": pyotp.TOTP(first.group(1)).now()}, csrf=site.csrf("/login/enrol"))
    assert wrong.status_code == 422 and not _signed_in(site)  # the other log-in's secret is no good here
    site.client.cookies.clear()
    site.client.cookies.update(mine)
    done = site.post("/login/enrol", {"code": pyotp.TOTP(first.group(1)).now()}, csrf=site.csrf("/login/enrol"))
    assert done.status_code == 200 and len(CODES.findall(done.text)) == 10
    assert _signed_in(site)
