"""Every fixture in tests/fixtures/activities (real activities, objects and collections from 14
fediverse servers) is handled without an error: stored and shown where it is a post we can show,
ignored where it is not; plus a few scenarios checked in the database (bovine's style).

How the fixtures reach the code: each test runs an in-process node (tests/helpers.make_site) with its
lifespan, so the FederationRuntime is up, and hands activities straight to `Federated.process` (past
the signature layer, as the fixtures' README allows) or objects to `Ingest.post`. The TestClient
runs the app in its own thread and event loop; `client.portal` (an anyio BlockingPortal, starlette
1.x) runs our coroutines in that loop, where the runtime's aiohttp session lives. That is simpler
than a real server plus a signing key for every fixture's actor.

The node is kept offline on purpose, whatever network CI has: the fetcher answers FetchError for
every URL (what an unreachable server gives) unless a test serves a document, and the delivery
worker sends nothing, so queued deliveries stay in the table for the tests to read and no fixture's
real server is contacted. The authors are found because every actor document in the fixtures is put
in the actor cache first, as fresh, exactly as the inbox's signature check would have left them.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from federation import ids, reading
from federation.actors import ACTOR_TYPES, ActorUnavailable, actor_record
from federation.fetch import FetchError
from federation.outcomes import Outcome
from federation.reading import POST_TYPES, first_actor, origin
from node import urls
from node.federation_runtime import FederationRuntime
from node.services import posts as post_service
from storage import accounts, actors, follows, groups, posts
from storage.db import Database
from tests.helpers import Site, make_site

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "activities"
# Part of the repository (tests/fixtures/README.md): missing means a broken checkout, so fail, never skip.
if not FIXTURES.is_dir():
    pytest.fail(f"the fixtures are missing: expected {FIXTURES}", pytrace=False)

BASE = "http://127.0.0.1:8000"
GROUP = ids.group(BASE, "open-overheid")
PUBLIC = {ids.PUBLIC, "as:Public", "Public"}
# What the rule in `should_show` picks from objects/: pinned, so that a broken rule cannot quietly turn
# every object test into a "nothing is stored" test.
SHOWN = {"discourse/objects/page", "gnusocial/objects/page", "lemmy/objects/page",
         "lemmy/objects/page_image_and_link", "mastodon/objects/page", "nodebb/objects/page"}


def load(path: Path | str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / path).read_text(encoding="utf-8")))


def name_of(path: Path) -> str:
    return path.relative_to(FIXTURES).with_suffix("").as_posix()


def kind_of(path: Path) -> str:
    """activities, objects or collections: the folder under the platform's."""
    return path.relative_to(FIXTURES).parts[1]


