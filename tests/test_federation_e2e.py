"""Three real nodes on loopback talk ActivityPub with real signatures, driven through their web pages.

A has the group; B and C follow it. A's member opens a topic, C's member replies to it, A's group
passes everything on, and B sees the whole tree, likes, edits and deletions. Then B unfollows, and
B is stopped while A posts and receives the post once it is back.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation_helpers import Node, eventually, running_nodes


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, Node]]:
    with running_nodes(tmp_path, "abc", "retry_first_seconds = 1\n") as made:
        yield made[0], made[1], made[2]


def test_three_nodes_share_a_discussion(nodes: tuple[Node, Node, Node]) -> None:
    a, b, c = nodes
    a.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", "correct horse battery", "--display-name", "Anne van A")
    b.cli("user", "add", "bob", "--password", "correct horse battery")
    c.cli("user", "add", "carla", "--password", "correct horse battery", "--display-name", "Carla van C")
    handle = f"@open-overheid@{a.domain}"
    remote_group = f"/groups/open-overheid@{a.domain}"

    # B's and C's members follow A's group from their network pages; A accepts.
    bob, carla, anne = b.browser("bob"), c.browser("carla"), a.browser("anne")
    bob.submit("/network", "/network/follow", {"handle": handle})
    carla.submit("/network", "/network/follow", {"handle": handle})
    for member in (bob, carla):
        eventually(lambda m=member: "Open Overheid" in m.get("/network") and "wacht op bevestiging"
                   not in m.get("/network"), what="the Accept")

    # A's member opens a topic; B sees it in its copy of the group.
    anne.submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                {"title": "Kunnen ambtenaren innovatoren zijn?", "body": "Wat denkt u? #innovatie"})
    eventually(lambda: "Kunnen ambtenaren innovatoren zijn?" in bob.get(remote_group), what="the topic on B")
    topic_on_c = eventually(lambda: _topic_link(carla.get(remote_group)), what="the topic on C")

    # C's member replies from C; A's group announces it, and B shows the tree.
    carla.submit(topic_on_c, _reply_action(carla.get(topic_on_c)), {"body": "Ja, met ruimte om te leren."})
    topic_on_a = "/groups/open-overheid/topics/1"
    eventually(lambda: "Ja, met ruimte om te leren." in anne.get(topic_on_a), what="C's reply on A")
    topic_on_b = eventually(lambda: _topic_link(bob.get(remote_group)), what="topic link on B")
    eventually(lambda: "Ja, met ruimte om te leren." in bob.get(topic_on_b), what="C's reply on B")
    assert "Carla van C" in bob.get(topic_on_b)

    # C's member opens a topic in A's group from C: A takes it in and its group passes it on to B.
    carla.submit(f"{remote_group}/new", f"{remote_group}/topics",
                 {"title": "Een vraag van C", "body": "Wie doet mee?"})
    eventually(lambda: "Een vraag van C" in anne.get("/groups/open-overheid"), what="C's topic on A")
    eventually(lambda: "Een vraag van C" in bob.get(remote_group), what="C's topic on B")

    # Likes, edits and deletes reach B.
    carla.submit(topic_on_c, _like_action(carla.get(topic_on_c)), {})
    eventually(lambda: "1 waardering" in bob.get(topic_on_b), what="the like on B")
    anne.submit("/posts/1/edit", "/posts/1/edit", {"title": "Kunnen ambtenaren innovatoren zijn?",
                                                   "body": "Wat denkt u? Bijgewerkt. #innovatie"})
    eventually(lambda: "Bijgewerkt." in bob.get(topic_on_b), what="the edit on B")
    reply_on_c = _post_ids(carla.get(topic_on_c))[-1]
    carla.submit(f"/posts/{reply_on_c}/edit", f"/posts/{reply_on_c}/delete", {})
    eventually(lambda: "Dit bericht is verwijderd." in bob.get(topic_on_b), what="the delete on B")
    assert "Ja, met ruimte om te leren." not in bob.get(topic_on_b)

    # Unfollowing stops deliveries to B.
    bob.submit(remote_group, f"{remote_group}/unfollow", {})
    eventually(lambda: b.domain not in anne.get("/groups/open-overheid/followers?page=1"), what="the Undo on A")
    anne.submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                {"title": "Alleen voor C", "body": "B volgt niet meer."})
    eventually(lambda: "Alleen voor C" in carla.get(remote_group), what="the second topic on C")
    assert "Alleen voor C" not in bob.get(remote_group)

    # B is down while A posts; once B is back, what was queued arrives.
    bob.submit(remote_group, f"{remote_group}/follow", {})
    eventually(lambda: "wacht op bevestiging" not in bob.get("/network"), what="the second Accept")
    b.stop()
    anne.submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                {"title": "Terwijl B uit stond", "body": "Komt dit aan?"})
    eventually(lambda: _failed_attempts(a, b) > 0, what="a failed delivery to B")
    b.start()
    bob = b.browser("bob")
    eventually(lambda: "Terwijl B uit stond" in bob.get(remote_group), timeout=30, what="the queued post on B")


def _failed_attempts(a: Node, b: Node) -> int:
    import sqlite3

    with sqlite3.connect(a.config.parent / "meent.db") as db:
        row = db.execute("SELECT count(*) FROM deliveries WHERE domain = ? AND tries > 0 AND state = 'pending'",
                         (b.domain,)).fetchone()
    return int(row[0])


def _topic_link(page: str) -> str | None:
    import re

    found = re.search(r'href="(/groups/[^"]+/topics/\d+)"', page)
    return found.group(1) if found else None


def _reply_action(page: str) -> str:
    import re

    found = re.search(r'action="(/posts/\d+/reply)"', page)
    assert found, "no reply form"
    return found.group(1)


def _like_action(page: str) -> str:
    import re

    found = re.search(r'action="(/posts/\d+/like)"', page)
    assert found, "no like button"
    return found.group(1)


def _post_ids(page: str) -> list[int]:
    import re

    return [int(i) for i in re.findall(r'id="post-(\d+)"', page)]
