"""Local time: the node's zone, Dutch and English, relative under a day, the config check, the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation.actors import iso
from node import localtime
from node.config import ConfigError
from node.services import groups, posts
from storage import accounts as account_store
from tests.helpers import Site, make_config, make_site

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_dutch_and_english_in_amsterdam_time() -> None:
    winter = datetime(2026, 12, 1, 15, 35, tzinfo=UTC)  # CET: UTC+1
    assert localtime.full(winter, "nl", "Europe/Amsterdam") == "1 december 2026, 16:35"
    assert localtime.full(winter, "en", "Europe/Amsterdam") == "1 December 2026, 16:35"
    summer = datetime(2026, 7, 14, 8, 5, tzinfo=UTC)  # CEST: UTC+2
    assert localtime.full(summer, "nl", "Europe/Amsterdam") == "14 juli 2026, 10:05"
    assert localtime.full(summer, "en", "America/New_York") == "14 July 2026, 04:05"


def test_the_dst_boundary() -> None:
    # 29 March 2026, 01:00 UTC: the clocks in Amsterdam go from 02:00 to 03:00
    assert localtime.full(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "nl", "Europe/Amsterdam") == "29 maart 2026, 01:59"
    assert localtime.full(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "nl", "Europe/Amsterdam") == "29 maart 2026, 03:00"
    # 25 October 2026, 01:00 UTC: back from 03:00 to 02:00, so 02:30 happens twice
    for hour in (0, 1):
        moment = datetime(2026, 10, 25, hour, 30, tzinfo=UTC)
        assert localtime.full(moment, "en", "Europe/Amsterdam") == "25 October 2026, 02:30"


def test_relative_under_a_day_with_the_full_time_alongside() -> None:
    def shown(delta: timedelta, lang: str = "nl") -> str:
        return localtime.shown(iso(NOW - delta), lang, "Europe/Amsterdam", NOW)

    assert shown(timedelta(seconds=20)) == "zojuist (1 december 2026, 18:59)"
    assert shown(timedelta(minutes=1)) == "1 minuut geleden (1 december 2026, 18:59)"
    assert shown(timedelta(minutes=42), "en") == "42 minutes ago (1 December 2026, 18:18)"
    assert shown(timedelta(hours=3, minutes=10)) == "3 uur geleden (1 december 2026, 15:50)"
    assert shown(timedelta(hours=1), "en") == "1 hour ago (1 December 2026, 18:00)"
    assert shown(timedelta(hours=23, minutes=59)).startswith("23 uur geleden")
    assert shown(timedelta(hours=24)) == "30 november 2026, 19:00"
    assert shown(timedelta(days=400), "en") == "27 October 2025, 19:00"
    assert localtime.shown("", "nl", "Europe/Amsterdam", NOW) == ""
    assert localtime.shown("not a time", "nl", "Europe/Amsterdam", NOW) == "not a time"


def test_an_unknown_time_zone_is_a_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"node.timezone: .*unknown time zone 'Europe/Utrecht'.*IANA"):
        make_config(tmp_path, node={"timezone": "Europe/Utrecht"})
    assert make_config(tmp_path)["node.timezone"] == "Europe/Amsterdam"
    assert make_config(tmp_path, node={"timezone": "UTC"})["node.timezone"] == "UTC"


def age_posts(site: Site, **ages: timedelta) -> None:
    """Move posts back in time (by id) as the database would hold them."""
    now = datetime.now(UTC)
    for post_id, age in ages.items():
        moment = iso(now - age)
        site.node.db.execute("UPDATE posts SET created_at = ?, published_at = ? WHERE id = ?",
                             [moment, moment, int(post_id.removeprefix("p"))])


def test_pages_show_local_time_in_the_page_language(site: Site) -> None:
    site.member("anne")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Tijd", "Hoe laat?")
    posts.reply(site.node, anne, topic["id"], "Nu")
    site.node.db.execute("UPDATE posts SET created_at = '2026-07-14T08:05:00.000Z', "
                         "published_at = '2026-07-14T08:05:00.000Z' WHERE id = 1")
    age_posts(site, p2=timedelta(hours=3, minutes=5))
    path = "/groups/open-overheid/topics/1"
    page = site.client.get(path).text
    assert '<time datetime="2026-07-14T08:05:00.000Z">14 juli 2026, 10:05</time>' in page
    assert re.search(r'<time datetime="[^"]+">3 uur geleden \(\d+ [a-z]+ \d{4}, \d\d:\d\d\)</time>', page)
    english = site.client.get(path + "?lang=en").text
    assert "14 July 2026, 10:05" in english and "3 hours ago (" in english
    listing = site.client.get("/groups/open-overheid?lang=nl").text  # the topic list: local, Dutch again
    assert re.search(r'<time datetime="[^"]+">(zojuist|\d+ (minuut|minuten|uur) geleden|\d+ [a-z]+ 2026, )', listing)


def test_another_zone_from_the_config(tmp_path: Path) -> None:
    site = make_site(tmp_path, node={"timezone": "America/New_York"})
    with site.client:
        site.member("anne")
        site.group()
        anne = account_store.by_username(site.node.db, "anne")
        posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Tijd", "Hoe laat?")
        site.node.db.execute("UPDATE posts SET created_at = '2026-07-14T08:05:00.000Z', "
                             "published_at = '2026-07-14T08:05:00.000Z'")
        assert "14 juli 2026, 04:05" in site.client.get("/groups/open-overheid/topics/1").text
    site.node.db.close()


def test_the_visitors_cache_keeps_relative_times_true(site: Site) -> None:
    """A cached thread with a recent reply is used only within the minute it was rendered in; one with
    only old times stays cached until the next commit."""
    site.member("anne")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Tijd", "Hoe laat?")
    posts.reply(site.node, anne, topic["id"], "Nu")
    age_posts(site, p1=timedelta(days=3), p2=timedelta(minutes=5))
    path = "/groups/open-overheid/topics/1"
    # rendered as of the minute's start: a post of 5 minutes ago may read "4 minuten geleden"
    assert re.search("[45] minuten geleden", site.client.get(path).text)
    cache = site.client.app.state.tree_cache  # type: ignore[attr-defined]
    (parts,) = cache.entries.values()
    assert parts["stale_after"] is not None
    # as if the minute had passed: an entry of an earlier minute is not used
    parts["stale_after"] -= 1
    parts["tree_html"] = re.sub("[45] minuten geleden", "STALE", parts["tree_html"])
    assert "STALE" not in site.client.get(path).text
    age_posts(site, p2=timedelta(days=2))
    site.client.get(path)
    fresh = [entry for entry in cache.entries.values() if entry["stale_after"] is None]
    assert fresh, "a thread with only old times is cached without a time limit"


def test_bucket_is_the_minute() -> None:
    assert localtime.bucket(NOW) == localtime.bucket(NOW + timedelta(seconds=59))
    assert localtime.bucket(NOW + timedelta(seconds=60)) == localtime.bucket(NOW) + 1
    assert localtime.bucket_start(NOW + timedelta(seconds=59)) == NOW


def test_a_time_ahead_of_us_counts_as_changing() -> None:
    """A post dated ahead (another server's clock) is shown absolute now but relative later: HTML
    with it must not be cached as if it never changed."""
    ahead = localtime.shown("2026-12-01T20:45:00Z", "nl", "Europe/Amsterdam", NOW)
    assert "geleden" not in ahead and "zojuist" not in ahead
    assert localtime.is_recent("2026-12-01T20:45:00Z", NOW)
    assert localtime.is_recent("2026-12-01T14:00:00Z", NOW)
    assert not localtime.is_recent("2026-11-28T14:00:00Z", NOW)
