"""federation/reading.py: what other servers send, read as plain values within bounds. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation import reading

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.mark.parametrize(("value", "kind"), [
    ({"type": "Note"}, "Note"), ({"type": ["Note", "Article"]}, "Note"), ({"type": [3, "Page"]}, "Page"),
    ({"type": []}, ""), ({"type": None}, ""), ({}, ""), ("Note", ""), (None, ""),
])
def test_kind_reads_list_valued_types(value: object, kind: str) -> None:
    assert reading.kind(value) == kind


@pytest.mark.parametrize(("value", "ids"), [
    ("https://a.example/1", ["https://a.example/1"]), ({"id": "https://a.example/1"}, ["https://a.example/1"]),
    ({"href": "https://a.example/1"}, ["https://a.example/1"]), ([{"id": 3}, "x", None], ["x"]), (None, []),
])
def test_ids_of(value: object, ids: list[str]) -> None:
    assert reading.ids_of(value) == ids


@pytest.mark.parametrize(("attributed", "author"), [
    ("https://l.example/u/a", "https://l.example/u/a"),
    ([{"type": "Group", "id": "https://l.example/c/g"}, {"type": "Person", "id": "https://l.example/u/a"}],
     "https://l.example/u/a"),
    (["https://l.example/u/a", "https://l.example/c/g"], "https://l.example/u/a"),
    ([{"type": "Group", "id": "https://l.example/c/g"}], None), (None, None),
])
def test_first_actor_is_the_person(attributed: object, author: str | None) -> None:
    assert reading.first_actor(attributed) == author


@pytest.mark.parametrize(("obj", "public"), [
    ({"to": [PUBLIC]}, True), ({"cc": "as:Public"}, True), ({}, True),
    ({"to": ["https://a.example/u/b"]}, False), ({"to": ["https://a.example/u/b"] * 600 + [PUBLIC]}, False),
])
def test_is_public_within_bounds(obj: dict[str, object], public: bool) -> None:
    assert reading.is_public(obj) is public  # a public address past 500 recipients is not read


@pytest.mark.parametrize(("value", "moment"), [
    ("2026-03-02T09:30:00Z", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
    ("2026-03-02T10:30:00+01:00", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
    ("2026-03-02T09:30:00", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
    ("9999-01-01T00:00:00Z", NOW), ("gisteren", None), (12, None),
    # before the first or after the last moment datetime has in UTC: OverflowError, read as no time
    ("0001-01-01T00:00:00+01:00", None), ("9999-12-31T23:59:59-01:00", None),
    ("2026-03-02T09:30:00Z" + " " * 10_000, None), ("9" * 10_000, None), ([], None), (["2026-03-02"], None),
    ({"@value": "2026-03-02T09:30:00Z"}, None), (None, None), (1.5e300, None), (True, None),
])
def test_remote_time_is_never_in_the_future(value: object, moment: datetime | None) -> None:
    assert reading.remote_time(value, NOW) == moment


@pytest.mark.parametrize(("value", "url"), [
    ("https://a.example/c/1", "https://a.example/c/1"), ({"id": "https://a.example/c/1"}, "https://a.example/c/1"),
    ("ftp://a.example/c", None), ("https://a.example/" + "x" * 2000, None), ("/relative", None), (None, None),
])
def test_bounded_url(value: object, url: str | None) -> None:
    assert reading.bounded_url(value) == url


def test_read_post() -> None:
    mention = {"type": "Mention", "href": "https://us.example/users/anne"}
    obj = {"id": "https://a.example/p/1", "type": "Page", "name": "Titel", "summary": "<p>Kort</p>",
           "contentMap": {"en": ""}, "url": "https://a.example/p/1.html", "context": "https://a.example/c/1",
           "published": "2026-03-02T09:30:00Z", "source": {"content": "*Kort*", "mediaType": "text/markdown"},
           "tag": [mention, mention, {"type": "Hashtag", "name": "#Zorg"}]}
    read = reading.read_post(obj, NOW)
    assert read.content_html == "<p>Kort</p>"  # a Page without content shows its summary
    assert (read.name, read.language, read.source_markdown) == ("Titel", "en", "*Kort*")
    assert (read.url, read.context) == ("https://a.example/p/1.html", "https://a.example/c/1")
    assert read.published == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert read.mentions == ["https://us.example/users/anne"] and read.hashtags == ["#Zorg"]
    assert reading.read_post({"url": "javascript:alert(1)", "content": "x" * 300_000}, NOW).url is None
    assert len(reading.read_post({"content": "x" * 300_000}, NOW).content_html) == reading.MAX_CONTENT


def test_tags_are_read_as_far_as_a_person_would_write_them() -> None:
    obj = {"tag": [{"type": "Mention", "href": f"https://a.example/u/{n}"} for n in range(3000)]}
    assert len(reading.mention_hrefs(obj)) == reading.MAX_MENTIONS
    assert len(reading.tags(obj)) == 4 * (reading.MAX_TAGS + reading.MAX_MENTIONS)
