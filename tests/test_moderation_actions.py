"""Moderators' actions (issue 9) through the pages and the client API, for every role: a member cannot,
a group's own moderator only in their group, the node's moderators in every group here, an admin
everything. Each action leaves a row in the audit log and in the public moderation log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from federation.actors import actor_record
from node.services import groups as group_service
from node.services import posts as post_service
from storage import accounts, actors, follows, groups, posts
from tests.helpers import PASSWORD, Site, make_site

BASE = "http://127.0.0.1:8000"
GROUP = "open-overheid"
OTHER = "andere-groep"
AS_HEADERS = {"Accept": "application/activity+json"}


class Api:
    """A Mastodon app signed in as one member (the password grant)."""

    def __init__(self, site: Site, username: str) -> None:
        self.site = site
        app = site.client.post("/api/v1/apps", data={"client_name": "Tusky", "scopes": "read write",
                                                     "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).json()
        token = site.client.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": username, "password": PASSWORD, "scope": "read write"}).json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def get(self, path: str) -> Any:
        return self.site.client.get(path, headers=self.headers)

    def post(self, path: str, data: dict[str, object]) -> Any:
        return self.site.client.post(path, json=data, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.site.client.delete(path, headers=self.headers)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        made.member("anne")
        made.member("bram")
        made.member("gmod")
        made.member("nmod", role="moderator")
        made.member("baas", role="admin")
        made.group()
        made.group(OTHER, "Andere groep")
        group = groups.by_slug(made.node.db, GROUP)
        groups.add_moderator(made.node.db, group["id"], _id(made, "gmod"), None, made.node.now())
        yield made
    made.node.db.close()


def _id(site: Site, name: str) -> int:
    return int(accounts.by_username(site.node.db, name)["id"])


def _account(site: Site, name: str) -> Any:
    return accounts.by_username(site.node.db, name)


def _topic(site: Site, author: str = "anne", slug: str = GROUP, title: str = "Een onderwerp") -> int:
    group = groups.by_slug(site.node.db, slug)
    # on the app's own thread: its delivery worker writes through the same connection meanwhile
    return int(site.client.portal.call(post_service.start_topic, site.node, _account(site, author), group, title,
                                       "Tekst erbij")["id"])


def _reply(site: Site, parent: int, author: str = "bram", body: str = "Een reactie van bram") -> int:
    return int(site.client.portal.call(post_service.reply, site.node, _account(site, author), parent, body)["id"])


def _act(site: Site, path: str, data: dict[str, str]) -> int:
    """A moderator's form, posted with the CSRF token of the moderation page of that post."""
    post_id = path.split("/")[2]
    return site.post(path, data, site.csrf(f"/posts/{post_id}/moderate")).status_code


def _as(site: Site, name: str | None) -> None:
    site.client.cookies.clear()
    if name:
        site.login(name)


def _logged(site: Site, action: str) -> tuple[Any, Any]:
    """The newest public log row and audit row of an action (None when there is none)."""
    public = site.node.db.one("SELECT * FROM moderation_log WHERE action = ? ORDER BY id DESC LIMIT 1", (action,))
    audit = site.node.db.one("SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1", (action,))
    return public, audit


def _count(site: Site, action: str) -> int:
    return int(site.node.db.scalar("SELECT count(*) FROM moderation_log WHERE action = ?", (action,)))


def _remote_follower(site: Site, uri: str, followee: str) -> str:
    inbox = f"{uri}/inbox"
    actors.put(site.node.db, actor_record({"id": uri, "type": "Person", "preferredUsername": uri.rsplit("/", 1)[1],
                                           "inbox": inbox}, site.node.now()))
    follows.put(site.node.db, uri, followee, "accepted", None, site.node.now())
    return inbox


def _sent(site: Site, inbox: str) -> list[dict[str, Any]]:
    rows = site.node.db.all("SELECT a.body FROM deliveries d JOIN activities a ON a.uri = d.activity_uri"
                            " WHERE d.inbox = ? ORDER BY d.id", (inbox,))
    return [orjson.loads(row["body"]) for row in rows]


