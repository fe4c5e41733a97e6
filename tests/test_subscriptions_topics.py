"""Subscriptions (issue 12): follow and mute a topic, follow a tag, the notifications page and its
paging, mail, the client API, and member deletion. Real app, real SQLite, real SMTP on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.actors import actor_record
from node.services import accounts, groups, lifecycle, mail_notify, posts
from node.services.ingest import Ingest
from storage import actors
from storage import subscriptions as sub_store
from storage.db import Row
from tests.helpers import PASSWORD, Site, make_site
from tests.mail_helpers import SmtpServer
from tests.test_api import Api

BASE = "http://127.0.0.1:8000"
GROUP = "open-overheid"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        for name in ("anne", "bram", "carl"):
            made.member(name)
        made.group()
        yield made
    made.node.db.close()


def _member(site: Site, name: str) -> Row:
    row = site.node.db.one("SELECT * FROM accounts WHERE username = ? AND domain IS NULL", (name,))
    assert row is not None
    return row


def _topic(site: Site, author: str = "bram", title: str = "Woo-verzoeken", body: str = "Hoe werkt dit?") -> Row:
    return posts.start_topic(site.node, _member(site, author), groups.get(site.node, GROUP), title, body)


def _kinds(site: Site, name: str) -> list[tuple[str, int]]:
    """(kind, post id) of a member's notifications, oldest first."""
    rows = site.node.db.all("SELECT kind, post_id FROM notifications WHERE account_id = ? ORDER BY id",
                            (_member(site, name)["id"],))
    return [(r["kind"], r["post_id"]) for r in rows]


def _choose(site: Site, topic_id: int, level: str, page: str | None = None) -> str:
    """Press a button on the topic page; returns the page it leads back to."""
    path = page or f"/groups/{GROUP}/topics/{topic_id}"
    response = site.post(f"/topics/{topic_id}/subscription", {"level": level}, site.csrf(path))
    assert response.status_code == 303, response.text
    landed = site.client.get(response.headers["location"])
    assert landed.status_code == 200
    return landed.text


def test_a_followed_topic_tells_of_each_reply_but_not_of_ones_own(site: Site) -> None:
    topic = _topic(site)
    site.login("anne")
    page = site.client.get(f"/groups/{GROUP}/topics/{topic['id']}").text
    assert 'name="level" value="follow"' in page and "volgt het vanzelf" in page
    after = _choose(site, topic["id"], "follow")
    assert "U volgt nu" in after and "U volgt dit onderwerp" in after and 'value=""' in after
    assert sub_store.topic_level(site.node.db, _member(site, "anne")["id"], topic["id"]) == "follow"
    reply = posts.reply(site.node, _member(site, "carl"), topic["id"], "Zo werkt het.")
    assert _kinds(site, "anne") == [("topic_reply", reply["id"])]
    posts.reply(site.node, _member(site, "anne"), topic["id"], "Dank je.")
    assert _kinds(site, "anne") == [("topic_reply", reply["id"])]  # not told of her own reply
    listing = site.client.get("/notifications").text
    assert f'href="/posts/{reply["id"]}"' in listing
    assert "Carl reageerde in Woo-verzoeken, een onderwerp dat u volgt" in listing
    english = site.client.get("/notifications?lang=en").text
    assert "Carl replied in Woo-verzoeken, a topic you follow" in english
    site.client.get("/notifications?lang=nl")
    thread = site.client.get(f"/posts/{reply['id']}", follow_redirects=False)
    assert f"#post-{reply['id']}" in thread.headers["location"]  # the link lands on the reply
    stop = _choose(site, topic["id"], "")
    assert "niet meer" in stop
    posts.reply(site.node, _member(site, "carl"), topic["id"], "Nog iets.")
    assert len(_kinds(site, "anne")) == 1


