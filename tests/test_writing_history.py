"""Writing (issue 12): every edit keeps the version it replaces; /posts/{id}/history shows them all,
with who changed what, to everyone who may see the post, and never a deleted or removed post's text."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from federation import vocab
from federation.actors import actor_record
from node import urls
from node.services import lifecycle, revisions
from node.services.federated import edit_time
from storage import actors, follows, posts
from tests.helpers import Site
from tests.media_samples import png
from tests.test_fixtures import Env, env, load  # noqa: F401 (env: the federation fixture)


def setup(site: Site, body: str = "De gemeente publiceert alles.") -> int:
    site.group()
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    response = site.post("/groups/open-overheid/topics", {"title": "Woo", "body": body})
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def edit(site: Site, post_id: int, body: str, title: str = "Woo") -> None:
    assert site.post(f"/posts/{post_id}/edit", {"title": title, "body": body}).status_code == 303


def test_each_local_edit_keeps_the_previous_version_and_the_history_shows_the_diff(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "De gemeente publiceert alles.")  # no change: no revision
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0
    edit(site, topic_id, "De gemeente publiceert bijna alles.")
    edit(site, topic_id, "De gemeente publiceert bijna alles.", title="Woo-verzoeken")
    site.logout()  # a visitor reads the history
    thread = site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    assert f'href="/posts/{topic_id}/history"' in thread
    page = site.client.get(f"/posts/{topic_id}/history")
    assert page.status_code == 200
    text = page.text
    assert "Versie 3 (huidige)" in text and "Versie 1" in text
    assert "Geschreven door Anne" in text and "Gewijzigd door Anne" in text
    assert '<ins><span class="meent-visually-hidden">[toegevoegd: </span>bijna <span' in text
    assert "titel gewijzigd" in text and "Woo-verzoeken" in text
    assert text.index("Versie 3") < text.index("Versie 1")  # newest first


def test_a_moderators_edit_is_a_redaction_that_keeps_no_earlier_version(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Bel me thuis: Dorpsstraat 1, 06-12345678.")
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 1
    site.logout()
    site.login("mod")
    edit(site, topic_id, "Bel me via de gemeente.")
    site.logout()
    page = site.client.get(f"/posts/{topic_id}/history")
    assert page.status_code == 200
    assert "Dorpsstraat" not in page.text and "publiceert alles" not in page.text
    assert "Bel me via de gemeente." in page.text
    # one trace without text stands for the withdrawn versions: the author's, replaced by the moderator
    [trace] = site.node.db.all("SELECT * FROM post_revisions WHERE post_id = ?", (topic_id,))
    assert trace["redacted"] == 1 and trace["source"] == trace["content"] == "" and trace["title"] is None
    assert trace["editor_id"] == site.node.db.scalar("SELECT id FROM accounts WHERE username = 'mod'")


def test_a_redaction_says_a_moderator_changed_it_and_names_them_only_to_moderators(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Bel me thuis: 06-12345678.")
    site.logout()
    site.login("mod")
    edit(site, topic_id, "Bel me via de gemeente.")
    site.logout()
    page = site.client.get(f"/posts/{topic_id}/history").text  # a visitor
    assert "Versie 2 (huidige)" in page and "Versie 3" not in page
    assert "Gewijzigd door een moderator" in page and "door Mod" not in page and "Gewijzigd door Anne" not in page
    assert "Geschreven door Anne" in page  # the withdrawn versions were the author's
    assert "Een moderator heeft de eerdere versies van dit bericht verwijderd" in page
    assert "Geen vergelijking" in page and "<ins>" not in page  # no diff against text that is gone
    english = site.client.get(f"/posts/{topic_id}/history?lang=en").text
    assert "Changed by a moderator" in english and "A moderator removed the earlier versions" in english
    site.client.get("/?lang=nl")  # the choice is remembered in a cookie: back to Dutch
    site.login("anne")  # the author is no moderator: not named to her either
    assert "Gewijzigd door een moderator" in site.client.get(f"/posts/{topic_id}/history").text
    edit(site, topic_id, "Bel me via de gemeente, graag.")  # her next edit keeps the moderator's version
    page = site.client.get(f"/posts/{topic_id}/history").text
    assert "Versie 3 (huidige)" in page and "Gewijzigd door Anne" in page and "Gewijzigd door een moderator" in page
    assert "06-12345678" not in page
    site.logout()
    site.login("mod")  # the post's moderators see who it was, as in the audit log
    page = site.client.get(f"/posts/{topic_id}/history").text
    assert "Gewijzigd door Mod" in page and "Gewijzigd door een moderator" not in page


def test_an_edit_that_changes_nothing_is_no_edit(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "De gemeente publiceert alles.")
    post = posts.by_id(site.node.db, topic_id)
    assert post is not None and post["edited_at"] is None
    assert f'href="/posts/{topic_id}/history"' not in site.client.get(urls.post(post), follow_redirects=True).text
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0


def test_an_edit_of_only_the_tags_is_a_version_with_the_same_text(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    saved = site.post("/blog/new", {"title": "Woo", "summary": "", "body": "Alles openbaar.", "tags": "woo",
                                    "action": "publish"})
    assert saved.status_code == 303, saved.text
    post_id = int(site.node.db.scalar("SELECT max(id) FROM posts") or 0)
    fields = {"title": "Woo", "summary": "", "body": "Alles openbaar.", "tags": "woo"}
    assert site.post(f"/posts/{post_id}/edit", fields).status_code == 303  # nothing changed
    post = posts.by_id(site.node.db, post_id)
    assert post is not None and post["edited_at"] is None
    assert site.post(f"/posts/{post_id}/edit", {**fields, "tags": "woo archief"}).status_code == 303
    post = posts.by_id(site.node.db, post_id)
    assert post is not None and post["edited_at"] is not None
    assert posts.tags_of(site.node.db, [post_id])[post_id] == ["archief", "woo"]
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions WHERE post_id = ?", (post_id,)) == 1
    page = site.client.get(f"/posts/{post_id}/history").text
    assert "Versie 2 (huidige)" in page and "Alleen de bijlagen, tags of samenvatting zijn gewijzigd" in page
    assert '<pre class="meent-diff">' not in page  # no empty diff


def test_a_changed_word_is_one_deletion_and_one_insertion() -> None:
    pieces = revisions.diff("een twee drie", "een vier drie")
    assert [(p.kind, p.text) for p in pieces] == [("same", "een "), ("del", "twee"), ("ins", "vier"), ("same", " drie")]


def test_revisions_are_bounded_per_post(site: Site) -> None:
    topic_id = setup(site)
    for n in range(revisions.KEEP + 5):
        edit(site, topic_id, f"Versie nummer {n}")
    rows = site.node.db.all("SELECT source FROM post_revisions WHERE post_id = ? ORDER BY id", (topic_id,))
    assert len(rows) == revisions.KEEP and rows[-1]["source"] == f"Versie nummer {revisions.KEEP + 3}"


def test_a_removed_posts_history_is_hidden_from_visitors(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Geheim nieuw")
    site.logout()
    site.login("mod")
    assert site.post(f"/posts/{topic_id}/remove", {"reason": "spam"}).status_code == 303
    assert site.client.get(f"/posts/{topic_id}/history").status_code == 200  # the moderator still may
    site.logout()
    page = site.client.get(f"/posts/{topic_id}/history")
    assert page.status_code == 404 and "De gemeente publiceert" not in page.text
    site.login("anne")
    assert site.client.get(f"/posts/{topic_id}/history").status_code == 200  # and the author


def test_a_deleted_post_takes_its_history_with_it(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Tweede versie")
    assert site.post(f"/posts/{topic_id}/delete", {}).status_code == 303
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0
    page = site.client.get(f"/posts/{topic_id}/history")
    assert page.status_code == 404 and "De gemeente publiceert" not in page.text


def test_deleting_a_member_removes_their_revisions_and_drafts(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Tweede versie")
    site.post(f"/posts/{topic_id}/reply", {"body": "concept", "action": "draft"})
    lifecycle.delete_member(site.node, "anne")
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0
    assert site.node.db.scalar("SELECT count(*) FROM post_drafts") == 0


def test_a_federated_update_keeps_the_remote_posts_previous_version(env: Env) -> None:  # noqa: F811
    env.cache_actor("http://ds9.lemmy.ml/u/lemmy_alpha")
    folder = "lemmy/activities/create_or_update/"
    env.process(load(folder + "create_page.json"))
    page = posts.by_uri(env.db, "http://ds9.lemmy.ml/post/1")
    assert page is not None and page["title"] == "test post"
    env.process(load(folder + "update_page.json"))
    rows = env.db.all("SELECT * FROM post_revisions WHERE post_id = ?", (page["id"],))
    assert len(rows) == 1 and rows[0]["title"] == "test post" and rows[0]["editor_id"] == page["author_id"]
    updated = posts.by_id(env.db, page["id"])
    assert updated is not None
    thread = env.site.client.get(urls.post(updated), follow_redirects=True).text
    assert f'href="/posts/{page["id"]}/history"' in thread
    history = env.site.client.get(f"/posts/{page['id']}/history").text
    assert "Versie 2 (huidige)" in history and "test post 1" in history and "titel gewijzigd" in history


def _update(env: Env, n: int, body: str, updated: str | None) -> None:  # noqa: F811
    activity: dict[str, Any] = load("lemmy/activities/create_or_update/update_page.json")
    activity["id"] += f"-{n}"
    activity["object"] = {**activity["object"], "content": f"<p>{body}</p>", "source": {}}
    if updated is None:
        del activity["object"]["updated"]
    else:
        activity["object"]["updated"] = updated
    assert env.process(activity) is None


def test_a_federated_update_is_dated_by_its_updated_time_when_that_is_sane(env: Env) -> None:  # noqa: F811
    env.cache_actor("http://ds9.lemmy.ml/u/lemmy_alpha")
    env.process(load("lemmy/activities/create_or_update/create_page.json"))
    page = posts.by_uri(env.db, "http://ds9.lemmy.ml/post/1")
    assert page is not None and page["published_at"] == "2021-10-29T15:10:51.557Z"
    env.process(load("lemmy/activities/create_or_update/update_page.json"))

    def edited() -> str:
        post = posts.by_id(env.db, page["id"])
        assert post is not None
        return str(post["edited_at"])

    def count() -> int:
        return int(env.db.scalar("SELECT count(*) FROM post_revisions WHERE post_id = ?", (page["id"],)) or 0)

    assert edited() == "2021-10-29T15:11:35.976Z"  # the object's `updated`, not when it reached us
    env.process({**load("lemmy/activities/create_or_update/update_page.json"),
                 "id": "http://ds9.lemmy.ml/activities/update/again"})  # the same again: no edit
    assert count() == 1 and edited() == "2021-10-29T15:11:35.976Z"
    _update(env, 1, "tweede", "2021-10-29T15:12:00Z")
    assert count() == 2 and edited() == "2021-10-29T15:12:00.000Z"
    history = env.site.client.get(f"/posts/{page['id']}/history").text
    assert 'datetime="2021-10-29T15:12:00.000Z"' in history and 'datetime="2021-10-29T15:11:35.976Z"' in history
    for n, updated in enumerate(("9999-01-01T00:00:00Z", "gisteren", None), 2):
        before = env.site.node.now()
        _update(env, n, f"versie {n}", updated)  # future, nonsense, none: receive time
        assert before <= edited() <= env.site.node.now(), updated
    assert count() == 5
    last = edited()
    _update(env, 5, "versie 5", "2020-01-01T00:00:00Z")  # before the last edit: a late one, which changes nothing
    assert count() == 5 and edited() == last
    post = posts.by_id(env.db, page["id"])
    assert post is not None and "versie 4" in post["content"]


def test_the_time_of_a_federated_update() -> None:
    post = {"published_at": "2024-01-01T00:00:00.000Z", "edited_at": None}
    now = "2025-01-01T00:00:00.000Z"
    assert edit_time("2024-06-01T00:00:00.000Z", post, now) == "2024-06-01T00:00:00.000Z"
    assert edit_time(None, post, now) == now
    assert edit_time("2025-01-02T00:00:00.000Z", post, now) == now  # in the future
    assert edit_time("2023-12-31T00:00:00.000Z", post, now) is None  # before it was published: late
    edited = {**post, "edited_at": "2024-07-01T00:00:00.000Z"}
    assert edit_time("2024-06-01T00:00:00.000Z", edited, now) is None  # before its last edit here: late


def _remote_follower(site: Site, uri: str, followee: str) -> None:
    doc = {"id": uri, "type": "Person", "preferredUsername": uri.rsplit("/", 1)[1], "inbox": f"{uri}/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    follows.put(site.node.db, uri, followee, "accepted", None, site.node.now())


def test_a_redaction_leaves_no_removed_text_in_the_outbox(site: Site) -> None:
    topic_id = setup(site)
    anne = site.node.config.base_url + "/users/anne"
    group = site.node.config.base_url + "/groups/open-overheid"
    _remote_follower(site, "https://one.example/users/a", anne)
    _remote_follower(site, "https://two.example/users/b", group)
    site.node.db.execute("UPDATE deliveries SET state = 'done'")
    edit(site, topic_id, "Bel me thuis: Dorpsstraat 1.", title="Woo Dorpsstraat")
    site.logout()
    site.login("mod")
    edit(site, topic_id, "Bel me via de gemeente.")
    site.logout()
    rows = site.node.db.all("SELECT uri, type, actor FROM activities ORDER BY id")
    assert len(rows) >= 6  # Create, Announces, Updates and their Announces, the redaction's Update
    for path in ("/users/anne/outbox?page=1", "/groups/open-overheid/outbox?page=1",
                 *(urlsplit(row["uri"]).path for row in rows)):
        answer = site.client.get(path)
        assert answer.status_code == 200, path
        assert "Dorpsstraat" not in answer.text and "publiceert alles" not in answer.text, path
    queued = site.node.db.all("SELECT body FROM deliveries WHERE state = 'pending' AND body != ''")
    assert not queued  # deliveries read the body from activities: none carries a copy of its own
    create, *_, update = [row["uri"] for row in rows if row["actor"] == anne and row["type"] in ("Create", "Update")]
    assert "Bel me via de gemeente." in site.client.get(urlsplit(update).path).text
    first = orjson.loads(site.client.get(urlsplit(create).path).text)
    assert first["type"] == "Create" and "via de gemeente" in first["object"]["content"]  # the post as it is


def test_replace_object_keeps_tombstones_and_references() -> None:
    new = {"id": "https://a.example/posts/1", "type": "Note", "content": "nieuw"}
    activity = {"id": "x", "type": "Announce", "object": {"id": "y", "type": "Update", "object": {
        "id": "https://a.example/posts/1", "type": "Note", "content": "oud"}}}
    assert vocab.replace_object(activity, new)["object"]["object"] == new
    tombstone = {"type": "Delete", "object": {"id": "https://a.example/posts/1", "type": "Tombstone"}}
    assert vocab.replace_object(tombstone, new) == tombstone
    assert vocab.replace_object({"object": "https://a.example/posts/1"}, new) == {"object": "https://a.example/posts/1"}


def _blog(site: Site, body: str, summary: str = "", tags: str = "woo") -> int:
    saved = site.post("/blog/new", {"title": "Woo", "summary": summary, "body": body, "tags": tags,
                                    "action": "publish"})
    assert saved.status_code == 303, saved.text
    return int(site.node.db.scalar("SELECT max(id) FROM posts") or 0)


def _summary(site: Site, post_id: int) -> str:
    post = posts.by_id(site.node.db, post_id)
    assert post is not None
    return str(post["summary"])


def test_a_derived_summary_follows_the_new_text_and_a_redaction_takes_the_old_one_out(site: Site) -> None:
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    post_id = _blog(site, "Bel me thuis: 06-12345678.")
    assert "06-12345678" in _summary(site, post_id)
    fields = {"title": "Woo", "body": "Bel me op het werk.", "tags": "woo"}
    # the edit form fills in the stored summary, so that is what comes back
    form = site.client.get(f"/posts/{post_id}/edit").text
    assert "06-12345678" in form
    assert site.post(f"/posts/{post_id}/edit", {**fields, "summary": _summary(site, post_id)}).status_code == 303
    assert _summary(site, post_id) == "Bel me op het werk."
    own = _blog(site, "Een tweede bericht.", summary="Mijn eigen samenvatting")
    assert site.post(f"/posts/{own}/edit", {**fields, "summary": "Mijn eigen samenvatting"}).status_code == 303
    assert _summary(site, own) == "Mijn eigen samenvatting"  # typed by the author: it stays
    typed = _blog(site, "Schrijf naar Dorpsstraat 1.", summary="Adres: Dorpsstraat 1")
    site.logout()
    site.login("mod")
    assert site.post(f"/posts/{typed}/edit", {"title": "Woo", "body": "Schrijf naar de gemeente.", "tags": "woo",
                                              "summary": "Adres: Dorpsstraat 1"}).status_code == 303
    assert _summary(site, typed) == "Schrijf naar de gemeente."  # the redaction derives it again
    assert "Dorpsstraat" not in site.client.get(f"/posts/{typed}/history").text


def test_a_moderators_edit_of_only_the_tags_names_them_only_to_moderators(site: Site) -> None:
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    post_id = _blog(site, "Alles openbaar.")
    site.logout()
    site.login("mod")
    assert site.post(f"/posts/{post_id}/edit", {"title": "Woo", "summary": "", "body": "Alles openbaar.",
                                                "tags": "woo archief"}).status_code == 303
    page = site.client.get(f"/posts/{post_id}/history").text
    assert "Gewijzigd door Mod" in page
    site.logout()
    for who in (None, "anne"):
        if who:
            site.login(who)
        page = site.client.get(f"/posts/{post_id}/history").text
        assert "Gewijzigd door een moderator" in page and "door Mod" not in page, who
        assert "Alleen de bijlagen, tags of samenvatting zijn gewijzigd" in page  # an ordinary version


def test_a_mention_that_registered_since_makes_no_text_change(site: Site) -> None:
    topic_id = setup(site, "Vraag het @piet.")
    post_id = _blog(site, "Vraag het @piet.")
    site.member("piet")  # now @piet is a member: the same text renders with a link
    edit(site, topic_id, "Vraag het @piet.")
    post = posts.by_id(site.node.db, topic_id)
    assert post is not None and post["edited_at"] is None  # an author's save of the same text: no edit
    site.logout()
    site.login("mod")
    assert site.post(f"/posts/{post_id}/edit", {"title": "Woo", "summary": "", "body": "Vraag het @piet.",
                                                "tags": "woo archief"}).status_code == 303
    [row] = site.node.db.all("SELECT * FROM post_revisions WHERE post_id = ?", (post_id,))
    assert row["redacted"] == 0 and row["source"] == "Vraag het @piet."  # a tags-only version, no redaction


def test_a_changed_description_is_an_edit_that_is_sent(site: Site) -> None:
    site.member("anne")
    site.group()
    site.login("anne")
    _remote_follower(site, "https://one.example/users/a", site.node.config.base_url + "/users/anne")
    made = site.client.post("/groups/open-overheid/topics", data={
        "csrf": site.csrf("/groups/open-overheid/new"), "title": "Foto", "body": "Kijk", "alt_1": "Een groen vlak"},
        files={"file_1": ("vlak.png", png(), "image/png")}, follow_redirects=False)
    assert made.status_code == 303, made.text
    topic_id = int(made.headers["location"].rsplit("/", 1)[1])
    media_id = int(site.node.db.scalar("SELECT id FROM media") or 0)
    form = {"csrf": site.csrf(f"/posts/{topic_id}/edit"), "title": "Foto", "body": "Kijk", "media_id": str(media_id)}
    same = site.client.post(f"/posts/{topic_id}/edit", data={**form, f"description_{media_id}": "Een groen vlak"},
                            files={"file_9": ("", b"", "")}, follow_redirects=False)
    assert same.status_code == 303
    post = posts.by_id(site.node.db, topic_id)
    assert post is not None and post["edited_at"] is None  # nothing changed
    changed = site.client.post(f"/posts/{topic_id}/edit", data={**form, f"description_{media_id}": "Een blauw vlak"},
                               files={"file_9": ("", b"", "")}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    post = posts.by_id(site.node.db, topic_id)
    assert post is not None and post["edited_at"] is not None
    assert site.node.db.scalar("SELECT description FROM media WHERE id = ?", (media_id,)) == "Een blauw vlak"
    sent = [orjson.loads(row["body"]) for row in site.node.db.all(
        "SELECT a.body FROM deliveries d JOIN activities a ON a.uri = d.activity_uri"
        " WHERE d.inbox = 'https://one.example/users/a/inbox' ORDER BY d.id")]
    assert [body["type"] for body in sent] == ["Create", "Update"]
    assert sent[1]["object"]["attachment"][0]["name"] == "Een blauw vlak"
    page = site.client.get(f"/posts/{topic_id}/history").text
    assert "Versie 2 (huidige)" in page and "Alleen de bijlagen, tags of samenvatting zijn gewijzigd" in page
    emptied = site.client.post(f"/posts/{topic_id}/edit", data={**form, f"description_{media_id}": ""},
                               files={"file_9": ("", b"", "")}, follow_redirects=False)
    assert emptied.status_code == 422 and "Beschrijf elke afbeelding (vlak.png)" in emptied.text
    assert site.node.db.scalar("SELECT description FROM media WHERE id = ?", (media_id,)) == "Een blauw vlak"


def test_pruning_keeps_the_trace_of_a_redaction(site: Site) -> None:
    topic_id = setup(site)
    edit(site, topic_id, "Bel me thuis: 06-12345678.")
    site.logout()
    site.login("mod")
    edit(site, topic_id, "Bel me via de gemeente.")
    site.logout()
    site.login("anne")
    for n in range(revisions.KEEP + 2):
        edit(site, topic_id, f"Versie nummer {n}")
    rows = site.node.db.all("SELECT * FROM post_revisions WHERE post_id = ? ORDER BY id", (topic_id,))
    assert rows[0]["redacted"] == 1 and len(rows) == revisions.KEEP + 1
    assert "Een moderator heeft de eerdere versies" in site.client.get(f"/posts/{topic_id}/history").text


def test_a_moderators_summary_only_edit_leaves_nothing_in_the_outbox_and_they_cannot_unpublish(site: Site) -> None:
    site.member("anne")
    site.member("mod", role="moderator")
    _remote_follower(site, "https://one.example/users/a", site.node.config.base_url + "/users/anne")
    site.login("anne")
    post_id = _blog(site, "Een bericht over de Woo.", summary="Bel me: 06-12345678")
    site.logout()
    site.login("mod")
    fields = {"title": "Woo", "body": "Een bericht over de Woo.", "tags": "woo"}
    assert site.post(f"/posts/{post_id}/edit", {**fields, "summary": "Over de Woo"}).status_code == 303
    uris = [row["uri"] for row in site.node.db.all("SELECT uri FROM activities")]
    assert uris
    for path in ("/users/anne/outbox?page=1", *(urlsplit(uri).path for uri in uris)):
        assert "06-12345678" not in site.client.get(path).text, path
    # a moderator's hand-made "save as draft" does not withdraw the author's post
    changed = {**fields, "body": "Een bericht.", "summary": "Over de Woo", "action": "draft"}
    assert site.post(f"/posts/{post_id}/edit", changed).status_code == 303
    post = posts.by_id(site.node.db, post_id)
    assert post is not None and post["state"] == "published" and post["source"] == "Een bericht."


def test_another_admins_correction_of_an_organisation_blog_post_is_an_edit_not_a_redaction(site: Site) -> None:
    site.member("baas", role="admin")
    site.member("chef", role="admin")
    site.login("baas")
    saved = site.post("/blog/new", {"title": "Nieuws", "summary": "", "body": "De raad besluit.", "tags": "",
                                    "organisation": "yes", "action": "publish"})
    assert saved.status_code == 303, saved.text
    post_id = int(site.node.db.scalar("SELECT max(id) FROM posts") or 0)
    site.logout()
    site.login("chef")
    assert site.post(f"/posts/{post_id}/edit", {"title": "Nieuws", "body": "De raad besluit vanavond.", "tags": "",
                                                "summary": ""}).status_code == 303
    site.logout()
    history = site.client.get(f"/posts/{post_id}/history").text
    assert "De raad besluit." in history and "Gewijzigd door een moderator" not in history  # both versions kept
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions WHERE redacted = 1") == 0
    # a moderator who is no admin does not speak for the organisation: a redaction, and unnamed
    site.member("mod", role="moderator")
    site.login("mod")
    assert site.post(f"/posts/{post_id}/edit", {"title": "Nieuws", "body": "De raad besluit morgen.", "tags": "",
                                                "summary": ""}).status_code == 303
    site.logout()
    history = site.client.get(f"/posts/{post_id}/history").text
    assert "Gewijzigd door een moderator" in history and "door Mod" not in history
