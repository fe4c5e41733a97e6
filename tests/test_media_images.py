"""The images of members, groups and the organisation (issue 11): chosen in the settings forms,
cut to shape, shown on posts, profiles, lists and the site header; initials on a coloured disc
otherwise; bad files get a clear message and leave nothing stored."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from node import avatars
from node.services import groups, moderation, posts
from storage import accounts
from storage import groups as group_store
from tests import media_samples
from tests.helpers import Site, make_site

MEDIA = re.compile(r'<img class="meent-avatar[^"]*" src="/media/([0-9a-f]{64})"')


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = make_site(tmp_path, media={"max_file_bytes": 2_000_000})
    made.member("anna")
    made.member("bert")
    made.member("beheerder", role="admin")
    made.group()
    return made


def _account(site: Site, name: str):  # type: ignore[no-untyped-def]
    return accounts.by_username(site.node.db, name)


def _send(site: Site, path: str, files: dict[str, tuple[str, bytes, str]], data: dict[str, str] | None = None,
          page: str = "/settings") -> Any:
    form = {"csrf": site.csrf(page)} | (data or {})
    return site.client.post(path, data=form, files=files, follow_redirects=False)


def _profile(site: Site, name: str = "anna") -> dict[str, str]:
    row = _account(site, name)
    return {"display_name": row["display_name"], "job_title": "", "department": "", "about": "", "language": ""}


def _stored(site: Site) -> list[Path]:
    folder = site.node.config.media_path
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _topic(site: Site) -> str:
    group = groups.get(site.node, "open-overheid")
    topic = posts.start_topic(site.node, _account(site, "anna"), group, "Over foto's", "Wie heeft er een?")
    posts.reply(site.node, _account(site, "bert"), topic["id"], "Ik nog niet.")
    return f"/groups/open-overheid/topics/{topic['id']}"


def test_an_avatar_chosen_in_settings_is_shown_on_posts_and_the_profile_and_can_be_removed(site: Site) -> None:
    site.login("anna")
    response = _send(site, "/settings", {"avatar": ("ik.jpg", media_samples.jpeg_with_gps(640, 480), "image/jpeg")},
                     _profile(site) | {"job_title": "Jurist"})
    assert response.status_code == 303, response.text
    anna = _account(site, "anna")
    assert anna["avatar_hash"] and anna["job_title"] == "Jurist"
    served = site.client.get(f"/media/{anna['avatar_hash']}")
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.content)).size == (400, 400)

    thread = site.client.get(_topic(site)).text
    assert anna["avatar_hash"] in MEDIA.findall(thread)
    assert 'class="meent-avatar meent-avatar--s40 meent-avatar--c' in thread  # bert: initials
    assert ">BE</span>" in thread
    assert anna["avatar_hash"] in MEDIA.findall(site.client.get("/users/anna").text)

    response = _send(site, "/settings", {}, _profile(site) | {"remove_avatar": "1"})
    assert response.status_code == 303
    assert _account(site, "anna")["avatar_hash"] is None
    profile = site.client.get("/users/anna").text
    assert not MEDIA.findall(profile) and ">AN</span>" in profile


def test_a_header_is_a_banner_on_the_profile(site: Site) -> None:
    site.login("anna")
    _send(site, "/settings", {"header": ("breed.png", media_samples.png(1800, 900), "image/png")}, _profile(site))
    header = _account(site, "anna")["header_hash"]
    assert header
    assert f'<img class="meent-banner" src="/media/{header}"' in site.client.get("/users/anna").text
    assert Image.open(io.BytesIO(site.client.get(f"/media/{header}").content)).size == (1500, 500)


@pytest.mark.parametrize(("data", "name", "status", "message"), [
    (media_samples.HTML_AS_PNG, "nep.png", 415, "Choose an image"),
    (media_samples.SVG_WITH_SCRIPT, "logo.svg", 415, "Choose an image"),
    (media_samples.pixel_bomb(), "bom.png", 422, "too many pixels"),
    (media_samples.truncated_jpeg(), "half.jpg", 422, "damaged"),
    (media_samples.png() + b"\0" * 2_000_001, "groot.png", 413, "too large"),
])
def test_bad_files_are_refused_with_a_clear_message_and_keep_what_was_typed(
        site: Site, data: bytes, name: str, status: int, message: str) -> None:
    site.login("anna")
    response = _send(site, "/settings?lang=en", {"avatar": (name, data, "image/png")},
                     _profile(site) | {"display_name": "Anna Nieuw", "department": "Juridische Zaken"})
    assert response.status_code == status
    assert message in response.text
    assert 'value="Juridische Zaken"' in response.text and 'value="Anna Nieuw"' in response.text
    assert 'id="error-avatar"' in response.text
    anna = _account(site, "anna")
    assert anna["avatar_hash"] is None and anna["department"] == ""  # nothing changed
    assert _stored(site) == []
    assert site.node.db.scalar("SELECT count(*) FROM media_files") == 0


def test_a_group_icon_by_its_moderator_not_by_a_plain_member(site: Site) -> None:
    group = groups.get(site.node, "open-overheid")
    moderation.add_moderator(site.node, _account(site, "beheerder"), group, _account(site, "anna"))
    page = "/groups/open-overheid/moderation"
    site.login("bert")
    refused = site.client.post("/groups/open-overheid/images", data={"csrf": site.csrf("/settings")},
                               files={"icon": ("i.png", media_samples.png(), "image/png")}, follow_redirects=False)
    assert refused.status_code == 403
    assert _stored(site) == []
    site.logout()
    site.login("anna")
    response = _send(site, "/groups/open-overheid/images", {"icon": ("i.png", media_samples.png(), "image/png"),
                     "banner": ("b.png", media_samples.png(1600, 600), "image/png")}, page=page)
    assert response.status_code == 303, response.text
    group = group_store.by_slug(site.node.db, "open-overheid")
    assert group["icon_hash"] and group["banner_hash"]
    assert group["icon_hash"] in MEDIA.findall(site.client.get("/groups").text)
    shown = site.client.get("/groups/open-overheid").text
    assert group["icon_hash"] in MEDIA.findall(shown) and f'src="/media/{group["banner_hash"]}"' in shown
    bad = _send(site, "/groups/open-overheid/images", {"icon": ("x.png", media_samples.HTML_AS_PNG, "image/png")},
                page=page)
    assert bad.status_code == 415 and 'id="error-icon"' in bad.text and 'href="#images-icon"' in bad.text
    assert 'id="images-icon"' in bad.text
    title = re.search(r"<title>(.*?)</title>", site.client.get(page).text, re.S)
    assert title and "<" not in title.group(1) and "csrf" not in title.group(1)  # a title, not the form


def test_the_logo_by_an_admin_is_in_the_header_with_the_organisation_as_its_name(site: Site) -> None:
    site.login("anna")
    refused = _send(site, "/admin/logo", {"logo": ("l.png", media_samples.png(1000, 300), "image/png")})
    assert refused.status_code == 403
    site.logout()
    site.login("beheerder")
    response = _send(site, "/admin/logo", {"logo": ("l.png", media_samples.png(1000, 300), "image/png")},
                     page="/admin")
    assert response.status_code == 303, response.text
    home = site.client.get("/").text
    match = re.search(r'<img class="meent-logo" src="/media/([0-9a-f]{64})" alt="Gemeente Test" width="(\d+)"'
                      r' height="(\d+)"', home)
    assert match and (int(match.group(2)), int(match.group(3))) == (800, 240)
    assert site.node.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'logo_change'") == 1
    _send(site, "/admin/logo", {}, {"remove_logo": "1"}, page="/admin")
    assert 'class="meent-logo"' not in site.client.get("/").text


def _contrast_with_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_initials_are_two_letters_on_a_colour_that_is_always_the_same_and_readable() -> None:
    assert avatars.initials("Anna de Vries") == "AV"
    assert avatars.initials("anna") == "AN"
    assert avatars.initials("", "bert") == "BE"
    assert avatars.colour_index("anna") == avatars.colour_index("anna")
    assert len({avatars.colour_index(f"lid{i}") for i in range(50)}) > 4
    assert all(_contrast_with_white(colour) >= 4.5 for colour in avatars.PALETTE)
    css = (Path(__file__).parent.parent / "node" / "static" / "meent.css").read_text()
    for index, colour in enumerate(avatars.PALETTE):
        assert f".meent-avatar--c{index} {{ background: {colour}; }}" in css
    remote = avatars.picture({"username": "x@elders.nl", "display_name": "X", "avatar_hash": None,
                              "avatar_url": "https://elders.nl/a.png"})
    assert re.fullmatch(r"/media/remote/[0-9a-f]{64}", remote["src"])