def test_starting_or_replying_follows_unless_muted(site: Site) -> None:
    topic = _topic(site, "anne")
    db, anne, bram, carl = site.node.db, _member(site, "anne"), _member(site, "bram"), _member(site, "carl")
    assert sub_store.topic_level(db, anne["id"], topic["id"]) == "follow"
    first = posts.reply(site.node, bram, topic["id"], "Eerste.")
    assert sub_store.topic_level(db, bram["id"], topic["id"]) == "follow"
    assert _kinds(site, "anne") == [("reply", first["id"])]  # one notification a post: the reply to her
    sub_store.set_topic(db, carl["id"], topic["id"], "mute", site.node.now())
    posts.reply(site.node, carl, topic["id"], "Ik wil niets horen.")
    assert sub_store.topic_level(db, carl["id"], topic["id"]) == "mute"  # a reply does not undo a mute
    second = posts.reply(site.node, carl, first["id"], "Op Bram.")
    assert ("reply", second["id"]) in _kinds(site, "bram")
    assert ("topic_reply", second["id"]) in _kinds(site, "anne")  # follows her own topic
    assert not _kinds(site, "carl")


def test_mute_silences_every_kind_until_unmuted(site: Site) -> None:
    topic = _topic(site, "anne")
    site.login("anne")
    muted = _choose(site, topic["id"], "mute")
    assert "U negeert dit onderwerp" in muted and "Niet meer negeren" in muted
    bram = _member(site, "bram")
    posts.reply(site.node, bram, topic["id"], "Op Anne.")  # a reply to her post
    posts.reply(site.node, bram, topic["id"], "Hoi @anne")  # a mention
    posts.like(site.node, bram, topic["id"])
    assert _kinds(site, "anne") == []
    other = _topic(site, "bram", "Ander onderwerp", "Hallo @anne")  # mutes are per topic
    assert _kinds(site, "anne") == [("mention", other["id"])]
    _choose(site, topic["id"], "")
    back = posts.reply(site.node, bram, topic["id"], "Weer terug.")
    assert _kinds(site, "anne")[-1] == ("reply", back["id"])


def test_a_followed_tag_tells_of_new_topics_blog_posts_and_replies(site: Site) -> None:
    site.login("anne")
    page = site.client.get("/tags/woo").text
    assert "Volg #woo" in page
    response = site.post("/tags/woo/subscription", {"follow": "1"}, site.csrf("/tags/woo"))
    assert response.status_code == 303 and response.headers["location"] == "/tags/woo"
    assert "U volgt #woo" in site.client.get("/tags/woo").text
    bram = _member(site, "bram")
    topic = _topic(site, "bram", "Openbaarheid", "Over #Woo en meer")
    blog = posts.write_blog_post(site.node, bram, "Blog", "", "Tekst", "woo", publish=True)
    other = _topic(site, "carl", "Iets anders", "Geen tag")
    reply = posts.reply(site.node, bram, other["id"], "Zie #woo")
    draft = posts.write_blog_post(site.node, bram, "Concept", "", "Tekst", "woo", publish=False)
    assert _kinds(site, "anne") == [("tag_post", topic["id"]), ("tag_post", blog["id"]), ("tag_post", reply["id"])]
    posts.edit(site.node, bram, draft["id"], title="Concept", body="Tekst", summary="", tags="woo", publish=True)
    assert _kinds(site, "anne")[-1] == ("tag_post", draft["id"])  # told when it is published
    _choose(site, topic["id"], "follow")  # follows the topic and the tag: one notification a post
    tagged_reply = posts.reply(site.node, _member(site, "carl"), topic["id"], "Ook #woo")
    assert _kinds(site, "anne")[-1] == ("topic_reply", tagged_reply["id"])
    assert len([k for k in _kinds(site, "anne") if k[1] == tagged_reply["id"]]) == 1
    assert "schreef met een tag die u volgt" in site.client.get("/notifications").text
    stop = site.post("/tags/woo/subscription", {"follow": "", "next": "/notifications"}, site.csrf("/notifications"))
    assert stop.headers["location"] == "/notifications"
    assert "Volg #woo" in site.client.get("/tags/woo").text


