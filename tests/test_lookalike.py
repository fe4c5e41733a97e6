"""Impersonation: names that look like an existing member's or group's are refused at creation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.services import accounts, groups
from node.services.errors import Conflict
from node.services.lookalike import first_lookalike, skeleton
from tests.helpers import PASSWORD, Site, make_site


@pytest.mark.parametrize("name", [
    "open-overheid", "open_overheid", "Open Overheid", "OPEN.OVERHEID", "openoverheid",
    "оpen-overheid",  # Cyrillic о
    "ореn-оvеrhеіd",  # Cyrillic о, р, е, і
    "Οpen Οverheid",  # Greek Ο
    "0pen-overhe1d",  # digits
    "Opén Overhéid",  # accents
    "ｏｐｅｎ－ｏｖｅｒｈｅｉｄ",  # full-width forms
])
def test_look_alikes_share_a_skeleton(name: str) -> None:
    assert skeleton(name) == skeleton("open-overheid")


@pytest.mark.parametrize("name", ["open-overheden", "gesloten-overheid", "overheid", "openbaar", "anne"])
def test_other_names_do_not(name: str) -> None:
    assert skeleton(name) != skeleton("open-overheid")


def test_first_lookalike() -> None:
    assert first_lookalike("paul", ["anne", "pauI"]) == "pauI"
    assert first_lookalike("modem", ["modern"]) == "modern"  # rn reads as m
    assert first_lookalike("anne", ["bert", "cees"]) is None
    assert first_lookalike("", ["anne"]) is None


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        made.member("root", role="admin")
        made.group()
        yield made
    made.node.db.close()


def test_accounts_like_a_group_or_member_are_refused(site: Site) -> None:
    with pytest.raises(Conflict) as refused:
        accounts.create(site.node, "open_overheid", PASSWORD)
    assert refused.value.message_key == "blocks.name_taken" and refused.value.field == "username"
    assert refused.value.params == {"other": "open-overheid"}
    with pytest.raises(Conflict):
        accounts.create(site.node, "r00t", PASSWORD)
    with pytest.raises(Conflict) as by_display_name:
        accounts.create(site.node, "jan", PASSWORD, display_name="Ореn Оvеrhеіd")
    assert by_display_name.value.field == "display_name"
    assert accounts.create(site.node, "jan", PASSWORD, display_name="Jan de Vries")["username"] == "jan"


def test_groups_like_a_group_or_member_are_refused(site: Site) -> None:
    for slug, name, field in [("0pen-overheid", "Iets anders", "slug"), ("ander", "Ореn Оvеrhеіd", "name"),
                              ("r00t", "Root", "slug"), ("woo", "Open-Overheid", "name")]:
        with pytest.raises(Conflict) as refused:
            groups.create(site.node, None, slug, name)
        assert refused.value.field == field, slug
    assert groups.create(site.node, None, "woo", "Wet open overheid")["slug"] == "woo"


def test_the_forms_say_why(site: Site) -> None:
    site.login("root")
    page = site.post("/groups", {"slug": "open-0verheid", "name": "Nep"}, site.csrf("/groups"))
    assert page.status_code == 409 and "lijkt te veel op open-overheid" in page.text
    page = site.post("/admin/members", {"username": "open_overheid", "password": PASSWORD, "role": "member"},
                     site.csrf("/admin"))
    assert page.status_code == 409 and "lijkt te veel op open-overheid" in page.text
