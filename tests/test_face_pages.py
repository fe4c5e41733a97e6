"""The organisation's pages: the privacy and accessibility statements, the welcome page after
sign-up, and the neutral default theme with the Utrecht example one config line away."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from node.services import accounts, node_settings
from tests.helpers import PASSWORD, Site, make_site


@pytest.fixture
def admin(site: Site) -> Site:
    site.member("beheer", role="admin")
    site.login("beheer")
    return site


@pytest.mark.parametrize(("kind", "path", "title"), [
    ("privacy", "/privacy", "Privacyverklaring"),
    ("accessibility", "/toegankelijkheid", "Toegankelijkheidsverklaring"),
])
def test_a_statement_is_written_in_markdown_and_shown_sanitised(admin: Site, kind: str, path: str,
                                                                 title: str) -> None:
    empty = admin.client.get(path)
    assert empty.status_code == 200 and f"<h1 class=\"utrecht-heading-1\">{title}</h1>" in empty.text
    assert "heeft deze verklaring nog niet gepubliceerd" in empty.text
    source = ("## Wat we bewaren\n\n- uw **account**\n- uw berichten\n\n<script>alert(1)</script>\n\n"
              "[Contact](javascript:alert(2)) en [AP](https://autoriteitpersoonsgegevens.nl)")
    response = admin.post(f"/admin/statements/{kind}", {kind: source}, admin.csrf("/admin"))
    assert response.status_code == 303 and response.headers["location"] == f"/admin#h-{kind}"
    page = admin.client.get(path).text
    assert "<h2>Wat we bewaren</h2>" in page and "<strong>account</strong>" in page
    assert '<a href="https://autoriteitpersoonsgegevens.nl"' in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page and 'href="javascript:' not in page
    assert "nog niet gepubliceerd" not in page
    [row] = admin.node.db.all("SELECT actor_name, target FROM audit_log WHERE action = 'statement_change'")
    assert tuple(row) == ("beheer", kind)
    # the admin form shows the saved text, not the template
    form = html.unescape(admin.client.get("/admin").text)
    assert "## Wat we bewaren" in form


def test_the_admin_is_offered_a_template_text_to_start_from(admin: Site) -> None:
    admin.post("/admin/organisation", {"org_email": "privacy@meentdorp.nl"}, admin.csrf("/admin"))
    page = html.unescape(admin.client.get("/admin").text)
    # privacy: what the node stores, federation, mail, logs, retention, AVG rights, contact; placeholders
    for part in ("## Welke gegevens we bewaren", "## Federatie met andere servers", "## E-mail", "## Logbestanden",
                 "## Bewaartermijnen", "## Uw rechten onder de AVG", "Vragen over privacy: privacy@meentdorp.nl",
                 "[datum]"):
        assert part in page, part
    # accessibility: the claim, how it was tested, known limits, how to report
    for part in ("WCAG) 2.1 op niveau AA", "met axe", "alleen het toetsenbord", "375 pixels", "## Bekende beperkingen",
                 "## Een probleem melden", "Laat het ons weten via privacy@meentdorp.nl"):
        assert part in page, part
    assert page.count("Nog niet gepubliceerd") == 2
    # saved, the text is theirs; ?template= brings the template back into the form (not saved)
    admin.post("/admin/statements/privacy", {"privacy": "Eigen tekst."}, admin.csrf("/admin"))
    assert "## Welke gegevens we bewaren" not in html.unescape(admin.client.get("/admin").text)
    again = html.unescape(admin.client.get("/admin?template=privacy").text)
    assert "## Welke gegevens we bewaren" in again
    assert node_settings.current(admin.node).privacy == "Eigen tekst."
    # the template renders as it stands (no headings lost to the sanitiser)
    saved = admin.post("/admin/statements/privacy", {"privacy": node_settings.template(
        "privacy", node_settings.current(admin.node))}, admin.csrf("/admin"))
    assert saved.status_code == 303
    assert "<h2>Uw rechten onder de AVG</h2>" in admin.client.get("/privacy").text


def test_a_statement_too_long_is_refused_and_kept(admin: Site) -> None:
    admin.post("/admin/statements/accessibility", {"accessibility": "Eerste versie."}, admin.csrf("/admin"))
    text = "Nieuwe versie. " + "x" * node_settings.STATEMENT_MAX
    node = admin.node
    with pytest.raises(node_settings.Invalid):
        node_settings.save_statement(node, None, "accessibility", text)
    assert node_settings.current(node).accessibility == "Eerste versie."
    assert admin.post("/admin/statements/elsewhere", {"elsewhere": "x"}, admin.csrf("/admin")).status_code == 404


def test_the_english_accessibility_path_leads_to_the_one_page(site: Site) -> None:
    response = site.client.get("/accessibility?lang=en", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/toegankelijkheid?lang=en"
    page = site.client.get("/toegankelijkheid?lang=en").text
    assert "Accessibility statement" in page and 'href="/privacy">Privacy statement</a>' in page


def test_a_new_member_lands_on_the_welcome_page(site: Site) -> None:
    site.member("beheer", role="admin")
    site.group()
    site.group("afval", "Afval en milieu")
    site.login("beheer")
    accounts.set_registration_policy(site.node, "invite", [])
    token = accounts.create_invite(site.node, None)
    site.logout()
    response = site.post("/register", {"username": "nieuw", "email": "nieuw@meentdorp.nl", "password": PASSWORD,
                                       "display_name": "Nieuw Lid", "invite": token},
                         site.csrf(f"/register?invite={token}"))
    assert response.status_code == 303 and response.headers["location"] == "/welcome"
    welcome = site.client.get("/welcome").text
    assert "Welkom bij Gemeente Test" in welcome and "Nieuw Lid" in welcome
    assert 'href="/settings"' in welcome and 'href="/privacy"' in welcome and 'href="/groups"' in welcome
    assert "<code class=\"utrecht-code meent-break\">127.0.0.1:8000</code>" in welcome
    assert "@nieuw@127.0.0.1:8000" in welcome
    assert 'action="/groups/afval/follow"' in welcome
    # following from the welcome page comes back to it, the group now followed
    followed = site.post("/groups/afval/follow", {"next": "/welcome#h-groups"}, site.csrf("/welcome"))
    assert followed.status_code == 303 and followed.headers["location"] == "/welcome#h-groups"
    again = site.client.get("/welcome").text
    assert 'action="/groups/afval/follow"' not in again and 'action="/groups/open-overheid/follow"' in again
    # a follow from elsewhere still lands on the group; a foreign `next` is not followed
    other = site.post("/groups/open-overheid/follow", {"next": "https://evil.example/"}, site.csrf("/welcome"))
    assert other.headers["location"] == "/groups/open-overheid"
    site.logout()
    assert site.client.get("/welcome", follow_redirects=False).headers["location"].startswith("/login")


def test_the_default_theme_is_neutral_and_the_utrecht_example_is_one_setting_away(tmp_path: Path) -> None:
    (tmp_path / "neutral").mkdir()
    (tmp_path / "utrecht").mkdir()
    neutral = make_site(tmp_path / "neutral")
    with neutral.client:
        page = neutral.client.get("/").text
        assert '<html lang="nl" class="utrecht-document utrecht-theme meent-theme">' in page
        assert '<link rel="stylesheet" href="/static/meent-theme.css">' in page
        theme = neutral.client.get("/static/meent-theme.css").text
        assert ".utrecht-theme.meent-theme {" in theme
        assert "--utrecht-page-footer-background-color: var(--meent-surface);" in theme
        assert "--utrecht-page-footer-background-image: none;" in theme
    neutral.node.db.close()
    utrecht = make_site(tmp_path / "utrecht", theme={"class_name": "utrecht-theme"})
    with utrecht.client:
        page = utrecht.client.get("/").text
        assert '<html lang="nl" class="utrecht-document utrecht-theme">' in page
        assert "meent-theme\"" not in page  # the neutral overrides do not apply: Utrecht's red footer shows
    utrecht.node.db.close()