def test_a_federated_reply_tells_the_followers(site: Site) -> None:
    topic = _topic(site, "bram")
    anne = _member(site, "anne")
    sub_store.set_topic(site.node.db, anne["id"], topic["id"], "follow", site.node.now())
    sub_store.set_topic(site.node.db, _member(site, "carl")["id"], topic["id"], "mute", site.node.now())
    doc = {"id": "https://one.example/users/eve", "type": "Person", "preferredUsername": "eve",
           "inbox": "https://one.example/users/eve/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    stored = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, {
        "id": "https://one.example/notes/7", "type": "Note", "attributedTo": doc["id"],
        "content": "<p>Van elders, @carl</p>", "inReplyTo": f"{BASE}/posts/{topic['id']}",
        "tag": [{"type": "Mention", "href": f"{BASE}/users/carl"}]})
    assert _kinds(site, "anne") == [("topic_reply", stored["id"])]
    assert _kinds(site, "bram") == [("reply", stored["id"])]  # the topic's author: told once, as a reply
    assert _kinds(site, "carl") == []  # muted: not even the mention


def test_the_notifications_page_is_paged_and_lists_subscriptions(site: Site) -> None:
    topic = _topic(site, "anne")
    bram = _member(site, "bram")
    replies = [posts.reply(site.node, bram, topic["id"], f"Reactie {n}") for n in range(65)]
    other = _topic(site, "carl", "Gedempt", "Stil")
    site.login("anne")
    _choose(site, other["id"], "mute")
    site.post("/tags/archief/subscription", {"follow": "1"}, site.csrf("/tags/archief"))
    first = site.client.get("/notifications").text
    links = re.findall(r'href="/posts/(\d+)"', first)
    assert [int(x) for x in links] == [r["id"] for r in reversed(replies[-30:])]
    assert '<nav class="meent-pagination" aria-label="Pagina’s met meldingen">' in first  # the lists' one macro
    assert 'href="/notifications?page=2"' in first and 'rel="prev"' not in first
    third = site.client.get("/notifications?page=3").text
    assert [int(x) for x in re.findall(r'href="/posts/(\d+)"', third)] == [r["id"] for r in reversed(replies[:5])]
    assert 'href="/notifications?page=2"' in third and "?page=4" not in third
    # as on every paged list: a malformed number is a 400 that says so, a page beyond the last a 404
    assert site.client.get("/notifications?page=x").status_code == 400
    assert site.client.get("/notifications?page=99").status_code == 404
    for text in (first, third):
        assert "Wat u volgt en negeert" in text
        assert f'href="/groups/{GROUP}/topics/{topic["id"]}">Woo-verzoeken</a>' in text  # followed: her own
        assert f'href="/groups/{GROUP}/topics/{other["id"]}">Gedempt</a>' in text
        assert 'href="/tags/archief">#archief</a>' in text
    response = site.post(f"/topics/{topic['id']}/subscription", {"level": "", "next": "/notifications"},
                         site.csrf("/notifications"))
    assert response.headers["location"] == "/notifications"
    assert f'href="/groups/{GROUP}/topics/{topic["id"]}">' not in site.client.get("/notifications").text


def test_the_client_api_shows_the_new_kinds_as_status(site: Site) -> None:
    topic = _topic(site, "bram")
    anne = _member(site, "anne")
    sub_store.set_topic(site.node.db, anne["id"], topic["id"], "follow", site.node.now())
    sub_store.follow_tag(site.node.db, anne["id"], "woo", site.node.now())
    reply = posts.reply(site.node, _member(site, "carl"), topic["id"], "Zo.")
    tagged = _topic(site, "carl", "Getagd", "Over #woo")
    api = Api(site, "anne")
    notes = api.get("/api/v1/notifications").json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("status", str(tagged["id"])),
                                                              ("status", str(reply["id"]))]
    assert len(api.get("/api/v1/notifications", **{"types[]": "status"}).json()) == 2
    assert api.get("/api/v1/notifications", **{"exclude_types[]": "status"}).json() == []
    assert api.get(f"/api/v1/notifications/{notes[0]['id']}").json()["type"] == "status"


