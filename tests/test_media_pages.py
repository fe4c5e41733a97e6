"""Attachments through the web pages (issue 11 item 1): a topic, a reply and a blog post with an
image (its description required) and a document; the thread shows them; a refused file comes back
with a message and the other upload kept; the edit page takes one off."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
import pytest

from node.services import media_store
from tests import media_samples
from tests.helpers import Site, make_site

MEDIA_ID = re.compile(r'name="media_id" value="(\d+)"')


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = make_site(tmp_path)
    made.member("anna")
    made.group()
    made.login("anna")
    return made


def _send(site: Site, path: str, form_page: str, data: dict[str, str],
          files: dict[str, tuple[str, bytes, str]]) -> httpx.Response:
    return site.client.post(path, data={"csrf": site.csrf(form_page)} | data, files=files, follow_redirects=False)


def test_a_topic_with_an_image_and_a_document_shows_both(site: Site) -> None:
    form = site.client.get("/groups/open-overheid/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text and 'name="file_1"' in form.text
    done = _send(site, "/groups/open-overheid/topics", "/groups/open-overheid/new",
                 {"title": "Verslag", "body": "Zie de bijlagen", "alt_1": "Deelnemers aan tafel"},
                 {"file_1": ("sessie.jpg", media_samples.jpeg_with_gps(), "image/jpeg"),
                  "file_2": ("Verslag sessie.pdf", media_samples.PDF, "application/pdf")})
    assert done.status_code == 303, done.text
    page = site.client.get(done.headers["location"]).text
    image = re.search(r'<img src="(/media/[0-9a-f]{64})" alt="Deelnemers aan tafel"', page)
    assert image, page
    assert site.client.get(image.group(1)).headers["content-type"] == "image/jpeg"
    document = re.search(r'<a class="utrecht-link" href="(/media/[0-9a-f]{64}/Verslag-sessie\.pdf)">'
                         r"Verslag sessie\.pdf</a>", page)
    assert document and "(PDF, " in page
    fetched = site.client.get(document.group(1))
    assert fetched.content == media_samples.PDF and fetched.headers["content-disposition"].startswith("attachment")


def test_an_image_without_a_description_comes_back_with_the_upload_kept(site: Site) -> None:
    first = _send(site, "/groups/open-overheid/topics", "/groups/open-overheid/new",
                  {"title": "Foto", "body": "Kijk"}, {"file_1": ("foto.png", media_samples.png(), "image/png")})
    assert first.status_code == 422 and "Beschrijf elke afbeelding (foto.png)" in first.text
    kept = MEDIA_ID.findall(first.text)
    assert len(kept) == 1 and 'value="Kijk"' not in first.text and "Kijk</textarea>" in first.text
    second = site.client.post("/groups/open-overheid/topics", data={
        "csrf": site.csrf("/groups/open-overheid/new"), "title": "Foto", "body": "Kijk",
        "media_id": kept[0], f"description_{kept[0]}": "Een groen vlak"}, files={"file_9": ("", b"", "")},
        follow_redirects=False)
    assert second.status_code == 303, second.text
    assert 'alt="Een groen vlak"' in site.client.get(second.headers["location"]).text
    assert site.node.db.scalar("SELECT count(*) FROM media") == 1  # uploaded once


def test_a_refused_file_is_named_and_the_text_and_other_files_stay(site: Site) -> None:
    answer = _send(site, "/groups/open-overheid/topics", "/groups/open-overheid/new",
                   {"title": "Bestanden", "body": "Twee", "alt_1": "Groen", "alt_2": "Kwaad"},
                   {"file_1": ("goed.png", media_samples.png(), "image/png"),
                    "file_2": ("kwaad.png", media_samples.HTML_AS_PNG, "image/png")})
    assert answer.status_code == 415 and "Dit soort bestand kan hier niet" in answer.text
    assert len(MEDIA_ID.findall(answer.text)) == 1 and 'value="Kwaad"' in answer.text
    assert site.node.db.scalar("SELECT count(*) FROM posts") == 0
    files = [p for p in site.node.config.media_path.rglob("*") if p.is_file()]
    assert len(files) == 1  # the good one only; nothing of the HTML


def test_a_reply_and_a_blog_post_carry_attachments_and_an_edit_takes_one_off(site: Site) -> None:
    topic = _send(site, "/groups/open-overheid/topics", "/groups/open-overheid/new",
                  {"title": "Draad", "body": "Begin"}, {})
    topic_id = int(topic.headers["location"].rsplit("/", 1)[1])
    reply = _send(site, f"/posts/{topic_id}/reply", f"/posts/{topic_id}/reply", {"body": "Met foto", "alt_1": "Rood"},
                  {"file_1": ("rood.png", media_samples.png(colour=(200, 0, 0)), "image/png")})
    assert reply.status_code == 303, reply.text
    assert 'alt="Rood"' in site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    blog = _send(site, "/blog/new", "/blog/new", {"title": "Blog", "body": "Tekst", "action": "publish",
                                                   "alt_1": "Blauw"},
                 {"file_1": ("blauw.png", media_samples.png(colour=(0, 0, 200)), "image/png")})
    assert blog.status_code == 303, blog.text
    assert 'alt="Blauw"' in site.client.get(blog.headers["location"]).text
    reply_id = int(reply.headers["location"].rsplit("-", 1)[1])
    edit_page = site.client.get(f"/posts/{reply_id}/edit").text
    [media_id] = MEDIA_ID.findall(edit_page)
    file_hash = site.node.db.scalar("SELECT file_hash FROM media WHERE id = ?", (int(media_id),))
    edited = site.client.post(f"/posts/{reply_id}/edit", data={
        "csrf": site.csrf(f"/posts/{reply_id}/edit"), "body": "Zonder foto", "media_id": media_id,
        f"description_{media_id}": "Rood", f"remove_{media_id}": "yes"}, follow_redirects=False)
    assert edited.status_code == 303, edited.text
    assert 'alt="Rood"' not in site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    assert not media_store.exists(site.node.config.media_path, file_hash)


def test_an_upload_over_the_limit_is_refused_while_streaming(tmp_path: Path) -> None:
    small = make_site(tmp_path, media={"max_post_bytes": 100_000, "max_file_bytes": 100_000})
    small.member("anna")
    small.group()
    small.login("anna")
    answer = _send(small, "/groups/open-overheid/topics", "/groups/open-overheid/new",
                   {"title": "Groot", "body": "Te groot"},
                   {"file_1": ("groot.pdf", b"%PDF-" + b"0" * 600_000, "application/pdf")})
    assert answer.status_code == 413
    assert small.node.db.scalar("SELECT count(*) FROM media") == 0
    assert not small.node.config.media_path.exists() or not any(small.node.config.media_path.rglob("*"))


def test_a_text_field_over_the_form_limit_is_too_large_with_files_or_without(site: Site) -> None:
    for files in ({}, {"file_1": ("a.pdf", media_samples.PDF, "application/pdf")}):
        answer = site.client.post("/groups/open-overheid/topics", data={
            "csrf": site.csrf("/groups/open-overheid/new"), "title": "Lang", "body": "x" * 300_000},
            files=files, follow_redirects=False)
        assert answer.status_code == 413 and "Het formulier is te groot." in answer.text
    assert site.node.db.scalar("SELECT count(*) FROM posts") == 0