# --- who may remove -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "slug", "allowed", "role"), [
    ("bram", GROUP, False, None),
    ("gmod", GROUP, True, "moderator"),
    ("gmod", OTHER, False, None),
    ("nmod", OTHER, True, "moderator"),
    ("baas", OTHER, True, "admin"),
])
def test_who_may_remove_a_post_through_the_pages(site: Site, who: str, slug: str, allowed: bool,
                                                 role: str | None) -> None:
    topic = _topic(site, slug=slug)
    reply = _reply(site, topic, author="anne", body="Een reactie van anne")
    _as(site, who)
    answer = site.post(f"/posts/{reply}/remove", {"reason": "Persoonsgegevens"}, site.csrf(f"/groups/{slug}"))
    removed = posts.by_id(site.node.db, reply)
    if not allowed:
        assert answer.status_code == 403
        assert removed["removed_at"] is None and _count(site, "remove") == 0
        assert site.client.get(f"/posts/{reply}/moderate").status_code == 403
        return
    assert answer.status_code == 303
    assert removed["removed_at"] is not None and removed["removed_reason"] == "Persoonsgegevens"
    public, audit = _logged(site, "remove")
    group = groups.by_slug(site.node.db, slug)
    assert public["group_id"] == group["id"] and public["reason"] == "Persoonsgegevens" and public["role"] == role
    assert public["target_url"] == f"{BASE}/posts/{reply}"  # the reply's permalink (leads to its page)
    assert public["activity_uri"].startswith(f"{BASE}/activities/")
    assert audit["actor_id"] == _id(site, who) and audit["target"] == public["target_url"]


def test_who_may_remove_through_the_client_api(site: Site) -> None:
    topic = _topic(site)
    reply = _reply(site, topic)
    assert Api(site, "anne").delete(f"/api/v1/statuses/{reply}").status_code == 403  # not hers, not a moderator
    gmod = Api(site, "gmod")
    refused = gmod.delete(f"/api/v1/statuses/{reply}")
    assert refused.status_code == 422 and "reason" in refused.json()["error"]
    assert gmod.delete(f"/api/v1/statuses/{reply}?reason=Spam").status_code == 200
    assert posts.by_id(site.node.db, reply)["removed_reason"] == "Spam"
    public, audit = _logged(site, "remove")
    assert public["reason"] == "Spam" and audit["actor_name"] == "gmod"
    other = _topic(site, slug=OTHER)
    assert gmod.delete(f"/api/v1/statuses/{other}?reason=Spam").status_code == 403  # not their group
    assert Api(site, "nmod").delete(f"/api/v1/statuses/{other}?reason=Spam").status_code == 200
    # the author's own delete is a deletion, as before
    own = _topic(site, author="bram")
    assert Api(site, "bram").delete(f"/api/v1/statuses/{own}").status_code == 200
    assert posts.by_id(site.node.db, own)["deleted_at"] is not None and _count(site, "remove") == 2


def test_a_removal_needs_a_reason_and_says_so_on_the_form(site: Site) -> None:
    topic = _topic(site)
    _as(site, "gmod")
    csrf = site.csrf(f"/posts/{topic}/moderate")
    answer = site.post(f"/posts/{topic}/remove", {"reason": "   "}, csrf)
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and "Geef een reden op" in answer.text
    assert posts.by_id(site.node.db, topic)["removed_at"] is None and _count(site, "remove") == 0
    assert site.post(f"/posts/{topic}/lock", {"reason": ""}, csrf).status_code == 422
    assert site.post(f"/posts/{topic}/ban", {"reason": ""}, csrf).status_code == 422
    assert site.post(f"/posts/{topic}/remove", {"reason": "x" * 1001}, csrf).status_code == 422
    assert site.node.db.scalar("SELECT count(*) FROM moderation_log") == 0


# --- what a removal looks like ----------------------------------------------------------------------

