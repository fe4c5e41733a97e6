"""The SSO parts of the pages that need no provider: buttons, local passwords off, last log-in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.helpers import PASSWORD, Site, make_site

PROVIDERS = {"oidc": [
    {"name": "Gemeente-account", "issuer": "https://login.gemeente.example", "client_id": "meent"},
    {"name": "Rijksportaal", "issuer": "https://rijk.example", "client_id": "meent"},
]}


def _site(tmp_path: Path, **sections: dict[str, object]) -> Site:
    site = make_site(tmp_path, **sections)
    site.member("beheerder", role="admin")
    site.member("jan")
    return site


def test_the_log_in_page_has_a_button_per_provider(tmp_path: Path) -> None:
    site = _site(tmp_path, auth=PROVIDERS)
    page = site.client.get("/login?next=/settings").text
    assert 'href="/auth/oidc/start?provider=Gemeente-account&amp;next=%2Fsettings"' in page
    assert "Inloggen met Rijksportaal" in page
    plain = tmp_path / "plain"
    plain.mkdir()
    assert "Inloggen met uw organisatie" not in _site(plain).client.get("/login").text


def test_an_unknown_provider_is_a_clear_404(tmp_path: Path) -> None:
    site = _site(tmp_path, auth=PROVIDERS)
    response = site.client.get("/auth/oidc/start?provider=Elders")
    assert response.status_code == 404 and "Deze inlogmethode bestaat niet" in response.text


def test_an_admin_turns_local_passwords_off_and_keeps_their_own(tmp_path: Path) -> None:
    site = _site(tmp_path, auth=PROVIDERS)
    site.login("beheerder")
    admin_page = site.client.get("/admin").text
    assert 'id="local-passwords"' in admin_page and " checked" in admin_page.split('id="local-passwords"')[1][:80]
    assert site.post("/admin/local-passwords", {}, csrf=site.csrf("/admin")).status_code == 303
    site.logout()
    refused = site.post("/login", {"username": "jan", "password": PASSWORD})
    assert refused.status_code == 403 and "inloggen met een wachtwoord staat uit" in refused.text
    assert "alleen nog voor beheerders" in site.client.get("/login").text
    site.login("beheerder")  # the emergency log-in
    assert site.post("/admin/local-passwords", {"local_passwords": "on"}, csrf=site.csrf("/admin")).status_code == 303
    site.logout()
    site.login("jan")


def test_local_passwords_stay_on_without_a_provider(tmp_path: Path) -> None:
    site = _site(tmp_path)
    site.login("beheerder")
    assert "Er is geen OpenID Connect-provider ingesteld" in site.client.get("/admin").text
    assert site.post("/admin/local-passwords", {}, csrf=site.csrf("/admin")).status_code == 422
    site.logout()
    site.login("jan")


def test_admins_see_each_members_last_log_in(tmp_path: Path) -> None:
    site = _site(tmp_path)
    site.login("jan")
    site.logout()
    site.login("beheerder")
    page = site.client.get("/admin").text
    assert "Laatst ingelogd" in page
    jan_row = page.split("(@jan)")[1].split("</tr>")[0]
    assert "<time datetime=" in jan_row
    assert site.node.db.scalar("SELECT last_login_at FROM accounts WHERE username = 'jan'")


def test_a_link_the_provider_cannot_be_asked_about_ends_its_sessions_after_a_day(tmp_path: Path) -> None:
    """No refresh token: re-validation cannot ask the provider, so a day after the last SSO log-in the
    member's sessions and app tokens end, and only a new log-in through the provider lets them back in."""
    from functools import partial

    from node.services import oidc_members
    from storage import oidc as links
    from storage import tokens

    site = _site(tmp_path, auth=PROVIDERS)
    db, now = site.node.db, site.node.now()
    site.member("anne")
    jan = db.one("SELECT id FROM accounts WHERE username = 'jan'")["id"]
    anne = db.one("SELECT id FROM accounts WHERE username = 'anne'")["id"]
    app_id = tokens.create_app(db, name="Tusky", website=None, client_id="c", secret_hash="s", redirect_uris="",
                               scopes="read", now=now)
    for account_id, subject, checked in ((jan, "jan-sub", "2020-01-01T00:00:00.000Z"), (anne, "anne-sub", now)):
        links.create_link(db, provider="Gemeente-account", subject=subject, account_id=account_id,
                          refresh_token="", now=now)
        db.execute("UPDATE oidc_links SET checked_at = ? WHERE subject = ?", (checked, subject))
        tokens.create_token(db, token_hash=f"hash-{subject}", app_id=app_id, account_id=account_id, scopes="read",
                            now=now)
    site.login("jan")
    assert db.scalar("SELECT count(*) FROM sessions WHERE account_id = ?", (jan,)) == 1
    revalidate = partial(oidc_members.revalidate, site.node, older_than=timedelta(0))
    with site.client:  # the app's own event loop, as the background pass runs in it
        assert site.client.portal.call(revalidate) == 0  # type: ignore[union-attr]  # nobody disabled
    assert db.scalar("SELECT count(*) FROM sessions WHERE account_id = ?", (jan,)) == 0
    assert db.scalar("SELECT revoked_at IS NOT NULL FROM oauth_tokens WHERE account_id = ?", (jan,)) == 1
    assert db.scalar("SELECT revoked_at IS NULL FROM oauth_tokens WHERE account_id = ?", (anne,)) == 1  # checked today
    assert db.scalar("SELECT disabled FROM accounts WHERE id = ?", (jan,)) == 0