def test_deleting_a_member_removes_their_subscriptions(site: Site) -> None:
    _topic(site, "anne", "Van Anne")
    topic = _topic(site, "bram")
    anne = _member(site, "anne")
    sub_store.set_topic(site.node.db, anne["id"], topic["id"], "follow", site.node.now())
    sub_store.follow_tag(site.node.db, anne["id"], "woo", site.node.now())
    keep = _member(site, "bram")
    sub_store.follow_tag(site.node.db, keep["id"], "woo", site.node.now())
    lifecycle.delete_member(site.node, "anne")
    assert site.node.db.scalar("SELECT count(*) FROM topic_subscriptions WHERE account_id = ?", (anne["id"],)) == 0
    assert site.node.db.scalar("SELECT count(*) FROM tag_subscriptions WHERE account_id = ?", (anne["id"],)) == 0
    assert sub_store.tag_followers(site.node.db, ["woo"]) == [keep["id"]]
    posts.reply(site.node, keep, topic["id"], "Nog iemand?")  # the deleted author is told nothing
    assert _kinds(site, "anne") == []


def test_the_buttons_need_a_member_and_a_valid_form(site: Site) -> None:
    topic = _topic(site)
    path = f"/groups/{GROUP}/topics/{topic['id']}"
    visitor = site.client.get(path).text
    assert "/subscription" not in visitor  # no buttons for visitors
    site.login("anne")
    csrf = site.csrf(path)
    forged = site.post(f"/topics/{topic['id']}/subscription", {"level": "follow"}, "not-the-token")
    assert forged.status_code == 403
    assert site.client.post("/tags/woo/subscription", data={"follow": "1"}).status_code == 403
    assert sub_store.topic_level(site.node.db, _member(site, "anne")["id"], topic["id"]) is None
    assert sub_store.tags_of(site.node.db, _member(site, "anne")["id"]) == []
    assert site.post(f"/topics/{topic['id']}/subscription", {"level": "boss"}, csrf).status_code == 422
    assert site.post("/topics/999999/subscription", {"level": "follow"}, csrf).status_code == 404
    assert site.post(f"/topics/{2**70}/subscription", {"level": "follow"}, csrf).status_code == 404
    assert site.post("/tags/not%20a%20tag!/subscription", {"follow": "1"}, csrf).status_code == 404
    reply = posts.reply(site.node, _member(site, "carl"), topic["id"], "Een reactie.")
    assert site.post(f"/topics/{reply['id']}/subscription", {"level": "follow"}, csrf).status_code == 404
    offsite = site.post(f"/topics/{topic['id']}/subscription",
                        {"level": "follow", "next": "https://evil.example/"}, csrf)
    assert offsite.headers["location"] == path
    site.logout()
    anonymous = site.post(f"/topics/{topic['id']}/subscription", {"level": "follow"})
    assert anonymous.status_code in (303, 401, 403) and "/login" in anonymous.headers.get("location", "/login")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def test_subscription_mails_follow_the_members_choices(tmp_path: Path, smtp: SmtpServer) -> None:
    mailing = make_site(tmp_path, mail=smtp.config(retry_first_seconds=1))
    with mailing.client:
        node = mailing.node
        anne = accounts.create(node, "anne", PASSWORD, email="anne@utrecht.nl", display_name="Anne")
        bram = accounts.create(node, "bram", PASSWORD, email="bram@utrecht.nl", display_name="Bram")
        carl = accounts.create(node, "carl", PASSWORD, email="carl@utrecht.nl", display_name="Carl")
        mailing.group()
        group = groups.get(node, GROUP)
        mail_notify.save_prefs(node, carl["id"], {"mention": True, "reply": True, "topic": True})
        groups.follow(node, carl, GROUP)
        sub_store.follow_tag(node.db, carl["id"], "woo", node.now())
        topic = posts.start_topic(node, bram, group, "Woo-verzoeken", "Over #woo")
        [tagged] = mailing_wait(smtp, "carl@utrecht.nl", 1)  # the tag's mail stands for the group's
        assert str(tagged["Subject"]) == "Bram schreef met een tag die je volgt: \u201cWoo-verzoeken\u201d"
        assert "/mail/unsubscribe/" in str(tagged["List-Unsubscribe"]) and "/topic/" in str(tagged["List-Unsubscribe"])
        sub_store.set_topic(node.db, anne["id"], topic["id"], "follow", node.now())
        reply = posts.reply(node, carl, topic["id"], "Zo.")
        mails = mailing_wait(smtp, "anne@utrecht.nl", 1)
        assert str(mails[0]["Subject"]) == "Carl reageerde in \u201cWoo-verzoeken\u201d, een onderwerp dat je volgt"
        assert f"/posts/{reply['id']}" in str(mails[0].get_body(("plain",)))
        sub_store.set_topic(node.db, bram["id"], topic["id"], "mute", node.now())  # the topic's author
        queued = node.db.scalar("SELECT count(*) FROM mail_outbox")
        mail_notify.save_prefs(node, anne["id"], {"mention": True, "reply": False})
        posts.reply(node, carl, topic["id"], "Geen mail: reacties staan uit.")
        mail_notify.save_prefs(node, anne["id"], {"mention": True, "reply": True})
        sub_store.set_topic(node.db, anne["id"], topic["id"], "mute", node.now())
        posts.reply(node, carl, topic["id"], "Geen mail: genegeerd, @anne.")
        assert node.db.scalar("SELECT count(*) FROM mail_outbox") == queued
        mail_notify.save_prefs(node, anne["id"], {"mention": True, "reply": True, "digest": True})
        sub_store.set_topic(node.db, anne["id"], topic["id"], "follow", node.now())
        posts.reply(node, carl, topic["id"], "In de samenvatting.")
        [item] = node.db.all("SELECT * FROM mail_digest_items WHERE account_id = ?", (anne["id"],))
        assert "een onderwerp dat je volgt" in item["line"]
    mailing.node.db.close()