def embedded_actors(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") in ACTOR_TYPES:
            yield value
        for item in value.values():
            yield from embedded_actors(item)
    elif isinstance(value, list):
        for item in value:
            yield from embedded_actors(item)


ALL = sorted(FIXTURES.rglob("*.json"))
ACTIVITIES = [path for path in ALL if kind_of(path) == "activities"]
OBJECTS = [path for path in ALL if kind_of(path) == "objects" and load(path).get("type") not in ACTOR_TYPES]
COLLECTIONS = [path for path in ALL if kind_of(path) == "collections"]
ACTOR_DOCS = {doc["id"]: doc for path in ALL for doc in embedded_actors(load(path))
              if isinstance(doc.get("id"), str) and isinstance(doc.get("inbox"), str)}


def params(paths: list[Path]) -> list[Any]:
    return [pytest.param(path, id=name_of(path)) for path in paths]


def privately_addressed(obj: dict[str, Any]) -> bool:
    """Addressed to named people only (a direct message): not a post we may show on public pages.
    An object without any addressing (Discourse's) is judged by the rest of the rule."""
    audience = reading.ids_of(obj.get("to")) + reading.ids_of(obj.get("cc"))
    return bool(audience) and not PUBLIC & set(audience)


def should_show(obj: dict[str, Any]) -> bool:
    """A type we show, by an author in the actor cache on the object's own server, not a reply (no
    parent can be fetched offline, and no test starts with one stored), and not a direct message."""
    author = first_actor(obj.get("attributedTo"))
    return (obj.get("type") in POST_TYPES and author in ACTOR_DOCS and origin(author) == origin(str(obj.get("id")))
            and not reading.id_of(obj.get("inReplyTo")) and not privately_addressed(obj))


@dataclass
class Offline:
    """Stands in for Fetcher.get_json: serves `documents`, else fails as an unreachable server does."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def get_json(self, url: str, **_: object) -> dict[str, Any]:
        self.asked.append(url)
        if url in self.documents:
            return self.documents[url]
        raise FetchError(url, "connection failed: offline test, the fixtures' servers are not contacted")


async def no_delivery() -> int:
    return 0


OUTCOMES = (Outcome, FetchError, ActorUnavailable)


@dataclass
class Env:
    site: Site
    runtime: FederationRuntime
    offline: Offline

    @property
    def db(self) -> Database:
        return self.site.node.db

    def process(self, activity: dict[str, Any]) -> BaseException | None:
        """Handled: done, or one of the explicit outcomes the inbox worker records (refused for good,
        try again later, wait for a parent); anything else escapes and fails the test."""
        try:
            self.site.client.portal.call(self.runtime.federated.process, activity)
        except OUTCOMES as outcome:
            return outcome
        return None

    def ingest(self, obj: dict[str, Any]) -> Any:
        try:
            return self.site.client.portal.call(self.runtime.federated.ingest.post, obj)
        except OUTCOMES:
            return None

    def cache_actor(self, uri: str) -> dict[str, Any]:
        """An actor the fixtures name but do not include; the inbox would have cached it verifying the signature."""
        doc = {"id": uri, "type": "Person", "preferredUsername": uri.rstrip("/").rsplit("/", 1)[-1],
               "inbox": f"{uri}/inbox"}
        actors.put(self.db, actor_record(doc, self.site.node.now()))
        follows.put(self.db, f"{BASE}/users/reader", uri, "accepted", None, self.site.node.now())
        return doc

    def stored_uris(self) -> set[str]:
        return {row["uri"] for row in self.db.all("SELECT uri FROM posts WHERE uri IS NOT NULL")}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    site = make_site(tmp_path)
    with site.client:
        runtime: FederationRuntime = site.node.runtime()
        offline = Offline()
        monkeypatch.setattr(runtime.fetcher, "get_json", offline.get_json)
        monkeypatch.setattr(runtime.actors.fetcher, "get_json", offline.get_json)
        monkeypatch.setattr(runtime.federated.ingest, "add_job", lambda job: "refused")  # no background work
        monkeypatch.setattr(runtime.delivery, "run_once", no_delivery)
        now = site.node.now()
        for doc in ACTOR_DOCS.values():
            actors.put(site.node.db, actor_record(doc, now))
            # a member here follows them: standalone posts of actors nobody follows are not taken in
            follows.put(site.node.db, f"{BASE}/users/reader", doc["id"], "accepted", None, now)
        yield Env(site, runtime, offline)
    site.node.db.close()


def words(text: str) -> str:
    """Text without tags, entities, punctuation or spaces: what a page shows, whatever the markup."""
    return re.sub(r"\W+", "", html.unescape(re.sub(r"<[^>]*>", "", text))).lower()


def assert_sanitised(content: str) -> None:
    lowered = content.lower()
    assert "<script" not in lowered, content
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), content
    assert "javascript:" not in lowered, content


def assert_shown(env: Env, obj: dict[str, Any]) -> Any:
    """Stored as a post on its author's page, sanitised, and its page shows its text."""
    row = posts.by_uri(env.db, obj["id"])
    assert row is not None, f"{obj['id']} was not stored"
    assert row["kind"] == "blog" and row["blog_owner"] == row["author_id"] and row["author_uri"] == first_actor(
        obj.get("attributedTo"))
    assert_sanitised(row["content"])
    page = env.site.client.get(urls.post(row))
    assert page.status_code == 200, (urls.post(row), page.status_code)
    text = words(reading.text_of(obj, "content") or reading.text_of(obj, "summary"))[:40]
    assert text and text in words(page.text), f"{text!r} is not on {urls.post(row)}"
    return row


def test_the_rule_picks_the_posts_we_show() -> None:
    assert {name_of(path) for path in OBJECTS if should_show(load(path))} == SHOWN
    assert len(ACTOR_DOCS) >= 20  # the authors the object tests rely on


@pytest.mark.parametrize("path", params(ACTIVITIES))
def test_activity_is_handled(env: Env, path: Path) -> None:
    """No error; a Create stores its object exactly when it is a post we show; nothing else stores a post."""
    activity = load(path)
    env.process(activity)
    env.process(activity)  # a redelivery changes nothing
    obj = activity.get("object")
    created = (activity.get("type") == "Create" and isinstance(obj, dict)
               and origin(str(obj.get("id"))) == origin(str(reading.id_of(activity.get("actor")))) and should_show(obj))
    assert env.stored_uris() == ({obj["id"]} if created else set())  # type: ignore[index]
    if created:
        assert_shown(env, obj)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", params(OBJECTS))
def test_object_is_stored_and_shown_or_ignored(env: Env, path: Path) -> None:
    obj = load(path)
    stored = env.ingest(obj)
    if should_show(obj):
        assert stored is not None
        row = assert_shown(env, obj)
        assert env.ingest(obj)["id"] == row["id"]  # idempotent on the object's id
        assert env.stored_uris() == {obj["id"]}
    else:
        assert stored is None
        assert env.stored_uris() == set()


@pytest.mark.parametrize("path", params(COLLECTIONS))
def test_collection_is_handled(env: Env, path: Path) -> None:
    """Read as a thread's context (backfill) and its activities processed: no error, no post by an unknown author."""
    collection = load(path)
    env.offline.documents[collection["id"]] = collection
    try:
        env.site.client.portal.call(env.runtime.federated.ingest.backfill, collection["id"], None)
    except OUTCOMES:
        pass
    items = reading.as_list(collection.get("orderedItems") or collection.get("items"))
    for item in items:
        if isinstance(item, dict) and reading.kind(item) in env.runtime.federated.handlers:
            env.process(item)
    assert env.stored_uris() == {item["id"] for item in items if isinstance(item, dict) and should_show(item)}


def test_hostile_html_in_a_real_post_is_sanitised(env: Env) -> None:
    note = load("mastodon/objects/page.json")
    note["id"] += "0"
    note["content"] += ('<script>alert(1)</script><img src="x" onerror="alert(2)">'
                        '<a href="javascript:alert(3)" onclick="alert(4)">klik</a><p onmouseover="alert(5)">hoi</p>')
    row = env.ingest(note)
    assert row is not None
    assert_sanitised(row["content"])
    assert "klik" in row["content"] and "hoi" in row["content"]
    page = env.site.client.get(urls.post(row)).text
    assert not any(f"alert({n})" in page for n in range(1, 6))


def test_lemmy_thread_create_reply_like_undo_update_delete(env: Env) -> None:
    env.cache_actor("http://ds9.lemmy.ml/u/lemmy_alpha")
    folder = "lemmy/activities/"
    env.process(load(folder + "create_or_update/create_page.json"))
    page = posts.by_uri(env.db, "http://ds9.lemmy.ml/post/1")
    assert page is not None and page["title"] == "test post" and page["kind"] == "blog"

    env.process(load(folder + "create_or_update/create_comment.json"))
    comment = posts.by_uri(env.db, "http://ds9.lemmy.ml/comment/1")
    assert comment is not None and comment["kind"] == "reply"
    assert comment["parent_id"] == page["id"] and comment["topic_id"] == page["id"]
    thread = env.site.client.get(urls.post(comment))
    assert thread.status_code == 200 and "test body" in thread.text and "hello" in thread.text

    def likes() -> int:
        row = posts.by_id(env.db, comment["id"])
        assert row is not None
        count = env.db.scalar("SELECT count(*) FROM likes WHERE post_id = ?", (comment["id"],))
        assert row["like_count"] == count
        return int(count)

    env.process(load(folder + "voting/like_note.json"))
    assert likes() == 1
    env.process(load(folder + "voting/like_note.json"))
    assert likes() == 1
    env.process(load(folder + "voting/undo_like_note.json"))
    assert likes() == 0

    env.process(load(folder + "create_or_update/update_page.json"))
    updated = posts.by_id(env.db, page["id"])
    assert updated is not None and updated["title"] == "test post 1" and updated["edited_at"]

    env.process(load(folder + "deletion/delete_page.json"))
    deleted = posts.by_id(env.db, page["id"])
    assert deleted is not None and deleted["deleted_at"] and deleted["content"] == ""
    assert "test body" not in env.site.client.get(urls.post(deleted)).text


def test_mastodon_like_then_undo_like_of_a_local_post(env: Env) -> None:
    env.site.member("anne")
    env.site.group()
    anne = accounts.local_by_username(env.db, "anne")
    group = groups.local_by_slug(env.db, "open-overheid")
    assert anne is not None and group is not None
    topic = post_service.start_topic(env.site.node, anne, group, "Inspraak", "Wat vindt u ervan?")
    ours = ids.post(BASE, topic["id"])
    felix = env.cache_actor("https://mastodon.madrid/users/felix")
    like = load("mastodon/activities/like_page.json") | {"object": ours}
    undo = load("mastodon/activities/undo_like_page.json")
    undo["object"]["object"] = ours

    env.process(like)
    liker = accounts.by_actor_uri(env.db, felix["id"])
    assert liker is not None
    assert env.db.scalar("SELECT count(*) FROM likes WHERE post_id = ? AND account_id = ?",
                         (topic["id"], liker["id"])) == 1
    assert env.db.scalar("SELECT count(*) FROM notifications WHERE account_id = ? AND kind = 'like'",
                         (anne["id"],)) == 1
    env.process(undo)
    assert env.db.scalar("SELECT count(*) FROM likes WHERE post_id = ?", (topic["id"],)) == 0
    row = posts.by_id(env.db, topic["id"])
    assert row is not None and row["like_count"] == 0


def test_mastodon_follow_then_undo_follow_of_a_local_group(env: Env) -> None:
    env.site.group()
    asonix = env.cache_actor("https://masto.asonix.dog/users/asonix")
    follow = load("mastodon/activities/follow.json") | {"object": GROUP}
    undo = load("mastodon/activities/undo_follow.json")
    undo["object"] = copy.deepcopy(undo["object"]) | {"object": GROUP}

    env.process(follow)
    row = follows.get(env.db, asonix["id"], GROUP)
    assert row is not None and row["state"] == "accepted" and row["activity_uri"] == follow["id"]
    assert follows.followers(env.db, GROUP) == [asonix["id"]]
    queued = env.db.all("SELECT d.inbox, d.signer, a.body FROM deliveries d"
                        " JOIN activities a ON a.uri = d.activity_uri")
    assert [(q["inbox"], q["signer"]) for q in queued] == [(asonix["inbox"], "group:open-overheid")]
    accept = json.loads(queued[0]["body"])
    assert accept["type"] == "Accept" and accept["actor"] == GROUP and accept["object"]["id"] == follow["id"]

    env.process(undo)
    assert follows.get(env.db, asonix["id"], GROUP) is None
    assert follows.followers(env.db, GROUP) == []


def test_lemmy_direct_message_is_not_published(env: Env) -> None:
    """Through the inbox the sender is cached (its key was checked); a Note to one person must stay off our pages."""
    env.cache_actor("http://enterprise.lemmy.ml/u/lemmy_beta")
    env.process(load("lemmy/activities/create_or_update/create_private_message.json"))
    assert env.stored_uris() == set()


# Media (issue 11): the attachments and actor images of the fixtures, stored as URLs for our cache.
DOCUMENT_TYPES = frozenset({"application/pdf"})
WITH_MEDIA = [path for path in OBJECTS if should_show(load(path)) and reading.attachments(load(path), DOCUMENT_TYPES)]


def test_fixtures_with_attachments_are_there() -> None:
    assert {name_of(path) for path in WITH_MEDIA} >= {"lemmy/objects/page_image_and_link"}


@pytest.mark.parametrize("path", params(WITH_MEDIA))
def test_attachments_are_stored_with_their_description(env: Env, path: Path) -> None:
    obj = load(path)
    stored = env.ingest(obj)
    assert stored is not None
    rows = env.db.all("SELECT * FROM media WHERE post_id = ? ORDER BY position", (stored["id"],))
    expected = reading.attachments(obj, DOCUMENT_TYPES)
    assert [(r["remote_url"], r["kind"]) for r in rows] == [(a.url, a.kind) for a in expected]
    assert all(r["file_hash"] is None and r["account_id"] is None for r in rows)
    assert [r["description"] for r in rows] == [a.name.strip() for a in expected]
    for row in rows:  # every URL known to the cache, and only those
        assert env.db.one("SELECT * FROM remote_media WHERE url = ?", (row["remote_url"],)) is not None
    page = env.site.client.get(urls.post(stored)).text
    assert all(urls.remote_media(r["remote_url"]) in page for r in rows if r["kind"] == "image")
    assert not any(r["remote_url"] in page for r in rows if r["kind"] == "image")  # never the other server's URL


def test_a_mastodon_image_keeps_its_alt_text_blurhash_and_size(env: Env) -> None:
    note = load("mastodon/objects/note_2.json")  # a reply: taken here as a post of its own (no parent offline)
    del note["inReplyTo"]
    if note["attributedTo"] not in ACTOR_DOCS:
        env.cache_actor(note["attributedTo"])
    stored = env.ingest(note)
    assert stored is not None
    row = env.db.one("SELECT * FROM media WHERE post_id = ?", (stored["id"],))
    assert row is not None and row["description"].startswith("The KDE dragons Katie and Konqi")
    assert (row["kind"], row["media_type"], row["width"], row["height"]) == ("image", "image/jpeg", 1500, 1095)
    assert row["blurhash"] == "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc"


def test_a_lemmy_link_is_not_an_attachment(env: Env) -> None:
    stored = env.ingest(load("lemmy/objects/page_image_and_link.json"))
    rows = env.db.all("SELECT remote_url FROM media WHERE post_id = ?", (stored["id"],))
    assert [r["remote_url"] for r in rows] == ["https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png"]


WITH_IMAGES = sorted(uri for uri, doc in ACTOR_DOCS.items() if any(reading.actor_images(doc)))


def test_actor_images_of_the_fixtures_are_stored_as_urls(env: Env) -> None:
    assert len(WITH_IMAGES) >= 8
    for uri in WITH_IMAGES:
        doc = ACTOR_DOCS[uri]
        icon, image = reading.actor_images(doc)
        if doc.get("type") == "Group":
            row = env.site.client.portal.call(env.runtime.federated.ingest.remote_group, uri)
            assert row is not None and (row["icon_url"], row["banner_url"]) == (icon, image), uri
        else:
            row = env.site.client.portal.call(env.runtime.federated.ingest.remote_account, uri)
            assert (row["avatar_url"], row["header_url"]) == (icon, image), uri
        for url in (icon, image):
            assert url is None or env.db.one("SELECT 1 FROM remote_media WHERE url = ?", (url,)) is not None


def test_a_remote_update_replaces_the_attachments(env: Env) -> None:
    page = load("lemmy/objects/page_image_and_link.json")
    stored = env.ingest(page)
    changed = {**page, "image": None, "attachment": [
        {"type": "Image", "mediaType": "image/webp", "url": "https://enterprise.lemmy.ml/pictrs/image/nieuw.webp",
         "name": "Een nieuwe foto"}]}
    author = first_actor(page["attributedTo"])
    env.process({"@context": "https://www.w3.org/ns/activitystreams",
                 "id": f"{page['id']}/update/1", "type": "Update", "actor": author, "object": changed})
    rows = env.db.all("SELECT remote_url, description FROM media WHERE post_id = ?", (stored["id"],))
    assert [(r["remote_url"], r["description"]) for r in rows] == [
        ("https://enterprise.lemmy.ml/pictrs/image/nieuw.webp", "Een nieuwe foto")]