def test_the_email_domain_gate_takes_only_an_address_the_provider_vouches_for(tmp_path: Path) -> None:
    """Verified, or from a tenant on the allow-list; never an address a user typed into a profile of a
    tenant nobody vouches for, nor a user name that looks like an address."""
    import pytest

    from node.services import oidc_members
    from node.services.errors import Forbidden

    entra = {"oidc": [{"name": "Entra", "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
                       "client_id": "meent", "allowed_tenants": ["tenant-utrecht"]}]}
    site = make_site(tmp_path, auth=entra, registration={"allowed_email_domains": ["utrecht.nl"]})
    from node.services import oidc

    entra_provider = oidc.providers(site.node)[0]
    oidc_members._domain_gate(site.node, entra_provider, {"email": "an@utrecht.nl", "email_verified": True})
    oidc_members._domain_gate(site.node, entra_provider, {"email": "an@utrecht.nl", "tid": "tenant-utrecht"})
    for claims in ({"email": "an@utrecht.nl"}, {"email": "an@utrecht.nl", "tid": "tenant-elders"},
                   {"email": "an@utrecht.nl", "tid": ["tenant-utrecht"]},  # not a string: no 500 either
                   {"preferred_username": "an@utrecht.nl", "email_verified": True},
                   {"email": "an@elders.example", "email_verified": True}):
        with pytest.raises(Forbidden):
            oidc_members._domain_gate(site.node, entra_provider, claims)


def test_a_member_who_signs_in_through_the_provider_gets_no_local_password(tmp_path: Path) -> None:
    """A reset link would give them a password that passes by the provider's MFA and outlives the day
    they leave: the public form stays silent (the same answer), the admin is told why."""
    import pytest

    from node.services import accounts
    from node.services.errors import Invalid
    from storage import oidc as links

    mail = {"host": "127.0.0.1", "port": 9, "from": "Meent <noreply@gemeente.example>"}
    site = _site(tmp_path, auth=PROVIDERS, mail=mail)
    db = site.node.db
    db.execute("UPDATE accounts SET email = 'jan@gemeente.example' WHERE username = 'jan'")
    db.execute("UPDATE accounts SET email = 'piet@gemeente.example' WHERE username = 'beheerder'")
    jan = db.one("SELECT * FROM accounts WHERE username = 'jan'")
    links.create_link(db, provider="Gemeente-account", subject="jan-sub", account_id=jan["id"], refresh_token="",
                      now=site.node.now())
    accounts.request_reset(site.node, "jan@gemeente.example")
    assert db.scalar("SELECT count(*) FROM mail_outbox") == 0
    with pytest.raises(Invalid):
        accounts.admin_send_reset(site.node, "jan", by=db.one("SELECT * FROM accounts WHERE username = 'beheerder'"))
    accounts.request_reset(site.node, "piet@gemeente.example")  # a local member still gets theirs
    assert db.scalar("SELECT count(*) FROM mail_outbox") == 1


