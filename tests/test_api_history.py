"""A status's edit history over the client API (GET /api/v1/statuses/:id/history), as Elk, Ivory, Tusky and
toot read it: every version oldest first, the current one last, with who made it and when; seen by whoever
the web history page (/posts/{id}/history) shows it to, and a 404 for everyone else. Mastodon.py on a live
node first, then the rules in process, then a remote post changed by a federated Update."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from node.api.entities import MODERATION_ACCT, MODERATION_SINCE
from node.services import blocks
from node.services.accounts import USERNAME
from storage import posts
from tests.helpers import PASSWORD, LiveNode, Site, make_site, mastodon_logged_in, meent
from tests.media_samples import png
from tests.test_fixtures import Env, env, load  # noqa: F401 (env: the federation fixture)

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow"


def test_mastodon_py_reads_a_status_history(mastodon_class: Any, live_node: LiveNode) -> None:
    from mastodon.errors import MastodonNotFoundError

    for name in ("anne", "bram"):
        meent("user", "add", name, "--password", PASSWORD, "--config", str(live_node.config_path))
    client_id, secret = mastodon_class.create_app("Meent-history", scopes=SCOPES.split(), redirect_uris=OOB,
                                                  api_base_url=live_node.url)
    anne = mastodon_logged_in(mastodon_class, live_node.url, client_id, secret, "anne")
    bram = mastodon_logged_in(mastodon_class, live_node.url, client_id, secret, "bram")
    admin = mastodon_logged_in(mastodon_class, live_node.url, client_id, secret, "beheerder")
    anne_id = str(anne.me()["id"])

    posted = anne.status_post("Openbaarheid\nDe eerste versie.")
    [only] = bram.status_history(posted["id"])  # never edited: the current version alone, as Mastodon answers
    assert "De eerste versie." in only["content"] and str(only["account"]["id"]) == anne_id
    assert only["created_at"] == posted["created_at"] and bram.status(posted["id"])["edited_at"] is None

    anne.status_update(posted["id"], "Openbaarheid\nDe tweede versie.")
    anne.status_update(posted["id"], "Openbaarheid van bestuur\nDe derde versie.")
    versions = bram.status_history(posted["id"])
    assert [v["content"] for v in versions] == [
        "<p><strong>Openbaarheid</strong></p><p>De eerste versie.</p>\n",
        "<p><strong>Openbaarheid</strong></p><p>De tweede versie.</p>\n",
        "<p><strong>Openbaarheid van bestuur</strong></p><p>De derde versie.</p>\n"]
    assert [str(v["account"]["id"]) for v in versions] == [anne_id] * 3
    times = [v["created_at"] for v in versions]
    assert times == sorted(times) and len(set(times)) == 3
    status = bram.status(posted["id"])
    assert status["edited_at"] == times[-1] and status["content"] == versions[-1]["content"]

    # An admin's delete of a member's blog post is a removal, with a reason (a Meent extension Mastodon.py's
    # status_delete cannot send): the history stays for the author and the admin, and for nobody else.
    removed = httpx.delete(f"{live_node.url}/api/v1/statuses/{posted['id']}", params={"reason": "Spam"},
                           headers={"Authorization": f"Bearer {admin.access_token}"}, timeout=30)
    assert removed.status_code == 200, removed.text
    assert len(anne.status_history(posted["id"])) == 3
    assert len(admin.status_history(posted["id"])) == 3
    with pytest.raises(MastodonNotFoundError):
        bram.status_history(posted["id"])
    with pytest.raises(MastodonNotFoundError):
        bram.status_history(999999)


@dataclass
class Api:
    site: Site
    tokens: dict[str, dict[str, str]]

    def history(self, status_id: str | int, who: str | None) -> httpx.Response:
        headers = self.tokens[who] if who else {}
        return self.site.client.get(f"/api/v1/statuses/{status_id}/history", headers=headers)

    def send(self, method: str, path: str, body: dict[str, Any], who: str) -> httpx.Response:
        answer = self.site.client.request(method, path, json=body, headers=self.tokens[who])
        assert answer.status_code == 200, answer.text
        return answer

    def topic(self, text: str, who: str = "anne") -> str:
        return str(self.send("POST", "/api/v1/statuses", {"status": f"{text} @open-overheid"}, who).json()["id"])

    def account_id(self, who: str) -> str:
        return str(self.site.client.get("/api/v1/accounts/verify_credentials", headers=self.tokens[who]).json()["id"])


def _token(site: Site, app: dict[str, Any], username: str) -> dict[str, str]:
    answer = site.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": PASSWORD, "scope": SCOPES})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One node for the module (hashing passwords is slow); every test writes its own posts."""
    site = make_site(tmp_path_factory.mktemp("history"))
    with site.client:
        site.group()
        site.member("anne")
        site.member("bram")
        site.member("mod", role="moderator")
        app = site.client.post("/api/v1/apps", data={"client_name": "Proef", "redirect_uris": OOB, "scopes": SCOPES})
        assert app.status_code == 200, app.text
        yield Api(site, {name: _token(site, app.json(), name) for name in ("anne", "bram", "mod")})
    site.node.db.close()