def test_a_removed_post_is_its_authors_to_see_and_gone_for_everyone_else(site: Site) -> None:
    topic = _topic(site, title="Over de Woo")
    reply = _reply(site, topic, body="Mijn telefoonnummer is 0612345678")
    bram_api, anne_api = Api(site, "bram"), Api(site, "anne")
    _as(site, "nmod")
    report = site.node.db.execute(
        "INSERT INTO reports (target_kind, post_id, target_url, category, created_at) VALUES ('post', ?, '', 'other',"
        " ?)", (reply, site.node.now())).lastrowid
    assert site.post(f"/posts/{reply}/remove", {"reason": "Persoonsgegevens", "report": str(report)},
                     site.csrf(f"/posts/{reply}/moderate")).status_code == 303
    assert _logged(site, "remove")[0]["report_id"] == report
    page = f"/groups/{GROUP}/topics/{topic}"
    _as(site, "bram")  # the author
    own = site.client.get(page).text
    assert "0612345678" in own and "Uw bericht is verwijderd door een moderator" in own and "Persoonsgegevens" in own
    for viewer in ("anne", None):
        _as(site, viewer)
        seen = site.client.get(page).text
        assert "0612345678" not in seen and "Verwijderd door een moderator. Reden: Persoonsgegevens" in seen
    assert "0612345678" not in site.client.get("/search?q=telefoonnummer").text
    # the client API: gone for others, still there for its author
    assert anne_api.get(f"/api/v1/statuses/{reply}").status_code == 404
    assert bram_api.get(f"/api/v1/statuses/{reply}").status_code == 200
    assert all(s["id"] != str(reply) for s in anne_api.get("/api/v1/timelines/public").json())
    context = anne_api.get(f"/api/v1/statuses/{topic}/context").json()
    assert all(s["id"] != str(reply) for s in context["descendants"])
    # other servers get a Tombstone, 410
    gone = site.client.get(f"/posts/{reply}", headers=AS_HEADERS)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    # the author can no longer edit it; a moderator restores it
    _as(site, "bram")
    assert site.post(f"/posts/{reply}/edit", {"body": "Anders"}, site.csrf(page)).status_code == 403
    _as(site, "nmod")
    assert site.post(f"/posts/{reply}/restore", {}, site.csrf(f"/posts/{reply}/moderate")).status_code == 303
    assert posts.by_id(site.node.db, reply)["removed_at"] is None and _logged(site, "restore")[0] is not None
    assert anne_api.get(f"/api/v1/statuses/{reply}").status_code == 200


def test_a_removed_topic_leaves_the_group_feeds_timelines_and_search(site: Site) -> None:
    topic = _topic(site, title="Weg ermee vandaag")
    _reply(site, topic, body="antwoord dat meegaat")
    api = Api(site, "bram")
    _as(site, "gmod")
    assert _act(site, f"/posts/{topic}/remove", {"reason": "Spam"}) == 303
    assert _logged(site, "remove")[0]["target_label"] == "Weg ermee vandaag"
    _as(site, None)
    assert "Weg ermee vandaag" not in site.client.get(f"/groups/{GROUP}").text
    assert "Weg ermee vandaag" not in site.client.get(f"/groups/{GROUP}.atom").text
    assert "Weg ermee" not in site.client.get("/search?q=meegaat").text
    page = site.client.get(f"/groups/{GROUP}/topics/{topic}").text
    assert "Weg ermee vandaag" not in page and "Verwijderd door een moderator" in page
    assert all(s["content"].find("meegaat") < 0 for s in api.get("/api/v1/timelines/public").json())
    assert groups.listing(site.node.db)[1]["topics"] == 0 or all(
        row["topics"] == 0 for row in groups.listing(site.node.db) if row["slug"] == GROUP)


# --- lock and pin -----------------------------------------------------------------------------------

