"""The inbox refuses what is not verifiably from its sender, with the right status, and stores nothing then."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from node import urls
from storage import posts
from tests.federation_helpers import eventually
from tests.helpers import Site, make_site
from tests.remote_actors import RemoteServer, new_key, signed_post

INBOX = "http://127.0.0.1:8000/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    with RemoteServer() as server:
        yield server


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Site]:
    site = make_site(tmp_path, federation={"allow_private_addresses": True, "blocked_domains": ["localhost"]})
    with site.client:
        site.member("anne")
        yield site
    site.node.db.close()


def create(actor: str, n: int = 1, object_origin: str | None = None) -> dict[str, object]:
    origin = object_origin or actor.rsplit("/users/", 1)[0]
    return {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/{n}", "type": "Create",
        "actor": actor, "to": [PUBLIC], "cc": ["http://127.0.0.1:8000/users/anne"],
        "object": {"id": f"{origin}/notes/{n}", "type": "Note", "attributedTo": actor,
                   "content": "<p>Hallo Anne</p>", "to": [PUBLIC], "cc": ["http://127.0.0.1:8000/users/anne"]},
    }


def send(node: Site, activity: dict[str, object], key_id: str, private_pem: str, **kwargs: object):
    body = orjson.dumps(activity)
    sent = kwargs.pop("body", body)
    headers = signed_post(INBOX, body, key_id, private_pem, **kwargs)  # type: ignore[arg-type]
    return node.client.post("/inbox", content=sent, headers=headers)


def stored(node: Site) -> list[str]:
    return [row["activity_id"] for row in node.node.db.all("SELECT activity_id FROM inbox")]


def test_a_signed_activity_is_stored_and_processed(node: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    response = send(node, create(eve), f"{eve}#main-key", remote.keys[eve])
    assert response.status_code == 202
    assert stored(node) == [f"{eve}/activities/1"]
    assert send(node, create(eve), f"{eve}#main-key", remote.keys[eve]).status_code == 202  # redelivery
    assert stored(node) == [f"{eve}/activities/1"]
    post = eventually(lambda: posts.by_uri(node.node.db, f"{remote.origin}/notes/1"), what="the worker")
    assert post["content"] == "<p>Hallo Anne</p>" and post["author_username"] == f"eve@127.0.0.1:{remote.port}"
    page = node.client.get(urls.post(post))
    assert page.status_code == 200 and "Hallo Anne" in page.text


@pytest.mark.parametrize("case", ["wrong key", "tampered body", "stale date", "future date", "unsigned"])
def test_bad_signatures_are_401_and_nothing_is_stored(node: Site, remote: RemoteServer, case: str) -> None:
    eve = remote.add_person("eve")
    activity = create(eve)
    key = remote.keys[eve]
    kwargs: dict[str, object] = {}
    if case == "wrong key":
        key = new_key()[1]
    elif case == "tampered body":
        kwargs["body"] = orjson.dumps(activity | {"type": "Delete"})
    elif case == "stale date":
        kwargs["date"] = datetime.now(UTC) - timedelta(hours=13)
    elif case == "future date":
        kwargs["date"] = datetime.now(UTC) + timedelta(minutes=10)
    if case == "unsigned":
        response = node.client.post("/inbox", content=orjson.dumps(activity),
                                    headers={"Content-Type": "application/activity+json"})
    else:
        response = send(node, activity, f"{eve}#main-key", key, **kwargs)
    assert response.status_code == 401, response.text
    assert response.json()["error"]
    assert stored(node) == []


def test_key_of_another_actor_is_refused(node: Site, remote: RemoteServer) -> None:
    eve, mallory = remote.add_person("eve"), remote.add_person("mallory")
    response = send(node, create(eve), f"{mallory}#main-key", remote.keys[mallory])
    assert response.status_code == 401 and "another actor" in response.json()["error"]
    assert stored(node) == []


def test_object_on_another_origin_is_refused(node: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    response = send(node, create(eve, object_origin="https://bank.example"), f"{eve}#main-key", remote.keys[eve])
    assert response.status_code == 403 and "object id" in response.json()["error"]
    assert stored(node) == []


def test_blocked_domain_is_refused(node: Site) -> None:
    with RemoteServer(host="localhost") as blocked:
        zed = blocked.add_person("zed")
        response = send(node, create(zed), f"{zed}#main-key", blocked.keys[zed])
    assert response.status_code == 403
    assert stored(node) == []


def test_key_rotation_is_followed(node: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    assert send(node, create(eve, 1), f"{eve}#main-key", remote.keys[eve]).status_code == 202
    public, private = new_key()  # eve's server rotates her key; our cached copy is now stale
    remote.documents["/users/eve"]["publicKey"]["publicKeyPem"] = public  # type: ignore[index]
    assert send(node, create(eve, 2), f"{eve}#main-key", private).status_code == 202
    assert len(stored(node)) == 2


@pytest.mark.parametrize(("body", "status"), [(b"not json", 400), (b"[]", 400), (b'{"type": "Create"}', 400),
                                              (b"x" * 1_100_000, 413)])
def test_malformed_activities(node: Site, body: bytes, status: int) -> None:
    response = node.client.post("/inbox", content=body, headers={"Content-Type": "application/activity+json"})
    assert response.status_code == status
    assert stored(node) == []


def test_inbox_of_unknown_actor_is_404(node: Site) -> None:
    assert node.client.post("/users/nobody/inbox", content=b"{}").status_code == 404


def test_nobody_posts_in_another_actors_name(node: Site, remote: RemoteServer) -> None:
    eve, mallory = remote.add_person("eve"), remote.add_person("mallory")
    forged = create(mallory, 7)
    forged["object"]["attributedTo"] = eve  # type: ignore[index]
    assert send(node, forged, f"{mallory}#main-key", remote.keys[mallory]).status_code == 202
    honest = create(mallory, 8)
    assert send(node, honest, f"{mallory}#main-key", remote.keys[mallory]).status_code == 202
    eventually(lambda: posts.by_uri(node.node.db, f"{remote.origin}/notes/8"), what="the honest post")
    assert posts.by_uri(node.node.db, f"{remote.origin}/notes/7") is None


def test_malformed_ids_are_400(node: Site) -> None:
    body = orjson.dumps({"id": "http://[x/a", "type": "Create", "actor": "http://[x/u"})
    response = node.client.post("/inbox", content=body, headers={"Content-Type": "application/activity+json"})
    assert response.status_code == 400


def test_a_key_served_apart_from_its_actor_is_followed_to_its_owner(node: Site, remote: RemoteServer) -> None:
    """GoToSocial's key id is /users/x/main-key, which answers with a stub naming the owner."""
    gts = remote.add_person("gts")
    key_id = f"{gts}/main-key"
    remote.documents["/users/gts"]["publicKey"]["id"] = key_id  # type: ignore[index]
    remote.documents["/users/gts/main-key"] = {
        "id": gts, "type": "Person", "preferredUsername": "gts",
        "publicKey": {"id": key_id, "owner": gts,
                      "publicKeyPem": remote.documents["/users/gts"]["publicKey"]["publicKeyPem"]},  # type: ignore[index]
    }
    assert send(node, create(gts), key_id, remote.keys[gts]).status_code == 202
    assert stored(node) == [f"{gts}/activities/1"]


def test_first_activities_arriving_together_share_one_key_fetch(tmp_path: Path, remote: RemoteServer) -> None:
    import asyncio

    from federation.actors import RemoteActors
    from federation.fetch import Fetcher
    from federation.http import make_session
    from federation.policy import FederationPolicy
    from storage.db import Database

    eve = remote.add_person("eve")
    db = Database(tmp_path / "node.db")
    db.migrate()

    async def main() -> list[str]:
        policy = FederationPolicy("open", frozenset(), frozenset(), allow_private_addresses=True)
        session = make_session(policy, "test")
        try:
            found = RemoteActors(db, Fetcher(session, policy, None))
            owners = await asyncio.gather(*[found.by_key_id(f"{eve}#main-key") for _ in range(10)])
            return [row["uri"] for row in owners]
        finally:
            await session.close()

    assert asyncio.run(main()) == [eve] * 10
    assert remote.gets.count("/users/eve") == 1
    db.close()
