"""Remote threads as their authors wrote them: their own context, their own times and order, a link to
the original; and what remote people and groups say about themselves."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from node import urls
from node.services.ingest import Ingest
from storage import follows, posts
from tests.federation_helpers import eventually
from tests.helpers import Site, make_site
from tests.remote_actors import RemoteServer, signed_post

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Site, RemoteServer]]:
    site = make_site(tmp_path, federation={"allow_private_addresses": True})
    with RemoteServer() as remote, site.client:
        site.member("anne")  # who follows eve: her threads are taken in
        follows.put(site.node.db, f"{BASE}/users/anne", remote.add_person("eve"), "accepted", None, site.node.now())
        site.login("anne")
        yield site, remote
    site.node.db.close()


def note(remote: RemoteServer, path: str, text: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": remote.origin + path, "type": "Note" if parent else "Article",
                           "attributedTo": f"{remote.origin}/users/eve", "content": f"<p>{text}</p>", **extra}
    if parent:
        doc["inReplyTo"] = remote.origin + parent
    else:
        doc["name"] = "Een draad elders"
    remote.documents[path] = doc
    return doc


def ingest(site: Site, obj: dict[str, Any]) -> Any:
    runtime = site.node.runtime()
    return site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, obj)


def sent_creates(site: Site) -> list[dict[str, Any]]:
    rows = site.node.db.all("SELECT a.body FROM deliveries d JOIN activities a ON a.uri = d.activity_uri"
                            " ORDER BY d.id")
    return [body for row in rows if (body := orjson.loads(row["body"]))["type"] == "Create"]


def test_a_reply_in_a_remote_thread_names_that_threads_context(world: tuple[Site, RemoteServer]) -> None:
    site, remote = world
    o = remote.origin
    root = ingest(site, note(remote, "/topic/1", "Met context", context=f"{o}/topic/1/context"))
    bare = ingest(site, note(remote, "/topic/2", "Zonder context"))
    assert root["context_uri"] == f"{o}/topic/1/context" and bare["context_uri"] is None
    site.post(f"/posts/{root['id']}/reply", {"body": "Mijn antwoord"})
    reply = posts.thread(site.node.db, root["id"])[-1]
    assert reply["topic_context"] == f"{o}/topic/1/context" and reply["uri"] is None
    site.post(f"/posts/{bare['id']}/reply", {"body": "Nog een antwoord"})
    contexts = [create["object"]["context"] for create in sent_creates(site)]
    assert contexts == [f"{o}/topic/1/context", f"{o}/topic/2"]  # no context named: the opening post's id


@pytest.mark.parametrize("context", ["javascript:alert(1)", "https://x.example/" + "a" * 3000, {"no": "id"}, 7])
def test_a_context_we_would_not_fetch_is_not_kept(world: tuple[Site, RemoteServer], context: Any) -> None:
    site, remote = world
    assert ingest(site, note(remote, "/topic/3", "Vreemde context", context=context))["context_uri"] is None


def deliver(site: Site, remote: RemoteServer, obj: dict[str, Any]) -> None:
    """A signed Create of the object to our shared inbox, as eve's server sends it."""
    author = obj["attributedTo"]
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": obj["id"] + "/create",
                "type": "Create", "actor": author, "object": obj, "to": [PUBLIC]}
    body = orjson.dumps(activity)
    headers = signed_post(f"{BASE}/inbox", body, f"{author}#main-key", remote.keys[author])
    assert site.client.post("/inbox", content=body, headers=headers).status_code == 202