def test_a_never_edited_status_has_one_version_for_everyone(api: Api) -> None:
    topic = api.topic("Eén versie\nDe tekst.")
    status = api.site.client.get(f"/api/v1/statuses/{topic}").json()
    for who in ("bram", None):  # public reads need no token, as GET /api/v1/statuses/:id
        answer = api.history(topic, who)
        assert answer.status_code == 200, answer.text
        [only] = answer.json()
        assert only["content"] == status["content"] and only["created_at"] == status["created_at"]
        assert only["account"] == status["account"] and only["poll"] is None and only["emojis"] == []
        assert only["spoiler_text"] == "" and only["sensitive"] is False
    assert status["edited_at"] is None


def test_an_edited_status_has_every_version_in_order(api: Api) -> None:
    topic = api.topic("Woo\nDe gemeente publiceert alles.")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Woo\nDe gemeente publiceert bijna alles."}, "anne")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Woo-verzoeken\nDe gemeente publiceert veel."}, "anne")
    versions = api.history(topic, "bram").json()
    assert [v["content"] for v in versions] == [
        "<p><strong>Woo</strong></p><p>De gemeente publiceert alles.</p>\n",
        "<p><strong>Woo</strong></p><p>De gemeente publiceert bijna alles.</p>\n",
        "<p><strong>Woo-verzoeken</strong></p><p>De gemeente publiceert veel.</p>\n"]
    assert [v["account"]["id"] for v in versions] == [api.account_id("anne")] * 3
    status = api.site.client.get(f"/api/v1/statuses/{topic}").json()
    assert versions[0]["created_at"] == status["created_at"] and versions[-1]["created_at"] == status["edited_at"]
    assert versions[0]["created_at"] < versions[1]["created_at"] < versions[2]["created_at"]


def test_a_moderators_redaction_leaves_a_trace_without_text_and_credits_a_moderator(api: Api) -> None:
    topic = api.topic("Bellen\nBel me thuis: 06-12345678.")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Bellen\nBel me thuis: 06-12345678, na zessen."},
             "anne")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Bellen\nBel me via de gemeente."}, "mod")
    status = api.site.client.get(f"/api/v1/statuses/{topic}").json()
    for who in ("bram", "anne", None):
        withdrawn, current = api.history(topic, who).json()
        assert "06-12345678" not in str([withdrawn, current])
        # the withdrawn versions were the author's; no text, no files
        assert withdrawn["content"] == "" and withdrawn["media_attachments"] == []
        assert withdrawn["account"]["id"] == api.account_id("anne")
        assert withdrawn["created_at"] == status["created_at"]
        # the moderator made the current text, but is named to nobody who may not moderate (as the public
        # moderation log): a stand-in account pointing at that log
        assert "via de gemeente" in current["content"] and current["created_at"] == status["edited_at"]
        assert current["account"]["id"] == "0" and current["account"]["url"].endswith("/moderation-log")
        assert current["account"]["display_name"] == "moderator"
        assert current["account"]["acct"] == current["account"]["username"] == MODERATION_ACCT
        assert current["account"]["created_at"] == MODERATION_SINCE
    _, current = api.history(topic, "mod").json()
    assert current["account"]["id"] == api.account_id("mod")


