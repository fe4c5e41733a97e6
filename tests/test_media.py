"""Uploads (issue 11): what is stored is re-encoded and stripped, bad files are refused with a clear
message and leave nothing on disk, files are served inert, and unused files go."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from node import urls
from node.services import media as media_service
from node.services import media_store
from node.services.errors import Invalid, ServiceError, TooLarge, Unsupported
from storage import accounts
from storage import media as media_rows
from tests import media_samples
from tests.helpers import Site, make_site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = make_site(tmp_path, media={"max_file_bytes": 2_000_000})
    made.member("anna")
    return made


def _anna(site: Site):  # type: ignore[no-untyped-def]
    return accounts.by_username(site.node.db, "anna")


def _upload(site: Site, data: bytes, name: str, description: str = ""):  # type: ignore[no-untyped-def]
    return asyncio.run(media_service.upload(site.node, _anna(site), data, name, description))


def _stored_files(site: Site) -> list[Path]:
    folder = site.node.config.media_path
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_image_is_re_encoded_without_its_metadata_and_turned_upright(site: Site) -> None:
    original = media_samples.jpeg_with_gps(640, 480)
    row = _upload(site, original, "vakantie.jpg", "Een gestreepte test")
    assert row["kind"] == "image" and row["media_type"] == "image/jpeg" and row["description"] == "Een gestreepte test"
    assert (row["width"], row["height"]) == (480, 640)  # the EXIF orientation applied
    stored = media_store.read(site.node.config.media_path, row["file_hash"])
    assert stored is not None and stored != original and row["file_hash"] == media_store.digest(stored)
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and b"CameraMaker" not in stored and "exif" not in image.info
    assert row["blurhash"] and len(row["blurhash"]) >= 6
    path = media_store.path_of(site.node.config.media_path, row["file_hash"])
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700


def test_the_same_file_twice_is_stored_once(site: Site) -> None:
    first = _upload(site, media_samples.png(), "a.png", "groen")
    second = _upload(site, media_samples.png(), "b.png", "groen")
    assert first["id"] != second["id"] and first["file_hash"] == second["file_hash"]
    assert len(_stored_files(site)) == 1


def test_a_large_image_gets_a_preview_and_an_animation_keeps_its_frames(site: Site) -> None:
    big = _upload(site, media_samples.png(2400, 1600), "groot.png", "groot")
    assert big["preview_hash"] and big["preview_hash"] != big["file_hash"]
    preview = Image.open(io.BytesIO(media_store.read(site.node.config.media_path, big["preview_hash"]) or b""))
    assert max(preview.size) == 1280
    moving = _upload(site, media_samples.gif_animated(3), "bewegend.gif", "beweegt")
    stored = Image.open(io.BytesIO(media_store.read(site.node.config.media_path, moving["file_hash"]) or b""))
    assert moving["media_type"] == "image/gif" and getattr(stored, "n_frames", 1) == 3


@pytest.mark.parametrize("data, name, error, key", [
    (media_samples.HTML_AS_PNG, "plaatje.png", Unsupported, "error.file_type"),
    (media_samples.SVG_WITH_SCRIPT, "logo.svg", Unsupported, "error.file_type"),
    (media_samples.pixel_bomb(), "bom.png", Invalid, "error.image_too_many_pixels"),
    (media_samples.truncated_jpeg(), "half.jpg", Invalid, "error.image_damaged"),
    (b"\xff\xd8\xff" + b"\x00" * 3_000_000, "groot.jpg", TooLarge, "error.file_too_large"),
    (b"", "leeg.pdf", Invalid, "error.file_empty"),
])
def test_bad_files_are_refused_and_leave_nothing(site: Site, data: bytes, name: str, error: type[ServiceError],
                                                 key: str) -> None:
    with pytest.raises(error) as raised:
        _upload(site, data, name, "iets")
    assert raised.value.message_key == key
    assert _stored_files(site) == [] and site.node.db.scalar("SELECT count(*) FROM media") == 0


def test_a_document_is_kept_as_it_is_and_a_path_in_its_name_is_only_a_name(site: Site) -> None:
    row = _upload(site, media_samples.PDF, "../../etc/passwd/../Rapport Q3.pdf")
    assert row["kind"] == "document" and row["media_type"] == "application/pdf" and row["name"] == "Rapport Q3.pdf"
    assert media_store.read(site.node.config.media_path, row["file_hash"]) == media_samples.PDF
    assert urls.download_name(row) == "Rapport-Q3.pdf"
    assert all(p.name == row["file_hash"] for p in _stored_files(site))


def test_files_are_served_inert_with_their_own_type(site: Site) -> None:
    image = _upload(site, media_samples.png(), "a.png", "groen")
    document = _upload(site, media_samples.PDF, "Rapport.pdf")
    shown = site.client.get(f"/media/{image['file_hash']}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
    assert "sandbox" in shown.headers["content-security-policy"]
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in shown.headers["cache-control"]
    fetched = site.client.get(f"/media/{document['file_hash']}/Rapport.pdf")
    assert fetched.headers["content-disposition"] == 'attachment; filename="Rapport.pdf"'
    assert fetched.content == media_samples.PDF
    odd = site.client.get(f"/media/{document['file_hash']}/..%2F..%2Fetc")
    assert odd.status_code in (200, 404) and "etc" not in odd.headers.get("content-disposition", "")
    again = site.client.get(f"/media/{image['file_hash']}", headers={"If-None-Match": f'"{image["file_hash"]}"'})
    assert again.status_code == 304
    for path in ("/media/" + "0" * 64, "/media/not-a-hash", "/media/..%2Fmeent.db"):
        assert site.client.get(path).status_code == 404, path


def test_office_types_only_when_the_admin_allows_them(tmp_path: Path) -> None:
    import zipfile

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as made:
        made.writestr("[Content_Types].xml", "<Types/>")
        made.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    only_pdf = make_site(tmp_path / "a", media={"document_types": ["pdf"]})
    only_pdf.member("anna")
    with pytest.raises(Unsupported):
        _upload(only_pdf, package.getvalue(), "notulen.docx")
    default = make_site(tmp_path / "b")
    default.member("anna")
    row = _upload(default, package.getvalue(), "notulen.docx")
    assert row["media_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    with pytest.raises(Unsupported):  # a ZIP that is no office document
        bare = io.BytesIO()
        with zipfile.ZipFile(bare, "w") as made:
            made.writestr("payload.exe", "MZ")
        _upload(default, bare.getvalue(), "notulen.docx")


def test_uploads_never_attached_go_after_a_day_and_so_do_their_files(site: Site) -> None:
    row = _upload(site, media_samples.png(), "a.png", "groen")
    assert media_service.prune(site.node)["orphans"] == 0  # fresh: kept
    with site.node.db.transaction():
        site.node.db.execute("UPDATE media SET created_at = '2000-01-01T00:00:00.000Z'")
        site.node.db.execute("UPDATE media_files SET created_at = '2000-01-01T00:00:00.000Z'")
    assert media_service.prune(site.node) == {"orphans": 1, "copies": 0, "files": 1, "leftovers": 0}
    assert media_rows.file(site.node.db, row["file_hash"]) is None and _stored_files(site) == []


def test_a_post_takes_its_uploads_and_its_deletion_removes_the_files_nothing_else_uses(site: Site) -> None:
    from node.services import posts

    site.group()
    anna = _anna(site)
    group = site.node.db.one("SELECT * FROM groups WHERE slug = 'open-overheid'")
    photo = _upload(site, media_samples.png(), "foto.png", "Een groen vlak")
    shared = _upload(site, media_samples.PDF, "Rapport.pdf")
    undescribed = _upload(site, media_samples.png(colour=(1, 2, 3)), "zonder.png")
    with pytest.raises(Invalid) as refused:
        posts.start_topic(site.node, anna, group, "Titel", "Tekst", [photo["id"], undescribed["id"]])
    assert refused.value.message_key == "error.media_needs_description"
    assert site.node.db.scalar("SELECT count(*) FROM posts") == 0  # nothing written
    topic = posts.start_topic(site.node, anna, group, "Titel", "Tekst", [photo["id"], shared["id"]])
    assert [r["id"] for r in media_service.for_post(site.node, topic["id"])] == [photo["id"], shared["id"]]
    with pytest.raises(Invalid) as taken:
        posts.reply(site.node, anna, topic["id"], "Nog eens", [photo["id"]])
    assert taken.value.message_key == "error.media_in_use"
    again = _upload(site, media_samples.PDF, "Zelfde.pdf")  # the same bytes, another post
    reply = posts.reply(site.node, anna, topic["id"], "Bijlage", [again["id"]])
    posts.delete(site.node, anna, topic["id"])
    assert media_service.for_post(site.node, topic["id"]) == []
    folder = site.node.config.media_path
    assert not media_store.exists(folder, photo["file_hash"])  # used by nothing else: gone at once
    assert media_store.exists(folder, shared["file_hash"])  # the reply still has these bytes
    posts.delete(site.node, anna, reply["id"])
    assert not media_store.exists(folder, shared["file_hash"])


def test_someone_elses_upload_cannot_be_attached_or_described(site: Site) -> None:
    from node.services import posts
    from node.services.errors import NotFound

    site.member("bram")
    site.group()
    group = site.node.db.one("SELECT * FROM groups WHERE slug = 'open-overheid'")
    photo = _upload(site, media_samples.png(), "foto.png", "groen")
    bram = accounts.by_username(site.node.db, "bram")
    with pytest.raises(NotFound):
        posts.start_topic(site.node, bram, group, "Titel", "Tekst", [photo["id"]])
    with pytest.raises(NotFound):
        media_service.describe(site.node, bram, photo["id"], "mijn beschrijving")
    assert media_service.describe(site.node, _anna(site), photo["id"], "nieuw", "0.5,-0.25")["focus_y"] == -0.25
    with pytest.raises(Invalid):
        media_service.describe(site.node, _anna(site), photo["id"], None, "2,0")


def test_a_deleted_member_takes_their_pictures_and_unattached_uploads_along(site: Site) -> None:
    from node.services import lifecycle

    avatar = asyncio.run(media_service.upload_image(site.node, media_samples.png(500, 500), "ik.png", "avatar"))
    media_service.set_account_image(site.node, _anna(site), "avatar", avatar)
    loose = _upload(site, media_samples.PDF, "concept.pdf")
    lifecycle.delete_member(site.node, "anna")
    assert _anna(site)["avatar_hash"] is None and media_rows.by_id(site.node.db, loose["id"]) is None
    folder = site.node.config.media_path
    assert not media_store.exists(folder, avatar) and not media_store.exists(folder, loose["file_hash"])
    assert site.client.get(f"/media/{avatar}").status_code == 404


def test_a_moderators_removal_takes_the_files_down(site: Site) -> None:
    from node.services import moderation, posts

    site.member("mod", "moderator")
    site.group()
    group = site.node.db.one("SELECT * FROM groups WHERE slug = 'open-overheid'")
    photo = _upload(site, media_samples.png(), "foto.png", "Iets verbodens")
    topic = posts.start_topic(site.node, _anna(site), group, "Titel", "Tekst", [photo["id"]])
    moderation.remove_post(site.node, accounts.by_username(site.node.db, "mod"), topic["id"], "Onrechtmatige foto")
    assert site.client.get(f"/media/{photo['file_hash']}").status_code == 404