def test_a_locked_topic_refuses_replies_in_the_pages_and_the_api(site: Site) -> None:
    topic = _topic(site)
    _as(site, "gmod")
    csrf = site.csrf(f"/posts/{topic}/moderate")
    assert site.post(f"/posts/{topic}/lock", {"reason": "Afgerond"}, csrf).status_code == 303
    assert posts.by_id(site.node.db, topic)["locked_at"] is not None
    public, audit = _logged(site, "lock")
    assert public["reason"] == "Afgerond" and audit["actor_name"] == "gmod"
    _as(site, "bram")
    page = site.client.get(f"/groups/{GROUP}/topics/{topic}").text
    assert "Dit onderwerp is gesloten" in page and f'action="/posts/{topic}/reply"' not in page
    refused = site.post(f"/posts/{topic}/reply", {"body": "Toch nog iets"}, site.csrf(f"/groups/{GROUP}"))
    assert refused.status_code == 403 and "gesloten door een moderator" in refused.text
    api = Api(site, "bram")
    answer = api.post("/api/v1/statuses", {"status": "Via de app", "in_reply_to_id": str(topic)})
    assert answer.status_code == 403 and "locked" in answer.json()["error"]
    _as(site, "bram")
    assert site.post(f"/posts/{topic}/unlock", {}, site.csrf(f"/groups/{GROUP}")).status_code == 403
    _as(site, "nmod")
    assert site.post(f"/posts/{topic}/unlock", {}, site.csrf(f"/posts/{topic}/moderate")).status_code == 303
    assert _logged(site, "unlock")[0]["role"] == "moderator"
    assert api.post("/api/v1/statuses", {"status": "Nu wel", "in_reply_to_id": str(topic)}).status_code == 200


def test_a_pinned_topic_comes_first(site: Site) -> None:
    older = _topic(site, title="Oud onderwerp")
    _topic(site, title="Nieuw onderwerp")
    _as(site, "baas")
    assert site.post(f"/posts/{older}/pin", {}, site.csrf(f"/posts/{older}/moderate")).status_code == 303
    group_id = groups.by_slug(site.node.db, GROUP)["id"]
    assert [row["id"] for row in posts.topics_in_group(site.node.db, group_id)][0] == older
    listing = site.client.get(f"/groups/{GROUP}").text
    assert listing.index("Oud onderwerp") < listing.index("Nieuw onderwerp") and "Vastgezet" in listing
    assert _logged(site, "pin")[0]["role"] == "admin"
    assert site.post(f"/posts/{older}/unpin", {}, site.csrf(f"/posts/{older}/moderate")).status_code == 303
    assert _logged(site, "unpin")[0] is not None and posts.by_id(site.node.db, older)["pinned_at"] is None
    _as(site, "anne")
    assert site.post(f"/posts/{older}/pin", {}, site.csrf(f"/groups/{GROUP}")).status_code == 403


# --- bans -------------------------------------------------------------------------------------------

def test_a_ban_refuses_posting_in_that_group_until_it_ends(site: Site) -> None:
    topic = _topic(site)
    own = _reply(site, topic)
    _as(site, "gmod")
    page = f"/groups/{GROUP}/moderation"
    csrf = site.csrf(page)
    assert site.post(f"{GROUP and '/groups/' + GROUP}/bans", {"account": "bram", "reason": ""}, csrf).status_code == 422
    assert site.post(f"/groups/{GROUP}/bans", {"account": "niemand", "reason": "x"}, csrf).status_code == 422
    assert site.post(f"/groups/{GROUP}/bans", {"account": "bram", "reason": "Schelden", "until": "2020-01-01"},
                     csrf).status_code == 422  # in the past
    answer = site.post(f"/groups/{GROUP}/bans", {"account": "bram", "reason": "Schelden", "until": "2999-01-01",
                                                 "remove_posts": "1"}, csrf)
    assert answer.status_code == 303
    public, audit = _logged(site, "ban")
    assert public["reason"] == "Schelden" and public["target_url"] == f"{BASE}/users/bram"
    assert audit["actor_name"] == "gmod"
    assert posts.by_id(site.node.db, own)["removed_reason"] == "Schelden"  # "also remove their posts"
    listed = site.client.get(page).text
    assert "Schelden" in listed and "2999-01-01" in listed
    # bram cannot write in the group, in the pages nor in the API, with a clear message
    _as(site, "bram")
    refused = site.post(f"/groups/{GROUP}/topics", {"title": "Nog een", "body": "Tekst"}, site.csrf(f"/groups/{GROUP}"))
    assert refused.status_code == 403 and "uitgesloten van de groep" in refused.text and "Schelden" in refused.text
    refused = site.post(f"/posts/{topic}/reply", {"body": "Hallo"}, site.csrf(f"/groups/{GROUP}"))
    assert refused.status_code == 403 and "uitgesloten" in refused.text
    api = Api(site, "bram")
    assert api.post("/api/v1/statuses", {"status": "Hoi", "in_reply_to_id": str(topic)}).status_code == 403
    other = _topic(site, slug=OTHER)
    assert api.post("/api/v1/statuses", {"status": "Elders mag het", "in_reply_to_id": str(other)}).status_code == 200
    # the ban ends by itself at its end (moved to the past here, rather than waiting)
    group_id = groups.by_slug(site.node.db, GROUP)["id"]
    site.node.db.execute("UPDATE group_bans SET expires_at = '2000-01-01T00:00:00.000Z' WHERE group_id = ?",
                         (group_id,))
    assert groups.active_ban(site.node.db, group_id, _id(site, "bram"), site.node.now()) is None
    assert api.post("/api/v1/statuses", {"status": "Weer terug", "in_reply_to_id": str(topic)}).status_code == 200


