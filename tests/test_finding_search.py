"""Finding (issue 12): search filters by group, author, kind and dates, with words and paging."""

from __future__ import annotations

import re

import pytest

from node import paging, search_filters
from node.services import groups as group_service
from node.services import posts as post_service
from storage import accounts as account_store
from storage import groups as group_store
from storage import posts as post_store
from tests.helpers import Site

TITLES = re.compile(r'class="utrecht-link meent-entry-title" href="[^"]+">([^<]+)</a>')


def _dated(site: Site, post_id: int, day: str) -> None:
    moment = f"{day}T12:00:00.000Z"
    post_store.update(site.node.db, post_id, {"created_at": moment, "published_at": moment})


@pytest.fixture
def filled(site: Site) -> Site:
    site.group()
    group_service.create(site.node, None, "zorg", "Zorg", "")
    site.member("anne")
    site.member("bert")
    db = site.node.db
    anne, bert = account_store.by_username(db, "anne"), account_store.by_username(db, "bert")
    open_gov, care = group_store.by_slug(db, "open-overheid"), group_store.by_slug(db, "zorg")
    assert anne and bert and open_gov and care
    t1 = post_service.start_topic(site.node, anne, open_gov, "Archief openbaar", "Het archief gaat open")
    _dated(site, t1["id"], "2026-01-10")
    r1 = post_service.reply(site.node, bert, t1["id"], "Welk archief bedoelt u?")
    _dated(site, r1["id"], "2026-02-10")
    t2 = post_service.start_topic(site.node, bert, care, "Archief van de zorg", "Zorgarchief en privacy")
    _dated(site, t2["id"], "2026-03-10")
    b1 = post_service.write_blog_post(site.node, anne, "Mijn archief", "", "Over mijn archief", "", publish=True)
    _dated(site, b1["id"], "2026-04-10")
    gone = post_service.reply(site.node, anne, t2["id"], "Archief weg")
    post_service.delete(site.node, anne, gone["id"])
    return site


def _search(site: Site, query: str) -> tuple[int, list[str]]:
    response = site.client.get("/search?" + query)
    return response.status_code, TITLES.findall(response.text)


def test_each_filter_alone_and_with_words(filled: Site) -> None:
    assert sorted(_search(filled, "q=archief")[1]) == sorted(
        ["Archief openbaar", "Reactie op: Archief openbaar", "Archief van de zorg", "Mijn archief"])
    assert sorted(_search(filled, "q=archief&group=open-overheid")[1]) == [
        "Archief openbaar", "Reactie op: Archief openbaar"]
    assert sorted(_search(filled, "q=archief&author=bert")[1]) == [
        "Archief van de zorg", "Reactie op: Archief openbaar"]
    assert _search(filled, "q=archief&author=%40Anne&kind=blog")[1] == ["Mijn archief"]
    assert _search(filled, "q=archief&kind=reply")[1] == ["Reactie op: Archief openbaar"]
    assert sorted(_search(filled, "q=archief&from=2026-02-10&to=2026-03-10")[1]) == [
        "Archief van de zorg", "Reactie op: Archief openbaar"]
    assert _search(filled, "q=archief&to=2026-01-10")[1] == ["Archief openbaar"]
    # filters without words: newest first
    assert _search(filled, "author=anne")[1] == ["Mijn archief", "Archief openbaar"]
    assert _search(filled, "group=zorg&kind=topic")[1] == ["Archief van de zorg"]
    # the deleted reply is found by nothing
    assert "Archief weg" not in filled.client.get("/search?q=weg").text
    page = filled.client.get("/search?q=archief&kind=blog").text
    assert '<option value="blog" selected>' in page and 'name="from" value=""' in page


