"""A remote thread seen through one reply is completed: up its inReplyTo chain and from its context
(FEP-f228), as queued jobs of the inbox worker, and only from the thread's own server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from storage import follows, posts
from tests.federation_helpers import eventually
from tests.helpers import Site, make_site
from tests.remote_actors import RemoteServer, signed_post

INBOX = "http://127.0.0.1:8000/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path, federation={"allow_private_addresses": True})
    with made.client:
        made.member("anne")  # who follows eve: unsolicited threads are not taken in
        yield made
    made.node.db.close()


def note(remote: RemoteServer, author: str, path: str, text: str, parent: str | None, *, kind: str = "Note",
         context: str | None = None) -> dict[str, Any]:
    o = remote.origin
    doc: dict[str, Any] = {"id": o + path, "type": kind, "attributedTo": author, "content": f"<p>{text}</p>",
                           "context": context or f"{o}/context/1", "to": [PUBLIC],
                           # written in the order of their paths; they arrive in whatever order the jobs run
                           "published": f"2026-03-02T09:{len(remote.documents):02}:00Z"}
    if parent:
        doc["inReplyTo"] = parent if parent.startswith("http") else o + parent
    if kind == "Article":
        doc["name"] = "Een draad elders"
    remote.documents[path] = doc
    return doc


def deliver(site: Site, remote: RemoteServer, author: str, obj: dict[str, Any]) -> None:
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": obj["id"] + "/create",
                "type": "Create", "actor": author, "object": obj, "to": [PUBLIC]}
    body = orjson.dumps(activity)
    headers = signed_post(INBOX, body, f"{author}#main-key", remote.keys[author])
    assert site.client.post("/inbox", content=body, headers=headers).status_code == 202


def thread_of(site: Site, uri: str) -> list[Any]:
    stored = posts.by_uri(site.node.db, uri)
    return posts.thread(site.node.db, stored["topic_id"]) if stored else []


def settled(site: Site) -> bool:
    return not site.node.db.scalar("SELECT count(*) FROM inbox WHERE state = 'pending' AND waiting_on IS NULL"
                                   " AND next_try_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")


def test_one_reply_brings_the_whole_thread(site: Site) -> None:
    with RemoteServer() as remote:
        eve = remote.add_person("eve")
        o = remote.origin
        follows.put(site.node.db, "http://127.0.0.1:8000/users/anne", eve, "accepted", None, site.node.now())
        note(remote, eve, "/posts/1", "Het begin", None, kind="Article")
        note(remote, eve, "/notes/2", "Eerste antwoord", "/posts/1")
        third = note(remote, eve, "/notes/3", "Antwoord op het antwoord", "/notes/2")
        note(remote, eve, "/notes/4", "Alleen in de context te zien", "/posts/1")
        remote.documents["/context/1"] = {"id": f"{o}/context/1", "type": "OrderedCollection", "totalItems": 4,
                                          "orderedItems": [o + p for p in ("/posts/1", "/notes/2", "/notes/3",
                                                                           "/notes/4")]}
        deliver(site, remote, eve, third)
        thread = eventually(lambda: len(thread_of(site, third["id"])) == 4 and thread_of(site, third["id"]),
                            what="the thread to be complete")
        assert [row["uri"] for row in thread] == [o + "/posts/1", o + "/notes/2", o + "/notes/3", o + "/notes/4"]
        assert thread[0]["title"] == "Een draad elders"
        assert thread[2]["parent_id"] == thread[1]["id"] and thread[3]["parent_id"] == thread[0]["id"]
        eventually(lambda: settled(site), what="the jobs to end")
        states = {r["type"]: r["state"] for r in site.node.db.all("SELECT type, state FROM inbox")}
        assert states == {"Create": "done", "meent:fetch": "done", "meent:backfill": "done"}
        asked = len(remote.gets)
        deliver(site, remote, eve, {**third, "id": third["id"]})  # the same reply again, as a new activity id
        eventually(lambda: settled(site), what="the repeat to be processed")
        assert len(remote.gets) == asked  # a repeat is answered from what we stored


def test_a_reply_whose_parent_is_gone_is_refused_with_the_reason(site: Site) -> None:
    with RemoteServer() as remote:
        eve = remote.add_person("eve")
        follows.put(site.node.db, "http://127.0.0.1:8000/users/anne", eve, "accepted", None, site.node.now())
        reply = note(remote, eve, "/notes/9", "Op iets dat weg is", "/notes/gone")
        deliver(site, remote, eve, reply)
        row = eventually(lambda: site.node.db.one("SELECT state, error FROM inbox WHERE type = 'Create'"
                                                  " AND state != 'pending'"), what="the Create to end")
        assert row["state"] == "refused" and "/notes/gone" in row["error"] and "404" in row["error"]
        assert posts.by_uri(site.node.db, reply["id"]) is None


def test_a_context_on_a_third_server_is_not_fetched_and_items_elsewhere_are_skipped(site: Site) -> None:
    """One small Create must not send us to fetch hundreds of URLs from a server it names."""
    with RemoteServer() as remote, RemoteServer() as third:
        eve = remote.add_person("eve")
        follows.put(site.node.db, "http://127.0.0.1:8000/users/anne", eve, "accepted", None, site.node.now())
        third.documents["/context/x"] = {"id": f"{third.origin}/context/x", "type": "OrderedCollection",
                                         "orderedItems": [f"{third.origin}/n/{i}" for i in range(300)]}
        topic = note(remote, eve, "/posts/1", "Elders", None, kind="Article", context=f"{third.origin}/context/x")
        deliver(site, remote, eve, topic)
        eventually(lambda: posts.by_uri(site.node.db, topic["id"]), what="the topic")
        # its own context lists 300 items of which only its own server's are taken, at most 50
        remote.documents["/context/2"] = {"id": f"{remote.origin}/context/2", "type": "OrderedCollection",
                                          "orderedItems": [f"{remote.origin}/missing/{i}" for i in range(300)]
                                          + [f"{third.origin}/n/{i}" for i in range(300)]}
        other = note(remote, eve, "/posts/2", "Eigen", None, kind="Article", context=f"{remote.origin}/context/2")
        deliver(site, remote, eve, other)
        eventually(lambda: posts.by_uri(site.node.db, other["id"]), what="the second topic")
        eventually(lambda: settled(site), what="the jobs to end")
        assert third.gets == []
        fetched = [path for path in remote.gets if path.startswith("/missing/")]
        assert len(fetched) == 50  # at most BACKFILL_ITEMS of a thread, each asked for once
