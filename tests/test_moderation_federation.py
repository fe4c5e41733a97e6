"""Moderators' actions leave the node as agreed (issue 9), to real receivers on loopback: a fake server
that follows the group and checks every signature with the key it fetched (tests/fault_peers.py), and
the Fedify peer. What the receivers do with them is the inbound side's; here: what is sent, signed by
whom. And `meent moderation remove` against a running node."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fault_peers import FaultPeers, Peer
from tests.federation_helpers import Node, eventually, group_node
from tests.helpers import PASSWORD, meent
from tests.remote_actors import create, follow, note
from tests.test_fedify import FEDIFY, NODE_BINARY, FedifyPeer

GROUP = "open-overheid"
KEY_ID = re.compile(r'keyId="([^"]+)"')


def _db(node: Node, sql: str, *params: object) -> Any:
    """Read the running node's database (its own file, read-only, as another process)."""
    conn = sqlite3.connect(f"file:{node.config.parent / 'meent.db'}?mode=ro", uri=True)
    try:
        row = conn.execute(sql, params).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def _signed(peer: Peer) -> list[tuple[dict[str, Any], str]]:
    """(activity, the keyId of its signature) of every POST the peer accepted (its signature checked out)."""
    found = []
    for seen in peer.inbox_posts():
        activity = seen.activity
        match = KEY_ID.search(seen.headers.get("signature", ""))
        if activity is not None and match:
            found.append((activity, match.group(1)))
    return found


def _wait(peer: Peer, kind: str, what: str, **fields: Any) -> dict[str, Any]:
    """The first accepted activity of that type with those fields, checking that its actor signed it."""
    def match() -> list[tuple[dict[str, Any], str]]:
        return [(a, key) for a, key in _signed(peer) if a.get("type") == kind
                and all(a.get(name) == value for name, value in fields.items())]
    activity, key_id = peer.wait_for(lambda _: match(), timeout=30, what=what)[0]
    assert key_id == f"{activity['actor']}#main-key"
    return activity


def _announced(peer: Peer, inner: dict[str, Any], group: str) -> dict[str, Any]:
    announce = _wait(peer, "Announce", f"the group's Announce of {inner['type']}", actor=group,
                     object={k: v for k, v in inner.items() if k != "@context"})
    assert announce["cc"] == [f"{group}/followers"]
    return announce


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with group_node(tmp_path / "a", "Gemeente A", "retry_first_seconds = 1\n", GROUP) as made:
        made.cli("user", "add", "mod", "--password", PASSWORD, "--moderator")
        yield made


@pytest.fixture
def peer() -> Iterator[Peer]:
    with FaultPeers(lifetime=300, max_stall=30) as peers:
        yield peers.add("healthy")


def _follow_group(node: Node, peer: Peer, name: str = "eve") -> Any:
    actor = peer.add_actor(name)
    assert peer.send(f"{node.url}/inbox", actor, follow(actor.uri, f"{node.url}/groups/{GROUP}", name)).status == 202
    _wait(peer, "Accept", "the group's Accept")
    return actor


def _topic(node: Node, title: str) -> int:
    anne = node.browser("anne")
    anne.submit(f"/groups/{GROUP}/new", f"/groups/{GROUP}/topics", {"title": title, "body": f"Over {title}"})
    return int(_db(node, "SELECT id FROM posts WHERE title = ?", title))


