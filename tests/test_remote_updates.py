"""Federated Creates and Updates of remote posts (node/services/federated.py): hostile times are
read as none, a late Update changes nothing here (but a group still passes it on), and a changed
image description is an edit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.reading import RemoteAttachment
from node.services import posts as post_service
from node.services.federated import attachments_same, edit_time
from storage import accounts, groups, posts
from storage.db import Row
from tests.test_fixtures import BASE, GROUP, Env, env, load  # noqa: F401 (env: the federation fixture)

AUTHOR = "http://ds9.lemmy.ml/u/lemmy_alpha"
OUT_OF_RANGE = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")  # no such moment in UTC
NONSENSE: tuple[Any, ...] = ("2021-10-29T15:11:35Z" + " " * 10_000, "9" * 10_000, "gisteren", 20211029, 1.5e300,
                             ["2021-10-29T15:11:35Z"], {"@value": "2021-10-29T15:11:35Z"}, True)


def _page(n: int, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = load("lemmy/activities/create_or_update/create_page.json")["object"]
    return {**obj, "id": f"http://ds9.lemmy.ml/post/{n}", "context": f"http://ds9.lemmy.ml/post/{n}/context",
            "source": {}, **changes}


def _activity(kind: str, obj: dict[str, Any], n: str) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"http://ds9.lemmy.ml/activities/{n}",
            "type": kind, "actor": obj["attributedTo"], "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": obj}


def _post(env: Env, uri: str) -> Row:  # noqa: F811
    found = posts.by_uri(env.db, uri)
    assert found is not None, uri
    return found


def _versions(env: Env, post_id: int) -> int:  # noqa: F811
    return int(env.db.scalar("SELECT count(*) FROM post_revisions WHERE post_id = ?", (post_id,)) or 0)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_create_and_an_update_dated_out_of_range_are_taken_in_as_received(env: Env, value: str) -> None:  # noqa: F811
    """Not an OverflowError, which the inbox worker would retry for days without ever storing it."""
    env.cache_actor(AUTHOR)
    page = _page(2, published=value)
    before = env.site.node.now()
    assert env.process(_activity("Create", page, "create/2")) is None
    stored = _post(env, page["id"])
    assert before <= stored["published_at"] <= env.site.node.now()
    before = env.site.node.now()
    changed = {**page, "published": "2021-10-29T15:10:51Z", "updated": value, "content": "<p>nieuw</p>"}
    assert env.process(_activity("Update", changed, "update/2")) is None
    updated = _post(env, page["id"])
    assert updated["content"] == "<p>nieuw</p>" and _versions(env, stored["id"]) == 1
    assert before <= updated["edited_at"] <= env.site.node.now()


def test_a_nonsensical_updated_is_read_as_none(env: Env) -> None:  # noqa: F811
    env.cache_actor(AUTHOR)
    page = _page(3)
    assert env.process(_activity("Create", page, "create/3")) is None
    for n, value in enumerate(NONSENSE):
        before = env.site.node.now()
        changed = {**page, "updated": value, "content": f"<p>versie {n}</p>"}
        assert env.process(_activity("Update", changed, f"update/3-{n}")) is None, value
        stored = _post(env, page["id"])
        assert stored["content"] == f"<p>versie {n}</p>", value
        assert before <= stored["edited_at"] <= env.site.node.now(), value  # as without `updated`: now
    assert _versions(env, stored["id"]) == len(NONSENSE)


def _group_reply(env: Env) -> tuple[Row, dict[str, Any]]:  # noqa: F811
    """A remote reply in a topic of our group, which passes on what its author does to it."""
    env.site.group()
    anne = env.site.member("anne")
    group = groups.local_by_slug(env.db, "open-overheid")
    assert group is not None
    topic = post_service.start_topic(env.site.node, anne, group, "Inspraak", "Wat vindt u ervan?")
    env.cache_actor(AUTHOR)
    note = {"id": "http://ds9.lemmy.ml/comment/1", "type": "Note", "attributedTo": AUTHOR, "audience": GROUP,
            "inReplyTo": f"{BASE}/posts/{topic['id']}", "content": "<p>eerste</p>",
            "published": "2024-01-01T10:00:00Z", "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert env.process(_activity("Create", note, "create/c1")) is None
    reply = _post(env, note["id"])
    assert reply["group_id"] == group["id"]
    return reply, note


def _announced(env: Env, activity_id: str) -> bool:  # noqa: F811
    bodies = [json.loads(row["body"]) for row in env.db.all("SELECT body FROM activities WHERE type = 'Announce'")]
    return any(isinstance(b["object"], dict) and b["object"].get("id") == activity_id for b in bodies)


def test_a_late_update_changes_nothing_here_but_the_group_passes_it_on(env: Env) -> None:  # noqa: F811
    reply, note = _group_reply(env)
    # dated before the post was published: older than what we have
    early = _activity("Update", {**note, "content": "<p>ouder</p>", "updated": "2023-12-31T10:00:00Z"}, "u0")
    assert env.process(early) is None
    assert _post(env, note["id"])["content"] == "<p>eerste</p>" and _post(env, note["id"])["edited_at"] is None
    assert _versions(env, reply["id"]) == 0 and _announced(env, early["id"])
    newer = _activity("Update", {**note, "content": "<p>derde</p>", "updated": "2024-01-03T10:00:00Z"}, "u2")
    assert env.process(newer) is None
    assert _post(env, note["id"])["edited_at"] == "2024-01-03T10:00:00.000Z"
    # the Update made in between arrives last: Mastodon ignores it too
    late = _activity("Update", {**note, "content": "<p>tweede</p>", "updated": "2024-01-02T10:00:00Z"}, "u1")
    assert env.process(late) is None
    stored = _post(env, note["id"])
    assert (stored["content"], stored["edited_at"]) == ("<p>derde</p>", "2024-01-03T10:00:00.000Z")
    assert _versions(env, reply["id"]) == 1 and _announced(env, newer["id"]) and _announced(env, late["id"])
    history = env.site.client.get(f"/posts/{reply['id']}/history").text
    assert "derde" in history and "eerste" in history and "tweede" not in history
    # as sent at the same moment as the last one we took: applied (Mastodon too)
    same = _activity("Update", {**note, "content": "<p>vierde</p>", "updated": "2024-01-03T10:00:00Z"}, "u3")
    assert env.process(same) is None and _post(env, note["id"])["content"] == "<p>vierde</p>"
    # without `updated`: applied as made now
    before = env.site.node.now()
    undated = _activity("Update", {**note, "content": "<p>vijfde</p>"}, "u4")
    assert env.process(undated) is None
    stored = _post(env, note["id"])
    assert stored["content"] == "<p>vijfde</p>" and before <= stored["edited_at"] <= env.site.node.now()
    assert accounts.by_actor_uri(env.db, AUTHOR) is not None


def test_an_update_of_only_an_image_description_or_focus_is_an_edit(env: Env) -> None:  # noqa: F811
    env.cache_actor(AUTHOR)
    image = {"type": "Image", "mediaType": "image/webp", "url": "https://ds9.lemmy.ml/pictrs/image/kaart.webp",
             "name": "Foto"}
    page = _page(4, attachment=[image])
    assert env.process(_activity("Create", page, "create/4")) is None
    stored = _post(env, page["id"])

    def media() -> list[tuple[str, str, float, float]]:
        rows = env.db.all("SELECT remote_url, description, focus_x, focus_y FROM media WHERE post_id = ?"
                          " ORDER BY position", (stored["id"],))
        return [(r["remote_url"], r["description"], r["focus_x"], r["focus_y"]) for r in rows]

    described = {**page, "attachment": [{**image, "name": "Een kaart van de wijk"}]}
    assert env.process(_activity("Update", described, "update/4-1")) is None
    assert _versions(env, stored["id"]) == 1 and _post(env, page["id"])["edited_at"] is not None
    assert media() == [(image["url"], "Een kaart van de wijk", 0.0, 0.0)]
    focused = {**page, "attachment": [{**image, "name": "Een kaart van de wijk", "focalPoint": [0.5, -0.25]}]}
    assert env.process(_activity("Update", focused, "update/4-2")) is None
    assert _versions(env, stored["id"]) == 2 and media() == [(image["url"], "Een kaart van de wijk", 0.5, -0.25)]
    assert env.process(_activity("Update", focused, "update/4-3")) is None  # the same again: no edit
    assert _versions(env, stored["id"]) == 2


def _attachment(url: str, name: str, focus: tuple[float, float] = (0.0, 0.0)) -> RemoteAttachment:
    return RemoteAttachment(kind="image", media_type="image/png", url=url, name=name, width=None, height=None,
                            blurhash=None, focus=focus)


def test_attachments_are_the_same_when_url_description_and_focus_are() -> None:
    had = [{"remote_url": "https://a.example/1.png", "description": "Een kaart", "focus_x": 0.0, "focus_y": 0.0}]
    assert attachments_same(had, [_attachment("https://a.example/1.png", " Een kaart ")])  # stored stripped
    assert not attachments_same(had, [_attachment("https://a.example/1.png", "Een kaart van de wijk")])
    assert not attachments_same(had, [_attachment("https://a.example/1.png", "Een kaart", (0.5, 0.0))])
    assert not attachments_same(had, [_attachment("https://a.example/2.png", "Een kaart")])
    assert not attachments_same(had, [])
    assert attachments_same([], [])


def test_the_time_of_a_late_update() -> None:
    post = {"published_at": "2024-01-01T00:00:00.000Z", "edited_at": "2024-07-01T00:00:00.000Z"}
    now = "2025-01-01T00:00:00.000Z"
    assert edit_time("2024-06-01T00:00:00.000Z", post, now) is None  # before its last edit here: too late
    assert edit_time("2024-07-01T00:00:00.000Z", post, now) == "2024-07-01T00:00:00.000Z"
    assert edit_time("2023-12-31T00:00:00.000Z", {**post, "edited_at": None}, now) is None