def test_a_moderators_ordinary_edit_credits_a_moderator_to_everyone_else(api: Api) -> None:
    api.site.login("anne")
    saved = api.site.post("/blog/new", {"title": "Labels", "summary": "", "body": "De tekst blijft.", "tags": "woo",
                                        "action": "publish"})
    api.site.logout()
    assert saved.status_code == 303, saved.text
    post_id = int(api.site.node.db.scalar("SELECT max(id) FROM posts") or 0)
    api.site.login("mod")  # only the tags change: an ordinary version, no redaction
    edited = api.site.post(f"/posts/{post_id}/edit", {"title": "Labels", "summary": "", "body": "De tekst blijft.",
                                                      "tags": "woo archief"})
    api.site.logout()
    assert edited.status_code == 303, edited.text
    for who in ("bram", "anne", None):
        first, current = api.history(post_id, who).json()
        assert first["account"]["id"] == api.account_id("anne") and first["content"] == current["content"]
        assert current["account"]["id"] == "0" and current["account"]["acct"] == MODERATION_ACCT, who
    _, current = api.history(post_id, "mod").json()
    assert current["account"]["id"] == api.account_id("mod")


def test_no_member_can_be_the_moderators_stand_in(api: Api) -> None:
    assert not USERNAME.match(MODERATION_ACCT)  # no member can be called so
    answer = api.site.client.get("/api/v1/accounts/lookup", params={"acct": MODERATION_ACCT},
                                 headers=api.tokens["bram"])
    assert answer.status_code == 404
    assert api.site.client.get("/api/v1/accounts/0", headers=api.tokens["bram"]).status_code == 404


def test_an_edit_that_changes_nothing_sets_no_edited_at(api: Api) -> None:
    topic = api.topic("Gelijk\nDezelfde tekst.")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Gelijk\nDezelfde tekst."}, "anne")
    assert api.site.client.get(f"/api/v1/statuses/{topic}").json()["edited_at"] is None
    assert len(api.history(topic, "bram").json()) == 1


def test_an_edit_of_only_the_attachments_is_a_version_of_its_own(api: Api) -> None:
    topic = api.topic("Bijlage\nDe tekst blijft.")
    status = api.site.client.get(f"/api/v1/statuses/{topic}").json()
    upload = api.site.client.post("/api/v2/media", data={"description": "Een groen vlak"},
                                  files={"file": ("vlak.png", png(), "image/png")}, headers=api.tokens["anne"])
    assert upload.status_code == 200, upload.text
    api.send("PUT", f"/api/v1/statuses/{topic}",
             {"status": "Bijlage\nDe tekst blijft.", "media_ids": [upload.json()["id"]]}, "anne")
    edited = api.site.client.get(f"/api/v1/statuses/{topic}").json()
    assert edited["edited_at"] is not None and len(edited["media_attachments"]) == 1
    first, current = api.history(topic, "bram").json()  # versions = edits + 1
    assert first["content"] == current["content"] == status["content"]
    assert current["created_at"] == edited["edited_at"] and first["created_at"] == status["created_at"]
    page = api.site.client.get(f"/posts/{topic}/history").text
    assert "Alleen de bijlagen, tags of samenvatting zijn gewijzigd" in page and "<ins>" not in page


