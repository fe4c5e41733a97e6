"""Pictures and documents through the client API.

Mastodon.py against a real node (`meent serve`): uploading an image with its description, posting it,
reading it back with a URL our node serves, an avatar that comes back as a 400x400 image, and the
refusals a client sees (HTML posing as PNG, too large, undescribed, someone else's upload). Then, in
process, the bad input one by one: each a JSON error with a fitting status, and nothing kept.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2 as httpx
import pytest
from PIL import Image

from node.api import entities
from node.services import groups, media
from storage import groups as storage_groups
from tests import media_samples
from tests.helpers import PASSWORD, LiveNode, Site, make_site, mastodon_logged_in, meent

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow"]




def test_mastodon_py_uploads_posts_and_reads_back_images(mastodon_class: Any, live_node: LiveNode) -> None:
    from mastodon.errors import MastodonAPIError, MastodonNotFoundError

    for name in ("anne", "bram"):
        meent("user", "add", name, "--password", PASSWORD, "--config", str(live_node.config_path))
    client_id, secret = mastodon_class.create_app("Meent-media", scopes=SCOPES, redirect_uris=OOB,
                                                  api_base_url=live_node.url)
    anne = mastodon_logged_in(mastodon_class, live_node.url, client_id, secret, "anne")
    bram = mastodon_logged_in(mastodon_class, live_node.url, client_id, secret, "bram")

    limits = anne.instance()["configuration"]
    assert limits["statuses"]["max_media_attachments"] == 6
    assert "image/png" in limits["media_attachments"]["supported_mime_types"]
    assert "application/pdf" in limits["media_attachments"]["supported_mime_types"]

    # An image with its description, posted as a blog post, read back: the file comes from our node.
    uploaded = anne.media_post(io.BytesIO(media_samples.jpeg_with_gps()), mime_type="image/jpeg",
                               description="Blauwe vlakken met rode strepen", focus=(0.25, -0.5))
    assert uploaded["url"] and uploaded["type"] == "image"
    posted = anne.status_post("Foto van de dag\nZie de bijlage.", media_ids=[uploaded["id"]])
    status = anne.status(posted["id"])
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "Blauwe vlakken met rode strepen"
    assert attachment["url"].startswith(live_node.url + "/media/")
    served = httpx.get(attachment["url"], timeout=10)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (480, 640), "turned upright by its EXIF orientation"
    assert not image.getexif(), "the EXIF (with its GPS position) is gone"
    assert anne.media(uploaded["id"])["meta"]["focus"] == {"x": 0.25, "y": -0.5}

    # Described later (media_update), then posted as a reply.
    second = anne.media_post(io.BytesIO(media_samples.png()), mime_type="image/png")
    with pytest.raises(MastodonAPIError) as undescribed:
        anne.status_post("Zonder beschrijving", in_reply_to_id=posted["id"], media_ids=[second["id"]])
    assert undescribed.value.args[1] == 422 and "description" in str(undescribed.value.args[3])
    assert anne.media_update(second["id"], description="Een groen vlak")["description"] == "Een groen vlak"
    reply = anne.status_post("Met beschrijving", in_reply_to_id=posted["id"], media_ids=[second["id"]])
    assert [m["description"] for m in reply["media_attachments"]] == ["Een groen vlak"]

    # An edit that leaves media_ids out keeps them; one with other ids changes them.
    assert len(anne.status_update(posted["id"], "Foto van de dag\nBijgewerkt.")["media_attachments"]) == 1
    third = anne.media_post(io.BytesIO(media_samples.png(colour=(200, 30, 30))), mime_type="image/png",
                            description="Een rood vlak")
    edited = anne.status_update(posted["id"], "Foto van de dag\nNu in rood.", media_ids=[third["id"]])
    assert [m["id"] for m in edited["media_attachments"]] == [third["id"]]

    # Once attached, a description changes with an edit of the post (kept as a version, sent),
    # not behind its back through media_update (404, as Mastodon answers)
    with pytest.raises(MastodonNotFoundError):
        anne.media_update(third["id"], description="Stilletjes anders")
    versions = len(anne.status_history(posted["id"]))
    described = anne.status_update(posted["id"], "Foto van de dag\nNu in rood.",
                                   media_attributes=[{"id": third["id"], "description": "Een helderrood vlak"}])
    assert [m["description"] for m in described["media_attachments"]] == ["Een helderrood vlak"]
    assert len(anne.status_history(posted["id"])) == versions + 1 and described["edited_at"]
    # a client sends every attachment back, an undescribed one with null: that leaves it as it is
    kept = anne.status_update(posted["id"], "Foto van de dag\nNog steeds rood.",
                              media_attributes=[{"id": third["id"], "description": None}])
    assert [m["description"] for m in kept["media_attachments"]] == ["Een helderrood vlak"]

    # The avatar: cut to 400x400 and served by our node, in every Account entity.
    account = anne.account_update_credentials(avatar=io.BytesIO(media_samples.jpeg_with_gps(900, 600)),
                                              avatar_mime_type="image/jpeg", note="Over Woo")
    assert account["avatar"].startswith(live_node.url + "/media/") and account["note"] == "<p>Over Woo</p>"
    avatar = httpx.get(account["avatar"], timeout=10)
    assert avatar.status_code == 200 and Image.open(io.BytesIO(avatar.content)).size == (400, 400)
    assert bram.account(account["id"])["avatar"] == account["avatar"]
    assert anne.status(posted["id"])["account"]["avatar"] == account["avatar"]

    # What a client is refused: a JSON error it can show.
    with pytest.raises(MastodonAPIError) as fake:
        anne.media_post(io.BytesIO(media_samples.HTML_AS_PNG), mime_type="image/png", description="Geen foto")
    assert fake.value.args[1] == 415
    with pytest.raises(MastodonAPIError) as large:
        anne.media_post(io.BytesIO(b"\x89PNG" + b"\0" * 10_000_000), mime_type="image/png", description="Groot")
    assert large.value.args[1] == 413
    mine = anne.media_post(io.BytesIO(media_samples.png()), mime_type="image/png", description="Van Anne")
    with pytest.raises(MastodonNotFoundError):
        bram.status_post("Niet van mij", media_ids=[mine["id"]])
    with pytest.raises(MastodonNotFoundError):
        bram.media(mine["id"])


# In process: the bad input, one by one


@dataclass
class Api:
    site: Site
    anne: dict[str, str]
    bram: dict[str, str]

    @property
    def client(self) -> Any:
        return self.site.client

    def count(self) -> tuple[int, int]:
        db = self.site.node.db
        return (int(db.scalar("SELECT count(*) FROM media") or 0),
                int(db.scalar("SELECT count(*) FROM media_files") or 0))

    def upload(self, data: bytes, name: str = "vlak.png", mime: str = "image/png", who: str = "anne",
               path: str = "/api/v2/media", **fields: str) -> httpx.Response:
        return self.client.post(path, data=fields, files={"file": (name, data, mime)},
                                headers=self.anne if who == "anne" else self.bram)

    def send(self, method: str, path: str, body: dict[str, Any], who: str = "anne") -> httpx.Response:
        return self.client.request(method, path, json=body, headers=self.anne if who == "anne" else self.bram)


def _token(site: Site, username: str, scope: str = "read write") -> dict[str, str]:
    app = site.client.post("/api/v1/apps", data={"client_name": "Proef", "redirect_uris": OOB, "scopes": scope})
    token = site.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"],
        "username": username, "password": PASSWORD, "scope": scope})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # small limits, so that "too large" needs no large test files
    site = make_site(tmp_path_factory.mktemp("api-media"), media={"max_file_bytes": 300_000,
                                                                  "max_post_bytes": 600_000})
    with site.client:
        site.member("anne")
        site.member("bram")
        yield Api(site, _token(site, "anne"), _token(site, "bram"))
    site.node.db.close()


def error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, f"{answer.status_code} {answer.text[:300]}"
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    return str(body.get("error_description") or body["error"])


@pytest.mark.parametrize(("data", "name", "status", "words"), [
    (media_samples.HTML_AS_PNG, "foto.png", 415, "cannot be used here"),
    (media_samples.SVG_WITH_SCRIPT, "logo.svg", 415, "cannot be used here"),
    (media_samples.pixel_bomb(), "bom.png", 422, "too many pixels"),
    (media_samples.truncated_jpeg(), "half.jpg", 422, "damaged"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000, "groot.png", 413, "too large"),
    (b"", "leeg.png", 422, "empty"),
])
def test_a_refused_upload_is_a_json_error_and_nothing_is_kept(api: Api, data: bytes, name: str, status: int,
                                                              words: str) -> None:
    before = api.count()
    assert words in error(api.upload(data, name, description="Iets"), status)
    assert api.count() == before


def test_a_body_past_the_upload_limit_is_413_before_it_is_read(api: Api) -> None:
    before = api.count()
    error(api.upload(b"\0" * 1_000_000, "groot.png"), 413)  # past form_max_bytes + max_post_bytes
    assert api.count() == before


def test_broken_or_empty_multipart_is_400_or_422(api: Api) -> None:
    no_boundary = api.client.post("/api/v1/media", content=b"--grens\r\n\r\nx",
                                  headers=api.anne | {"Content-Type": "multipart/form-data"})
    error(no_boundary, 400)
    cut_off = api.client.post("/api/v1/media", content=b"--grens\r\nContent-Disposition: form-data; name=\"file\"",
                              headers=api.anne | {"Content-Type": "multipart/form-data; boundary=grens"})
    assert cut_off.status_code in (400, 422), cut_off.text  # a part that never began is no file
    error(cut_off, cut_off.status_code)
    no_file = api.client.post("/api/v1/media", data={"description": "Niets"}, files={"other": ("a.txt", b"x")},
                              headers=api.anne)
    assert "File" in error(no_file, 422)
    error(api.client.post("/api/v1/media", json={"description": "Geen bestand"}, headers=api.anne), 422)


def test_media_needs_a_write_token_and_belongs_to_its_uploader(api: Api) -> None:
    reader = _token(api.site, "anne", "read")
    error(api.client.post("/api/v1/media", files={"file": ("a.png", media_samples.png())}, headers=reader), 403)
    error(api.client.post("/api/v1/media", files={"file": ("a.png", media_samples.png())}), 401)
    mine = api.upload(media_samples.png(), description="Van Anne").json()["id"]
    error(api.send("GET", f"/api/v1/media/{mine}", {}, who="bram"), 404)
    error(api.send("PUT", f"/api/v1/media/{mine}", {"description": "Van Bram"}, who="bram"), 404)
    error(api.send("GET", "/api/v1/media/abc", {}), 404)
    assert "This file does not exist" in error(api.send(
        "POST", "/api/v1/statuses", {"status": "Gepikt", "media_ids": [mine]}, who="bram"), 404)
    assert api.send("GET", f"/api/v1/media/{mine}", {}).json()["description"] == "Van Anne"


def test_describing_is_bounded_and_focus_is_checked(api: Api) -> None:
    mine = api.upload(media_samples.png()).json()["id"]
    error(api.send("PUT", f"/api/v1/media/{mine}", {"description": "x" * 1501}), 422)
    error(api.send("PUT", f"/api/v1/media/{mine}", {"focus": "2,0"}), 422)
    error(api.send("PUT", f"/api/v1/media/{mine}", {"focus": "links"}), 422)
    error(api.upload(media_samples.png(), description="Vlak", focus="0,9"), 422)
    done = api.send("PUT", f"/api/v1/media/{mine}", {"description": "  Een vlak  ", "focus": "-1,1"}).json()
    assert done["description"] == "Een vlak" and done["meta"]["focus"] == {"x": -1.0, "y": 1.0}


def test_a_status_refuses_undescribed_used_or_too_many_uploads(api: Api) -> None:
    bare = api.upload(media_samples.png()).json()["id"]
    assert "description" in error(api.send("POST", "/api/v1/statuses", {"status": "Kaal", "media_ids": [bare]}),
                                  422)
    ids = [api.upload(media_samples.png(colour=(n, 0, 0)), description=f"Vlak {n}").json()["id"] for n in range(7)]
    error(api.send("POST", "/api/v1/statuses", {"status": "Te veel", "media_ids": ids}), 422)
    error(api.send("POST", "/api/v1/statuses", {"status": "Twee keer", "media_ids": [ids[0], ids[0]]}), 422)
    first = api.send("POST", "/api/v1/statuses", {"status": "Eerste", "media_ids": ids[:1]})
    assert first.status_code == 200, first.text
    error(api.send("POST", "/api/v1/statuses", {"status": "Tweede", "media_ids": ids[:1]}), 422)
    form = api.client.post("/api/v1/statuses", data={"status": "Als formulier", "media_ids[]": ids[1:3]},
                           headers=api.anne)
    assert [m["id"] for m in form.json()["media_attachments"]] == ids[1:3]


def test_avatar_and_header_through_update_credentials_and_their_removal(api: Api) -> None:
    def patch(**files: tuple[str, bytes, str]) -> httpx.Response:
        return api.client.patch("/api/v1/accounts/update_credentials", data={"display_name": "Anne B."},
                                files=files, headers=api.anne)

    error(patch(avatar=("ik.png", media_samples.HTML_AS_PNG, "image/png")), 415)
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=api.anne).json()
    assert me["display_name"] != "Anne B." and me["avatar"].endswith("/avatars/default.png"), "nothing changed"
    done = patch(avatar=("ik.png", media_samples.png(), "image/png"),
                 header=("kop.jpg", media_samples.jpeg_with_gps(), "image/jpeg")).json()
    assert done["display_name"] == "Anne B."
    assert Image.open(io.BytesIO(api.client.get(done["avatar"]).content)).size == (400, 400)
    assert api.client.get(done["header"]).status_code == 200 and "/media/" in done["header"]
    gone = api.client.delete("/api/v1/profile/avatar", headers=api.anne).json()
    assert gone["avatar"].endswith("/avatars/default.png") and gone["header"] == done["header"]
    gone = api.client.delete("/api/v1/profile/header", headers=api.anne).json()
    assert gone["header"].endswith("/headers/default.png")


def test_a_group_shows_its_icon_and_banner(api: Api) -> None:
    node = api.site.node
    groups.create(node, None, "beeld", "Beeld", "Over beeld")
    group = storage_groups.local_by_slug(node.db, "beeld")
    assert group is not None
    icon = anyio.run(media.upload_image, node, media_samples.png(), "icoon.png", "icon")
    media.set_group_image(node, group, "icon", icon)
    found = api.client.get("/api/v1/accounts/lookup", params={"acct": "beeld"}, headers=api.anne).json()
    assert found["group"] is True and found["avatar"] == f"{node.config.base_url}/media/{icon}"
    assert api.client.get(found["avatar"]).status_code == 200
    assert found["header"].endswith("/headers/default.png")


BASE = "https://meent.example"
REMOTE = "https://elders.example/files/kat.jpg"


def test_another_servers_attachment_and_avatar_are_our_copies() -> None:
    """Pure: a remote attachment (no file of ours yet) and a remote account's avatar point at /media/remote/."""
    row = {"id": 7, "kind": "image", "media_type": "image/jpeg", "file_hash": None, "preview_hash": None,
           "remote_url": REMOTE, "name": "kat.jpg", "description": "Een kat", "focus_x": 0.0, "focus_y": 0.0,
           "width": 800, "height": 600, "blurhash": "LEHV6nWB2yk8", "size": None}
    ours = f"{BASE}/media/remote/{hashlib.sha256(REMOTE.encode()).hexdigest()}"
    attachment = entities.media_attachment(BASE, row)
    assert attachment["url"] == attachment["preview_url"] == ours and attachment["remote_url"] == REMOTE
    assert attachment["meta"]["original"]["size"] == "800x600" and "small" not in attachment["meta"]
    document = entities.media_attachment(BASE, row | {"kind": "document", "description": "", "width": None})
    assert document["type"] == "unknown" and document["description"] is None and document["meta"] == {}

    person = {"id": 3, "domain": "elders.example", "username": "kees@elders.example", "display_name": "Kees",
              "created_at": "2026-01-01T00:00:00.000Z", "about": "", "actor_uri": "https://elders.example/u/kees",
              "job_title": "", "avatar_hash": None, "header_hash": None, "avatar_url": REMOTE, "header_url": None}
    account = entities.account(BASE, "meent.example", person, {})
    assert account["avatar"] == account["avatar_static"] == ours
    assert account["header"] == f"{BASE}/headers/default.png"
