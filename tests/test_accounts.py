import time

from node.services import accounts
from storage import accounts as account_store
from tests.helpers import PASSWORD, Site


def test_login_and_logout(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    assert "Uitloggen" in site.client.get("/").text
    site.logout()
    assert "Inloggen" in site.client.get("/").text
    assert site.client.get("/settings", follow_redirects=False).headers["location"] == "/login?next=/settings"


def test_wrong_password_is_refused_with_a_message(site: Site) -> None:
    site.member("anne")
    response = site.post("/login", {"username": "anne", "password": "wrong password"})
    assert response.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet." in response.text
    response = site.post("/login", {"username": "nobody", "password": "wrong password"})
    assert response.status_code == 401


def test_passwords_are_argon2_hashes(site: Site) -> None:
    site.member("anne")
    stored = account_store.by_username(site.node.db, "anne")
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]


def test_session_cookie_is_signed_and_tampering_logs_out(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    cookie = site.client.cookies.get("meent_session")
    assert cookie and "account_id" not in cookie  # signed and encoded, not plain
    site.client.cookies.clear()
    site.client.cookies.set("meent_session", cookie, domain="127.0.0.1")
    assert "Uitloggen" in site.client.get("/").text
    site.client.cookies.clear()
    site.client.cookies.set("meent_session", cookie[:-4] + "AAAA", domain="127.0.0.1")
    assert "Uitloggen" not in site.client.get("/").text


def test_login_redirects_only_to_same_site(site: Site) -> None:
    site.member("anne")
    response = site.post("/login", {"username": "anne", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["location"] == "/"
    site.logout()
    response = site.post("/login", {"username": "anne", "password": PASSWORD, "next": "/groups"})
    assert response.headers["location"] == "/groups"


def test_disabled_member_cannot_log_in_and_is_logged_out(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    accounts.set_disabled(site.node, "anne", True)
    assert "Uitloggen" not in site.client.get("/").text
    response = site.post("/login", {"username": "anne", "password": PASSWORD})
    assert response.status_code == 401


def test_sign_up_closed_by_default(site: Site) -> None:
    assert "Aanmelden is gesloten" in site.client.get("/register").text
    response = site.post("/register", {"username": "bob", "password": PASSWORD, "email": "bob@utrecht.nl"})
    assert response.status_code == 403
    assert account_store.by_username(site.node.db, "bob") is None


def test_sign_up_by_email_domain(site: Site) -> None:
    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    response = site.post("/register", {"username": "bob", "password": PASSWORD, "email": "bob@gmail.com"})
    assert response.status_code == 422
    assert "utrecht.nl" in response.text
    assert account_store.by_username(site.node.db, "bob") is None
    response = site.post("/register", {"username": "bob", "password": PASSWORD, "email": "Bob@Utrecht.nl",
                                       "display_name": "Bob B."})
    assert response.status_code == 200 and "bob@utrecht.nl" in response.text  # first the link in the mail
    assert "Uitloggen" not in site.client.get("/").text
    assert account_store.by_username(site.node.db, "bob")["role"] == "member"


def test_sign_up_with_invite_works_once(site: Site) -> None:
    accounts.set_registration_policy(site.node, "invite", [])
    assert "uitnodigingslink" in site.client.get("/register").text
    token = accounts.create_invite(site.node, None)
    page = site.client.get(f"/register?invite={token}").text
    assert 'name="invite"' in page
    response = site.post("/register", {"username": "bob", "password": PASSWORD, "email": "bob@x.nl", "invite": token})
    assert response.status_code == 303
    site.logout()
    response = site.post("/register", {"username": "eve", "password": PASSWORD, "email": "eve@x.nl", "invite": token})
    assert response.status_code == 403
    assert "ongeldig, verlopen of al gebruikt" in response.text
    assert account_store.by_username(site.node.db, "eve") is None


def test_sign_up_validates_fields(site: Site) -> None:
    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    cases = [
        ({"username": "B!", "password": PASSWORD, "email": "b@utrecht.nl"}, "kleine letters"),
        ({"username": "bob", "password": "short", "email": "b@utrecht.nl"}, "8 tot 256"),
        ({"username": "bob", "password": PASSWORD, "email": "nope"}, "geldig e-mailadres"),
    ]
    for form, message in cases:
        response = site.post("/register", form)
        assert response.status_code == 422 and message in response.text
    site.member("anne")
    response = site.post("/register", {"username": "ANNE", "password": PASSWORD, "email": "a@utrecht.nl"})
    assert response.status_code == 409 and "al in gebruik" in response.text


def test_admin_changes_registration_policy_and_makes_invites(site: Site) -> None:
    site.member("beheer", role="admin")
    site.login("beheer")
    csrf = site.csrf("/admin")
    response = site.post("/admin/registration", {"mode": "domains", "domains": "utrecht.nl @amsterdam.nl"}, csrf)
    assert response.status_code == 303
    assert accounts.registration_mode(site.node) == "domains"
    assert accounts.allowed_domains(site.node) == ["amsterdam.nl", "utrecht.nl"]
    response = site.post("/admin/registration", {"mode": "domains", "domains": ""}, csrf)
    assert response.status_code == 422
    site.post("/admin/invites", {}, csrf)
    page = site.client.get("/admin").text
    assert "/register?invite=" in page
    assert "/register?invite=" not in site.client.get("/admin").text  # shown once


def test_admin_manages_roles_and_members(site: Site) -> None:
    site.member("beheer", role="admin")
    site.member("anne")
    site.login("beheer")
    csrf = site.csrf("/admin")
    site.post("/admin/members/anne", {"action": "role", "role": "moderator"}, csrf)
    assert account_store.by_username(site.node.db, "anne")["role"] == "moderator"
    site.post("/admin/members/anne", {"action": "disable"}, csrf)
    assert account_store.by_username(site.node.db, "anne")["disabled"] == 1
    response = site.post("/admin/members/beheer", {"action": "disable"}, csrf)
    assert response.status_code == 403  # no locking yourself out
    response = site.post("/admin/members", {"username": "carla", "password": PASSWORD, "role": "member"}, csrf)
    assert response.status_code == 303
    assert account_store.by_username(site.node.db, "carla") is not None


def test_only_admins_reach_admin(site: Site) -> None:
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    assert site.client.get("/admin").status_code == 403
    csrf = site.csrf()
    assert site.post("/admin/registration", {"mode": "domains", "domains": "x.nl"}, csrf).status_code == 403
    assert accounts.registration_mode(site.node) == "closed"
    site.logout()
    site.login("mod")
    assert site.client.get("/admin").status_code == 403


def test_profile_settings_and_password(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    csrf = site.csrf("/settings")
    response = site.post("/settings", {"display_name": "Anne de Vries", "job_title": "Beleidsadviseur",
                                       "department": "Bestuur", "about": "Over mij <b>vet</b>", "language": "en"},
                         csrf)
    assert response.status_code == 303
    page = site.client.get("/users/anne").text
    assert "Anne de Vries" in page and "Beleidsadviseur" in page and "Bestuur" in page
    assert "Over mij &lt;b&gt;vet&lt;/b&gt;" in page
    assert '<html lang="en"' in page  # the profile's language choice
    response = site.post("/settings/password", {"current_password": "wrong", "new_password": "new password 1"}, csrf)
    assert response.status_code == 422
    response = site.post("/settings/password", {"current_password": PASSWORD, "new_password": "new password 1"},
                         csrf)
    assert response.status_code == 303
    site.logout()
    site.login("anne", "new password 1")


def test_password_guessing_is_slowed_down(site: Site) -> None:
    from node.services.throttle import WINDOW_SECONDS

    site.member("anne")
    for _ in range(10):
        assert site.post("/login", {"username": "anne", "password": "wrong password"}).status_code == 401
    response = site.post("/login", {"username": "anne", "password": PASSWORD})
    assert response.status_code == 429 and "Te veel mislukte pogingen" in response.text
    assert "Uitloggen" not in site.client.get("/").text
    later = time.time() + WINDOW_SECONDS + 1  # a quarter of an hour later
    site.node.logins.clock = lambda: later
    site.login("anne")


def test_throttle_counts_per_address_and_forgets_after_the_window(site: Site) -> None:
    from node.services.throttle import PER_NAME_AND_ADDRESS, WINDOW_SECONDS, LoginThrottle

    db = site.node.db
    now = [1_000_000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(PER_NAME_AND_ADDRESS):
        throttle.failed(db, "10.0.0.1", "anne")
    assert not throttle.allowed(db, "10.0.0.1", "anne")
    assert throttle.allowed(db, "10.0.0.2", "anne") and throttle.allowed(db, "10.0.0.1", "bram")
    now[0] += WINDOW_SECONDS + 1
    assert throttle.allowed(db, "10.0.0.1", "anne")
    throttle.failed(db, "10.0.0.3", "anne")  # a failure prunes the rows older than the window
    assert db.scalar("SELECT count(*) FROM login_failures") == 1


def test_throttle_limits_per_address_across_names(site: Site) -> None:
    from node.services.throttle import PER_ADDRESS, LoginThrottle

    db = site.node.db
    throttle = LoginThrottle(clock=lambda: 1_000_000.0)
    for number in range(PER_ADDRESS):
        throttle.failed(db, "10.0.0.1", f"name{number}")
    assert not throttle.allowed(db, "10.0.0.1", "somebody")
    assert throttle.allowed(db, "10.0.0.2", "somebody")


def test_a_new_password_ends_the_other_sessions(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    site.member("anne")
    other = TestClient(site.client.app, base_url="http://127.0.0.1:8000")
    csrf = other.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    other.post("/login", data={"csrf": csrf, "username": "anne", "password": PASSWORD})
    assert "Uitloggen" in other.get("/").text
    site.login("anne")
    site.post("/settings/password", {"current_password": PASSWORD, "new_password": "a new password"},
              site.csrf("/settings"))
    assert "Uitloggen" in site.client.get("/").text  # this session goes on
    assert "Uitloggen" not in other.get("/").text  # the other one ended
