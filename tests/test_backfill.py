"""A remote thread seen through one reply is completed: up its inReplyTo chain and from its context (FEP-f228)."""

from pathlib import Path

from node.services.ingest import Ingest
from storage import follows, posts
from tests.helpers import make_site
from tests.remote_actors import RemoteServer


def test_one_reply_brings_the_whole_thread(tmp_path: Path) -> None:
    site = make_site(tmp_path, federation={"allow_private_addresses": True})
    with RemoteServer() as remote, site.client:
        eve = remote.add_person("eve")
        o = remote.origin
        site.member("anne")  # who follows eve: unsolicited threads are not taken in
        follows.put(site.node.db, "http://127.0.0.1:8000/users/anne", eve, "accepted", None, site.node.now())

        def note(path: str, text: str, parent: str | None, kind: str = "Note") -> dict[str, object]:
            doc: dict[str, object] = {"id": o + path, "type": kind, "attributedTo": eve, "content": f"<p>{text}</p>",
                                      "context": f"{o}/context/1"}
            if parent:
                doc["inReplyTo"] = o + parent
            if kind == "Article":
                doc["name"] = "Een draad elders"
            remote.documents[path] = doc
            return doc

        note("/posts/1", "Het begin", None, "Article")
        note("/notes/2", "Eerste antwoord", "/posts/1")
        third = note("/notes/3", "Antwoord op het antwoord", "/notes/2")
        note("/notes/4", "Alleen in de context te zien", "/posts/1")
        remote.documents["/context/1"] = {"id": f"{o}/context/1", "type": "OrderedCollection", "totalItems": 4,
                                          "orderedItems": [o + p for p in ("/posts/1", "/notes/2", "/notes/3",
                                                                           "/notes/4")]}
        runtime = site.client.app.state.federation  # type: ignore[attr-defined]
        ingest = Ingest(site.node, runtime.actors, runtime.fetcher)
        stored = site.client.portal.call(ingest.post, third)
        assert stored is not None
        thread = posts.thread(site.node.db, stored["topic_id"])
        assert [row["uri"] for row in thread] == [o + "/posts/1", o + "/notes/2", o + "/notes/3", o + "/notes/4"]
        assert thread[0]["title"] == "Een draad elders"
        assert thread[2]["parent_id"] == thread[1]["id"] and thread[3]["parent_id"] == thread[0]["id"]
        remote.documents.clear()  # nothing is fetched twice: a repeat is answered from what we stored
        assert site.client.portal.call(ingest.post, third)["id"] == stored["id"]
    site.node.db.close()
