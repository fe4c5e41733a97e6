"""Real activities through the real inbox and worker when peers misbehave: nothing lost, bounded
amplification, and an announced Delete honoured only from those who may give it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from storage import follows, notifications, posts
from tests.federation_helpers import eventually
from tests.helpers import Site, make_site
from tests.remote_actors import RemoteServer, signed_post

INBOX = "http://127.0.0.1:8000/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ANNE = "http://127.0.0.1:8000/users/anne"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path, federation={"allow_private_addresses": True})
    with made.client:
        made.member("anne")
        yield made
    made.node.db.close()


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    with RemoteServer() as server:
        yield server


def send(site: Site, remote: RemoteServer, actor: str, activity: dict[str, Any]) -> None:
    body = orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", **activity})
    headers = signed_post(INBOX, body, f"{actor}#main-key", remote.keys[actor])
    response = site.client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 202, response.text


def create(actor: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": obj["id"] + "/create", "type": "Create", "actor": actor, "object": obj, "to": [PUBLIC]}


def row_of(site: Site, activity_id: str) -> Any:
    return site.node.db.one("SELECT * FROM inbox WHERE activity_id = ?", (activity_id,))


def test_a_reply_whose_parent_is_on_a_server_down_for_a_moment_is_not_lost(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    o = remote.origin
    follows.put(site.node.db, ANNE, eve, "accepted", None, site.node.now())
    remote.documents["/posts/1"] = {"id": f"{o}/posts/1", "type": "Article", "name": "Begin", "attributedTo": eve,
                                    "content": "<p>Begin</p>", "to": [PUBLIC]}
    remote.statuses["/posts/1"] = 503  # the parent's server is in trouble just now
    reply = {"id": f"{o}/notes/2", "type": "Note", "attributedTo": eve, "content": "<p>Antwoord</p>",
             "inReplyTo": f"{o}/posts/1", "to": [PUBLIC]}
    send(site, remote, eve, create(eve, reply))
    job = eventually(lambda: (r := row_of(site, f"meent:fetch:{o}/posts/1")) and r["attempts"] >= 1 and r,
                     what="the parent's fetch to fail once")
    assert job["state"] == "pending" and "503" in job["error"]  # to be tried again, not dropped
    waiting = row_of(site, f"{o}/notes/2/create")
    assert waiting["state"] == "pending" and waiting["waiting_on"] == job["activity_id"]
    del remote.statuses["/posts/1"]  # the server is back; the back-off's wait has passed
    site.node.db.execute("UPDATE inbox SET next_try_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (job["id"],))
    site.node.federation.inbox_worker.wake()  # type: ignore[union-attr]
    stored = eventually(lambda: posts.by_uri(site.node.db, reply["id"]), what="the reply to be stored")
    assert posts.by_uri(site.node.db, f"{o}/posts/1")["id"] == stored["parent_id"]
    assert row_of(site, f"{o}/notes/2/create")["state"] == "done"


def test_a_refused_post_keeps_its_reason(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    note = {"id": f"{remote.origin}/notes/1", "type": "Note", "attributedTo": eve, "content": "<p>Alleen voor jou</p>",
            "to": [ANNE]}
    send(site, remote, eve, create(eve, note))
    row = eventually(lambda: (r := row_of(site, note["id"] + "/create")) and r["state"] != "pending" and r)
    assert row["state"] == "refused" and row["error"].startswith("not public")


def test_one_notification_per_member_however_many_mentions_and_bounded_tags(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    mention = {"type": "Mention", "href": ANNE, "name": "@anne"}
    tags = [mention] * 100 + [{"type": "Hashtag", "name": f"#tag{n}"} for n in range(15000)] + [mention] * 2900
    note = {"id": f"{remote.origin}/notes/1", "type": ["Note", "Article"], "attributedTo": eve,
            "content": "<p>Hallo @anne</p>", "to": [PUBLIC], "cc": [ANNE], "tag": tags}
    send(site, remote, eve, create(eve, note))
    stored = eventually(lambda: posts.by_uri(site.node.db, note["id"]), what="the post")
    anne = site.node.db.one("SELECT id FROM accounts WHERE username = 'anne'")["id"]
    assert len([n for n in notifications.page(site.node.db, anne, kinds=None, excluded=[], max_id=None,
                                              since_id=None, min_id=None, limit=100)]) == 1
    assert site.node.db.scalar("SELECT count(*) FROM post_tags WHERE post_id = ?", (stored["id"],)) == 30


def test_an_announced_delete_counts_only_from_the_author_or_the_group(site: Site, remote: RemoteServer) -> None:
    with RemoteServer() as elsewhere:
        eve = remote.add_person("eve")
        mallory = elsewhere.add_person("mallory")
        follows.put(site.node.db, ANNE, eve, "accepted", None, site.node.now())
        note = {"id": f"{remote.origin}/notes/1", "type": "Note", "attributedTo": eve, "content": "<p>Blijf</p>",
                "to": [PUBLIC]}
        send(site, remote, eve, create(eve, note))
        eventually(lambda: posts.by_uri(site.node.db, note["id"]), what="the post")
        # the origin answers 404 (its server lost it for a moment, or never served it): only a 404
        delete = {"id": f"{remote.origin}/notes/1/delete", "type": "Delete", "actor": eve, "object": note["id"]}
        send(site, elsewhere, mallory, {"id": f"{elsewhere.origin}/announce/1", "type": "Announce", "actor": mallory,
                                        "object": delete, "to": [PUBLIC]})
        row = eventually(lambda: (r := row_of(site, f"{elsewhere.origin}/announce/1")) and r["state"] != "pending"
                         and r, what="the Announce to be handled")
        assert row["state"] == "refused" and "author or its group" in row["error"]
        assert not posts.by_uri(site.node.db, note["id"])["deleted_at"]
        send(site, remote, eve, {"id": f"{remote.origin}/announce/2", "type": "Announce", "actor": eve,
                                 "object": delete, "to": [PUBLIC]})
        eventually(lambda: posts.by_uri(site.node.db, note["id"])["deleted_at"], what="the author's own Delete")


def test_a_redelivery_is_suppressed_for_a_while_then_processed_again(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    follow = {"id": f"{remote.origin}/follows/1", "type": "Follow", "actor": eve, "object": ANNE}
    send(site, remote, eve, follow)
    send(site, remote, eve, follow)
    assert site.node.db.scalar("SELECT count(*) FROM inbox WHERE activity_id = ?", (follow["id"],)) == 1
    eventually(lambda: row_of(site, follow["id"])["state"] == "done", what="the Follow")
    site.node.db.execute("UPDATE inbox SET received_at = '2000-01-01T00:00:00.000Z'")  # the window has passed
    send(site, remote, eve, {"id": f"{remote.origin}/undo/1", "type": "Undo", "actor": eve, "object": follow})
    send(site, remote, eve, follow)  # the same Follow id again, after an Undo: it gets its Accept again
    eventually(lambda: site.node.db.scalar("SELECT count(*) FROM inbox WHERE activity_id = ? AND state = 'done'",
                                           (follow["id"],)) == 2, what="the second Follow")
    assert follows.get(site.node.db, eve, ANNE)["state"] == "accepted"
    accepts = site.node.db.scalar("SELECT count(*) FROM activities WHERE type = 'Accept'")
    assert accepts == 2


def test_a_followed_persons_reply_brings_its_parent_by_someone_nobody_follows(site: Site, remote: RemoteServer) -> None:
    eve, frank = remote.add_person("eve"), remote.add_person("frank")
    follows.put(site.node.db, ANNE, eve, "accepted", None, site.node.now())
    remote.documents["/notes/frank"] = {"id": f"{remote.origin}/notes/frank", "type": "Note", "attributedTo": frank,
                                        "content": "<p>Een vraag</p>", "to": [PUBLIC]}
    reply = {"id": f"{remote.origin}/notes/eve", "type": "Note", "attributedTo": eve, "content": "<p>Een antwoord</p>",
             "inReplyTo": f"{remote.origin}/notes/frank", "to": [PUBLIC]}
    send(site, remote, eve, create(eve, reply))
    stored = eventually(lambda: posts.by_uri(site.node.db, reply["id"]), what="the reply")
    assert posts.by_uri(site.node.db, f"{remote.origin}/notes/frank")["id"] == stored["parent_id"]
