"""The organisation's details on /admin: admins only, CSRF, checked, audited, shown on every page."""

from __future__ import annotations

import html

import pytest

from node.services import node_settings
from storage import settings
from tests.helpers import Site

DETAILS = {
    "org_name": "Gemeente Meentdorp", "org_description": "Praat mee over de plannen van de gemeente.",
    "org_email": "info@meentdorp.nl", "org_phone": "+31 30 123 45 67", "org_website": "https://www.meentdorp.nl",
    "link_label_0": "Wet open overheid", "link_url_0": "https://www.meentdorp.nl/woo",
    "link_label_1": "Mail de redactie", "link_url_1": "mailto:redactie@meentdorp.nl",
}


@pytest.fixture
def admin(site: Site) -> Site:
    site.member("beheer", role="admin")
    site.member("anne")
    site.login("beheer")
    return site


def audit_rows(site: Site, action: str) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in site.node.db.all(
        "SELECT actor_name, target, detail FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def test_details_are_saved_audited_and_shown_in_the_footer(admin: Site) -> None:
    response = admin.post("/admin/organisation", DETAILS, admin.csrf("/admin"))
    assert response.status_code == 303 and response.headers["location"] == "/admin#h-organisation"
    home = admin.client.get("/").text
    footer = home[home.index("<footer"):]
    assert "Gemeente Meentdorp" in footer and "Praat mee over de plannen" in footer
    for part in ('href="mailto:info@meentdorp.nl"', 'href="tel:+31301234567"', 'href="https://www.meentdorp.nl"',
                 'href="https://www.meentdorp.nl/woo">Wet open overheid</a>',
                 'href="mailto:redactie@meentdorp.nl">Mail de redactie</a>',
                 'href="/privacy"', 'href="/toegankelijkheid"', 'href="/about"', 'href="/moderation-log"'):
        assert part in footer, part
    assert "<title>Start · Gemeente Meentdorp</title>" in home  # the name replaces the config's everywhere
    assert "Praat mee over de plannen" in admin.client.get("/about").text
    [(actor, target, detail)] = audit_rows(admin, "node_settings")
    assert (actor, target) == ("beheer", "organisation")
    assert detail == "name, description, email, phone, website, links"
    instance = admin.client.get("/api/v2/instance").json()
    assert instance["title"] == "Gemeente Meentdorp"
    assert instance["description"] == DETAILS["org_description"]
    assert instance["contact"]["email"] == "info@meentdorp.nl"


def test_an_empty_name_falls_back_to_the_configured_one(admin: Site) -> None:
    admin.post("/admin/organisation", DETAILS, admin.csrf("/admin"))
    admin.post("/admin/organisation", DETAILS | {"org_name": "  "}, admin.csrf("/admin"))
    assert node_settings.current(admin.node).name == "Gemeente Test"
    assert "<title>Start · Gemeente Test</title>" in admin.client.get("/").text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("link_url_0", "javascript:alert(1)", "moet beginnen met een van: https, http, mailto"),
    ("link_url_0", "ftp://meentdorp.nl/", "moet beginnen met een van"),
    ("link_url_0", "https://", "geen volledig adres"),
    ("link_url_0", "http://[::1", "geen volledig adres"),
    ("link_url_1", "mailto:niemand", "geen volledig adres"),
    ("org_website", "mailto:info@meentdorp.nl", "moet beginnen met een van: https, http"),
    ("org_email", "info-at-meentdorp", "geldig e-mailadres"),
    ("org_phone", "bel ons", "telefoonnummer"),
    ("link_label_0", "", "Geef deze link een tekst"),
    ("org_name", "x" * 101, "100"),
])
def test_bad_input_is_refused_with_a_message_and_kept(admin: Site, field: str, value: str, message: str) -> None:
    admin.post("/admin/organisation", DETAILS, admin.csrf("/admin"))
    typed = DETAILS | {field: value, "org_description": "Een nieuwe beschrijving die niet verloren mag gaan."}
    response = admin.post("/admin/organisation", typed, admin.csrf("/admin"))
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert message in page
    assert f'id="error-{field}"' in response.text and f'href="#field-{field}"' in response.text
    assert "Een nieuwe beschrijving die niet verloren mag gaan." in page  # what was typed stays in the form
    if value:
        assert f'value="{html.escape(value)}"' in response.text or value in page
    # nothing of the refused form was stored
    assert node_settings.current(admin.node).description == DETAILS["org_description"]
    assert len(audit_rows(admin, "node_settings")) == 1


def test_too_many_links_are_refused(admin: Site) -> None:
    links = {f"link_label_{index}": f"Link {index}" for index in range(node_settings.LINKS_MAX + 1)}
    links |= {f"link_url_{index}": f"https://meentdorp.nl/{index}" for index in range(node_settings.LINKS_MAX + 1)}
    face = node_settings.current(admin.node)
    pairs = [(links[f"link_label_{index}"], links[f"link_url_{index}"]) for index in range(node_settings.LINKS_MAX + 1)]
    with pytest.raises(node_settings.Invalid):
        node_settings.save_details(admin.node, None, {}, pairs)
    assert node_settings.current(admin.node) == face
    # the form itself has only LINKS_MAX rows: a seventh posted pair is not read
    admin.post("/admin/organisation", DETAILS | links, admin.csrf("/admin"))
    assert len(node_settings.current(admin.node).links) == node_settings.LINKS_MAX


def test_only_admins_change_the_details_and_only_with_csrf(admin: Site) -> None:
    csrf = admin.csrf("/admin")
    assert admin.client.post("/admin/organisation", data=DETAILS | {"csrf": "wrong"}).status_code == 403
    assert admin.client.post("/admin/statements/privacy", data={"csrf": "wrong", "privacy": "x"}).status_code == 403
    admin.logout()
    admin.login("anne")
    csrf = admin.csrf("/settings")
    assert admin.post("/admin/organisation", DETAILS, csrf).status_code == 403
    assert admin.post("/admin/statements/privacy", {"privacy": "Van Anne"}, csrf).status_code == 403
    assert admin.client.get("/admin").status_code == 403
    admin.logout()
    visitor = admin.post("/admin/organisation", DETAILS, admin.csrf("/login"))
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login")
    assert settings.with_prefix(admin.node.db, node_settings.PREFIX) == {}
    assert audit_rows(admin, "node_settings") == [] and audit_rows(admin, "statement_change") == []


def test_the_cache_is_emptied_by_a_save_and_by_another_process(admin: Site) -> None:
    first = node_settings.current(admin.node)
    assert node_settings.current(admin.node) is first  # read once, then from memory
    admin.post("/admin/organisation", DETAILS, admin.csrf("/admin"))
    assert node_settings.current(admin.node).name == "Gemeente Meentdorp"
    assert "Gemeente Meentdorp" in admin.client.get("/groups").text
    # another process (the command line) writes the database directly: noticed through data_version
    from storage.db import Database
    other = Database(admin.node.db.path)
    try:
        settings.put(other, "face.name", "Gemeente Elders")
    finally:
        other.close()
    assert node_settings.current(admin.node).name == "Gemeente Elders"
    assert "Gemeente Elders" in admin.client.get("/groups").text