def test_banning_the_author_from_a_post_and_lifting_it(site: Site) -> None:
    topic = _topic(site, author="bram")
    _as(site, "anne")
    assert site.post(f"/posts/{topic}/ban", {"reason": "Spam"}, site.csrf(f"/groups/{GROUP}")).status_code == 403
    _as(site, "gmod")
    assert _act(site, f"/posts/{topic}/ban", {"reason": "Spam"}) == 303
    group_id = groups.by_slug(site.node.db, GROUP)["id"]
    ban = groups.active_ban(site.node.db, group_id, _id(site, "bram"), site.node.now())
    assert ban is not None and ban["expires_at"] is None  # for good
    assert site.post(f"/groups/{GROUP}/bans", {"account": "gmod", "reason": "x"},
                     site.csrf(f"/groups/{GROUP}/moderation")).status_code == 422  # not oneself
    assert site.post(f"/groups/{GROUP}/bans/lift", {"account_id": str(_id(site, "bram"))},
                     site.csrf(f"/groups/{GROUP}/moderation")).status_code == 303
    assert groups.active_ban(site.node.db, group_id, _id(site, "bram"), site.node.now()) is None
    assert _logged(site, "unban")[0]["group_id"] == group_id
    _as(site, "gmod")
    assert site.client.get(f"/groups/{OTHER}/moderation").status_code == 403
    assert site.post(f"/groups/{OTHER}/bans", {"account": "bram", "reason": "x"},
                     site.csrf(f"/groups/{GROUP}/moderation")).status_code == 403


# --- suspension ---------------------------------------------------------------------------------------

def test_suspending_ends_sessions_and_tokens_and_refuses_log_in(site: Site) -> None:
    api = Api(site, "bram")
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 200
    _as(site, "bram")  # a web session of bram's, left open
    sessions = "SELECT count(*) FROM sessions WHERE account_id = ?"
    assert site.node.db.scalar(sessions, (_id(site, "bram"),)) == 1
    _as(site, "nmod")  # a node moderator is not an admin
    assert site.post("/admin/members/bram", {"action": "suspend", "reason": "Spam"},
                     site.csrf("/groups")).status_code == 403
    _as(site, "baas")
    csrf = site.csrf("/admin")
    answer = site.post("/admin/members/bram", {"action": "suspend", "reason": ""}, csrf)
    assert answer.status_code == 422 and "Geef een reden op" in answer.text
    assert site.post("/admin/members/bram", {"action": "suspend", "reason": "Spamaccount"}, csrf).status_code == 303
    bram = _account(site, "bram")
    assert bram["suspended_at"] is not None and bram["suspended_reason"] == "Spamaccount"
    public, audit = _logged(site, "suspend")
    assert public["group_id"] is None and public["role"] == "admin" and audit["actor_name"] == "baas"
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 401
    assert site.node.db.scalar(sessions, (_id(site, "bram"),)) == 0
    assert "Dit account is geschorst" in site.client.get("/users/bram").text
    _as(site, None)
    refused = site.post("/login", {"username": "bram", "password": PASSWORD})
    assert refused.status_code == 403 and "geschorst" in refused.text and "Spamaccount" in refused.text
    assert site.post("/login", {"username": "bram", "password": "wrong password"}).status_code == 401
    with pytest.raises(KeyError):  # no new token either
        Api(site, "bram")
    _as(site, "baas")
    assert site.post("/admin/members/bram", {"action": "unsuspend"}, site.csrf("/admin")).status_code == 303
    assert _logged(site, "unsuspend")[0] is not None
    _as(site, "bram")  # may log in again