def test_turning_local_passwords_off_ends_what_they_got_before(tmp_path: Path) -> None:
    """A member logged in with a password before the switch keeps no session and no app token."""
    from node.services import lifecycle, oidc_members
    from storage import oidc as links
    from storage import tokens

    site = _site(tmp_path, auth=PROVIDERS)
    db = site.node.db
    jan = db.one("SELECT id FROM accounts WHERE username = 'jan'")["id"]
    app_id = tokens.create_app(db, name="Tusky", website=None, client_id="c", secret_hash="s", redirect_uris="",
                               scopes="read", now=site.node.now())
    tokens.create_token(db, token_hash="h-jan", app_id=app_id, account_id=jan, scopes="read", now=site.node.now())
    site.login("jan")
    admin = db.one("SELECT * FROM accounts WHERE username = 'beheerder'")
    oidc_members.set_local_passwords(site.node, False, admin)
    assert db.scalar("SELECT count(*) FROM sessions WHERE account_id = ?", (jan,)) == 0
    assert db.scalar("SELECT revoked_at IS NOT NULL FROM oauth_tokens WHERE account_id = ?", (jan,)) == 1
    # deleting a member keeps their provider link, disabled and without its grant (tests/test_oidc.py
    # shows the provider's account is then refused rather than made a new member)
    links.create_link(db, provider="Gemeente-account", subject="jan-sub", account_id=jan, refresh_token="x",
                      now=site.node.now())
    lifecycle.delete_member(site.node, "jan", by=admin)
    [link] = links.links_for(db, jan)
    assert link["disabled_at"] and link["disabled_reason"] == "member deleted" and link["refresh_token"] == ""


def test_an_oid_only_link_is_rekeyed_across_several_tenants_only_with_the_members_own_address(tmp_path: Path) -> None:
    """A link from before tid:oid names no tenant: with several allowed tenants the oid alone could be
    another tenant's person, so the vouched e-mail must be the member's too."""
    import pytest

    from node.services import oidc, oidc_members
    from node.services.errors import Forbidden
    from storage import oidc as links

    site = _site(tmp_path)
    db = site.node.db
    jan = db.one("SELECT * FROM accounts WHERE username = 'jan'")
    with db.transaction():
        db.execute("UPDATE accounts SET email = 'jan@gemeente.example' WHERE id = ?", (jan["id"],))
        links.create_link(db, provider="Entra", subject="oid-jan", account_id=jan["id"], refresh_token="",
                          now=site.node.now())
    link = links.link(db, "Entra", "oid-jan")
    several = oidc.Provider("Entra", "https://login.microsoftonline.com/{tenantid}/v2.0", "c", "s", ("t1", "t2"))
    with pytest.raises(Forbidden):
        oidc_members._check_legacy_link(site.node, several, link, {"email": "iemand@elders.example"})
    with pytest.raises(Forbidden):
        oidc_members._check_legacy_link(site.node, several, link, {})  # no vouched address at all
    oidc_members._check_legacy_link(site.node, several, link, {"email": "Jan@gemeente.example"})
    one = oidc.Provider("Entra", "https://login.microsoftonline.com/t1/v2.0", "c", "s", ())
    oidc_members._check_legacy_link(site.node, one, link, {})  # one tenant: tid is already held to it
