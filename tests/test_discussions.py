import re

from storage import groups as group_store
from storage import posts as post_store
from tests.helpers import Site


def start_topic(site: Site, title: str = "Kunnen ambtenaren innovatoren zijn?", body: str = "Wat denkt u? #innovatie",
                group: str = "open-overheid") -> int:
    response = site.post(f"/groups/{group}/topics", {"title": title, "body": body}, site.csrf(f"/groups/{group}/new"))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def reply(site: Site, parent_id: int, body: str) -> int:
    response = site.post(f"/posts/{parent_id}/reply", {"body": body})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("#post-", 1)[1])


def test_moderators_create_groups_members_do_not(site: Site) -> None:
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    response = site.post("/groups", {"slug": "open-overheid", "name": "Open Overheid"})
    assert response.status_code == 403
    assert group_store.by_slug(site.node.db, "open-overheid") is None
    assert "Nieuwe groep" not in site.client.get("/groups").text
    site.logout()
    site.login("mod")
    response = site.post("/groups", {"slug": "open-overheid", "name": "Open Overheid", "description": "Woo"})
    assert response.headers["location"] == "/groups/open-overheid"
    assert "Open Overheid" in site.client.get("/groups").text
    response = site.post("/groups", {"slug": "Open Overheid!", "name": "X"})
    assert response.status_code == 422 and "kleine letters" in response.text


def test_members_follow_and_unfollow_groups(site: Site) -> None:
    site.group()
    site.member("anne")
    site.login("anne")
    site.post("/groups/open-overheid/follow", {})
    page = site.client.get("/groups/open-overheid").text
    assert "U volgt deze groep." in page
    assert "Open Overheid" in site.client.get("/users/anne").text
    site.post("/groups/open-overheid/unfollow", {})
    assert "U volgt deze groep." not in site.client.get("/groups/open-overheid").text


def test_visitor_sees_an_invitation_instead_of_a_form(site: Site) -> None:
    site.group()
    site.member("anne")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    page = site.client.get(f"/groups/open-overheid/topics/{topic}").text
    assert 'action="/posts/' not in page
    assert "Log in</a> om te reageren" in page  # sign-up is closed: no link to it
    assert 'href="/register"' not in page
    from node.services import accounts

    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    page = site.client.get(f"/groups/open-overheid/topics/{topic}").text
    assert "Log in</a> of" in page and 'href="/register"' in page
    assert site.client.get("/groups/open-overheid/new", follow_redirects=False).status_code == 303
    response = site.post(f"/posts/{topic}/reply", {"body": "anoniem"})
    assert response.headers["location"].startswith("/login")
    assert len(post_store.thread(site.node.db, topic)) == 1