@pytest.mark.parametrize(("query", "message"), [
    ("q=a&kind=poll", "Kies discussie, reactie of blog."),
    ("q=a&from=gisteren", "Vul een datum in als 2026-12-01"),
    ("q=a&to=2026-02-30", "Vul een datum in als 2026-12-01"),
    ("q=a&from=2026-03-01&to=2026-02-01", "De einddatum ligt vóór de begindatum."),
    ("q=a&group=bestaat-niet", "Deze groep bestaat niet."),
    ("q=a&author=niemand", "Er is geen lid met deze gebruikersnaam."),
])
def test_bad_filters_give_a_message_on_the_page(filled: Site, query: str, message: str) -> None:
    response = filled.client.get("/search?" + query)
    assert response.status_code == 400
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert 'id="form-errors"' in response.text  # the summary links to the field


def test_filters_combine_with_paging(filled: Site) -> None:
    db = filled.node.db
    anne, group = account_store.by_username(db, "anne"), group_store.by_slug(db, "open-overheid")
    assert anne and group
    for n in range(paging.PER_PAGE + 2):
        topic = post_service.start_topic(filled.node, anne, group, f"Reeks {n:02d}", "Een reeks over beleid")
        _dated(filled, topic["id"], f"2026-05-{1 + n % 28:02d}")
    status, first = _search(filled, "q=reeks&group=open-overheid&author=anne&from=2026-05-01")
    assert status == 200 and len(first) == paging.PER_PAGE
    page = filled.client.get("/search?q=reeks&group=open-overheid&author=anne&from=2026-05-01").text
    assert "32 resultaten" in page
    assert 'href="/search?q=reeks&amp;group=open-overheid&amp;author=anne&amp;from=2026-05-01&amp;page=2"' in page
    status, second = _search(filled, "q=reeks&group=open-overheid&author=anne&from=2026-05-01&page=2")
    assert status == 200 and len(second) == 2 and not set(first) & set(second)
    assert _search(filled, "q=reeks&group=open-overheid&page=3")[0] == 404
    assert _search(filled, "q=reeks&page=abc")[0] == 400
    assert _search(filled, "q=reeks&group=zorg")[1] == []
    assert "Niets gevonden voor ‘reeks’." in filled.client.get("/search?q=reeks&group=zorg").text


def test_filter_parsing_is_pure_and_strict() -> None:
    wanted = search_filters.parse({"from": "2026-01-31", "to": "2026-01-31", "kind": "topic", "author": " @Anne "})
    assert (wanted.since, wanted.until, wanted.kind, wanted.author) == (
        "2026-01-31T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "topic", "anne")
    # days as the pages show them: in Amsterdam, 11 March starts at 23:00 UTC the day before
    local = search_filters.parse({"from": "2026-03-11", "to": "2026-03-11"}, "Europe/Amsterdam")
    assert (local.since, local.until) == ("2026-03-10T23:00:00.000Z", "2026-03-11T23:00:00.000Z")
    # the calendar's edges bound nothing and break nothing
    edges = search_filters.parse({"from": "0001-01-01", "to": "9999-12-31"}, "Europe/Amsterdam")
    assert (edges.errors, edges.since, edges.until) == ({}, None, None)
    assert not wanted.errors
    assert search_filters.parse({"from": "2026-1-5"}).errors == {"from": "find.bad_date"}
    assert search_filters.parse({}).errors == {}


def test_one_result_is_singular(filled: Site) -> None:
    assert "1 resultaat voor ‘zorgarchief’" in filled.client.get("/search?q=zorgarchief").text
    assert "1 resultaat<" in filled.client.get("/search?kind=blog").text


def test_empty_filters_from_the_form_are_left_out_of_the_address(filled: Site) -> None:
    response = filled.client.get("/search?q=archief&group=&author=&kind=reply&from=&to=&page=2",
                                 follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/search?q=archief&kind=reply&page=2"
    response = filled.client.get("/search?q=&group=&author=anne", follow_redirects=False)
    assert response.headers["location"] == "/search?author=anne"
    assert filled.client.get("/search?q=archief&kind=").url.path == "/search"
