"""What local actions queue for other servers: the activity, its audience and one row per inbox."""

import orjson
import pytest

from federation.actors import actor_record
from storage import actors, follows
from tests.helpers import Site, make_site

BASE = "http://127.0.0.1:8000"


def remote_follower(site: Site, uri: str, followee: str, shared: str | None) -> None:
    inbox = f"{uri}/inbox"
    doc = {"id": uri, "type": "Person", "preferredUsername": uri.rsplit("/", 1)[1], "inbox": inbox,
           "endpoints": {"sharedInbox": shared} if shared else {}}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    follows.put(site.node.db, uri, followee, "accepted", None, site.node.now())


def queued(site: Site) -> list[tuple[str, str, dict[str, object]]]:
    rows = site.node.db.all("SELECT d.inbox, a.body FROM deliveries d JOIN activities a ON a.uri = d.activity_uri"
                            " ORDER BY d.id")
    return [(row["inbox"], orjson.loads(row["body"])["type"], orjson.loads(row["body"])) for row in rows]


@pytest.fixture
def site(tmp_path) -> Site:  # type: ignore[no-untyped-def]
    made = make_site(tmp_path, federation={"blocked_domains": ["blocked.example"]})
    with made.client:
        made.member("anne")
        made.group()
        made.login("anne")
        yield made
    made.node.db.close()


def test_followers_on_one_server_share_one_delivery(site: Site) -> None:
    group = f"{BASE}/groups/open-overheid"
    for name in ("a", "b", "c"):
        remote_follower(site, f"https://one.example/users/{name}", group, "https://one.example/inbox")
    remote_follower(site, "https://two.example/users/d", group, None)
    remote_follower(site, "https://blocked.example/users/e", group, "https://blocked.example/inbox")
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    sent = queued(site)
    inboxes = sorted({inbox for inbox, _, _ in sent})
    assert inboxes == ["https://one.example/inbox", "https://two.example/users/d/inbox"]
    kinds = sorted(kind for inbox, kind, _ in sent if inbox == "https://one.example/inbox")
    assert kinds == ["Announce", "Announce"]  # Announce(Create) for group-aware servers, Announce(Article)
    announce_create = next(body for _, _, body in sent if isinstance(body["object"], dict))
    assert announce_create["actor"] == group and announce_create["object"]["type"] == "Create"  # type: ignore[index]
    plain = next(body for _, _, body in sent if isinstance(body["object"], str))
    assert plain["object"] == f"{BASE}/posts/1"


def test_delete_reaches_every_inbox_that_got_the_post(site: Site) -> None:
    anne = f"{BASE}/users/anne"
    remote_follower(site, "https://one.example/users/a", anne, None)
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    follows.remove(site.node.db, "https://one.example/users/a", anne)  # unfollowed since
    site.post("/posts/1/delete", {})
    deletes = [inbox for inbox, kind, _ in queued(site) if kind == "Delete"]
    assert deletes == ["https://one.example/users/a/inbox"]


def test_reply_to_a_remote_author_goes_to_them(site: Site) -> None:
    from node.services.ingest import Ingest

    doc = {"id": "https://one.example/users/bob", "type": "Person", "preferredUsername": "bob",
           "inbox": "https://one.example/users/bob/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    note = {"id": "https://one.example/notes/1", "type": "Note", "attributedTo": doc["id"],
            "content": "<p>Een vraag</p>", "inReplyTo": f"{BASE}/posts/1"}
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    stored = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, note)
    assert stored is not None and stored["topic_id"] == 1
    site.post(f"/posts/{stored['id']}/reply", {"body": "Een antwoord"})
    creates = [(inbox, body) for inbox, kind, body in queued(site) if kind == "Create"]
    assert [inbox for inbox, _ in creates] == ["https://one.example/users/bob/inbox"]
    assert creates[0][1]["object"]["inReplyTo"] == "https://one.example/notes/1"  # type: ignore[index]


