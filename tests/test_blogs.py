from storage import posts as post_store
from tests.helpers import Site


def write(site: Site, **fields: str) -> str:
    form = {"title": "Een jaar hybride werken", "summary": "Vijf lessen.", "body": "## Les 1\n\nSchrijf meer op.",
            "tags": "hybride-werken, samenwerken", "action": "publish"} | fields
    response = site.post("/blog/new", form, site.csrf("/blog/new"))
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_member_publishes_a_blog_post(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    location = write(site)
    assert location.startswith("/users/anne/blog/")
    page = site.client.get(location).text
    assert "<h2>Les 1</h2>" in page and "Vijf lessen." in page
    assert 'href="/tags/hybride-werken"' in page and 'href="/tags/samenwerken"' in page
    assert "Een jaar hybride werken" in site.client.get("/users/anne/blog").text
    assert "Een jaar hybride werken" in site.client.get("/blog").text
    assert "Een jaar hybride werken" in site.client.get("/tags/samenwerken").text


def test_drafts_are_seen_only_by_their_author(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    site.login("anne")
    location = write(site, action="draft", title="Nog niet af")
    assert "Concept" in site.client.get(location).text
    assert "Nog niet af" in site.client.get("/users/anne/blog").text
    post_id = int(location.rsplit("/", 1)[1])
    site.logout()
    assert site.client.get(location).status_code == 404
    assert "Nog niet af" not in site.client.get("/users/anne/blog").text
    assert "Nog niet af" not in site.client.get("/blog").text
    assert "Nog niet af" not in site.client.get("/search?q=af").text
    site.login("bram")
    assert site.client.get(location).status_code == 404
    assert site.post(f"/posts/{post_id}/reply", {"body": "stiekem"}).status_code == 404
    site.logout()
    site.login("anne")
    site.post(f"/posts/{post_id}/edit", {"title": "Nu af", "body": "Klaar.", "summary": "", "tags": "",
                                         "action": "publish"})
    post = post_store.by_id(site.node.db, post_id)
    assert post["state"] == "published" and post["published_at"] and post["edited_at"] is None
    site.logout()
    assert "Nu af" in site.client.get("/blog").text


def test_organisation_blog_is_for_admins(site: Site) -> None:
    site.member("anne")
    site.member("beheer", role="admin")
    site.login("anne")
    response = site.post("/blog/new", {"title": "Namens ons", "body": "x", "organisation": "yes",
                                       "action": "publish"}, site.csrf("/blog/new"))
    assert response.status_code == 403
    site.logout()
    site.login("beheer")
    location = write(site, title="Welkom op Meent", organisation="yes")
    assert location.startswith("/blog/")
    index = site.client.get("/blog").text
    assert index.index("Welkom op Meent") < index.index("Blogs van medewerkers")  # the organisation's first
    assert "Welkom op Meent" in site.client.get("/blog/organisation").text


def test_blog_comments_are_threaded_like_replies(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    site.login("anne")
    location = write(site)
    post_id = int(location.rsplit("/", 1)[1])
    site.logout()
    site.login("bram")
    response = site.post(f"/posts/{post_id}/reply", {"body": "Herkenbaar!"})
    assert response.headers["location"].startswith(f"/users/anne/blog/{post_id}#post-")
    comment = int(response.headers["location"].rsplit("-", 1)[1])
    site.post(f"/posts/{comment}/reply", {"body": "Dank je."})
    page = site.client.get(location).text
    assert "Herkenbaar!" in page and "Dank je." in page and "meent-thread--nested" in page


def test_blog_tag_limits(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    csrf = site.csrf("/blog/new")
    many = " ".join(f"t{i}" for i in range(11))
    response = site.post("/blog/new", {"title": "T", "body": "b", "tags": many, "action": "publish"}, csrf)
    assert response.status_code == 422 and "Hoogstens 10 tags." in response.text
    response = site.post("/blog/new", {"title": "T", "body": "b", "tags": "<script>", "action": "publish"}, csrf)
    assert response.status_code == 422
    assert post_store.blog(site.node.db, None) == [] and post_store.recent(site.node.db, "blog") == []