def test_a_removal_ban_lock_and_new_moderator_reach_the_groups_follower_signed(node: Node, peer: Peer) -> None:
    group = f"{node.url}/groups/{GROUP}"
    eve = _follow_group(node, peer)
    topic = _topic(node, "Over de Woo")
    topic_uri = f"{node.url}/posts/{topic}"
    # eve (on the other server) replies in the group; A's moderator removes her reply
    reply = note(eve.uri, "r1", "<p>Het BSN van mijn buurman is 123456789</p>", audience=group, in_reply_to=topic_uri)
    assert peer.send(f"{node.url}/inbox", eve, create(eve.uri, reply, "r1")).status == 202
    reply_id = eventually(lambda: _db(node, "SELECT id FROM posts WHERE uri = ?", reply["id"]), what="eve's reply")
    mod = node.browser("mod")
    mod.submit(f"/posts/{reply_id}/moderate", f"/posts/{reply_id}/remove", {"reason": "Persoonsgegevens"})
    delete = _wait(peer, "Delete", "the moderator's Delete", actor=f"{node.url}/users/mod", object=reply["id"])
    assert delete["summary"] == "Persoonsgegevens" and delete["audience"] == group
    assert delete["cc"] == [group, f"{group}/followers"] and delete["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    _announced(peer, delete, group)
    assert _db(node, "SELECT activity_uri FROM moderation_log WHERE action = 'remove'") == delete["id"]

    # a whole topic of ours: the author's plain Delete, the moderator's Delete and the Remove of the thread
    mod.submit(f"/posts/{topic}/moderate", f"/posts/{topic}/remove", {"reason": "Spam"})
    plain = _wait(peer, "Delete", "anne's own Delete", actor=f"{node.url}/users/anne", object=topic_uri)
    assert "summary" not in plain
    removal = _wait(peer, "Delete", "the moderator's Delete of the topic", actor=f"{node.url}/users/mod",
                    object=topic_uri)
    _announced(peer, removal, group)
    remove = _wait(peer, "Remove", "the Remove of the thread", actor=f"{node.url}/users/mod", target=group)
    assert remove["object"] == f"{topic_uri}/context" and remove["summary"] == "Spam"
    _announced(peer, remove, group)
    assert node.browser("anne").client.get(f"/posts/{topic}", headers={"Accept": "application/activity+json"}
                                           ).status_code == 410

    # a ban of eve from the group, and lifting it
    page = f"/groups/{GROUP}/moderation"
    mod.submit(page, f"/groups/{GROUP}/bans", {"account": eve.uri, "reason": "Herhaaldelijk", "until": "2999-06-01"})
    block = _wait(peer, "Block", "the Block", actor=f"{node.url}/users/mod", object=eve.uri)
    assert block["target"] == group and block["summary"] == "Herhaaldelijk"
    assert block["expires"].startswith("2999-06-01")
    _announced(peer, block, group)
    eve_id = _db(node, "SELECT id FROM accounts WHERE actor_uri = ?", eve.uri)
    mod.submit(page, f"/groups/{GROUP}/bans/lift", {"account_id": str(eve_id)})
    unban = _wait(peer, "Undo", "the Undo of the Block", actor=f"{node.url}/users/mod",
                  object={k: v for k, v in block.items() if k != "@context"})
    _announced(peer, unban, group)

    # a lock, and lifting it
    locked = _topic(node, "Afgerond onderwerp")
    mod.submit(f"/posts/{locked}/moderate", f"/posts/{locked}/lock", {"reason": "Afgerond"})
    lock = _wait(peer, "Lock", "the Lock", actor=f"{node.url}/users/mod", object=f"{node.url}/posts/{locked}")
    assert lock["summary"] == "Afgerond" and lock["audience"] == group
    _announced(peer, lock, group)
    mod.submit(f"/posts/{locked}/moderate", f"/posts/{locked}/unlock", {})
    undo = _wait(peer, "Undo", "the Undo of the Lock", object={k: v for k, v in lock.items() if k != "@context"})
    _announced(peer, undo, group)

    # the admin makes eve a moderator of the group: the group tells its followers, and lists her
    admin = node.browser("beheerder")
    admin.submit(page, f"/groups/{GROUP}/moderators", {"account": eve.uri})
    add = _wait(peer, "Add", "the Add to the moderators", actor=group, object=eve.uri)
    assert add["target"] == f"{group}/moderators"
    listed = admin.client.get(f"{group}/moderators", headers={"Accept": "application/activity+json"}).json()
    assert eve.uri in listed["orderedItems"] and f"{node.url}/users/mod" in listed["orderedItems"]
    admin.submit(page, f"/groups/{GROUP}/moderators/remove", {"account_id": str(eve_id)})
    assert _wait(peer, "Remove", "the Remove from the moderators", actor=group, object=eve.uri)["target"] == \
        f"{group}/moderators"


def test_meent_moderation_remove_takes_effect_on_the_running_node(node: Node, peer: Peer) -> None:
    group = f"{node.url}/groups/{GROUP}"
    _follow_group(node, peer)
    topic = _topic(node, "Weg via de opdrachtregel")
    url = f"{node.url}/groups/{GROUP}/topics/{topic}"
    config = str(node.config)
    # bad input: a clear message and a non-zero exit, and nothing removed
    missing = meent("moderation", "remove", url, "--config", config, check=False)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    unknown = meent("moderation", "remove", f"{node.url}/posts/999", "--reason", "x", "--config", config, check=False)
    assert unknown.returncode == 1 and "no such post" in unknown.stderr.lower() and "Traceback" not in unknown.stderr
    nobody = meent("moderation", "remove", url, "--reason", "x", "--by", "niemand", "--config", config, check=False)
    assert nobody.returncode == 1 and "niemand" in nobody.stderr
    member = meent("moderation", "remove", url, "--reason", "x", "--by", "anne", "--config", config, check=False)
    assert member.returncode == 1 and "not allowed" in member.stderr
    empty = meent("moderation", "remove", url, "--reason", " ", "--config", config, check=False)
    assert empty.returncode == 1 and "reason" in empty.stderr
    assert _db(node, "SELECT removed_at FROM posts WHERE id = ?", topic) is None
    # a moderator, by name; the running node sends what the command queued at its next poll
    done = meent("moderation", "remove", url, "--reason", "Onrechtmatig", "--by", "mod", "--config", config)
    assert "Removed" in done.stdout
    delete = _wait(peer, "Delete", "the moderator's Delete sent by the running node", actor=f"{node.url}/users/mod",
                   object=f"{node.url}/posts/{topic}")
    assert delete["summary"] == "Onrechtmatig"
    _announced(peer, delete, group)
    _wait(peer, "Delete", "anne's own Delete", actor=f"{node.url}/users/anne", object=f"{node.url}/posts/{topic}")
    assert _db(node, "SELECT role FROM moderation_log WHERE action = 'remove'") == "moderator"
    assert _db(node, "SELECT actor_name FROM audit_log WHERE action = 'remove'") == "mod"
    visitor = node.browser("anne").client
    eventually(lambda: "Weg via de opdrachtregel" not in visitor.get(f"/groups/{GROUP}").text,
               what="the topic gone from the group's page")
    # the command line itself acts as the admin (the organisation signs); a reply by its anchor URL
    second = _topic(node, "Tweede onderwerp")
    meent("moderation", "remove", f"{node.url}/groups/{GROUP}/topics/{second}", "--reason", "Dubbel",
          "--config", config)
    by_cli = _wait(peer, "Delete", "the command line's Delete", actor=f"{node.url}/organisation",
                   object=f"{node.url}/posts/{second}")
    assert by_cli["summary"] == "Dubbel"
    assert _db(node, "SELECT actor_name FROM audit_log WHERE action = 'remove' ORDER BY id DESC") == "(command line)"


# --- the Fedify peer ---------------------------------------------------------------------------------

@pytest.fixture
def meent_and_fedify(tmp_path: Path) -> Iterator[tuple[Node, FedifyPeer]]:
    if not NODE_BINARY.exists() or not FEDIFY.exists():
        pytest.skip("the Fedify peer is not installed (`make fedify-peer`)")
    with group_node(tmp_path / "meent", "Gemeente Meent", "retry_first_seconds = 1\n", GROUP) as made:
        made.cli("user", "add", "mod", "--password", PASSWORD, "--moderator")
        fedify = FedifyPeer(tmp_path / "peer.log")
        try:
            fedify.start()
            yield made, fedify
        finally:
            fedify.stop()
            if fedify.log.exists():
                print("Fedify peer log:\n" + fedify.log.read_text()[-5000:])


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def test_the_fedify_peer_receives_the_announced_delete_and_the_authors_delete(
        meent_and_fedify: tuple[Node, FedifyPeer]) -> None:
    node, fedify = meent_and_fedify
    group = f"{node.url}/groups/{GROUP}"
    fedify.control("follow", target=f"acct:{GROUP}@{node.domain}")
    eventually(lambda: [a for a in fedify.inbox() if a.get("type") == "Accept"], what="the Accept on the peer")
    topic = _topic(node, "Fedify en moderatie")
    topic_uri = f"{node.url}/posts/{topic}"
    replied = fedify.control("reply", inReplyTo=topic_uri, content="<p>Iets wat weg moet</p>", to=group)
    reply_id = eventually(lambda: _db(node, "SELECT id FROM posts WHERE uri = ?", replied["note"]),
                          what="the peer's reply on the node")
    mod = node.browser("mod")
    mod.submit(f"/posts/{reply_id}/moderate", f"/posts/{reply_id}/remove", {"reason": "Ongepast"})

    def announced_delete(of: str) -> list[dict[str, Any]]:
        return [a for a in fedify.inbox() if a.get("type") == "Announce" and isinstance(a.get("object"), dict)
                and a["object"].get("type") == "Delete" and _id(a["object"].get("object")) == of]

    announce = eventually(lambda: announced_delete(replied["note"]), what="the group's Announce(Delete) on the peer")[0]
    assert announce["actor"] == group
    inner = announce["object"]
    assert inner["actor"] == f"{node.url}/users/mod" and inner["summary"] == "Ongepast"
    # the topic of a member of ours: its author's plain Delete reaches the peer, which had it through the group
    mod.submit(f"/posts/{topic}/moderate", f"/posts/{topic}/remove", {"reason": "Spam"})
    plain = eventually(lambda: [a for a in fedify.inbox() if a.get("type") == "Delete"
                                and a.get("actor") == f"{node.url}/users/anne"], what="anne's Delete on the peer")[0]
    assert _id(plain["object"]) == topic_uri
    eventually(lambda: announced_delete(topic_uri), what="the group's Announce(Delete) of the topic on the peer")