def mailing_wait(smtp: SmtpServer, to: str, count: int) -> list:
    return smtp.wait_for(to, count=count, what="the subscription mail")


def test_followers_hear_nothing_they_may_not_see(site: Site) -> None:
    """A limited author's reply reaches only followers who follow that author; a removed thread
    tells no one, cannot be followed by others, and leaves the subscription list."""
    from node.services import blocks as block_service

    topic = _topic(site, "bram")
    anne = _member(site, "anne")
    sub_store.set_topic(site.node.db, anne["id"], topic["id"], "follow", site.node.now())
    doc = {"id": "https://one.example/users/eve", "type": "Person", "preferredUsername": "eve",
           "inbox": "https://one.example/users/eve/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    block_service.block(site.node, None, doc["id"], "test", limit=True)
    runtime = site.node.runtime()
    ingest = Ingest(site.node, runtime.actors, runtime.fetcher)
    stored = site.client.portal.call(ingest.post, {
        "id": "https://one.example/notes/8", "type": "Note", "attributedTo": doc["id"],
        "content": "<p>Beperkt</p>", "inReplyTo": f"{BASE}/posts/{topic['id']}"})
    assert stored is not None
    assert ("topic_reply", stored["id"]) not in _kinds(site, "anne")

    site.node.db.execute("UPDATE posts SET removed_at = ? WHERE id = ?", (site.node.now(), topic["id"]))
    site.login("carl")
    refused = site.post(f"/topics/{topic['id']}/subscription", {"level": "follow"},
                        site.csrf(f"/groups/{GROUP}/topics/{topic['id']}"))
    assert refused.status_code == 404
    site.logout()
    site.login("anne")
    page = site.client.get("/notifications").text
    assert "Woo-verzoeken" not in page
