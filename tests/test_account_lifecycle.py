"""Deleting a member (issue 10 item 4), against a running node and real receivers on loopback: fake
servers that follow the member and the group and check every signature with the key they fetched
(tests/fault_peers.py). The Delete of the actor reaches both, the actor answers 410 afterwards, the
posts are tombstones, and the name stays taken. Disabling and enabling: tests/test_accounts.py."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fault_peers import FaultPeers, Peer
from tests.federation_helpers import Node, eventually, group_node
from tests.helpers import PASSWORD, make_site, meent
from tests.remote_actors import follow

GROUP = "open-overheid"
KEY_ID = re.compile(r'keyId="([^"]+)"')
AS_JSON = {"Accept": "application/activity+json"}


def _db(node: Node, sql: str, *params: object) -> Any:
    conn = sqlite3.connect(f"file:{node.config.parent / 'meent.db'}?mode=ro", uri=True)
    try:
        row = conn.execute(sql, params).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def _accepted(peer: Peer, kind: str, what: str, **fields: Any) -> tuple[dict[str, Any], str]:
    """The first activity of that type and fields whose signature the peer checked, and its keyId."""
    def match() -> list[tuple[dict[str, Any], str]]:
        found = []
        for seen in peer.inbox_posts():
            activity, key = seen.activity, KEY_ID.search(seen.headers.get("signature", ""))
            wanted = activity is not None and activity.get("type") == kind
            if wanted and key and all(activity.get(k) == v for k, v in fields.items()):
                found.append((activity, key.group(1)))
        return found
    return peer.wait_for(lambda _: match(), timeout=30, what=what)[0]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with group_node(tmp_path / "a", "Gemeente A", "retry_first_seconds = 1\n", GROUP) as made:
        yield made


@pytest.fixture
def peers() -> Iterator[tuple[Peer, Peer]]:
    with FaultPeers(lifetime=300, max_stall=30) as made:
        yield made.add("healthy"), made.add("healthy")


def test_deleting_a_member_federates_a_delete_of_the_actor_and_leaves_a_410(node: Node,
                                                                            peers: tuple[Peer, Peer]) -> None:
    anne_uri = f"{node.url}/users/anne"
    fan, reader = peers
    eve = fan.add_actor("eve")  # follows anne herself
    assert fan.send(f"{node.url}/users/anne/inbox", eve, follow(eve.uri, anne_uri, "f1")).status == 202
    _accepted(fan, "Accept", "anne's Accept")
    bob = reader.add_actor("bob")  # follows the group only: he gets anne's posts through it
    assert reader.send(f"{node.url}/inbox", bob, follow(bob.uri, f"{node.url}/groups/{GROUP}", "f2")).status == 202
    _accepted(reader, "Accept", "the group's Accept")
    anne = node.browser("anne")
    anne.submit(f"/groups/{GROUP}/new", f"/groups/{GROUP}/topics", {"title": "Over de Woo", "body": "Tekst"})
    topic = int(_db(node, "SELECT id FROM posts WHERE title = 'Over de Woo'"))
    _accepted(fan, "Create", "anne's Create", actor=anne_uri)  # the peers now hold anne's key
    _accepted(reader, "Announce", "the group's Announce", actor=f"{node.url}/groups/{GROUP}")

    admin = node.browser("beheerder")
    assert "anne" in admin.get("/admin/members/anne/delete")
    wrong = admin.client.post("/admin/members/anne/delete", data={"csrf": _csrf(admin), "confirm": "ann"})
    assert wrong.status_code == 400 and _db(node, "SELECT deleted_at FROM accounts WHERE username = 'anne'") is None
    admin.submit("/admin/members/anne/delete", "/admin/members/anne/delete", {"confirm": "anne"})

    for peer in (fan, reader):
        _, key_id = _accepted(peer, "Delete", "the Delete of anne", actor=anne_uri, object=anne_uri)
        assert key_id == f"{anne_uri}#main-key"
    gone = admin.client.get("/users/anne", headers=AS_JSON)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert admin.client.get(f"/posts/{topic}", headers=AS_JSON).status_code == 410
    assert _db(node, "SELECT deleted_at FROM posts WHERE id = ?", topic) is not None
    assert anne.client.get("/settings", follow_redirects=False).status_code == 303  # her session ended
    login = anne.client.post("/login", data={"csrf": _csrf(anne), "username": "anne", "password": PASSWORD})
    assert login.status_code == 401
    assert "account_delete" in admin.get("/admin/audit")

    taken = meent("user", "add", "anne", "--password", PASSWORD, "--config", str(node.config), check=False)
    assert taken.returncode != 0 and "Traceback" not in taken.stderr
    again = meent("user", "delete", "anne", "--yes", "--config", str(node.config), check=False)
    assert again.returncode == 1 and "deleted already" in again.stderr
    eventually(lambda: "deleted" in node.cli_output("user", "list"), what="anne listed as deleted")


def _csrf(browser: Any) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', browser.client.get("/login").text)
    assert match
    return match.group(1)


def test_meent_user_delete_asks_for_yes_and_names_unknown_members(node: Node) -> None:
    node.cli("user", "add", "piet", "--password", PASSWORD)
    unconfirmed = meent("user", "delete", "piet", "--config", str(node.config), check=False)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert _db(node, "SELECT deleted_at FROM accounts WHERE username = 'piet'") is None
    unknown = meent("user", "delete", "niemand", "--yes", "--config", str(node.config), check=False)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "Deleted piet" in node.cli_output("user", "delete", "piet", "--yes")
    browser = node.browser("beheerder")
    assert browser.client.get("/users/piet", headers=AS_JSON).status_code == 410


def test_a_deleted_member_stays_deleted_and_their_name_taken(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    site.member("boss", "admin")
    site.member("piet")
    site.login("boss")
    assert site.client.get("/admin/members/boss/delete").status_code == 403  # not oneself
    assert site.client.get("/admin/members/niemand/delete").status_code == 404
    done = site.post("/admin/members/piet/delete", {"confirm": "piet"}, csrf=site.csrf("/admin"))
    assert done.status_code == 303
    assert "Verwijderd" in site.client.get("/admin").text
    assert site.client.get("/users/piet", headers=AS_JSON).status_code == 410
    enable = site.post("/admin/members/piet", {"action": "enable"}, csrf=site.csrf("/admin"))
    assert enable.status_code == 409
    again = site.post("/admin/members", {"username": "piet", "password": PASSWORD, "role": "member"},
                      csrf=site.csrf("/admin"))
    assert again.status_code == 409
    assert site.post("/admin/members/piet/delete", {"confirm": "piet"}, csrf=site.csrf("/admin")).status_code == 409
    row = site.node.db.one("SELECT email, password_hash, disabled FROM accounts WHERE username = 'piet'")
    assert row is not None and row["password_hash"] == "!" and row["disabled"] == 1
