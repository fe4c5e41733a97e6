"""Our actors, posts and collections as ActivityStreams, and discovery (WebFinger, host-meta, NodeInfo)."""

import pytest

from tests.helpers import Site

AS = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def filled(site: Site) -> Site:
    site.member("anne")
    site.member("mod", role="moderator")
    site.group()
    site.login("anne")
    site.post("/groups/open-overheid/topics", {"title": "Coördinatie van Woo-verzoeken",
                                                "body": "Hoe doen jullie dat, @mod? " + "Lang verhaal. " * 40 + "#woo"})
    site.post("/posts/1/reply", {"body": "Een reactie"})
    site.post("/posts/2/reply", {"body": "Een reactie op de reactie"})
    site.post("/blog/new", {"title": "Mijn blog", "summary": "Kort", "body": "Tekst", "tags": "woo",
                            "action": "publish"}, site.csrf("/blog/new"))
    return site


@pytest.mark.parametrize("accept", [AS, LD])
def test_actors_on_their_page_urls(filled: Site, accept: dict[str, str]) -> None:
    person = filled.client.get("/users/anne", headers=accept).json()
    assert person["type"] == "Person" and person["id"] == f"{BASE}/users/anne"
    assert person["inbox"] == f"{BASE}/users/anne/inbox"
    assert person["endpoints"]["sharedInbox"] == f"{BASE}/inbox"
    assert person["publicKey"]["owner"] == person["id"] and "BEGIN PUBLIC KEY" in person["publicKey"]["publicKeyPem"]
    group = filled.client.get("/groups/open-overheid", headers=accept).json()
    assert group["type"] == "Group" and group["preferredUsername"] == "open-overheid"
    moderators = filled.client.get(group["moderators"].removeprefix(BASE)).json()
    assert f"{BASE}/users/mod" in moderators["orderedItems"]
    organisation = filled.client.get("/organisation", headers=accept).json()
    assert organisation["type"] == "Organization" and organisation["name"] == "Gemeente Test"
    assert "text/html" in filled.client.get("/users/anne").headers["content-type"]  # browsers still get the page


def test_topic_is_an_article_with_summary_and_audience(filled: Site) -> None:
    article = filled.client.get("/groups/open-overheid/topics/1", headers=AS).json()
    assert article == filled.client.get("/posts/1", headers=AS).json()
    assert article["type"] == "Article" and article["name"] == "Coördinatie van Woo-verzoeken"
    assert article["audience"] == f"{BASE}/groups/open-overheid"
    assert f"{BASE}/groups/open-overheid" in article["to"]
    assert "https://www.w3.org/ns/activitystreams#Public" in article["to"]
    assert "<" not in article["summary"] and article["summary"].endswith("…") and len(article["summary"]) < 300
    assert article["source"]["mediaType"] == "text/markdown"
    assert {"type": "Hashtag", "name": "#woo", "href": f"{BASE}/tags/woo"} in article["tag"]
    assert any(t["type"] == "Mention" and t["href"] == f"{BASE}/users/mod" for t in article["tag"])
    assert f'href="{BASE}/users/mod"' in article["content"]  # links in federated HTML are absolute
    assert article["context"] == f"{BASE}/posts/1/context"
    assert article["url"] == f"{BASE}/groups/open-overheid/topics/1"


