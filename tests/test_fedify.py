"""Interop with an independent implementation: a peer built on Fedify (tests/fedify_peer) and a real node.

The peer follows a group through WebFinger, gets the Accept, receives the group's Announces of a new
topic, and replies to it; the reply appears in the thread. Then it likes the topic and unfollows.
Every request in both directions carries a real HTTP signature that the other side verifies with
keys it fetched itself (Fedify first knocks with RFC 9421 and falls back to draft-cavage, which is
what we speak).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.federation_helpers import Node, eventually
from tests.helpers import ROOT, free_port

PEER_DIR = ROOT / "tests" / "fedify_peer"
NODE_BINARY = PEER_DIR / "node_modules" / ".bin" / "node"
FEDIFY = PEER_DIR / "node_modules" / "@fedify" / "fedify" / "package.json"
TOPIC = "Werkt dit ook met Fedify?"
REPLY = "Ja, een antwoord van een andere implementatie."


class FedifyPeer:
    """peer.mjs on Node 22 from npm, steered through its control API; its log goes to a file."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.actor = f"{self.url}/users/peer"
        self.log = log
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:  # the child keeps its own copy of the file descriptor
            self.process = subprocess.Popen([str(NODE_BINARY), "peer.mjs", str(self.port)], cwd=PEER_DIR,
                                            stdout=log, stderr=subprocess.STDOUT)
        eventually(lambda: self.client.get("/control/inbox").status_code == 200, timeout=30,
                   what=f"the Fedify peer on {self.url} to start")

    def stop(self) -> None:
        self.client.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def control(self, action: str, **fields: str) -> dict[str, Any]:
        response = self.client.post(f"/control/{action}", json=fields)
        assert response.status_code == 200, (action, response.text, self.log.read_text()[-3000:])
        answer: dict[str, Any] = response.json()
        return answer

    def inbox(self) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = self.client.get("/control/inbox").json()
        return received


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _carried(announce: dict[str, Any]) -> list[Any]:
    """The ids an Announce passes on: its object's, and the object's object when that is an activity."""
    carried = announce.get("object")
    return [_id(carried)] + ([_id(carried.get("object"))] if isinstance(carried, dict) else [])


def _received(peer: FedifyPeer, kind: str, at_least: int = 1) -> list[dict[str, Any]]:
    """The activities of that type the peer received, or none until there are at least that many."""
    found = [activity for activity in peer.inbox() if activity.get("type") == kind]
    return found if len(found) >= at_least else []


@pytest.fixture
def meent_and_peer(tmp_path: Path) -> Iterator[tuple[Node, FedifyPeer]]:
    if not NODE_BINARY.exists() or not FEDIFY.exists():
        pytest.skip(f"the Fedify peer is not installed: {NODE_BINARY} or {FEDIFY} is missing "
                    "(`make fedify-peer` runs npm install in tests/fedify_peer; it needs npm and the npm registry)")
    node = Node(tmp_path / "meent", "Gemeente Meent", "retry_first_seconds = 1\n")
    peer = FedifyPeer(tmp_path / "peer.log")
    try:
        node.start()
        peer.start()
        yield node, peer
    finally:
        peer.stop()
        node.stop()
        if peer.log.exists():  # pytest shows this only when the test failed
            print("Fedify peer log (PEER_DEBUG=1 for Fedify's debug log):\n" + peer.log.read_text()[-5000:])


