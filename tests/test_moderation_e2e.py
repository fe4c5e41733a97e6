"""Moderation across three real nodes on loopback, with real signatures, driven through their web pages.

A has the group; B and C follow it. A's moderator removes a reply written on C: B and C both show it
removed (C's author sees why). A bans C's member: C refuses her next reply with a clear message, and A
would refuse it too. A appoints C's member as a moderator of its group: acting from C, she removes a
post and A applies it and passes it on to B; C's admin, who is not on the group's list, is refused by A.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.federation_helpers import CSRF, Browser, Node, eventually, running_nodes
from tests.helpers import PASSWORD

GROUP = "open-overheid"
AS = {"Accept": "application/activity+json"}


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, Node]]:
    with running_nodes(tmp_path, "abc", "retry_first_seconds = 1\n") as made:
        yield made[0], made[1], made[2]


def post_form(browser: Browser, form_page: str, action: str, data: dict[str, str]) -> int:
    """A form sent as the page would send it; the status, whatever it is (submit() insists on success)."""
    csrf = CSRF.search(browser.client.get(form_page).text)
    assert csrf, f"no form on {form_page}"
    return browser.client.post(action, data={"csrf": csrf.group(1)} | data, follow_redirects=False).status_code


def topic_link(page: str) -> str | None:
    found = re.search(r'href="(/groups/[^"]+/topics/\d+)"', page)
    return found.group(1) if found else None


def reply_action(page: str) -> str:
    found = re.search(r'action="(/posts/\d+/reply)"', page)
    assert found, "no reply form"
    return found.group(1)


def query(node: Node, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(node.config.parent / "meent.db", timeout=10) as db:
        return db.execute(sql, params).fetchall()


def post_id_with(node: Node, text: str) -> int:
    rows = query(node, "SELECT id FROM posts WHERE source LIKE ? OR content LIKE ?", f"%{text}%", f"%{text}%")
    assert len(rows) == 1, (text, rows)
    return int(rows[0][0])  # type: ignore[call-overload]


def removed_reason(node: Node, text: str) -> object:
    return query(node, "SELECT removed_reason FROM posts WHERE id = ?", post_id_with(node, text))[0][0]


def test_moderation_reaches_every_copy(nodes: tuple[Node, Node, Node]) -> None:
    a, b, c = nodes
    a.cli("group", "add", GROUP, "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", PASSWORD)
    a.cli("user", "add", "mona", "--password", PASSWORD, "--moderator")
    b.cli("user", "add", "bob", "--password", PASSWORD)
    c.cli("user", "add", "carla", "--password", PASSWORD, "--display-name", "Carla van C")
    remote_group = f"/groups/{GROUP}@{a.domain}"
    anne, mona, bob, carla = a.browser("anne"), a.browser("mona"), b.browser("bob"), c.browser("carla")
    for member in (bob, carla):
        member.submit("/network", "/network/follow", {"handle": f"@{GROUP}@{a.domain}"})
        eventually(lambda m=member: "Open Overheid" in m.get("/network") and "wacht op bevestiging"
                   not in m.get("/network"), what="the Accept")

    # A topic on A, a reply from C; B has both.
    anne.submit(f"/groups/{GROUP}/new", f"/groups/{GROUP}/topics", {"title": "Open data", "body": "Wie publiceert?"})
    topic_on_c = eventually(lambda: topic_link(carla.get(remote_group)), what="the topic on C")
    carla.submit(topic_on_c, reply_action(carla.get(topic_on_c)), {"body": "Koop nu goedkope horloges"})
    eventually(lambda: "goedkope horloges" in anne.get(f"/groups/{GROUP}/topics/1"), what="C's reply on A")
    topic_on_b = eventually(lambda: topic_link(bob.get(remote_group)), what="the topic on B")
    eventually(lambda: "goedkope horloges" in bob.get(topic_on_b), what="C's reply on B")

    # A's moderator removes C's reply: B shows it removed, and C marks its own member's post removed.
    reply_on_a = post_id_with(a, "goedkope horloges")
    mona.submit(f"/posts/{reply_on_a}/moderate", f"/posts/{reply_on_a}/remove", {"reason": "Reclame"})
    eventually(lambda: "goedkope horloges" not in bob.get(topic_on_b), what="the removal on B")
    assert "Verwijderd door een moderator" in bob.get(topic_on_b) and "Reclame" in bob.get(topic_on_b)
    eventually(lambda: removed_reason(c, "goedkope horloges") == "Reclame", what="the removal on C")
    assert "Uw bericht is verwijderd door een moderator" in carla.get(topic_on_c)  # its author still sees it
    assert removed_reason(b, "goedkope horloges") == "Reclame"
    assert query(a, "SELECT action, role, reason FROM moderation_log") == [("remove", "moderator", "Reclame")]

    # A bans C's member from the group: C knows it and refuses her reply with a clear message.
    carla_on_a = query(a, "SELECT id FROM accounts WHERE actor_uri = ?", f"{c.url}/users/carla")[0][0]
    mona.submit(f"/groups/{GROUP}/moderation", f"/groups/{GROUP}/bans",
                {"account": f"{c.url}/users/carla", "reason": "Herhaalde reclame", "until": ""})
    eventually(lambda: query(c, "SELECT reason FROM group_bans") == [("Herhaalde reclame",)], what="the ban on C")
    refused = carla.client.post(reply_action(carla.get(topic_on_c)), follow_redirects=False, data={
        "csrf": CSRF.search(carla.get(topic_on_c)).group(1), "body": "Nog één keer"})  # type: ignore[union-attr]
    assert refused.status_code == 403 and "U bent uitgesloten van de groep" in refused.text
    assert "Herhaalde reclame" in refused.text
    mona.submit(f"/groups/{GROUP}/moderation", f"/groups/{GROUP}/bans/lift", {"account_id": str(carla_on_a)})
    eventually(lambda: query(c, "SELECT count(*) FROM group_bans") == [(0,)], what="the lifted ban on C")

    # A's admin makes C's member a moderator of the group; C learns it from the group's Add.
    admin = a.browser("beheerder")
    admin.submit(f"/groups/{GROUP}/moderation", f"/groups/{GROUP}/moderators",
                 {"account": f"{c.url}/users/carla"})
    listed = httpx.get(f"{a.url}/groups/{GROUP}/moderators?page=1", headers=AS, timeout=10).json()["orderedItems"]
    assert f"{c.url}/users/carla" in listed
    eventually(lambda: query(c, "SELECT count(*) FROM group_moderators") == [(1,)], what="the Add on C")

    # Acting from C, she removes a post in A's group: A honours her, and its group passes it on to B.
    bob.submit(topic_on_b, reply_action(bob.get(topic_on_b)), {"body": "Iets wat weg moet"})
    eventually(lambda: "Iets wat weg moet" in carla.get(topic_on_c), what="B's reply on C")
    on_c = post_id_with(c, "Iets wat weg moet")
    carla.submit(f"/posts/{on_c}/moderate", f"/posts/{on_c}/remove", {"reason": "Buiten het onderwerp"})
    eventually(lambda: removed_reason(a, "Iets wat weg moet") == "Buiten het onderwerp", what="the removal on A")
    eventually(lambda: removed_reason(b, "Iets wat weg moet") == "Buiten het onderwerp", what="the removal on B")
    assert ("remove", "remote moderator", "Buiten het onderwerp") in query(
        a, "SELECT action, role, reason FROM moderation_log")

    # C's admin may act on C's copy, but A's group does not list her: A refuses, and nothing changes there.
    anne.submit(f"/groups/{GROUP}/topics/1", reply_action(anne.get(f"/groups/{GROUP}/topics/1")),
                {"body": "Dit blijft staan"})
    eventually(lambda: "Dit blijft staan" in carla.get(topic_on_c), what="A's reply on C")
    stays = post_id_with(c, "Dit blijft staan")
    c.browser("beheerder").submit(f"/posts/{stays}/moderate", f"/posts/{stays}/remove", {"reason": "Zomaar"})
    eventually(lambda: query(a, "SELECT count(*) FROM inbox WHERE state = 'refused' AND error LIKE ?",
                             "%not a moderator%") == [(1,)], what="A refusing C's admin")
    assert removed_reason(a, "Dit blijft staan") is None
    assert "Dit blijft staan" in bob.get(topic_on_b)
