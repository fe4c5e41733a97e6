"""Moderation from other servers, signed as those servers sign it (tests/remote_actors.py): a remote
group's moderators act on our copies of its threads when the group announces it (or they share its
origin), a remote moderator of one of our groups is honoured, and everyone else is refused with
the reason and changes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from node import urls
from node.services import posts as post_service
from node.services.ingest import Ingest
from storage import accounts, follows, groups, posts
from storage.db import Row
from tests.federation_helpers import eventually
from tests.helpers import Site, make_site
from tests.remote_actors import PUBLIC, RemoteServer, new_key, signed_post

BASE = "http://127.0.0.1:8000"
ANNE = f"{BASE}/users/anne"
tokens = itertools.count(1)


def add_group(server: RemoteServer, slug: str, moderators: list[str]) -> str:
    """A Lemmy-like community: its moderators collection on its own server, in attributedTo too."""
    public, private = new_key()
    uri = f"{server.origin}/c/{slug}"
    server.documents[f"/c/{slug}"] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri, "type": "Group", "preferredUsername": slug, "name": slug.title(), "inbox": f"{uri}/inbox",
        "followers": f"{uri}/followers", "moderators": f"{uri}/moderators", "attributedTo": f"{uri}/moderators",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public},
    }
    server.documents[f"/c/{slug}/moderators"] = {"id": f"{uri}/moderators", "type": "OrderedCollection",
                                                 "orderedItems": moderators}
    server.keys[uri] = private
    return uri


@dataclass
class World:
    site: Site
    home: RemoteServer  # the remote group's server, with eve (an author) and lisa (its own moderator)
    other: RemoteServer  # a third server: mo (listed as the group's moderator), sam (a stranger)
    group: str
    second: str  # another group on home, which mo does not moderate
    topic: Row
    reply: Row

    def send(self, activity: dict[str, Any], signer: str | None = None, server: RemoteServer | None = None) -> int:
        signer = signer or activity["actor"]
        server = server or (self.home if signer.startswith(self.home.origin) else self.other)
        body = orjson.dumps(activity)
        headers = signed_post(f"{BASE}/inbox", body, f"{signer}#main-key", server.keys[signer])
        return int(self.site.client.post("/inbox", content=body, headers=headers).status_code)

    def outcome(self, activity: dict[str, Any], signer: str | None = None) -> tuple[str, str]:
        """Send it and wait for the worker: (state, reason) of its inbox row."""
        assert self.send(activity, signer) == 202
        db = self.site.node.db
        row = eventually(lambda: (r := db.one("SELECT state, error FROM inbox WHERE activity_id = ?",
                                              (activity["id"],))) and r["state"] != "pending" and r,
                         what=f"processing {activity['type']}")
        return row["state"], row["error"] or ""

    def post(self, post_id: int) -> Row:
        found = posts.by_id(self.site.node.db, post_id)
        assert found is not None
        return found

    def copy_of_group(self, uri: str) -> Row:
        found = groups.by_actor_uri(self.site.node.db, uri)
        assert found is not None
        return found


def activity(kind: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/{kind.lower()}-"
            f"{next(tokens)}", "type": kind, "actor": actor, "object": obj, "to": [PUBLIC], **extra}


def removal(moderator: str, post_uri: str, group: str, reason: str = "Spam") -> dict[str, Any]:
    return activity("Delete", moderator, post_uri, summary=reason, cc=[group, f"{group}/followers"], audience=group)


def announced(group: str, inner: dict[str, Any]) -> dict[str, Any]:
    embedded = {key: value for key, value in inner.items() if key != "@context"}
    return activity("Announce", group, embedded, cc=[f"{group}/followers"])


def ingest(site: Site, obj: dict[str, Any], group_uri: str) -> Row:
    runtime = site.node.runtime()
    found = Ingest(site.node, runtime.actors, runtime.fetcher)
    group = site.client.portal.call(found.remote_group, group_uri)
    return site.client.portal.call(partial(found.post, obj, group, backfill=False))


def remote_account(site: Site, uri: str) -> Row:
    runtime = site.node.runtime()
    return site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).remote_account, uri)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    site = make_site(tmp_path, federation={"allow_private_addresses": True})
    with RemoteServer() as home, RemoteServer() as other, site.client:
        site.member("anne")
        eve, mo = home.add_person("eve"), other.add_person("mo")
        home.add_person("lisa")
        other.add_person("sam")
        group = add_group(home, "forum", [mo])
        second = add_group(home, "tweede", [])
        o = home.origin
        topic = ingest(site, {"id": f"{o}/post/1", "type": "Page", "attributedTo": eve, "name": "Een onderwerp",
                              "content": "<p>Het begin</p>", "to": [PUBLIC, group], "audience": group,
                              "context": f"{o}/post/1/context"}, group)
        reply = ingest(site, {"id": f"{o}/comment/2", "type": "Note", "attributedTo": eve, "inReplyTo": topic["uri"],
                              "content": "<p>Koop nu!</p>", "to": [PUBLIC, group], "audience": group}, group)
        site.login("anne")
        yield World(site, home, other, group, second, topic, reply)
    site.node.db.close()


def log_entries(site: Site) -> list[Row]:
    return site.node.db.all("SELECT * FROM moderation_log ORDER BY id")


def snapshot(site: Site) -> tuple[Any, ...]:
    """Everything moderation may change (the cached moderators aside)."""
    db = site.node.db
    return (db.all("SELECT id, removed_at, removed_reason, locked_at, deleted_at, content FROM posts ORDER BY id"),
            db.all("SELECT * FROM group_bans"), db.all("SELECT * FROM moderation_log"),
            db.all("SELECT uri FROM activities WHERE type = 'Announce'"))


# A remote group's moderators, on our copies

def test_a_listed_moderator_removes_our_copy_when_the_group_announces_it(world: World) -> None:
    mo = f"{world.other.origin}/users/mo"
    delete = removal(mo, world.reply["uri"], world.group, "Reclame, geen bijdrage")
    assert world.outcome(announced(world.group, delete)) == ("done", "")
    reply = world.post(world.reply["id"])
    assert reply["removed_at"] and reply["removed_reason"] == "Reclame, geen bijdrage"
    assert reply["deleted_at"] is None and reply["content"] == "<p>Koop nu!</p>"  # removed, not tombstoned
    [entry] = log_entries(world.site)
    assert (entry["action"], entry["role"], entry["reason"], entry["activity_uri"], entry["group_id"]) == (
        "remove", "remote moderator", "Reclame, geen bijdrage", delete["id"], world.copy_of_group(world.group)["id"])
    assert entry["target_url"] == world.reply["uri"]
    moderators = groups.moderators(world.site.node.db, world.copy_of_group(world.group)["id"])
    assert [row["actor_uri"] for row in moderators] == [mo]  # the collection, cached
    before = snapshot(world.site)
    assert world.outcome(announced(world.group, delete)) == ("done", "")  # passed on again: nothing changes
    assert snapshot(world.site) == before


def test_a_moderator_of_the_groups_own_server_needs_no_listing(world: World) -> None:
    lisa = f"{world.home.origin}/users/lisa"  # FEP-1b12: the group's origin speaks for the group
    assert world.outcome(removal(lisa, world.reply["uri"], world.group, "Off-topic")) == ("done", "")
    assert world.post(world.reply["id"])["removed_reason"] == "Off-topic"
    assert world.home.gets.count("/c/forum/moderators") == 0


def test_a_whole_topic_is_removed_by_its_context(world: World) -> None:
    mo = f"{world.other.origin}/users/mo"
    remove = activity("Remove", mo, f"{world.home.origin}/post/1/context", target=world.group,
                      summary="Dubbel onderwerp", audience=world.group)
    assert world.outcome(announced(world.group, remove)) == ("done", "")
    topic = world.post(world.topic["id"])
    assert topic["removed_at"] and topic["removed_reason"] == "Dubbel onderwerp"
    assert [row["action"] for row in log_entries(world.site)] == ["remove"]


def test_a_ban_stops_our_member_posting_into_that_group_until_it_is_undone(world: World) -> None:
    mo = f"{world.other.origin}/users/mo"
    block = activity("Block", mo, ANNE, target=world.group, summary="Herhaald schelden")
    assert world.outcome(announced(world.group, block)) == ("done", "")
    db, group = world.site.node.db, world.copy_of_group(world.group)
    anne = accounts.local_by_username(db, "anne")
    assert anne is not None
    ban = groups.active_ban(db, group["id"], anne["id"], world.site.node.now())
    assert ban is not None and ban["reason"] == "Herhaald schelden" and ban["expires_at"] is None
    page = world.site.client.get(urls.group(group["slug"])).text
    assert "U bent uitgesloten van deze groep" in page and "Herhaald schelden" in page
    refused = world.site.post(f"/posts/{world.topic['id']}/reply", {"body": "Toch nog even"})
    assert refused.status_code == 403
    assert "U bent uitgesloten van de groep Forum" in refused.text and "Herhaald schelden" in refused.text
    opening = world.site.post(f"{urls.group(group['slug'])}/topics", {"title": "Nieuw", "body": "Toch"})
    assert opening.status_code == 403 and "U bent uitgesloten van de groep Forum" in opening.text
    assert len(posts.thread(db, world.topic["id"])) == 2  # nothing written
    assert db.scalar("SELECT count(*) FROM posts WHERE uri IS NULL") == 0
    undo = activity("Undo", mo, {key: value for key, value in block.items() if key != "@context"})
    assert world.outcome(announced(world.group, undo)) == ("done", "")
    assert groups.active_ban(db, group["id"], anne["id"], world.site.node.now()) is None
    assert world.site.post(f"/posts/{world.topic['id']}/reply", {"body": "Sorry"}).status_code == 303
    assert [(row["action"], row["role"]) for row in log_entries(world.site)] == [
        ("ban", "remote moderator"), ("unban", "remote moderator")]


def test_a_ban_for_a_time_says_until_when(world: World) -> None:
    mo = f"{world.other.origin}/users/mo"
    block = activity("Block", mo, ANNE, target=world.group, summary="Afkoelen", expires="2099-01-02T03:04:05Z")
    assert world.outcome(announced(world.group, block)) == ("done", "")
    refused = world.site.post(f"/posts/{world.topic['id']}/reply", {"body": "Nu?"})
    assert refused.status_code == 403 and "tot 2099-01-02 03:04 (UTC)" in refused.text


def test_a_locked_remote_topic_takes_no_replies_from_our_members(world: World) -> None:
    mo = f"{world.other.origin}/users/mo"
    lock = activity("Lock", mo, world.topic["uri"], summary="Uitgepraat", audience=world.group)
    assert world.outcome(announced(world.group, lock)) == ("done", "")
    assert world.post(world.topic["id"])["locked_at"]
    refused = world.site.post(f"/posts/{world.reply['id']}/reply", {"body": "Nog één ding"})
    assert refused.status_code == 403 and "gesloten" in refused.text
    undo = activity("Undo", mo, {key: value for key, value in lock.items() if key != "@context"})
    assert world.outcome(announced(world.group, undo)) == ("done", "")
    assert world.post(world.topic["id"])["locked_at"] is None
    assert world.site.post(f"/posts/{world.reply['id']}/reply", {"body": "Nog één ding"}).status_code == 303
    assert [row["action"] for row in log_entries(world.site)] == ["lock", "unlock"]


def test_the_group_adds_and_removes_its_moderators(world: World) -> None:
    sam = f"{world.other.origin}/users/sam"
    db = world.site.node.db
    group = world.copy_of_group(world.group)
    add = activity("Add", world.group, sam, target=f"{world.group}/moderators")
    assert world.outcome(add) == ("done", "")
    assert [row["actor_uri"] for row in groups.moderators(db, group["id"])] == [sam]
    first = removal(sam, world.reply["uri"], world.group, "Spam")
    assert world.outcome(announced(world.group, first)) == ("done", "")
    assert world.post(world.reply["id"])["removed_reason"] == "Spam"
    assert world.home.gets.count("/c/forum/moderators") == 0  # the cache answered
    remove = activity("Remove", world.group, sam, target=f"{world.group}/moderators")
    assert world.outcome(remove) == ("done", "")
    assert groups.moderators(db, group["id"]) == []
    assert [(row["action"], row["target_url"]) for row in log_entries(world.site)] == [
        ("add_moderator", sam), ("remove", world.reply["uri"]), ("remove_moderator", sam)]
    audit = db.all("SELECT actor_name, action FROM audit_log ORDER BY id")
    assert audit[0]["actor_name"] == group["slug"]
    lock = activity("Lock", sam, world.topic["uri"], audience=world.group)
    assert world.outcome(announced(world.group, lock)) == ("refused", "not a moderator of this group")
    assert world.home.gets.count("/c/forum/moderators") == 1  # an unknown moderator: the list was asked again


def test_a_listed_moderator_adds_one_as_lemmy_does_announced_by_the_group(world: World) -> None:
    mo, sam = f"{world.other.origin}/users/mo", f"{world.other.origin}/users/sam"
    add = activity("Add", mo, sam, target=f"{world.group}/moderators")
    assert world.outcome(announced(world.group, add)) == ("done", "")
    group = world.copy_of_group(world.group)
    assert {row["actor_uri"] for row in groups.moderators(world.site.node.db, group["id"])} == {mo, sam}
    before = snapshot(world.site)
    by_sam = activity("Remove", sam, mo, target=f"{world.group}/moderators")
    assert world.outcome(announced(world.second, by_sam))[0] == "refused"  # not announced by forum
    assert snapshot(world.site) == before


def test_our_members_post_in_a_remote_group_is_removed_by_its_moderator(world: World) -> None:
    assert world.site.post(f"/posts/{world.topic['id']}/reply", {"body": "Mijn bijdrage"}).status_code == 303
    mine = posts.thread(world.site.node.db, world.topic["id"])[-1]
    assert mine["uri"] is None
    mo = f"{world.other.origin}/users/mo"
    delete = removal(mo, f"{BASE}/posts/{mine['id']}", world.group, "Buiten het onderwerp")
    assert world.outcome(announced(world.group, delete)) == ("done", "")
    assert world.post(mine["id"])["removed_reason"] == "Buiten het onderwerp"


def test_an_unknown_add_or_remove_is_no_moderation(world: World) -> None:
    """Pinning (Add/Remove on a featured collection) and a person's own Block are someone else's business."""
    mo = f"{world.other.origin}/users/mo"
    before = snapshot(world.site)
    assert world.outcome(announced(world.group, activity("Add", mo, world.topic["uri"],
                                                         target=f"{world.group}/featured"))) == ("done", "")
    assert world.outcome(activity("Remove", mo, world.topic["uri"], target=f"{mo}/featured")) == ("done", "")
    assert world.outcome(activity("Block", mo, ANNE)) == ("done", "")
    assert snapshot(world.site) == before


def test_the_moderators_list_is_read_from_its_pages_and_not_again_at_once(world: World) -> None:
    mo, sam = f"{world.other.origin}/users/mo", f"{world.other.origin}/users/sam"
    listing = f"{world.group}/moderators"
    world.home.documents["/c/forum/moderators"] = {"id": listing, "type": "OrderedCollection", "totalItems": 1,
                                                   "first": f"{listing}?page=1"}
    world.home.documents["/c/forum/moderators?page=1"] = {"id": f"{listing}?page=1", "type": "OrderedCollectionPage",
                                                          "partOf": listing, "orderedItems": [mo]}
    first, second = (announced(world.group, removal(sam, world.reply["uri"], world.group)) for _ in range(2))
    assert world.outcome(first) == ("refused", "not a moderator of this group")
    assert world.outcome(second) == ("refused", "not a moderator of this group")
    assert world.home.gets.count("/c/forum/moderators") == 1  # the second claim within minutes: not asked again
    assert world.outcome(announced(world.group, removal(mo, world.reply["uri"], world.group))) == ("done", "")
    assert world.home.gets.count("/c/forum/moderators?page=1") == 1


def test_a_long_moderators_list_fetches_few_new_accounts_and_the_others_when_they_act(world: World) -> None:
    many = [world.other.add_person(f"m{n}") for n in range(1, 8)]
    world.home.documents["/c/forum/moderators"]["orderedItems"] = many  # type: ignore[index]
    delete = removal(many[-1], world.reply["uri"], world.group)
    assert world.outcome(announced(world.group, delete)) == ("done", "")
    fetched = [uri for uri in many if f"/users/{uri.rsplit('/', 1)[1]}" in world.other.gets]
    assert fetched == many[:5] + [many[-1]]  # five new ones when the list was read, then the one who acted
    group = world.copy_of_group(world.group)
    assert {row["actor_uri"] for row in groups.moderators(world.site.node.db, group["id"])} == set(fetched)


# One of our groups, and a remote moderator it lists

@pytest.fixture
def ours(world: World) -> Iterator[tuple[World, Row, Row]]:
    site = world.site
    site.group("open-overheid")
    db = site.node.db
    group = groups.local_by_slug(db, "open-overheid")
    anne = accounts.local_by_username(db, "anne")
    assert group is not None and anne is not None
    rita = world.other.add_person("rita")
    groups.add_moderator(db, group["id"], remote_account(site, rita)["id"], None, site.node.now())
    fan = world.other.add_person("fan")  # a remote follower of our group, who is told
    site.client.portal.call(site.node.runtime().actors.get, fan)
    follows.put(db, fan, f"{BASE}/groups/open-overheid", "accepted", None, site.node.now())
    topic = post_service.start_topic(site.node, anne, group, "Onze draad", "Welkom allemaal")
    yield world, group, topic


def test_a_remote_moderator_our_group_lists_is_honoured_and_passed_on(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    rita = f"{world.other.origin}/users/rita"
    delete = removal(rita, f"{BASE}/posts/{topic['id']}", f"{BASE}/groups/open-overheid", "Persoonsgegevens")
    assert world.outcome(delete) == ("done", "")
    db = world.site.node.db
    assert world.post(topic["id"])["removed_reason"] == "Persoonsgegevens"
    [entry] = log_entries(world.site)
    assert (entry["role"], entry["group_id"], entry["activity_uri"]) == ("remote moderator", group["id"], delete["id"])
    rows = db.all("SELECT a.body, d.inbox FROM activities a JOIN deliveries d ON d.activity_uri = a.uri"
                  " WHERE a.type = 'Announce' AND a.actor = ?", (f"{BASE}/groups/open-overheid",))
    announces = [(body, row["inbox"]) for row in rows if isinstance((body := orjson.loads(row["body"]))["object"], dict)
                 and body["object"]["id"] == delete["id"]]
    assert [inbox for _, inbox in announces] == [f"{world.other.origin}/inbox"]  # its follower is told
    assert announces[0][0]["object"] == {key: value for key, value in delete.items() if key != "@context"}
    # the topic was written here: its author's own Delete goes out too, the form Mastodon honours
    author = db.one("SELECT body FROM activities WHERE type = 'Delete' AND actor = ?",
                    (f"{BASE}/users/{topic['author_username']}",))
    assert author is not None and orjson.loads(author["body"])["object"] == f"{BASE}/posts/{topic['id']}"


def test_our_remote_moderator_removes_a_whole_topic_by_its_context(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    rita = f"{world.other.origin}/users/rita"
    remove = activity("Remove", rita, f"{BASE}/posts/{topic['id']}/context", target=f"{BASE}/groups/open-overheid",
                      summary="Dubbel")
    assert world.outcome(remove) == ("done", "")
    assert world.post(topic["id"])["removed_reason"] == "Dubbel"
    assert [(row["action"], row["target_url"]) for row in log_entries(world.site)] == [
        ("remove", f"{BASE}/posts/{topic['id']}")]


def test_a_ban_and_a_lock_by_our_remote_moderator_hold_against_incoming_posts(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    rita, eve = f"{world.other.origin}/users/rita", f"{world.home.origin}/users/eve"
    ours_uri = f"{BASE}/groups/open-overheid"
    reply = {"type": "Note", "attributedTo": eve, "inReplyTo": f"{BASE}/posts/{topic['id']}",
             "content": "<p>Hallo</p>", "to": [PUBLIC, ours_uri], "audience": ours_uri}
    lock = activity("Lock", rita, f"{BASE}/posts/{topic['id']}", summary="Klaar")
    assert world.outcome(lock) == ("done", "")
    first = activity("Create", eve, reply | {"id": f"{world.home.origin}/notes/a"})
    assert world.outcome(first) == ("refused", "topic is locked")
    assert world.outcome(activity("Block", rita, eve, target=ours_uri, summary="Trollen")) == ("done", "")
    opening = {"id": f"{world.home.origin}/notes/b", "type": "Note", "attributedTo": eve, "content": "<p>Nieuw</p>",
               "to": [PUBLIC, ours_uri], "audience": ours_uri}
    state, reason = world.outcome(activity("Create", eve, opening))
    assert state == "refused" and reason == "banned from group open-overheid: Trollen"
    db = world.site.node.db
    assert db.scalar("SELECT count(*) FROM posts WHERE uri LIKE ?", (f"{world.home.origin}/notes/%",)) == 0
    assert [row["action"] for row in log_entries(world.site)] == ["lock", "ban"]


# Refused, and nothing changed

def test_an_unlisted_remote_actor_is_refused_for_our_group(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    sam = f"{world.other.origin}/users/sam"
    before = snapshot(world.site)
    delete = removal(sam, f"{BASE}/posts/{topic['id']}", f"{BASE}/groups/open-overheid")
    assert world.outcome(delete) == ("refused", "not a moderator of this group")
    block = activity("Block", sam, ANNE, target=f"{BASE}/groups/open-overheid")
    assert world.outcome(block) == ("refused", "not a moderator of this group")
    assert snapshot(world.site) == before


def test_our_remote_moderator_of_one_group_does_not_moderate_another(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    site, rita = world.site, f"{world.other.origin}/users/rita"
    site.group("zorg", "Zorg")
    other_group = groups.local_by_slug(site.node.db, "zorg")
    anne = accounts.local_by_username(site.node.db, "anne")
    assert other_group is not None and anne is not None
    elsewhere = post_service.start_topic(site.node, anne, other_group, "Over zorg", "Een vraag")
    before = snapshot(site)
    assert world.outcome(removal(rita, f"{BASE}/posts/{elsewhere['id']}", f"{BASE}/groups/open-overheid")) == (
        "refused", "not a moderator of this group")  # its audience names her group: the post's own group counts
    assert world.outcome(activity("Block", rita, ANNE, target=f"{BASE}/groups/zorg")) == (
        "refused", "not a moderator of this group")
    assert world.outcome(activity("Remove", rita, f"{BASE}/posts/{elsewhere['id']}/context",
                                  target=f"{BASE}/groups/open-overheid")) == (
        "refused", f"that topic is not in the group {BASE}/groups/open-overheid")
    assert snapshot(site) == before


def test_a_banned_account_does_not_moderate(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    rita, sam = f"{world.other.origin}/users/rita", f"{world.other.origin}/users/sam"
    ours_uri = f"{BASE}/groups/open-overheid"
    assert world.outcome(activity("Block", rita, sam, target=ours_uri, summary="Trollen")) == ("done", "")
    before = snapshot(world.site)
    assert world.outcome(activity("Lock", sam, f"{BASE}/posts/{topic['id']}")) == (
        "refused", "not a moderator of this group")
    assert world.outcome(activity("Undo", sam, {"id": f"{rita}/activities/x", "type": "Block", "actor": sam,
                                                "object": sam, "target": ours_uri})) == (
        "refused", "not a moderator of this group")
    assert world.outcome(removal(sam, world.reply["uri"], world.group)) == (
        "refused", "not a moderator of this group: a moderator on another server counts only when the group"
        " announces it")
    assert snapshot(world.site) == before


@pytest.mark.parametrize("case", ["stranger announced", "not announced", "announced by a person",
                                  "announced by another group", "topic of another group", "inner id forged",
                                  "moderators changed by a person"])
def test_moderation_that_does_not_count_is_refused_and_changes_nothing(world: World, case: str) -> None:
    mo, sam = f"{world.other.origin}/users/mo", f"{world.other.origin}/users/sam"
    delete = removal(mo, world.reply["uri"], world.group)
    signer: str | None = None
    if case == "stranger announced":
        sent, reason = announced(world.group, removal(sam, world.reply["uri"], world.group)), "not a moderator"
    elif case == "not announced":
        sent, reason = delete, "counts only when the group announces it"
    elif case == "announced by a person":
        sent, reason = announced(sam, delete), f"announced by {sam}, not by the group {world.group}"
    elif case == "announced by another group":
        sent, reason = announced(world.second, delete), f"announced by {world.second}, not by the group"
    elif case == "topic of another group":  # mo moderates forum, not tweede: tweede's Remove of forum's topic
        remove = activity("Remove", mo, world.topic["uri"], target=world.second)
        world.site.client.portal.call(Ingest(world.site.node, world.site.node.runtime().actors,
                                             world.site.node.runtime().fetcher).remote_group, world.second)
        sent, reason = announced(world.second, remove), f"that topic is not in the group {world.second}"
    elif case == "inner id forged":
        forged = delete | {"id": f"{world.home.origin}/activities/not-mo-{next(tokens)}"}
        sent, reason = announced(world.group, forged), "id is not on its actor's server"
    else:
        sent = activity("Remove", sam, mo, target=f"{world.group}/moderators")
        reason = "counts only when the group announces it"
    before = snapshot(world.site)
    state, why = world.outcome(sent, signer)
    assert state == "refused" and reason in why
    assert snapshot(world.site) == before


def test_forged_senders_are_refused_at_the_door(world: World) -> None:
    mo, sam = f"{world.other.origin}/users/mo", f"{world.other.origin}/users/sam"
    before = snapshot(world.site)
    elsewhere = removal(mo, world.reply["uri"], world.group) | {"id": f"{world.home.origin}/activities/x"}
    assert world.send(elsewhere) == 403  # its id is not on its actor's server
    assert world.send(removal(mo, world.reply["uri"], world.group), signer=sam) == 401  # signed by another
    assert world.site.node.db.all("SELECT * FROM inbox") == []
    assert snapshot(world.site) == before


def test_a_remote_moderator_cannot_ban_our_moderators_or_themselves(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    site, db = world.site, world.site.node.db
    site.member("mona", role="moderator")  # the node's moderators moderate every group of ours
    rita = f"{world.other.origin}/users/rita"
    for target in (f"{BASE}/users/mona", rita):
        block = activity("Block", rita, target, target=f"{BASE}/groups/open-overheid", summary="Weg ermee")
        state, error = world.outcome(block)
        assert state == "refused" and "cannot be banned" in error, (target, error)
    assert db.all("SELECT * FROM group_bans") == [] and log_entries(site) == []


def test_a_ban_whose_end_cannot_be_told_in_utc_counts_as_for_good(ours: tuple[World, Row, Row]) -> None:
    """A date before the first moment in UTC used to raise OverflowError and be retried for a day."""
    world, group, topic = ours
    rita, eve = f"{world.other.origin}/users/rita", f"{world.home.origin}/users/eve"
    block = activity("Block", rita, eve, target=f"{BASE}/groups/open-overheid", summary="Trollen",
                     expires="0001-01-01T00:00:00+01:00")
    assert world.outcome(block) == ("done", "")
    [ban] = world.site.node.db.all("SELECT reason, expires_at FROM group_bans")
    assert (ban["reason"], ban["expires_at"]) == ("Trollen", None)


def test_a_reply_into_a_removed_topic_of_ours_is_refused(ours: tuple[World, Row, Row]) -> None:
    world, group, topic = ours
    posts.remove(world.site.node.db, topic["id"], "Dubbel", world.site.node.now())
    eve = f"{world.home.origin}/users/eve"
    ours_uri = f"{BASE}/groups/open-overheid"
    reply = {"id": f"{world.home.origin}/notes/late", "type": "Note", "attributedTo": eve, "content": "<p>Nog iets</p>",
             "inReplyTo": f"{BASE}/posts/{topic['id']}", "to": [PUBLIC, ours_uri], "audience": ours_uri}
    assert world.outcome(activity("Create", eve, reply)) == ("refused", "topic was removed by a moderator")
    assert posts.by_uri(world.site.node.db, reply["id"]) is None
