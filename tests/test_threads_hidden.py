"""What's new leaves out what a member does not see (issue 12 round 2): replies by a limited remote
account the member does not follow are hidden on the thread page, so no list counts them as new
and the thread's "first new post" link skips them. Real app, real SQLite, a real ingested post."""

from __future__ import annotations

from federation.actors import actor_record
from node.services import blocks, groups, posts
from node.services.ingest import Ingest
from storage import actors, follows
from storage import posts as post_store
from tests.helpers import Site

TOPIC = "/groups/open-overheid/topics/{}"
NEW = '<strong class="meent-badge meent-badge--new">Nieuw</strong>'
EVE = "https://one.example/users/eve"



def entry(html: str, title: str) -> str:
    start = html.index(f">{title}</a>")
    return html[start:html.index("</li>", start)]


def eve_replies(site: Site, topic_id: int, count: int, first: int = 0) -> list[int]:
    """Replies in the topic by a remote account, as federation stores them."""
    doc = {"id": EVE, "type": "Person", "preferredUsername": "eve", "name": "Eva Elders",
           "inbox": EVE + "/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    ingest = Ingest(site.node, runtime.actors, runtime.fetcher)
    made = []
    for n in range(first, first + count):
        row = site.client.portal.call(ingest.post, {
            "id": f"https://one.example/notes/{topic_id}-{n}", "type": "Note", "attributedTo": EVE,
            "content": f"<p>Van Eva {n}</p>", "inReplyTo": f"http://127.0.0.1:8000/posts/{topic_id}"})
        made.append(int(row["id"]))
    return made


def test_hidden_replies_are_not_new_in_lists_groups_or_the_thread(site: Site) -> None:
    site.group()
    anne, dirk = site.member("anne"), site.member("dirk")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Een gesprek", "Begin")["id"]
    path = TOPIC.format(topic)
    site.login("dirk")
    site.client.get(path)  # read: nothing new
    hidden = eve_replies(site, topic, 2)
    group = site.client.get("/groups/open-overheid").text
    assert "2 nieuwe reacties" in entry(group, "Een gesprek")  # nothing limited yet: Eve's replies are new
    assert "1 onderwerp met nieuwe berichten" in site.client.get("/groups").text

    blocks.block(site.node, None, EVE, "test", limit=True)  # now hidden from dirk, who does not follow her
    group = site.client.get("/groups/open-overheid").text
    assert "meent-badge--new" not in entry(group, "Een gesprek")  # not "2 nieuwe reacties", not "Nieuw"
    assert "meent-badge--new" not in entry(site.client.get("/").text, "Een gesprek")
    assert "onderwerp met nieuwe berichten" not in site.client.get("/groups").text
    page = site.client.get(path).text
    assert "Naar het eerste nieuwe bericht" not in page and NEW not in page
    assert "Van Eva" not in page

    # a visible reply after Eve's: one new reply, and the first-new link leads to it, past hers
    seen = posts.reply(site.node, anne, topic, "Van Anne")["id"]
    assert hidden[-1] < seen
    assert "1 nieuwe reactie" in entry(site.client.get("/groups/open-overheid").text, "Een gesprek")
    assert "1 nieuwe reactie" in entry(site.client.get("/").text, "Een gesprek")
    assert "1 onderwerp met nieuwe berichten" in site.client.get("/groups").text
    page = site.client.get(path).text
    assert f'href="{path}#post-{seen}">Naar het eerste nieuwe bericht' in page
    assert f'href="{path}#post-{seen}">Naar de laatste reactie' in page
    assert page.count(NEW) == 1
    assert "meent-badge--new" not in entry(site.client.get("/groups/open-overheid").text, "Een gesprek")

    # following Eve shows her posts to dirk: her next reply is new to him, in the lists and the thread
    follows.put(site.node.db, f"http://127.0.0.1:8000/users/{dirk['username']}", EVE, "accepted", None,
                site.node.now())
    later = eve_replies(site, topic, 1, first=2)[0]
    assert "1 nieuwe reactie" in entry(site.client.get("/groups/open-overheid").text, "Een gesprek")
    assert "1 onderwerp met nieuwe berichten" in site.client.get("/groups").text
    page = site.client.get(path).text
    assert "Van Eva" in page and f'href="{path}#post-{later}">Naar het eerste nieuwe bericht' in page


def test_search_counts_and_pages_only_what_the_viewer_sees(site: Site) -> None:
    """The heading's count and the pages leave out posts by a limited account the viewer does not
    follow, as the results themselves do (the count once said 2 above an empty list)."""
    site.group()
    anne, dirk = site.member("anne"), site.member("dirk")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Een gesprek", "Begin")["id"]
    posts.reply(site.node, anne, topic, "Van Anne over Eva")
    eve_replies(site, topic, 2)
    assert "3 resultaten voor ‘Eva’" in site.client.get("/search?q=Eva").text

    blocks.block(site.node, None, EVE, "test", limit=True)
    for who in (None, "dirk"):  # a visitor, then a member who does not follow her
        if who:
            site.login(who)
        page = site.client.get("/search?q=Eva").text
        assert "1 resultaat voor ‘Eva’" in page and "Van Eva" not in page, who
        assert "Van Anne over Eva" in page
    follows.put(site.node.db, f"http://127.0.0.1:8000/users/{dirk['username']}", EVE, "accepted", None,
                site.node.now())
    page = site.client.get("/search?q=Eva").text  # he follows her: he sees hers again
    assert "3 resultaten voor ‘Eva’" in page and page.count("Van Eva") == 2


def test_search_past_its_cap_and_tag_pages_leave_out_every_hidden_author(site: Site) -> None:
    """Search looks at its first 1,001 matches for hidden authors; leaving those out lets it reach
    another hidden author, so it asks again. A tag page leaves them out in SQL too (full pages)."""
    site.group()
    anne = site.member("anne")
    group = groups.get(site.node, "open-overheid")
    topic = posts.start_topic(site.node, anne, group, "Een gesprek", "Begin #woo")["id"]
    posts.reply(site.node, anne, topic, "Van Anne #woo")
    eve_reply = eve_replies(site, topic, 1)[0]
    db = site.node.db
    row = db.one("SELECT * FROM posts WHERE id = ?", (eve_reply,))
    assert row is not None
    copy = {key: row[key] for key in row.keys() if key != "id"}
    with db.transaction():  # many replies by Eve, as a busy federated thread has
        for n in range(1_050):
            post_store.insert(db, copy | {"uri": f"https://one.example/notes/many-{n}", "url": None})
    frank = "https://two.example/users/frank"
    actors.put(db, actor_record({"id": frank, "type": "Person", "preferredUsername": "frank",
                                 "inbox": frank + "/inbox"}, site.node.now()))
    runtime = site.node.runtime()
    for n in range(35):  # and after them, more than a page by Frank, with the tag
        site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, {
            "id": f"https://two.example/notes/{n}", "type": "Note", "attributedTo": frank,
            "content": f"<p>Van Frank {n} #woo</p>", "tag": [{"type": "Hashtag", "name": "#woo"}],
            "inReplyTo": f"http://127.0.0.1:8000/posts/{topic}"})
    blocks.block(site.node, None, EVE, "test", limit=True)
    blocks.block(site.node, None, frank, "test", limit=True)
    page = site.client.get("/search?kind=reply").text
    assert "1 resultaat" in page and "Van Anne" in page and "Van Frank" not in page
    tagged = site.client.get("/tags/woo").text  # not an empty first page of two: Anne's two posts
    assert tagged.count('<li class="meent-entry">') == 2 and "meent-pagination" not in tagged
