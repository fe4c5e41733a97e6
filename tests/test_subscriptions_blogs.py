"""Following and muting a blog post (issue 12 round 2): a blog post is a thread with replies, so its
page has the topic page's follow and mute buttons, replying follows it, a mute silences it, and the
notification and the mail name a blog post. Real app, real SQLite."""

from __future__ import annotations

from federation.actors import actor_record
from node import urls
from node.services import accounts, mail_notify, posts
from node.services.ingest import Ingest
from storage import actors
from storage import subscriptions as sub_store
from storage.db import Row
from tests.helpers import PASSWORD, Site


def _member(site: Site, name: str) -> Row:
    row = site.node.db.one("SELECT * FROM accounts WHERE username = ? AND domain IS NULL", (name,))
    assert row is not None
    return row


def _kinds(site: Site, name: str) -> list[tuple[str, int]]:
    rows = site.node.db.all("SELECT kind, post_id FROM notifications WHERE account_id = ? ORDER BY id",
                            (_member(site, name)["id"],))
    return [(r["kind"], r["post_id"]) for r in rows]


def _choose(site: Site, post_id: int, level: str, page: str) -> str:
    """Press a button on the blog post's page (its CSRF token); returns the page it leads back to."""
    response = site.post(f"/topics/{post_id}/subscription", {"level": level}, site.csrf(page))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == page
    landed = site.client.get(page)
    assert landed.status_code == 200
    return landed.text


def test_a_blog_post_page_follows_and_mutes_its_thread(site: Site) -> None:
    for name in ("anne", "bram", "carl"):
        accounts.create(site.node, name, PASSWORD, display_name=name.title(), email=f"{name}@utrecht.nl")
    blog = posts.write_blog_post(site.node, _member(site, "bram"), "Hybride werken", "", "Vijf lessen.", "",
                                 publish=True)
    page_path = f"/users/bram/blog/{blog['id']}"
    site.login("anne")
    page = site.client.get(page_path).text
    assert f'action="/topics/{blog["id"]}/subscription"' in page and 'name="level" value="follow"' in page
    assert "Meldingen over dit blogbericht" in page and "Wie een blogbericht schrijft of erop reageert" in page
    assert "onderwerp" not in page.split('class="meent-subscription"')[1].split("</section>")[0]
    after = _choose(site, blog["id"], "follow", page_path)
    assert "U volgt nu" in after and "U volgt dit blogbericht" in after and "Niet meer volgen" in after
    assert sub_store.topic_level(site.node.db, _member(site, "anne")["id"], blog["id"]) == "follow"

    mail_notify.save_prefs(site.node, _member(site, "anne")["id"], {"mention": True, "reply": True, "digest": True})
    reply = posts.reply(site.node, _member(site, "carl"), blog["id"], "Goed stuk.")
    assert _kinds(site, "anne") == [("topic_reply", reply["id"])]
    listing = site.client.get("/notifications").text
    assert "Carl reageerde op Hybride werken, een blogbericht dat u volgt" in listing
    assert f'href="/posts/{reply["id"]}"' in listing
    assert "Onderwerpen en blogberichten die u volgt" in listing and f'href="{page_path}">Hybride werken' in listing
    assert "Carl replied to Hybride werken, a blog post you follow" in site.client.get("/notifications?lang=en").text
    site.client.get("/notifications?lang=nl")
    [item] = site.node.db.all("SELECT * FROM mail_digest_items WHERE account_id = ?", (_member(site, "anne")["id"],))
    assert item["line"] == "Carl reageerde op \u201cHybride werken\u201d, een blogbericht dat je volgt"

    muted = _choose(site, blog["id"], "mute", page_path)
    assert "U negeert dit blogbericht" in muted and "Niet meer negeren" in muted
    mine = posts.reply(site.node, _member(site, "anne"), blog["id"], "Mijn reactie.")
    assert sub_store.topic_level(site.node.db, _member(site, "anne")["id"], blog["id"]) == "mute"  # stays muted
    posts.reply(site.node, _member(site, "carl"), mine["id"], "Op Anne, @anne")  # a reply to her and a mention
    posts.like(site.node, _member(site, "carl"), mine["id"])
    assert _kinds(site, "anne") == [("topic_reply", reply["id"])]  # nothing more: muted
    assert len(site.node.db.all("SELECT * FROM mail_digest_items WHERE account_id = ?",
                                (_member(site, "anne")["id"],))) == 1
    cleared = _choose(site, blog["id"], "", page_path)
    assert "volgt het vanzelf" in cleared and sub_store.topic_level(site.node.db, _member(site, "anne")["id"],
                                                                     blog["id"]) is None


def test_replying_to_a_blog_post_follows_it_and_its_author_hears(site: Site) -> None:
    for name in ("anne", "bram", "carl"):
        site.member(name)
    blog = posts.write_blog_post(site.node, _member(site, "bram"), "Een blog", "", "Tekst.", "", publish=True)
    page_path = f"/users/bram/blog/{blog['id']}"
    site.login("bram")  # the author's own page has the buttons too, and follows from the start
    assert "U volgt dit blogbericht" in site.client.get(page_path).text
    site.logout()
    site.login("carl")
    assert "U volgt dit blogbericht" not in site.client.get(page_path).text
    response = site.post(f"/posts/{blog['id']}/reply", {"body": "Een reactie"}, site.csrf(page_path))
    assert response.status_code == 303, response.text
    carl = _member(site, "carl")
    assert sub_store.topic_level(site.node.db, carl["id"], blog["id"]) == "follow"
    assert "U volgt dit blogbericht" in site.client.get(page_path).text
    later = posts.reply(site.node, _member(site, "anne"), blog["id"], "Nog een")
    assert _kinds(site, "carl") == [("topic_reply", later["id"])]
    assert ("reply", later["id"]) in _kinds(site, "bram")  # the author hears as the parent's author, once
    assert ("topic_reply", later["id"]) not in _kinds(site, "bram")


def test_organisation_and_remote_blog_posts_have_the_buttons(site: Site) -> None:
    """A remote account's post that answers nothing and is in no group is a blog post here, shown
    on its author's blog page and open to replies: it can be followed as any other."""
    site.member("anne")
    site.member("beheer", role="admin")
    own = posts.write_blog_post(site.node, _member(site, "beheer"), "Van ons", "", "Nieuws.", "", publish=True,
                                organisation=True)
    doc = {"id": "https://one.example/users/eve", "type": "Person", "preferredUsername": "eve",
           "name": "Eva Elders", "inbox": "https://one.example/users/eve/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    remote = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, {
        "id": "https://one.example/articles/1", "type": "Article", "attributedTo": doc["id"], "name": "Van ver",
        "content": "<p>Een artikel</p>"}, None, 0, True, True)
    assert remote["kind"] == "blog"
    site.login("anne")
    for post, path in ((own, f"/blog/{own['id']}"), (remote, f"/users/eve@one.example/blog/{remote['id']}")):
        assert urls.thread(post) == path
        page = site.client.get(path).text
        assert "Meldingen over dit blogbericht" in page, path
        _choose(site, post["id"], "follow", path)
        assert sub_store.topic_level(site.node.db, _member(site, "anne")["id"], post["id"]) == "follow"
    site.logout()
    assert "Meldingen over dit blogbericht" not in site.client.get(f"/blog/{own['id']}").text  # visitors: none