# --- a group's moderators -------------------------------------------------------------------------------

def test_admins_appoint_group_moderators_and_the_collection_lists_them(site: Site) -> None:
    group_uri = f"{BASE}/groups/{GROUP}"
    inbox = _remote_follower(site, "https://one.example/users/f", group_uri)
    listed = site.client.get(f"/groups/{GROUP}/moderators", headers=AS_HEADERS).json()["orderedItems"]
    assert f"{BASE}/users/gmod" in listed and f"{BASE}/users/nmod" in listed and f"{BASE}/users/baas" in listed
    assert f"{BASE}/users/bram" not in listed
    _as(site, "gmod")  # a group moderator does not appoint others
    assert site.post(f"/groups/{GROUP}/moderators", {"account": "bram"},
                     site.csrf(f"/groups/{GROUP}/moderation")).status_code == 403
    _as(site, "baas")
    csrf = site.csrf(f"/groups/{GROUP}/moderation")
    assert site.post(f"/groups/{GROUP}/moderators", {"account": "bram"}, csrf).status_code == 303
    assert site.post(f"/groups/{GROUP}/moderators", {"account": "bram"}, csrf).status_code == 409
    remote = accounts.upsert_remote(site.node.db, uri="https://c.example/users/carla", handle="carla@c.example",
                                    domain="c.example", display_name="Carla", about="", now=site.node.now())
    carla = {"account": "https://c.example/users/carla"}
    assert site.post(f"/groups/{GROUP}/moderators", carla, csrf).status_code == 303
    listed = site.client.get(f"/groups/{GROUP}/moderators", headers=AS_HEADERS).json()["orderedItems"]
    assert f"{BASE}/users/bram" in listed and "https://c.example/users/carla" in listed
    public, audit = _logged(site, "add_moderator")
    assert public["target_url"] == "https://c.example/users/carla" and audit["actor_name"] == "baas"
    added = [a for a in _sent(site, inbox) if a["type"] == "Add"]
    assert [a["object"] for a in added] == [f"{BASE}/users/bram", "https://c.example/users/carla"]
    assert all(a["actor"] == group_uri and a["target"] == f"{group_uri}/moderators" for a in added)
    assert site.post(f"/groups/{GROUP}/moderators/remove", {"account_id": str(remote)}, csrf).status_code == 303
    removed = [a for a in _sent(site, inbox) if a["type"] == "Remove"]
    assert removed and removed[0]["object"] == "https://c.example/users/carla"
    assert removed[0]["target"] == f"{group_uri}/moderators"
    assert _logged(site, "remove_moderator")[0] is not None
    # the one who creates a group moderates it
    creator = group_service.create(site.node, _account(site, "nmod"), "nieuwe-groep", "Nieuwe groep")
    assert groups.is_moderator(site.node.db, creator["id"], _id(site, "nmod"))


# --- what goes out ---------------------------------------------------------------------------------------

