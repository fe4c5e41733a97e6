"""Times as people on this node read them: local time in the node's zone, in Dutch or English,
and "3 uur geleden" for what is less than a day old. Pure functions; the clock is an argument.

The stored times are ISO 8601 UTC (federation/actors.iso); the page keeps that exact value in
`<time datetime>` and shows what these functions return.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Amsterdam"
RECENT = timedelta(hours=24)  # younger than this: relative text, with the full time alongside
BUCKET_SECONDS = 60  # relative texts change at most once a minute (the tree cache's time key)

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
# (singular, plural) per unit and language; {n} is the number.
UNITS = {
    "nl": {"minute": ("{n} minuut geleden", "{n} minuten geleden"), "hour": ("{n} uur geleden", "{n} uur geleden")},
    "en": {"minute": ("{n} minute ago", "{n} minutes ago"), "hour": ("{n} hour ago", "{n} hours ago")},
}
JUST_NOW = {"nl": "zojuist", "en": "just now"}


def zone_problem(name: str) -> str | None:
    """Why a time zone name cannot be used, or None (for the config check)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return (f"unknown time zone {name!r}: use an IANA name such as Europe/Amsterdam "
                "(this machine needs /usr/share/zoneinfo or the tzdata package)")
    return None


def parse(value: str) -> datetime | None:
    """A stored ISO time as an aware datetime (UTC when it carries no zone); None if unreadable."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def full(moment: datetime, lang: str, zone: str) -> str:
    """'1 december 2026, 16:35' (or '1 December 2026, 16:35') in the zone's local time."""
    local = moment.astimezone(ZoneInfo(zone))
    months = MONTHS.get(lang, MONTHS["nl"])
    return f"{local.day} {months[local.month - 1]} {local.year}, {local:%H:%M}"


def relative(moment: datetime, lang: str, now: datetime) -> str | None:
    """'3 uur geleden' when less than RECENT old (or a little in the future: clocks differ); else None."""
    age = now - moment
    if age >= RECENT or age < timedelta(minutes=-5):
        return None
    units = UNITS.get(lang, UNITS["nl"])
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 1:
        return JUST_NOW.get(lang, JUST_NOW["nl"])
    if minutes < 60:
        unit, count = "minute", minutes
    else:
        unit, count = "hour", minutes // 60
    return units[unit][0 if count == 1 else 1].format(n=count)


def shown(value: str | None, lang: str, zone: str, now: datetime) -> str:
    """What a page shows for a stored time: '3 uur geleden (1 december 2026, 16:35)' when recent,
    '1 december 2026, 16:35' otherwise; the raw value if it cannot be read, '' for none."""
    if not value:
        return ""
    moment = parse(value)
    if moment is None:
        return value
    absolute = full(moment, lang, zone)
    recent = relative(moment, lang, now)
    return f"{recent} ({absolute})" if recent else absolute


def is_recent(value: str | None, now: datetime) -> bool:
    """Whether the text shown() gives for this value changes within a day: relative now, or a time
    ahead of us (another server's clock, a scheduled date) that will become relative."""
    moment = parse(value) if value else None
    return moment is not None and now - moment < RECENT


def bucket(now: datetime) -> int:
    """The current minute: the relative texts rendered at any moment within it are the same."""
    return int(now.timestamp()) // BUCKET_SECONDS


def bucket_start(now: datetime) -> datetime:
    """The start of the current bucket: cached HTML is rendered as of this moment."""
    return datetime.fromtimestamp(bucket(now) * BUCKET_SECONDS, UTC)
