"""Writing (issue 12): every edit keeps the version it replaces; /posts/{id}/history shows them all,
with who changed what, to everyone who may see the post, and never a deleted or removed post's text."""

from __future__ import annotations

from typing import Any

from node import urls
from node.services import lifecycle, revisions
from node.services.federated import edit_time
from storage import posts
from tests.helpers import Site
from tests.test_fixtures import Env, env, load  # noqa: F401 (env: the federation fixture)


def setup(site: Site) -> int:
    site.group()
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    response = site.post("/groups/open-overheid/topics", {"title": "Woo", "body": "De gemeente publiceert alles."})
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