def test_a_fedify_peer_follows_a_group_replies_likes_and_unfollows(meent_and_peer: tuple[Node, FedifyPeer]) -> None:
    node, peer = meent_and_peer
    node.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    node.cli("user", "add", "anne", "--password", "correct horse battery", "--display-name", "Anne")
    group = f"{node.url}/groups/open-overheid"

    # The peer finds the group by its handle (Fedify's WebFinger client) and follows it; the group accepts.
    followed = peer.control("follow", target=f"acct:open-overheid@{node.domain}")
    assert followed["actor"] == group
    accept = eventually(lambda: _received(peer, "Accept"), what="the group's Accept on the peer")[0]
    assert accept["actor"] == group
    assert _id(accept["object"]) == followed["follow"]

    # A member opens a topic; the group announces the Create and the Article itself to the peer.
    anne = node.browser("anne")
    anne.submit("/groups/open-overheid/new", "/groups/open-overheid/topics", {"title": TOPIC, "body": "Wat denkt u?"})
    announces = eventually(lambda: _received(peer, "Announce", at_least=2), what="the group's Announces on the peer")
    assert {activity["actor"] for activity in announces} == {group}
    wrapped = [activity["object"] for activity in announces if isinstance(activity["object"], dict)]
    assert [activity["type"] for activity in wrapped] == ["Create"]
    article = wrapped[0]["object"]
    assert article["type"] == "Article" and article["name"] == TOPIC
    assert article["attributedTo"] == f"{node.url}/users/anne"
    assert article["id"] in [activity["object"] for activity in announces if isinstance(activity["object"], str)]

    # The peer replies to the topic's post, addressed to the group and the public; it lands in the thread,
    # on the topic page and in the thread's collection as Fedify reads it.
    replied = peer.control("reply", inReplyTo=article["id"], content=f"<p>{REPLY}</p>", to=group)
    topic_page = "/groups/open-overheid/topics/1"
    eventually(lambda: REPLY in anne.get(topic_page), what="the peer's reply in the thread on the node")
    assert "Fedify peer" in anne.get(topic_page)
    assert peer.control("thread", context=article["context"])["items"] == [article["id"], replied["note"]]

    # The group passes the reply on to its followers, the peer among them (FEP-1b12).
    passed_on = eventually(lambda: [a for a in _received(peer, "Announce") if replied["note"] in _carried(a)],
                           what="the group's Announce of the reply on the peer")
    assert {activity["actor"] for activity in passed_on} == {group}

    # The peer likes the topic (sent to its author), then unfollows the group with Undo(Follow).
    peer.control("like", object=article["id"], to=article["attributedTo"])
    eventually(lambda: "1 waardering" in anne.get(topic_page), what="the peer's like on the node")
    followers = "/groups/open-overheid/followers?page=1"
    assert peer.actor in anne.get(followers)
    peer.control("unfollow", follow=followed["follow"])
    eventually(lambda: peer.actor not in anne.get(followers), what="the Undo(Follow) on the node")


def test_both_sides_refuse_an_unsigned_activity(meent_and_peer: tuple[Node, FedifyPeer]) -> None:
    """What the first test received was verified: neither side takes an activity without a signature."""
    node, peer = meent_and_peer
    node.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    group = f"{node.url}/groups/open-overheid"
    forged = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
              "id": f"{group}/forged", "actor": group, "object": peer.actor}
    headers = {"Content-Type": "application/activity+json"}
    assert httpx.post(f"{peer.actor}/inbox", json=forged, headers=headers).status_code == 401
    assert peer.inbox() == []
    forged |= {"id": f"{peer.actor}/forged", "actor": peer.actor, "object": group}
    assert httpx.post(f"{group}/inbox", json=forged, headers=headers).status_code == 401


def test_a_fedify_peer_reports_a_post_in_mastodons_shape(meent_and_peer: tuple[Node, FedifyPeer]) -> None:
    """Fedify's Flag (object [account, post], reason in content), signed by Fedify, lands in the queue
    marked with the peer's server."""
    node, peer = meent_and_peer
    node.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    node.cli("user", "add", "anne", "--password", "correct horse battery", "--display-name", "Anne")
    node.browser("anne").submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                                {"title": TOPIC, "body": "Koop goedkope horloges"})
    anne = f"{node.url}/users/anne"
    sent = peer.control("flag", account=anne, object=f"{node.url}/posts/1", content="Dit is spam", to=anne)
    assert sent["flag"].startswith(peer.url)
    lines = eventually(lambda: node.cli_output("moderation", "reports", "--open").splitlines(),
                       what="the peer's report in the queue")
    assert lines == [f"1\topen\t{node.url}/posts/1\tother: Dit is spam"]
    page = node.browser("beheerder").get("/moderation/reports/1")
    assert f"server 127.0.0.1:{peer.port}" in page and "Koop goedkope horloges" in page