def test_a_backfilled_older_reply_comes_before_a_newer_one(world: tuple[Site, RemoteServer]) -> None:
    site, remote = world
    o = remote.origin
    context = {"context": f"{o}/context/1", "to": [PUBLIC]}
    note(remote, "/topic/1", "Het begin", published="2026-01-05T09:00:00Z", **context)
    older = note(remote, "/notes/2", "Eerder geschreven", "/topic/1", published="2026-01-05T10:10:00Z", **context)
    newer = note(remote, "/notes/3", "Later geschreven", "/topic/1", published="2026-01-05T10:30:00Z", **context)
    remote.documents["/context/1"] = {"id": f"{o}/context/1", "type": "OrderedCollection", "totalItems": 3,
                                      "orderedItems": [o + "/topic/1", older["id"], newer["id"]]}
    deliver(site, remote, newer)  # the newer reply arrives first; the older comes with the backfill
    root = eventually(lambda: posts.by_uri(site.node.db, o + "/topic/1"), what="the thread's opening post")
    thread = eventually(lambda: len(rows := posts.thread(site.node.db, root["id"])) == 3 and rows,
                        what="the backfilled reply")
    assert [row["uri"] for row in thread] == [o + "/topic/1", older["id"], newer["id"]]
    assert thread[1]["id"] > thread[2]["id"]  # arrived later, yet shown first
    page = site.client.get(urls.thread(thread[0])).text
    assert page.index("Eerder geschreven") < page.index("Later geschreven")
    assert '<time datetime="2026-01-05T10:10:00.000Z">5 januari 2026, 11:10</time>' in page  # local time (CET)
    status = site.client.get(f"/api/v1/statuses/{thread[1]['id']}").json()
    assert status["created_at"] == "2026-01-05T10:10:00.000Z"
    descendants = site.client.get(f"/api/v1/statuses/{thread[0]['id']}/context").json()["descendants"]
    assert [d["id"] for d in descendants] == [str(thread[1]["id"]), str(thread[2]["id"])]
    site.post(f"/posts/{thread[0]['id']}/reply", {"body": "Van hier"})  # local posts: written when created
    mine = posts.thread(site.node.db, root["id"])[-1]
    assert mine["uri"] is None and mine["published_at"] == mine["created_at"]


def test_remote_posts_link_to_their_original(world: tuple[Site, RemoteServer]) -> None:
    site, remote = world
    o = remote.origin
    root = ingest(site, note(remote, "/topic/1", "Het begin", url=f"{o}/topic/1/een-draad"))
    ingest(site, note(remote, "/notes/2", "Een antwoord", "/topic/1"))
    site.post(f"/posts/{root['id']}/reply", {"body": "Van hier"})
    page = site.client.get(urls.thread(root)).text
    assert f'href="{o}/topic/1/een-draad" rel="nofollow noopener noreferrer">origineel bekijken' in page
    assert f'href="{o}/notes/2" rel="nofollow noopener noreferrer">origineel bekijken' in page
    assert page.count("origineel bekijken") == 2  # our own reply has no original elsewhere
    english = site.client.get(urls.thread(root), headers={"Accept-Language": "en"}).text
    assert "view original" in english


SUMMARY = '<p>Adviseur <script>alert(1)</script><a href="https://eve.example" onclick="x()">site</a></p>' + "x" * 9000


def test_remote_people_and_groups_keep_their_summary(world: tuple[Site, RemoteServer]) -> None:
    site, remote = world
    o = remote.origin
    remote.documents["/users/eve"]["summary"] = SUMMARY
    group_uri = remote.add_person("forum")
    remote.documents["/users/forum"] |= {"type": "Group", "summaryMap": {"nl": "<p>Over <em>Woo</em></p>"}}
    ingest(site, note(remote, "/topic/1", "Het begin"))
    runtime = site.node.runtime()
    group = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).remote_group, group_uri)
    eve = site.node.db.one("SELECT * FROM accounts WHERE actor_uri = ?", (f"{o}/users/eve",))
    assert eve["about"].startswith('<p>Adviseur <a href="https://eve.example" rel="nofollow noopener noreferrer">')
    assert "script" not in eve["about"] and "onclick" not in eve["about"] and len(eve["about"]) < 5200
    profile = site.client.get(f"/users/{eve['username']}").text
    assert '<div class="utrecht-rich-text meent-about"><p>Adviseur <a href="https://eve.example"' in profile
    assert site.client.get(f"/api/v1/accounts/{eve['id']}").json()["note"] == eve["about"]
    assert group["description"] == "<p>Over <em>Woo</em></p>"
    assert "<p>Over <em>Woo</em></p>" in site.client.get(urls.group(group["slug"])).text


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "activities"
CAPTURED = ["nodebb/objects/page.json", "lemmy/objects/page.json", "discourse/objects/page.json",
            "pleroma/objects/note.json"]


@pytest.mark.parametrize("name", CAPTURED)
def test_the_context_of_captured_posts_is_kept(name: str) -> None:
    """Real posts (tests/fixtures): NodeBB's context is its topic, not the opening post's id."""
    from node.services.ingest import post_fields

    obj = orjson.loads((FIXTURES / name).read_bytes())
    assert post_fields(obj)["context"] == obj["context"] != obj["id"]
