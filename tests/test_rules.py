"""Rules: a group's, edited by those who moderate it; the node's, edited by admins and served to apps."""

from __future__ import annotations

import pytest

from node.services import groups, rules
from node.services.errors import Forbidden, Invalid
from storage import accounts as account_store
from storage import groups as group_store
from tests.helpers import Site

GROUP = "/groups/open-overheid"


@pytest.fixture
def people(site: Site) -> Site:
    """An admin, a node moderator, a member, and greet: moderator of open-overheid only."""
    site.member("beheer", role="admin")
    site.member("mona", role="moderator")
    site.member("anne")
    site.member("greet")
    site.group()
    site.group("archief", "Archief")
    greet = account_store.by_username(site.node.db, "greet")
    assert greet is not None
    group_store.add_moderator(site.node.db, groups.get(site.node, "open-overheid")["id"], greet["id"], None,
                              site.node.now())
    return site


def save_group_rules(site: Site, slug: str, text: str) -> int:
    return site.post(f"/groups/{slug}/rules", {"rules": text}, site.csrf(f"/groups/{slug}")).status_code


def test_a_member_cannot_edit_group_rules(people: Site) -> None:
    people.login("anne")
    assert 'action="/groups/open-overheid/rules"' not in people.client.get(GROUP + "/rules").text
    assert save_group_rules(people, "open-overheid", "Mijn eigen regel") == 403
    assert "Mijn eigen regel" not in people.client.get(GROUP).text
    people.logout()
    assert people.post(GROUP + "/rules", {"rules": "x"}).status_code == 303  # to the log-in page


def test_a_group_moderator_edits_their_own_groups_rules_only(people: Site) -> None:
    people.login("greet")
    assert 'action="/groups/open-overheid/rules"' in people.client.get(GROUP + "/rules").text
    typed = "Blijf bij het onderwerp\n\n  Geen   reclame \nGeen reclame"
    assert save_group_rules(people, "open-overheid", typed) == 303
    page = people.client.get(GROUP).text
    assert page.index("Blijf bij het onderwerp") < page.index("Geen reclame")
    assert page.count("Geen reclame") == 1  # repeats dropped, spaces folded
    assert save_group_rules(people, "archief", "Alles mag") == 403
    assert "Alles mag" not in people.client.get("/groups/archief").text


def test_node_moderators_and_admins_edit_every_local_groups_rules(people: Site) -> None:
    for name in ("mona", "beheer"):
        people.login(name)
        assert save_group_rules(people, "archief", f"Regel van {name}") == 303
        assert f"Regel van {name}" in people.client.get("/groups/archief").text
        people.logout()
    assert "Regel van beheer" in people.client.get("/groups/archief/rules").text  # shown to visitors too


def test_too_many_or_too_long_rules_are_refused_with_a_message(people: Site) -> None:
    people.login("greet")
    response = people.post(GROUP + "/rules", {"rules": "\n".join(f"Regel {n}" for n in range(31))},
                           people.csrf(GROUP))
    assert response.status_code == 422 and "Maximaal 30 regels." in response.text
    response = people.post(GROUP + "/rules", {"rules": "x" * 501}, people.csrf(GROUP))
    assert response.status_code == 422 and "Maximaal 500 tekens." in response.text


def test_admins_edit_the_node_rules_shown_on_the_about_page_and_to_apps(people: Site) -> None:
    for name in ("anne", "mona"):
        people.login(name)
        assert people.post("/admin/rules", {"rules": "Niets"}, people.csrf("/")).status_code == 403
        people.logout()
    people.login("beheer")
    assert people.post("/admin/rules", {"rules": "Wees beleefd\nGeen persoonsgegevens"},
                       people.csrf("/admin")).status_code == 303
    assert "Wees beleefd\nGeen persoonsgegevens</textarea>" in people.client.get("/admin").text
    people.logout()
    about = people.client.get("/about").text
    assert about.index("Wees beleefd") < about.index("Geen persoonsgegevens")
    assert "Niets" not in about

    served = people.client.get("/api/v1/instance/rules").json()
    assert [(rule["text"], rule["hint"]) for rule in served] == [("Wees beleefd", ""), ("Geen persoonsgegevens", "")]
    assert all(isinstance(rule["id"], str) for rule in served)
    assert people.client.get("/api/v1/instance").json()["rules"] == served
    assert people.client.get("/api/v2/instance").json()["rules"] == served

    # a rule that stays keeps its id; the order follows the new text
    people.login("beheer")
    people.post("/admin/rules", {"rules": "Geen persoonsgegevens\nGeen reclame"}, people.csrf("/admin"))
    again = people.client.get("/api/v1/instance/rules").json()
    assert [rule["text"] for rule in again] == ["Geen persoonsgegevens", "Geen reclame"]
    assert again[0]["id"] == served[1]["id"]


def test_node_rules_with_an_error_show_the_admin_page_again(people: Site) -> None:
    people.login("beheer")
    response = people.post("/admin/rules", {"rules": "y" * 501}, people.csrf("/admin"))
    assert response.status_code == 422 and "Maximaal 500 tekens." in response.text
    assert "y" * 501 in response.text  # what was typed stays in the field


def test_every_rule_change_is_audited(people: Site) -> None:
    people.login("greet")
    save_group_rules(people, "open-overheid", "Blijf bij het onderwerp")
    people.logout()
    people.login("beheer")
    people.post("/admin/rules", {"rules": "Wees beleefd"}, people.csrf("/admin"))
    rows = people.node.db.all("SELECT actor_name, action, target, detail, address FROM audit_log"
                              " WHERE action = 'rule_change' ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("greet", "rule_change", "http://127.0.0.1:8000/groups/open-overheid", "Blijf bij het onderwerp",
         "testclient"),
        ("beheer", "rule_change", "node", "Wees beleefd", "testclient"),
    ]


def test_a_remote_groups_rules_are_not_edited_here(people: Site) -> None:
    group_store.upsert_remote(people.node.db, uri="https://elders.example/groups/wonen", handle="wonen@elders.example",
                              domain="elders.example", name="Wonen", description="", now=people.node.now())
    people.login("beheer")
    path = "/groups/wonen@elders.example"
    assert people.client.get(path + "/rules").status_code == 200
    assert 'name="rules"' not in people.client.get(path + "/rules").text
    assert people.post(path + "/rules", {"rules": "Van ons"}, people.csrf("/")).status_code == 403
    assert people.node.db.scalar("SELECT count(*) FROM rules") == 0


def test_the_service_checks_rules_from_any_door(people: Site) -> None:
    with pytest.raises(Invalid):
        rules.set_node_rules(people.node, None, ["x" * 501])
    rules.set_node_rules(people.node, None, ["  Wees\tbeleefd ", "Wees beleefd", "", "Geen\x00 reclame"])
    assert [rule["text"] for rule in rules.of_node(people.node)] == ["Wees beleefd", "Geen reclame"]
    with pytest.raises(Forbidden):
        rules.set_node_rules(people.node, account_store.by_username(people.node.db, "mona"), ["Mag niet"])