def test_removal_lock_and_ban_go_out_in_the_agreed_wire_formats(site: Site) -> None:
    group_uri = f"{BASE}/groups/{GROUP}"
    follower_inbox = _remote_follower(site, "https://one.example/users/f", group_uri)
    author_follower = _remote_follower(site, "https://two.example/users/g", f"{BASE}/users/anne")
    topic = _topic(site, author="anne")
    reply = _reply(site, topic, author="anne", body="Een reactie")
    _as(site, "gmod")
    csrf = site.csrf(f"/posts/{reply}/moderate")
    site.post(f"/posts/{reply}/remove", {"reason": "Persoonsgegevens"}, csrf)
    reply_id = f"{BASE}/posts/{reply}"
    sent = _sent(site, follower_inbox)
    delete = next(a for a in sent if a["type"] == "Delete" and a["actor"] == f"{BASE}/users/gmod")
    assert delete["object"] == reply_id and delete["summary"] == "Persoonsgegevens"
    assert delete["audience"] == group_uri and delete["cc"] == [group_uri, f"{group_uri}/followers"]
    announce = next(a for a in sent if a["type"] == "Announce" and isinstance(a["object"], dict)
                    and a["object"]["type"] == "Delete")
    assert announce["actor"] == group_uri and announce["object"] == {k: v for k, v in delete.items() if k != "@context"}
    assert _logged(site, "remove")[0]["activity_uri"] == delete["id"]
    # the author's plain Delete, to everyone who got the post (the author's follower too)
    plain = [a for a in _sent(site, author_follower) if a["type"] == "Delete" and a["actor"] == f"{BASE}/users/anne"]
    assert plain and plain[0]["object"] == reply_id
    # a whole topic: also Remove{object: its context, target: the group}, announced
    site.post(f"/posts/{topic}/remove", {"reason": "Spam"}, csrf)
    sent = _sent(site, follower_inbox)
    remove = next(a for a in sent if a["type"] == "Remove" and a.get("target") == group_uri)
    assert remove["object"] == f"{BASE}/posts/{topic}/context" and remove["summary"] == "Spam"
    assert any(a["type"] == "Announce" and isinstance(a["object"], dict) and a["object"]["id"] == remove["id"]
               for a in sent)
    # lock and its undo, ban and its undo
    open_topic = _topic(site, author="bram")
    site.post(f"/posts/{open_topic}/lock", {"reason": "Afgerond"}, csrf)
    site.post(f"/posts/{open_topic}/unlock", {}, csrf)
    site.post(f"/posts/{open_topic}/ban", {"reason": "Schelden", "until": "2999-01-01"}, csrf)
    site.post(f"/groups/{GROUP}/bans/lift", {"account_id": str(_id(site, "bram"))}, csrf)
    sent = _sent(site, follower_inbox)
    lock = next(a for a in sent if a["type"] == "Lock")
    assert lock["object"] == f"{BASE}/posts/{open_topic}" and lock["summary"] == "Afgerond"
    assert lock["audience"] == group_uri
    block = next(a for a in sent if a["type"] == "Block")
    assert block["object"] == f"{BASE}/users/bram" and block["target"] == group_uri
    assert block["expires"].startswith("2999-01-01") and block["summary"] == "Schelden"
    undos = [a for a in sent if a["type"] == "Undo"]
    assert [u["object"]["id"] for u in undos] == [lock["id"], block["id"]]
    wrapped = {a["object"]["id"] for a in sent if a["type"] == "Announce" and isinstance(a["object"], dict)}
    assert {lock["id"], block["id"]} | {u["id"] for u in undos} <= wrapped


# --- bad input --------------------------------------------------------------------------------------------

MOD_FORMS = {
    "/posts/1/remove": ["reason", "report"],
    "/posts/1/restore": ["reason"],
    "/posts/1/lock": ["reason"],
    "/posts/1/unlock": ["reason"],
    "/posts/1/pin": ["reason"],
    "/posts/2/ban": ["reason", "until", "remove_posts"],
    f"/groups/{GROUP}/bans": ["account", "reason", "until", "remove_posts"],
    f"/groups/{GROUP}/bans/lift": ["account_id", "reason"],
    f"/groups/{GROUP}/moderators": ["account"],
    f"/groups/{GROUP}/moderators/remove": ["account_id"],
    "/admin/members/bram": ["action", "reason"],
}


def test_random_input_to_the_moderators_forms_never_fails(site: Site) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    topic = _topic(site)
    _reply(site, topic)
    _as(site, "baas")
    csrf = site.csrf("/admin")
    # no "@" or "/" in account names: those are looked up on other servers, which this test has none of
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="@/"), max_size=200)
    special = st.sampled_from(["", "bram", "2999-01-01", "0001-01-01T00:00-23:59", "9999-12-31T23:59+00:00",
                               "suspend", "unsuspend", "1", "99999999999999999999", "-1"])

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(sorted(MOD_FORMS)), data=st.data())
    def check(path: str, data: st.DataObject) -> None:
        fields = {name: data.draw(st.one_of(text, special), label=name) for name in MOD_FORMS[path]}
        response = site.client.post(path, data={"csrf": csrf} | fields, follow_redirects=False)
        assert response.status_code < 500, (path, fields, response.text[:300])

    check()


