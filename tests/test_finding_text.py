"""Finding (issue 12): summaries that keep Markdown's blocks apart, and the page-number helper."""

from __future__ import annotations

import pytest

from node import markup, paging
from node.services import posts as post_service
from storage import accounts as account_store
from storage import groups as group_store
from tests.helpers import Site


def _summary(source: str) -> str:
    return markup.summarise(markup.render(source).html)


@pytest.mark.parametrize(("source", "summary"), [
    ("- item one\n- item two\n- item three", "item one · item two · item three"),
    ("1. eerst\n2. dan", "eerst · dan"),
    ("Wat we doen:\n\n- lezen\n- schrijven\n\nDaarna praten.", "Wat we doen: lezen · schrijven · Daarna praten."),
    ("## Doel\n\nWe openen het archief.", "Doel: We openen het archief."),
    ("## Waarom?\n\nOmdat het moet.", "Waarom? Omdat het moet."),
    ("Zo:\n\n```\nmeent init\nmeent serve\n```\n\nKlaar.", "Zo: meent init meent serve · Klaar."),
    ("Hallo allemaal\n\nIk heb een vraag.", "Hallo allemaal · Ik heb een vraag."),
    ("regel een  \nregel twee", "regel een regel twee"),
    ("- a\n  - a1\n  - a2\n- b", "a · a1 · a2 · b"),
    ("Tekst met `code` erin & meer.", "Tekst met code erin & meer."),
])
def test_summaries_separate_blocks(source: str, summary: str) -> None:
    assert _summary(source) == summary


def test_a_long_summary_is_cut_at_a_word_without_a_dangling_separator() -> None:
    text = _summary("\n".join(f"- punt{n:03d}" for n in range(100)))
    assert text.endswith("…") and len(text) <= 281 and not text.endswith("· …") and "··" not in text


def test_stored_summaries_on_the_group_page(site: Site) -> None:
    site.group()
    site.member("anne")
    db = site.node.db
    anne, group = account_store.by_username(db, "anne"), group_store.by_slug(db, "open-overheid")
    assert anne and group
    post_service.start_topic(site.node, anne, group, "Lijst", "- item one\n- item two")
    assert "item one · item two" in site.client.get("/groups/open-overheid").text


@pytest.mark.parametrize("raw", [None, "", " ", "1", "01"])
def test_page_one(raw: str | None) -> None:
    assert paging.page_number(raw) == 1


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "2.0", "1e3", "٣", "10001", "9" * 30])
def test_bad_page_numbers(raw: str) -> None:
    with pytest.raises(paging.BadPage):
        paging.page_number(raw)


def test_page_boundaries_and_links() -> None:
    page = paging.Page(3, total=61, size=30)
    assert (page.offset, page.last, page.beyond) == (60, 3, False)
    assert paging.Page(4, total=61, size=30).beyond
    assert paging.Page(1, total=0).last == 1
    with pytest.raises(paging.PageBeyond):
        paging.check(paging.Page(2, total=30, size=30))
    nav = paging.nav(paging.Page(5, total=300, size=30), "/x", {"sort": "new", "page": "5", "q": ""})
    assert nav.previous == "/x?sort=new&page=4" and nav.next == "/x?sort=new&page=6"
    assert [link.number for link in nav.links] == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert [link.href for link in nav.links if link.current] == ["/x?sort=new&page=5"]
    assert nav.links[0].href == "/x?sort=new"
    single = paging.nav(paging.Page(1, total=3), "/x", {})
    assert not single.shown and single.previous is None and single.next is None
