"""The public moderation log (pages and ActivityStreams collection) and the rules of the node and its groups."""

from __future__ import annotations

import re

import pytest

from node.services import audit, groups, posts
from storage import accounts as account_store
from storage.db import Row
from tests.helpers import Site

AS = {"Accept": "application/activity+json"}
BASE = "http://127.0.0.1:8000"
GROUP = "/groups/open-overheid"


def account(site: Site, name: str) -> Row:
    row = account_store.by_username(site.node.db, name)
    assert row is not None
    return row


@pytest.fixture
def moderated(site: Site) -> Site:
    """A group with a moderator's removal (after a report by rita) and an admin's node-wide block."""
    site.member("beheer", role="admin")
    site.member("mona", role="moderator")
    site.member("rita")
    site.group()
    site.group("archief", "Archief")
    group = groups.get(site.node, "open-overheid")
    with site.node.db.transaction():
        report = site.node.db.execute(
            "INSERT INTO reports (reporter_id, target_kind, target_url, category, comment, created_at)"
            " VALUES (?, 'post', ?, 'spam', 'rita meldt dit', ?)",
            (account(site, "rita")["id"], f"{BASE}/posts/7", site.node.now())).lastrowid
        audit.publish(site.node, account(site, "mona"), action="remove", target_url=f"{BASE}/posts/7",
                      target_label="Reclame voor zonnepanelen", reason="Reclame hoort hier niet",
                      group_id=group["id"], report_id=report)
        audit.publish(site.node, account(site, "mona"), action="restore", target_url=f"{BASE}/posts/7",
                      reason="Toch geen reclame", group_id=group["id"],
                      activity_uri=f"{BASE}/activities/3f1c")
        audit.publish(site.node, account(site, "beheer"), action="block", target_url="https://spam.example",
                      target_label="spam.example", reason="Alleen spam")
    return site