def test_the_command_line_finds_a_post_by_any_of_its_urls(site: Site) -> None:
    from node.services import moderation
    from node.services.errors import NotFound
    from node.services.ingest import Ingest

    topic = _topic(site)
    reply = _reply(site, topic)
    blog = post_service.write_blog_post(site.node, _account(site, "anne"), "Blog", "", "Tekst", "", publish=True)
    doc = {"id": "https://one.example/users/bob", "type": "Person", "preferredUsername": "bob",
           "inbox": "https://one.example/users/bob/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    remote = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, {
        "id": "https://one.example/notes/7", "type": "Note", "attributedTo": doc["id"], "content": "<p>Elders</p>",
        "url": "https://one.example/@bob/7", "inReplyTo": f"{BASE}/posts/{topic}"})
    found = {
        f"{BASE}/posts/{reply}": reply,
        f"{BASE}/groups/{GROUP}/topics/{topic}": topic,
        f"{BASE}/groups/{GROUP}/topics/{topic}#post-{reply}": reply,
        f"{BASE}/users/anne/blog/{blog['id']}": blog["id"],
        "https://one.example/notes/7": remote["id"],
        "https://one.example/@bob/7": remote["id"],
    }
    for url, post_id in found.items():
        assert moderation.find_post(site.node, url)["id"] == post_id, url
    for url in (f"{BASE}/posts/999", f"{BASE}/groups/{GROUP}", "https://one.example/notes/8", "niets", ""):
        with pytest.raises(NotFound):
            moderation.find_post(site.node, url)
    moderation.remove_post(site.node, None, remote["id"], "Spam")  # the command line: the organisation signs
    assert _logged(site, "remove")[1]["actor_name"] == "(command line)"
    assert _logged(site, "remove")[0]["target_url"] == "https://one.example/@bob/7"
    sent = _sent(site, "https://one.example/users/bob/inbox")  # the remote author is told
    assert [a["type"] for a in sent] == ["Delete", "Announce"] and sent[0]["actor"] == f"{BASE}/organisation"
    assert sent[1]["object"]["id"] == sent[0]["id"]


def test_a_removed_remote_reply_reaches_a_server_that_got_it_through_the_group(site: Site) -> None:
    from node.services import outbound
    from node.services.ingest import Ingest

    group_uri = f"{BASE}/groups/{GROUP}"
    inbox = _remote_follower(site, "https://two.example/users/f", group_uri)
    topic = _topic(site)
    bob = {"id": "https://one.example/users/bob", "type": "Person", "preferredUsername": "bob",
           "inbox": "https://one.example/users/bob/inbox"}
    actors.put(site.node.db, actor_record(bob, site.node.now()))
    note = {"id": "https://one.example/notes/5", "type": "Note", "attributedTo": bob["id"], "content": "<p>Weg</p>",
            "inReplyTo": f"{BASE}/posts/{topic}", "audience": group_uri}
    runtime = site.node.runtime()
    stored = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, note)
    outbound.group_announces(site.node, posts.by_id(site.node.db, stored["id"]),
                             {"id": "https://one.example/activities/5", "type": "Create", "actor": bob["id"],
                              "object": note})
    before = _sent(site, inbox)
    assert before[-1]["type"] == "Announce" and before[-1]["object"]["object"]["id"] == note["id"]
    follows.remove(site.node.db, "https://two.example/users/f", group_uri)  # it unfollowed since
    _as(site, "gmod")
    assert _act(site, f"/posts/{stored['id']}/remove", {"reason": "Spam"}) == 303
    sent = _sent(site, inbox)[len(before):]
    assert [a["type"] for a in sent] == ["Delete", "Announce"]
    assert sent[0]["object"] == note["id"] and sent[1]["object"]["id"] == sent[0]["id"]
    assert "Delete" in [a["type"] for a in _sent(site, bob["inbox"])]  # and its author
