"""Writing (issue 12): every edit keeps the version it replaces; /posts/{id}/history shows them all,
with who changed what, to everyone who may see the post, and never a deleted or removed post's text."""

from __future__ import annotations

from node import urls
from node.services import lifecycle, revisions
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
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0


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
