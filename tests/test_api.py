"""The client API maps onto Meent: statuses become topics, replies and blog posts; groups are accounts."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import posts
from tests.helpers import PASSWORD, Site, make_site


class Api:
    def __init__(self, site: Site, username: str, scopes: str = "read write follow push") -> None:
        self.site = site
        client = site.client
        app = client.post("/api/v1/apps", data={"client_name": "Tusky", "scopes": scopes,
                                                "redirect_uris": "com.keylesspalace.tusky://oauth"}).json()
        token = client.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": username, "password": PASSWORD, "scope": scopes}).json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def get(self, path: str, **params: object):  # type: ignore[no-untyped-def]
        return self.site.client.get(path, params=params, headers=self.headers)

    def post(self, path: str, data: dict[str, object] | None = None, **headers: str):  # type: ignore[no-untyped-def]
        return self.site.client.post(path, json=data or {}, headers=self.headers | headers)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        made.member("anne")
        made.member("bram")
        made.group()
        yield made
    made.node.db.close()


def test_a_status_that_mentions_a_group_opens_a_topic(site: Site) -> None:
    anne = Api(site, "anne")
    status = anne.post("/api/v1/statuses", {"status": "Woo-verzoeken sneller? @open-overheid\nHoe doen jullie dat?"})
    assert status.status_code == 200
    post = posts.by_id(site.node.db, int(status.json()["id"]))
    assert post["kind"] == "topic" and post["group_slug"] == "open-overheid"
    assert post["title"] == "Woo-verzoeken sneller?" and "Hoe doen jullie dat?" in post["content"]
    body = status.json()
    assert body["content"].startswith("<p><strong>Woo-verzoeken sneller?</strong></p>")
    assert body["url"] == "http://127.0.0.1:8000/groups/open-overheid/topics/1"
    page = site.client.get("/groups/open-overheid/topics/1").text
    assert "Woo-verzoeken sneller?" in page


def test_reply_by_api_lands_in_the_thread(site: Site) -> None:
    anne, bram = Api(site, "anne"), Api(site, "bram")
    topic = anne.post("/api/v1/statuses", {"status": "Titel @open-overheid\nTekst"}).json()
    reply = bram.post("/api/v1/statuses", {"status": "Mee eens!", "in_reply_to_id": topic["id"]}).json()
    assert reply["in_reply_to_id"] == topic["id"] and reply["in_reply_to_account_id"] == topic["account"]["id"]
    context = anne.get(f"/api/v1/statuses/{topic['id']}/context").json()
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert "Mee eens!" in site.client.get("/groups/open-overheid/topics/1").text
    assert anne.get("/api/v1/notifications").json()[0]["type"] == "mention"


def test_any_other_status_is_a_blog_post(site: Site) -> None:
    anne = Api(site, "anne")
    status = anne.post("/api/v1/statuses", {"status": "Een gedachte\nOver werk."}).json()
    assert status["url"].startswith("http://127.0.0.1:8000/users/anne/blog/")
    assert posts.by_id(site.node.db, int(status["id"]))["kind"] == "blog"


def test_idempotency_key_posts_once(site: Site) -> None:
    anne = Api(site, "anne")
    first = anne.post("/api/v1/statuses", {"status": "Eens"}, **{"Idempotency-Key": "abc"}).json()
    again = anne.post("/api/v1/statuses", {"status": "Eens"}, **{"Idempotency-Key": "abc"}).json()
    assert first["id"] == again["id"]
    assert len(site.node.db.all("SELECT id FROM posts")) == 1


def test_groups_are_accounts_that_can_be_followed(site: Site) -> None:
    anne = Api(site, "anne")
    group = anne.get("/api/v1/accounts/lookup", acct="open-overheid").json()
    assert group["group"] is True and group["display_name"] == "Open Overheid"
    relation = anne.post(f"/api/v1/accounts/{group['id']}/follow").json()
    assert relation["following"] is True
    assert "U volgt deze groep." in _web_page_as(site, "anne", "/groups/open-overheid")
    bram = Api(site, "bram")
    bram.post("/api/v1/statuses", {"status": "Nieuw @open-overheid\nIn de groep"})
    assert [s["content"] for s in anne.get("/api/v1/timelines/home").json()][0].startswith("<p><strong>Nieuw")
    assert anne.post(f"/api/v1/accounts/{group['id']}/unfollow").json()["following"] is False


def test_timelines_page_with_link_headers(site: Site) -> None:
    anne = Api(site, "anne")
    made = [anne.post("/api/v1/statuses", {"status": f"Bericht {n}"}).json()["id"] for n in range(5)]
    first = anne.get("/api/v1/timelines/public", limit=2, local="true")
    assert [s["id"] for s in first.json()] == made[:-3:-1]
    assert 'rel="next"' in first.headers["link"] and f"max_id={made[3]}" in first.headers["link"]
    second = anne.get("/api/v1/timelines/public", limit=2, max_id=made[3])
    assert [s["id"] for s in second.json()] == [made[2], made[1]]
    newer = anne.get("/api/v1/timelines/public", limit=2, min_id=made[0])
    assert [s["id"] for s in newer.json()] == [made[2], made[1]]
    assert anne.get("/api/v1/timelines/public", since_id=made[3]).json()[0]["id"] == made[4]


def test_ids_sort_by_length_then_text(site: Site) -> None:
    anne = Api(site, "anne")
    ids = [anne.post("/api/v1/statuses", {"status": f"n{n}"}).json()["id"] for n in range(12)]
    assert ids == sorted(ids, key=lambda i: (len(i), i))


def test_favourites_and_scopes(site: Site) -> None:
    anne = Api(site, "anne")
    topic = anne.post("/api/v1/statuses", {"status": "Titel @open-overheid\nTekst"}).json()
    reader = Api(site, "bram", scopes="read")
    assert reader.get("/api/v1/timelines/home").status_code == 200
    refused = reader.post(f"/api/v1/statuses/{topic['id']}/favourite")
    assert refused.status_code == 403 and refused.json()["error"]
    bram = Api(site, "bram")
    assert bram.post(f"/api/v1/statuses/{topic['id']}/favourite").json()["favourites_count"] == 1
    assert anne.get("/api/v1/notifications").json()[0]["type"] == "favourite"


def test_cors_for_web_apps(site: Site) -> None:
    preflight = site.client.options("/api/v1/timelines/home", headers={"Origin": "https://elk.zone"})
    assert preflight.status_code == 204 and "Authorization" in preflight.headers["access-control-allow-headers"]
    answer = site.client.get("/api/v1/instance", headers={"Origin": "https://elk.zone"})
    assert answer.headers["access-control-allow-origin"] == "*" and "Link" in answer.headers[
        "access-control-expose-headers"]


def test_secrets_and_tokens_are_stored_hashed(site: Site) -> None:
    app = site.client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
    secret = app.json()["client_secret"]
    rows = site.node.db.all("SELECT client_secret_hash FROM oauth_apps")
    assert secret not in {row["client_secret_hash"] for row in rows}
    api = Api(site, "anne")
    token = api.headers["Authorization"].split()[1]
    assert token not in {row["token_hash"] for row in site.node.db.all("SELECT token_hash FROM oauth_tokens")}


def _web_page_as(site: Site, username: str, path: str) -> str:
    site.login(username)
    page = site.client.get(path).text
    site.logout()
    return page


def test_follow_notifications(site: Site) -> None:
    anne, bram = Api(site, "anne"), Api(site, "bram")
    anne_id = anne.get("/api/v1/accounts/verify_credentials").json()["id"]
    assert bram.post(f"/api/v1/accounts/{anne_id}/follow").json()["following"] is True
    bram.post(f"/api/v1/accounts/{anne_id}/follow")  # following again does not notify again
    notes = anne.get("/api/v1/notifications").json()
    assert [(n["type"], n["account"]["username"], n["status"]) for n in notes] == [("follow", "bram", None)]
    assert anne.get("/api/v1/notifications", **{"types[]": "favourite"}).json() == []
    assert "Bram volgt u nu" in _web_page_as(site, "anne", "/notifications")
    bram_id = bram.get("/api/v1/accounts/verify_credentials").json()["id"]
    anne.post(f"/api/v1/accounts/{bram_id}/follow")
    bram.post("/api/v1/statuses", {"status": "Van Bram"})
    assert anne.get("/api/v1/timelines/home").json()[0]["account"]["username"] == "bram"


def test_a_narrow_scope_stays_narrow(site: Site) -> None:
    anne = Api(site, "anne")
    topic = anne.post("/api/v1/statuses", {"status": "Titel @open-overheid\nTekst"}).json()
    liker = Api(site, "bram", scopes="write:favourites read:statuses")
    assert liker.post(f"/api/v1/statuses/{topic['id']}/favourite").status_code == 200
    refused = liker.post("/api/v1/statuses", {"status": "Mag niet"})
    assert refused.status_code == 403
    assert liker.get("/api/v1/notifications").status_code == 403
    writer = Api(site, "bram", scopes="read write")
    group = anne.get("/api/v1/accounts/lookup", acct="open-overheid").json()
    assert writer.post(f"/api/v1/accounts/{group['id']}/follow").status_code == 200  # write covers following


def test_the_bell_notifies_of_new_posts(site: Site) -> None:
    anne, bram = Api(site, "anne"), Api(site, "bram")
    anne_id = anne.get("/api/v1/accounts/verify_credentials").json()["id"]
    relation = bram.post(f"/api/v1/accounts/{anne_id}/follow", {"notify": True}).json()
    assert relation["following"] is True and relation["notifying"] is True
    post = anne.post("/api/v1/statuses", {"status": "Nieuw van Anne"}).json()
    notes = bram.get("/api/v1/notifications", **{"types[]": "status"}).json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("status", post["id"])]
    bram.post(f"/api/v1/accounts/{anne_id}/follow", {"notify": False})
    anne.post("/api/v1/statuses", {"status": "Nog een"})
    assert len(bram.get("/api/v1/notifications", **{"types[]": "status"}).json()) == 1