def test_threaded_replies_with_permalinks(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("bram")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    site.login("bram")
    first = reply(site, topic, "Ruimte om te mogen mislukken.")
    nested = reply(site, first, "Een reactie op de reactie.")
    second = reply(site, topic, "Tijd om te leren.")
    page = site.client.get(f"/groups/open-overheid/topics/{topic}").text
    # the nested reply sits inside the first reply's list item, before the second top-level reply
    first_at, nested_at, second_at = (page.index(f'id="post-{i}"') for i in (first, nested, second))
    assert first_at < nested_at < second_at
    between = page[first_at:nested_at]
    assert "meent-thread--nested" in between
    assert f'href="/posts/{nested}"' in page  # the permalink: /posts/{id} finds the reply's page
    assert site.client.get(f"/posts/{nested}", follow_redirects=False).headers["location"].endswith(f"#post-{nested}")
    assert "3 reacties" in site.client.get("/groups/open-overheid").text


def test_edit_marks_edited_and_delete_leaves_a_tombstone(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("bram")
    site.login("anne")
    topic = start_topic(site)
    mine = reply(site, topic, "Eerste versie")
    child = reply(site, mine, "Antwoord eronder")
    response = site.post(f"/posts/{mine}/edit", {"body": "Tweede versie"})
    assert response.status_code == 303
    page = site.client.get(f"/groups/open-overheid/topics/{topic}").text
    assert "Tweede versie" in page and "Eerste versie" not in page
    assert "bewerkt " in page
    site.logout()
    site.login("bram")
    assert site.post(f"/posts/{mine}/edit", {"body": "gekaapt"}).status_code == 403
    assert site.post(f"/posts/{mine}/delete", {}).status_code == 403
    site.logout()
    site.login("anne")
    site.post(f"/posts/{mine}/delete", {})
    page = site.client.get(f"/groups/open-overheid/topics/{topic}").text
    assert "Dit bericht is verwijderd." in page
    assert "Tweede versie" not in page
    assert "Antwoord eronder" in page and f'id="post-{child}"' in page  # the thread stays whole
    assert site.post(f"/posts/{mine}/reply", {"body": "nog iets"}).status_code == 422


def test_moderator_may_edit_and_delete_others(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("mod", role="moderator")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    site.login("mod")
    assert site.post(f"/posts/{topic}/delete", {}).status_code == 422  # a removal needs a reason
    assert site.post(f"/posts/{topic}/delete", {"reason": "Buiten de orde"}).status_code == 303
    removed = post_store.by_id(site.node.db, topic)
    assert removed["deleted_at"] is None and removed["removed_reason"] == "Buiten de orde"


def test_likes_views_and_notifications(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("bram")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    site.login("bram")
    site.post(f"/posts/{topic}/like", {})
    site.post(f"/posts/{topic}/like", {})  # twice is still one like
    assert post_store.by_id(site.node.db, topic)["like_count"] == 1
    reply(site, topic, "Goed punt, @anne! #innovatie")
    site.client.get(f"/groups/open-overheid/topics/{topic}")
    assert "2 keer bekeken" in site.client.get(f"/groups/open-overheid/topics/{topic}").text
    site.node.flush_views()  # views are counted in memory and written in batches
    assert post_store.by_id(site.node.db, topic)["views"] == 2
    site.logout()
    site.login("anne")
    home = site.client.get("/").text
    assert "2 ongelezen" in home  # the like and the mention (a mention of the parent's author is not also a reply)
    page = site.client.get("/notifications").text
    assert "Bram noemde u in Kunnen ambtenaren innovatoren zijn?" in page
    assert "Bram waardeerde uw bericht" in page
    site.post("/notifications/read", {}, site.csrf("/notifications"))
    assert "ongelezen" not in site.client.get("/").text
    site.logout()
    site.login("bram")
    site.post(f"/posts/{topic}/unlike", {})
    assert post_store.by_id(site.node.db, topic)["like_count"] == 0


def test_reply_notifies_the_parent_author(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("bram")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    site.login("bram")
    reply(site, topic, "Zonder noemen")
    site.logout()
    site.login("anne")
    assert "Bram reageerde op u" in site.client.get("/notifications").text


def test_hashtags_make_tag_pages(site: Site) -> None:
    site.group()
    site.member("anne")
    site.login("anne")
    topic = start_topic(site, body="Over #Woo en #OpenData")
    page = site.client.get("/tags/woo").text
    assert f"/groups/open-overheid/topics/{topic}" in page
    assert site.client.get("/tags/opendata").status_code == 200
    assert 'href="/tags/woo"' in site.client.get(f"/groups/open-overheid/topics/{topic}").text


def test_size_limits_give_friendly_errors(site: Site) -> None:
    site.group()
    site.member("anne")
    site.login("anne")
    csrf = site.csrf("/groups/open-overheid/new")
    response = site.post("/groups/open-overheid/topics", {"title": "x" * 201, "body": "ok"}, csrf)
    assert response.status_code == 422 and "Maximaal 200 tekens." in response.text
    response = site.post("/groups/open-overheid/topics", {"title": "Titel", "body": "x" * 50_001}, csrf)
    assert response.status_code == 422 and "Maximaal 50000 tekens." in response.text
    response = site.post("/groups/open-overheid/topics", {"title": "  ", "body": "ok"}, csrf)
    assert response.status_code == 422 and "verplicht" in response.text
    assert re.search(r'<textarea[^>]*name="body"[^>]*>ok</textarea>', response.text)  # what was typed stays
    assert post_store.recent(site.node.db, "topic") == []


def test_visitors_see_new_replies_at_once_despite_the_page_cache(site: Site) -> None:
    site.group()
    site.member("anne")
    site.login("anne")
    topic = start_topic(site)
    site.logout()
    assert "Eerste reactie" not in site.client.get(f"/groups/open-overheid/topics/{topic}").text
    site.login("anne")
    reply(site, topic, "Eerste reactie")
    site.logout()
    assert "Eerste reactie" in site.client.get(f"/groups/open-overheid/topics/{topic}").text
    # a write by another process (another connection, as the CLI would make) shows too
    from storage.db import Database

    other = Database(site.node.db.path)
    other.execute("UPDATE posts SET content = '<p>Van buiten</p>' WHERE kind = 'reply'")
    other.close()
    assert "Van buiten" in site.client.get(f"/groups/open-overheid/topics/{topic}").text


def test_views_are_written_when_the_node_stops(tmp_path) -> None:
    from tests.helpers import make_site

    made = make_site(tmp_path)
    with made.client:
        made.group()
        made.member("anne")
        made.login("anne")
        topic = start_topic(made)
        made.client.get(f"/groups/open-overheid/topics/{topic}")
    assert post_store.by_id(made.node.db, topic)["views"] == 1  # the lifespan flushed on shutdown
    made.node.db.close()