def test_a_removed_status_history_is_for_its_author_and_moderators_only(api: Api) -> None:
    topic = api.topic("Verwijderd\nEerste tekst.")
    api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Verwijderd\nTweede tekst."}, "anne")
    reply = api.send("POST", "/api/v1/statuses", {"status": "Een reactie", "in_reply_to_id": topic}, "bram").json()
    api.send("DELETE", f"/api/v1/statuses/{topic}?reason=spam", {}, "mod")  # a moderator's delete: a removal
    for who in ("anne", "mod"):
        answer = api.history(topic, who)
        assert answer.status_code == 200 and len(answer.json()) == 2, (who, answer.text)
    for who in ("bram", None):
        answer = api.history(topic, who)
        assert (answer.status_code, answer.json()["error"]) == (404, "Record not found"), who
    # a reply in a removed topic is gone with it, except for its author and the moderators
    assert api.history(reply["id"], "bram").status_code == 200 and api.history(reply["id"], "mod").status_code == 200
    assert api.history(reply["id"], "anne").status_code == 404


@pytest.mark.parametrize("status_id", ["999999", "abc", "0", "99999999999999999999"])
def test_an_unknown_status_is_a_json_404(api: Api, status_id: str) -> None:
    answer = api.history(status_id, "anne")
    assert (answer.status_code, answer.json()["error"]) == (404, "Record not found")


def test_a_deleted_status_and_an_unpublished_draft_are_404(api: Api) -> None:
    topic = api.topic("Weg\nStraks weg.")
    api.send("DELETE", f"/api/v1/statuses/{topic}", {}, "anne")
    assert api.history(topic, "anne").status_code == 404
    api.site.login("anne")
    saved = api.site.post("/blog/new", {"title": "Concept", "body": "Nog niet klaar", "action": "draft"})
    api.site.logout()
    assert saved.status_code == 303, saved.text
    draft = posts.by_id(api.site.node.db, int(api.site.node.db.scalar("SELECT max(id) FROM posts") or 0))
    assert draft is not None and draft["state"] == "draft"
    for who in ("anne", "bram", None):  # as GET /api/v1/statuses/:id: a draft is no status
        assert api.history(draft["id"], who).status_code == 404, who


def test_a_remote_post_changed_by_a_federated_update_shows_both_versions(env: Env) -> None:  # noqa: F811
    env.cache_actor("http://ds9.lemmy.ml/u/lemmy_alpha")
    folder = "lemmy/activities/create_or_update/"
    env.process(load(folder + "create_page.json"))
    page = posts.by_uri(env.db, "http://ds9.lemmy.ml/post/1")
    assert page is not None
    client = env.site.client
    assert client.get(f"/api/v1/statuses/{page['id']}").json()["edited_at"] is None
    env.process(load(folder + "update_page.json"))
    status = client.get(f"/api/v1/statuses/{page['id']}").json()
    answer = client.get(f"/api/v1/statuses/{page['id']}/history")
    assert answer.status_code == 200, answer.text
    first, current = answer.json()
    assert first["content"].startswith("<p><strong>test post</strong></p>")
    assert current["content"].startswith("<p><strong>test post 1</strong></p>")
    assert current["content"] == status["content"]
    assert first["account"] == current["account"] == status["account"]
    assert first["account"]["acct"] == "lemmy_alpha@ds9.lemmy.ml"
    assert status["edited_at"] is not None and current["created_at"] == status["edited_at"]
    assert status["edited_at"] == "2021-10-29T15:11:35.976Z"  # the object's `updated`, not when we took it in
    # a limited server's posts are hidden from whoever follows nobody there: its history too
    blocks.block(env.site.node, None, "ds9.lemmy.ml", "Te druk", limit=True)
    answer = client.get(f"/api/v1/statuses/{page['id']}/history")
    assert (answer.status_code, answer.json()["error"]) == (404, "Record not found")