def test_node_log_shows_what_when_why_and_the_role_but_never_who(moderated: Site) -> None:
    page = moderated.client.get("/moderation-log", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    for shown in ("Reclame voor zonnepanelen", "Reclame hoort hier niet", "Verwijderd", "Teruggezet",
                  "Geblokkeerd", "spam.example", "Alleen spam", "moderator", "beheerder", "Open Overheid",
                  "hele platform"):
        assert shown in text, shown
    for hidden in ("mona", "Mona", "rita", "Rita", "rita meldt dit"):
        assert hidden not in text, hidden
    # newest first
    assert text.index("Alleen spam") < text.index("Toch geen reclame") < text.index("Reclame hoort hier niet")


def test_group_log_holds_only_that_groups_entries(moderated: Site) -> None:
    text = moderated.client.get(GROUP + "/moderation-log").text
    assert "Reclame hoort hier niet" in text and "Toch geen reclame" in text
    assert "Alleen spam" not in text
    assert "mona" not in text and "rita" not in text
    assert "Er zijn nog geen moderatieacties." in moderated.client.get("/groups/archief/moderation-log").text
    assert moderated.client.get("/groups/bestaat-niet/moderation-log").status_code == 404


def test_the_logs_are_linked_from_the_group_page_and_the_footer(moderated: Site) -> None:
    group_page = moderated.client.get(GROUP).text
    assert f'href="{GROUP}/moderation-log"' in group_page
    home = moderated.client.get("/").text
    assert 'href="/moderation-log"' in home and 'href="/about"' in home


def test_log_pages_go_back_with_an_older_link(site: Site) -> None:
    site.member("mona", role="moderator")
    site.group()
    mona, group = account(site, "mona"), groups.get(site.node, "open-overheid")
    with site.node.db.transaction():
        for n in range(1, 56):
            audit.publish(site.node, mona, action="lock", target_url=f"{BASE}/posts/{n}", reason=f"reden-{n}.",
                          group_id=group["id"])
    first = site.client.get(GROUP + "/moderation-log").text
    assert "reden-55." in first and "reden-6." in first and "reden-5." not in first
    older = re.search(r'rel="next" href="([^"]+\?before=\d+)"', first)
    assert older, "no link to older entries"
    second = site.client.get(older.group(1).replace("&amp;", "&")).text
    assert "reden-5." in second and "reden-1." in second and "reden-6." not in second
    assert 'rel="next"' not in second  # nothing older
    assert f'href="{GROUP}/moderation-log"' in second  # back to the newest

    as_first = site.client.get(GROUP + "/moderation-log?page=1", headers=AS).json()
    assert len(as_first["orderedItems"]) == 50 and as_first["orderedItems"][0]["summary"] == "reden-55."
    assert as_first["next"] == f"{BASE}{GROUP}/moderation-log?page=2"
    as_second = site.client.get(GROUP + "/moderation-log?page=2", headers=AS).json()
    assert [item["summary"] for item in as_second["orderedItems"]] == [f"reden-{n}." for n in range(5, 0, -1)]
    assert "next" not in as_second


def test_log_as_activitystreams_collection_with_pages(moderated: Site) -> None:
    collection = moderated.client.get("/moderation-log", headers=AS)
    assert collection.status_code == 200
    assert collection.headers["content-type"].startswith("application/activity+json")
    body = collection.json()
    assert body["type"] == "OrderedCollection" and body["totalItems"] == 3
    assert body["id"] == f"{BASE}/moderation-log" and body["first"] == f"{BASE}/moderation-log?page=1"
    page = moderated.client.get("/moderation-log?page=1", headers=AS)
    assert "mona" not in page.text and "rita" not in page.text
    block, restore, remove = page.json()["orderedItems"]
    assert page.json()["type"] == "OrderedCollectionPage"
    assert block["type"] == "Block" and block["object"] == "https://spam.example"
    assert block["actor"] == f"{BASE}/organisation" and block["summary"] == "Alleen spam"
    assert restore["type"] == "Undo" and restore["object"] == {"type": "Delete", "object": f"{BASE}/posts/7"}
    assert restore["id"] == f"{BASE}/activities/3f1c"  # the activity that was sent
    assert remove["type"] == "Delete" and remove["object"] == f"{BASE}/posts/7"
    assert remove["summary"] == "Reclame hoort hier niet" and re.match(r"^\d{4}-\d\d-\d\dT", remove["published"])
    assert remove["id"] == f"{BASE}/moderation-log/1" and remove["audience"] == f"{BASE}{GROUP}"
    assert remove["actor"] == f"{BASE}{GROUP}"

    group_log = moderated.client.get(GROUP + "/moderation-log?page=1", headers=AS).json()
    assert group_log["partOf"] == f"{BASE}{GROUP}/moderation-log"
    assert [item["type"] for item in group_log["orderedItems"]] == ["Undo", "Delete"]
    assert moderated.client.get("/groups/bestaat-niet/moderation-log", headers=AS).status_code == 404


def test_a_log_entry_has_a_url_of_its_own(moderated: Site) -> None:
    entry = moderated.client.get("/moderation-log/1", headers=AS)
    assert entry.status_code == 200 and entry.json()["type"] == "Delete"
    assert entry.json()["@context"] == "https://www.w3.org/ns/activitystreams"
    page = moderated.client.get("/moderation-log/1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/moderation-log?before=2#entry-1"
    assert 'id="entry-1"' in moderated.client.get(page.headers["location"]).text
    assert moderated.client.get("/moderation-log/99").status_code == 404
    assert moderated.client.get("/moderation-log/99", headers=AS).status_code == 404


def test_a_moderator_deleting_someone_elses_post_is_logged(site: Site) -> None:
    """A node moderator deletes a member's reply through the page: a removal, with its reason."""
    site.member("anne")
    site.member("mona", role="moderator")
    site.group()
    topic = posts.start_topic(site.node, account(site, "anne"), groups.get(site.node, "open-overheid"),
                              "Woo-verzoeken", "Hoe gaat u daarmee om?")
    reply = posts.reply(site.node, account(site, "anne"), topic["id"], "Bel me op 06-12345678")
    site.login("mona")
    response = site.post(f"/posts/{reply['id']}/delete", {"reason": "Telefoonnummer"}, site.csrf(GROUP))
    assert response.status_code == 303
    site.logout()
    items = site.client.get(GROUP + "/moderation-log?page=1", headers=AS).json()["orderedItems"]
    where = f"{BASE}/posts/{reply['id']}"  # the reply's permalink, which leads to its place in its thread
    assert [(item["type"], item["object"]) for item in items] == [("Delete", where)]
    assert "moderator" in site.client.get(GROUP + "/moderation-log").text
    audited = site.node.db.all("SELECT actor_name, action, target FROM audit_log WHERE action = 'remove'")
    assert [tuple(row) for row in audited] == [("mona", "remove", where)]


def test_an_author_deleting_their_own_post_is_not_moderation(site: Site) -> None:
    site.member("anne")
    site.group()
    topic = posts.start_topic(site.node, account(site, "anne"), groups.get(site.node, "open-overheid"),
                              "Eigen bericht", "Weg ermee")
    posts.delete(site.node, account(site, "anne"), topic["id"])
    assert site.client.get("/moderation-log?page=1", headers=AS).json()["orderedItems"] == []