def test_deleting_redacts_the_outbox_and_unpublishing_sends_a_delete(site: Site) -> None:
    anne = f"{BASE}/users/anne"
    remote_follower(site, "https://one.example/users/a", anne, None)
    site.post("/blog/new", {"title": "Geheim plan", "body": "Tekst die weg moet", "action": "publish"},
              site.csrf("/blog/new"))
    assert "Tekst die weg moet" in site.client.get("/users/anne/outbox?page=1").text
    site.post("/posts/1/edit", {"title": "Geheim plan", "body": "Tekst die weg moet", "action": "draft"})
    assert "Tekst die weg moet" not in site.client.get("/users/anne/outbox?page=1").text
    kinds = [kind for inbox, kind, _ in queued(site) if inbox == "https://one.example/users/a/inbox"]
    assert kinds == ["Create", "Delete"]


def test_a_follower_with_a_broken_inbox_does_not_stop_posting(site: Site) -> None:
    doc = {"id": "https://one.example/users/x", "type": "Person", "inbox": "http://[bad/inbox"}
    with pytest.raises(ValueError):
        actor_record(doc, site.node.now())
    assert site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"}).status_code == 303


def test_deleted_replies_do_not_count(site: Site) -> None:
    from storage import posts

    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    site.post("/posts/1/reply", {"body": "Eén"})
    site.post("/posts/2/delete", {})
    assert posts.by_id(site.node.db, 1)["reply_count"] == 0


def test_moderators_remove_but_do_not_rewrite_remote_posts(site: Site) -> None:
    from node.services.ingest import Ingest
    from storage import posts

    doc = {"id": "https://one.example/users/bob", "type": "Person", "preferredUsername": "bob",
           "inbox": "https://one.example/users/bob/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    runtime = site.node.runtime()
    note = {"id": "https://one.example/notes/9", "type": "Note", "attributedTo": doc["id"],
            "content": "<p>Van elders</p>", "inReplyTo": f"{BASE}/posts/1"}
    stored = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, note)
    site.logout()
    site.member("mod", role="moderator")
    site.login("mod")
    assert site.post(f"/posts/{stored['id']}/edit", {"body": "Herschreven"}).status_code == 403
    assert "Van elders" in posts.by_id(site.node.db, stored["id"])["content"]
    # a moderator's delete of someone else's post is a removal, which needs a reason
    assert site.post(f"/posts/{stored['id']}/delete", {}).status_code == 422
    assert site.post(f"/posts/{stored['id']}/delete", {"reason": "Spam"}).status_code == 303
    removed = posts.by_id(site.node.db, stored["id"])
    assert removed["removed_at"] is not None and removed["removed_reason"] == "Spam"


def test_sharing_again_after_unsharing_is_sent_again(site: Site) -> None:
    from node.services import outbound
    from storage import accounts, posts

    anne_uri = f"{BASE}/users/anne"
    remote_follower(site, "https://one.example/users/a", anne_uri, None)
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    anne, post = accounts.by_username(site.node.db, "anne"), posts.by_id(site.node.db, 1)
    outbound.shared(site.node, anne, post)
    outbound.unshared(site.node, anne, post)
    outbound.shared(site.node, anne, post)
    sent = [(kind, body) for inbox, kind, body in queued(site) if kind in ("Announce", "Undo")]
    assert [kind for kind, _ in sent] == ["Announce", "Undo", "Announce"]
    assert sent[1][1]["object"]["id"] == sent[0][1]["id"] != sent[2][1]["id"]  # type: ignore[index]


def test_undo_like_names_the_like_it_undoes(site: Site) -> None:
    anne_uri = f"{BASE}/users/anne"
    remote_follower(site, "https://one.example/users/a", f"{BASE}/groups/open-overheid", None)
    site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "Tekst"})
    site.post("/posts/1/like", {})
    site.post("/posts/1/unlike", {})
    site.post("/posts/1/like", {})
    sent = [body for _, kind, body in queued(site) if kind == "Announce" and isinstance(body["object"], dict)
            and body["object"]["type"] in ("Like", "Undo")]  # type: ignore[index]
    like, undo, again = (body["object"] for body in sent)
    assert like["type"] == "Like" and like["actor"] == anne_uri  # type: ignore[index]
    assert undo["type"] == "Undo" and undo["object"]["id"] == like["id"]  # type: ignore[index]
    assert undo["object"]["type"] == "Like" and again["id"] != like["id"]  # type: ignore[index]
