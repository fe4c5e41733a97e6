"""Other servers' media (issue 11): how attachments and actor images are written and read
(pure), and the remote cache (node/services/media_remote.py) against a real HTTP server on
loopback: fetched once, kept, refused when private, too large or not what it claims, and no
URL fetched that no stored object named."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from federation import reading, vocab
from federation.http import make_session
from federation.policy import FederationPolicy
from node.services import media as media_service
from node.services import media_remote, media_store
from node.services.errors import NotFound
from storage import media as media_rows
from tests import media_samples
from tests.helpers import Site, free_port, make_site

# Writing and reading (pure)


def test_our_attachments_as_mastodon_reads_them() -> None:
    image = {"kind": "image", "media_type": "image/png", "description": "Een groen vlak", "name": "a.png",
             "width": 300, "height": 200, "blurhash": "LKO2?U%2Tw=w", "focus_x": 0.5, "focus_y": -0.25}
    assert vocab.attachment(image, "https://a.example/media/x") == {
        "type": "Image", "mediaType": "image/png", "url": "https://a.example/media/x", "name": "Een groen vlak",
        "width": 300, "height": 200, "blurhash": "LKO2?U%2Tw=w", "focalPoint": [0.5, -0.25]}
    document = {**image, "kind": "document", "media_type": "application/pdf", "description": "", "name": "v.pdf"}
    assert vocab.attachment(document, "https://a.example/media/y/v.pdf") == {
        "type": "Document", "mediaType": "application/pdf", "url": "https://a.example/media/y/v.pdf", "name": "v.pdf"}
    terms = vocab.CONTEXT[2]
    assert terms["blurhash"] == "toot:blurhash" and terms["focalPoint"]["@id"] == "toot:focalPoint"


def test_remote_attachments_are_read_within_bounds() -> None:
    obj = {"type": "Note", "attachment": [
        {"type": "Document", "mediaType": "image/jpeg", "url": "https://m.example/a.jpg", "name": "Alt",
         "focalPoint": [0.1, 0.2], "width": 10, "height": 20, "blurhash": "UABC"},
        {"type": "Link", "href": "https://m.example/page", "mediaType": "text/html"},
        {"type": "PropertyValue", "name": "Site", "value": "x"},
        {"type": "Document", "mediaType": "application/pdf", "url": "https://m.example/v.pdf", "name": "Verslag"},
        {"type": "Document", "mediaType": "text/html", "url": "https://m.example/x.html"},
        {"type": "Image", "url": "javascript:alert(1)"},
        {"type": "Image", "url": [{"type": "Link", "href": "https://m.example/b.png", "mediaType": "image/png"}]},
    ] + [{"type": "Image", "mediaType": "image/png", "url": f"https://m.example/{n}.png"} for n in range(20)]}
    found = reading.attachments(obj, frozenset({"application/pdf"}))
    assert len(found) == reading.MAX_ATTACHMENTS
    assert found[0] == reading.RemoteAttachment("image", "image/jpeg", "https://m.example/a.jpg", "Alt", 10, 20,
                                                "UABC", (0.1, 0.2))
    assert [(a.kind, a.url) for a in found[1:3]] == [("document", "https://m.example/v.pdf"),
                                                     ("image", "https://m.example/b.png")]
    assert reading.attachments(obj)[1].url == "https://m.example/b.png"  # no documents taken: the PDF is left
    page = {"type": "Page", "image": {"type": "Image", "url": "https://l.example/pictrs/i.png"}}
    assert [a.url for a in reading.attachments(page)] == ["https://l.example/pictrs/i.png"]
    assert reading.actor_images({"icon": ["https://p.example/a.png"], "image": {"type": "Image", "url": "x"}}) == (
        "https://p.example/a.png", None)
    assert reading.actor_images({"icon": [{"type": "Image", "url": "https://p.example/i.png"}]})[0] == (
        "https://p.example/i.png")


# The cache, against a real server on loopback


class Server:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def handler(self, body: bytes, content_type: str, delay: float = 0.0):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.Response:
            self.hits[request.path] = self.hits.get(request.path, 0) + 1
            await asyncio.sleep(delay)
            return web.Response(body=body, content_type=content_type)
        return handle


@asynccontextmanager
async def serving(site: Site) -> AsyncIterator[tuple[Server, media_remote.RemoteMedia]]:
    server = Server()
    app = web.Application()
    app.router.add_get("/ok.png", server.handler(media_samples.png(), "image/png", delay=0.2))
    app.router.add_get("/big.png", server.handler(media_samples.png(900, 900) + b"\0" * 300_000, "image/png"))
    app.router.add_get("/page.png", server.handler(media_samples.HTML_AS_PNG, "image/png"))
    app.router.add_get("/bucket", server.handler(media_samples.png(), "application/octet-stream"))

    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPFound("/ok.png")

    app.router.add_get("/moved", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", server.port).start()
    policy = FederationPolicy.from_config(site.node.config)
    session = make_session(policy, "test", limit=4, limit_per_host=2, total_timeout=5)
    try:
        yield server, media_remote.RemoteMedia(session, policy, 5.0)
    finally:
        await session.close()
        await runner.cleanup()


def _site(tmp_path: Path, private: bool = True) -> Site:
    return make_site(tmp_path, federation={"allow_private_addresses": private}, media={"remote_max_bytes": 200_000})


def _files(site: Site) -> list[Path]:
    folder = site.node.config.media_path
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_remote_image_is_fetched_once_kept_and_served(tmp_path: Path) -> None:
    site = _site(tmp_path)

    async def scenario() -> tuple[list[str], int, str]:
        async with serving(site) as (server, remote):
            url_hash = media_service.remember_remote(site.node, server.url + "/ok.png")
            together = await asyncio.gather(*(media_remote.copy_of(site.node, remote, url_hash) for _ in range(5)))
            again = await media_remote.copy_of(site.node, remote, url_hash)
            moved = media_service.remember_remote(site.node, server.url + "/moved")
            assert await media_remote.copy_of(site.node, remote, moved) == again  # a redirect followed, checked
            return [*together, again], server.hits["/ok.png"], url_hash

    hashes, hits, url_hash = asyncio.run(scenario())
    assert hits == 2 and len(set(hashes)) == 1  # five at once share one fetch; the second URL is its own
    row = media_rows.remote(site.node.db, url_hash)
    assert row is not None and row["state"] == "cached" and row["file_hash"] == hashes[0] and row["last_used_at"]
    served = site.client.get(f"/media/remote/{url_hash}")  # federation not running here: the copy held is served
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == media_store.read(site.node.config.media_path, hashes[0])
    assert "default-src 'none'; sandbox" in served.headers["content-security-policy"]


def test_a_url_no_stored_object_named_is_a_404(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for path in ("/media/remote/" + "a" * 64, "/media/remote/not-a-hash", "/media/remote/" + "A" * 64):
        answer = site.client.get(path)
        assert answer.status_code == 404 and "<html" in answer.text.lower()
    url_hash = media_service.remember_remote(site.node, "https://elders.example/a.png")
    assert site.client.get(f"/media/remote/{url_hash}").status_code == 404  # not held, and nothing fetched here


def _refused(site: Site, path: str) -> tuple[str, media_rows.Row, int]:
    async def scenario() -> tuple[str, int]:
        async with serving(site) as (server, remote):
            url_hash = media_service.remember_remote(site.node, server.url + path)
            with pytest.raises(NotFound):
                await media_remote.copy_of(site.node, remote, url_hash)
            with pytest.raises(NotFound):  # within the back-off: not asked again
                await media_remote.copy_of(site.node, remote, url_hash)
            return url_hash, server.hits.get(path, 0)

    url_hash, hits = asyncio.run(scenario())
    row = media_rows.remote(site.node.db, url_hash)
    assert row is not None and row["state"] == "failed" and row["file_hash"] is None and row["attempts"] == 1
    assert row["next_try_at"] > site.node.now()
    assert media_rows.all_file_hashes(site.node.db) == [] and _files(site) == []  # nothing stored
    return str(row["error"]), row, hits


def test_a_private_address_is_refused_when_not_allowed(tmp_path: Path) -> None:
    error, _, hits = _refused(_site(tmp_path, private=False), "/ok.png")
    assert "refused address" in error and hits == 0


def test_an_oversized_remote_image_is_refused_without_storing(tmp_path: Path) -> None:
    error, _, hits = _refused(_site(tmp_path), "/big.png")
    assert "too large" in error and hits == 1


def test_html_served_as_png_is_refused(tmp_path: Path) -> None:
    error, _, hits = _refused(_site(tmp_path), "/page.png")
    assert "not an image" in error and hits == 1


def test_an_avatar_must_say_it_is_an_image(tmp_path: Path) -> None:
    error, _, hits = _refused(_site(tmp_path), "/bucket")
    assert "not a type we take" in error and hits == 1


def test_an_attachment_from_a_bucket_that_says_octet_stream_is_sniffed(tmp_path: Path) -> None:
    site = _site(tmp_path)

    async def scenario() -> str:
        async with serving(site) as (server, remote):
            url = server.url + "/bucket"
            media_rows.add(site.node.db, account_id=None, kind="image", media_type="image/png", file_hash=None,
                           preview_hash=None, name="", description="Groen", width=None, height=None, blurhash=None,
                           size=None, now=site.node.now(), remote_url=url)
            return await media_remote.copy_of(site.node, remote, media_service.remember_remote(site.node, url))

    file_hash = asyncio.run(scenario())
    assert media_rows.file(site.node.db, file_hash)["media_type"] == "image/png"


def test_after_the_back_off_it_is_tried_again(tmp_path: Path) -> None:
    site = _site(tmp_path)

    async def scenario() -> tuple[str, str]:
        async with serving(site) as (server, remote):
            url_hash = media_service.remember_remote(site.node, server.url + "/ok.png")
            media_rows.remote_failed(site.node.db, url_hash, "earlier", "2000-01-01T00:00:00.000Z")
            return url_hash, await media_remote.copy_of(site.node, remote, url_hash)

    url_hash, file_hash = asyncio.run(scenario())
    row = media_rows.remote(site.node.db, url_hash)
    assert row is not None and row["state"] == "cached" and row["attempts"] == 0 and row["file_hash"] == file_hash
    assert media_remote.RETRY.step(1).total_seconds() == 300 and media_remote.RETRY.step(20).days == 1


# What we send: attachments in our posts, images on our actors, an Update when an image changes

AS = {"Accept": "application/activity+json"}


def test_our_posts_and_actors_carry_their_media_and_a_new_image_is_sent_as_update(tmp_path: Path) -> None:
    from node.services import posts as post_service
    from storage import accounts, groups

    site = make_site(tmp_path)
    site.member("anna")
    site.group()
    node = site.node
    anna = accounts.by_username(node.db, "anna")
    upload = asyncio.run(media_service.upload(node, anna, media_samples.png(), "vlak.png", "Een groen vlak"))
    group = groups.local_by_slug(node.db, "open-overheid")
    topic = post_service.start_topic(node, anna, group, "Met foto", "Kijk", media_ids=[upload["id"]])
    article = site.client.get(f"/posts/{topic['id']}", headers=AS).json()
    assert article["attachment"] == [{
        "type": "Image", "mediaType": "image/png", "url": f"{node.config.base_url}/media/{upload['file_hash']}",
        "name": "Een groen vlak", "width": 300, "height": 200, "blurhash": upload["blurhash"],
        "focalPoint": [0.0, 0.0]}]

    avatar = asyncio.run(media_service.upload_image(node, media_samples.png(), "a.png", "avatar"))
    media_service.set_account_image(node, anna, "avatar", avatar)
    banner = asyncio.run(media_service.upload_image(node, media_samples.png(1600, 600), "b.png", "banner"))
    media_service.set_group_image(node, group, "banner", banner)
    person = site.client.get("/users/anna", headers=AS).json()
    base = node.config.base_url
    assert person["icon"] == {"type": "Image", "mediaType": "image/png", "url": f"{base}/media/{avatar}"}
    assert "image" not in person
    assert site.client.get("/groups/open-overheid", headers=AS).json()["image"]["url"].endswith(banner)
    updates = node.db.all("SELECT * FROM activities WHERE type = 'Update' ORDER BY created_at")
    assert [row["actor"] for row in updates] == [person["id"], f"{node.config.base_url}/groups/open-overheid"]
    assert '"icon"' in updates[0]["body"]