def test_reply_is_a_note_in_the_thread(filled: Site) -> None:
    note = filled.client.get("/posts/3", headers=AS).json()
    assert note["type"] == "Note" and note["inReplyTo"] == f"{BASE}/posts/2" and "name" not in note
    assert note["url"] == f"{BASE}/posts/3"  # the permalink, which leads to the page of the thread it is on
    context = filled.client.get("/posts/1/context")
    assert context.json()["totalItems"] == 3 and context.json()["first"] == f"{BASE}/posts/1/context?page=1"
    page = filled.client.get("/posts/1/context?page=1")
    assert page.json()["type"] == "OrderedCollectionPage"
    assert page.json()["orderedItems"] == [f"{BASE}/posts/1", f"{BASE}/posts/2", f"{BASE}/posts/3"]
    again = filled.client.get("/posts/1/context?page=1", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    replies = filled.client.get("/posts/1/replies?page=1").json()
    assert replies["orderedItems"] == [f"{BASE}/posts/2"]


def test_blog_post_and_tombstone(filled: Site) -> None:
    blog = filled.client.get("/users/anne/blog/4", headers=AS).json()
    assert blog["type"] == "Article" and blog["summary"] == "Kort" and "audience" not in blog
    assert blog["url"] == f"{BASE}/users/anne/blog/4"
    filled.post("/posts/3/delete", {})
    tombstone = filled.client.get("/posts/3", headers=AS)
    assert tombstone.status_code == 410 and tombstone.json()["type"] == "Tombstone"


def test_drafts_are_not_served(filled: Site) -> None:
    filled.post("/blog/new", {"title": "Concept", "body": "x", "action": "draft"}, filled.csrf("/blog/new"))
    assert filled.client.get("/posts/5", headers=AS).status_code == 404


def test_collections_are_paged(filled: Site) -> None:
    filled.post("/groups/open-overheid/follow", {})
    followers = filled.client.get("/groups/open-overheid/followers").json()
    assert followers["type"] == "OrderedCollection" and followers["totalItems"] == 1
    page = filled.client.get(followers["first"].removeprefix(BASE)).json()
    assert page["type"] == "OrderedCollectionPage" and page["orderedItems"] == [f"{BASE}/users/anne"]
    following = filled.client.get("/users/anne/following?page=1").json()
    assert following["orderedItems"] == [f"{BASE}/groups/open-overheid"]
    filled.post("/posts/1/like", {})
    liked = filled.client.get("/users/anne/liked?page=1").json()
    assert liked["orderedItems"] == [f"{BASE}/posts/1"]
    assert filled.client.get("/users/nobody/outbox").status_code == 404


@pytest.mark.parametrize(("resource", "actor"), [
    ("acct:anne@127.0.0.1:8000", "/users/anne"),
    ("anne@127.0.0.1:8000", "/users/anne"),
    ("acct:open-overheid@127.0.0.1:8000", "/groups/open-overheid"),
    (f"{BASE}/users/anne", "/users/anne"),
    ("acct:organisatie@127.0.0.1:8000", "/organisation"),
    ("acct:127.0.0.1:8000@127.0.0.1:8000", "/organisation"),
    (BASE + "/", "/organisation"),
    (BASE, "/organisation"),
    (f"{BASE}/organisation", "/organisation"),
    (f"{BASE}/groups/open-overheid", "/groups/open-overheid"),
    ("ACCT:anne@127.0.0.1:8000", "/users/anne"),
])
def test_webfinger(filled: Site, resource: str, actor: str) -> None:
    response = filled.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jrd+json")
    links = {link["rel"]: link for link in response.json()["links"]}
    assert links["self"]["href"] == BASE + actor and links["self"]["type"] == "application/activity+json"
    assert "http://webfinger.net/rel/profile-page" in links


@pytest.mark.parametrize(("resource", "status"), [
    ("acct:nobody@127.0.0.1:8000", 404), ("acct:anne@elsewhere.example", 404), ("", 400), ("garbage", 400),
    # only our actor ids exactly, not any path that ends in a name
    (f"{BASE}/any/path/anne", 404), (f"{BASE}/users/anne/outbox", 404), (f"{BASE}/users/anne/", 404),
    (f"{BASE}/users/anne?x=1", 404), (f"{BASE}/posts/1", 404), ("https://elsewhere.example/users/anne", 404),
    (f"{BASE}/groups/nothing", 404),
    # RFC 7033: a malformed resource is 400, a well-formed one we do not serve is 404
    ("=acct:anne@127.0.0.1:8000", 400), ("acct:anne", 400), ("acct:", 400), ("acct:a b@127.0.0.1:8000", 400),
    ("foo://127.0.0.1:8000/users/anne", 404), ("mailto:anne@127.0.0.1:8000", 404),
])
def test_webfinger_errors_are_json(filled: Site, resource: str, status: int) -> None:
    response = filled.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status and "error" in response.json()


def test_host_meta_and_nodeinfo(filled: Site) -> None:
    assert "/.well-known/webfinger?resource={uri}" in filled.client.get("/.well-known/host-meta").text
    link = filled.client.get("/.well-known/nodeinfo").json()["links"][0]
    info = filled.client.get(link["href"].removeprefix(BASE)).json()
    assert info["software"]["name"] == "meent" and info["protocols"] == ["activitypub"]
    assert info["usage"]["users"]["total"] == 2 and info["usage"]["localPosts"] == 2
    assert info["openRegistrations"] is False


@pytest.mark.parametrize(("uri", "parsed"), [
    (f"{BASE}/users/anne", ("member", "anne")), (f"{BASE}/groups/open-overheid", ("group", "open-overheid")),
    (f"{BASE}/organisation", ("organisation", "")), (f"{BASE}/users/anne/inbox", None), (f"{BASE}/users/", None),
    (f"{BASE}/users/Anne", None), (f"{BASE}/x/users/anne", None), ("https://elsewhere.example/users/anne", None),
    (f"{BASE}/groups/a%2Fb", None), (f"{BASE}/users/anne#main-key", None),
])
def test_our_actor_ids_parse_exactly(uri: str, parsed: tuple[str, str] | None) -> None:
    from federation import ids

    assert ids.parse_actor(BASE, uri) == parsed
