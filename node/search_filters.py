"""Search filters from the query string: checked values or a message key per field. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from federation.actors import iso

KINDS = ("topic", "reply", "blog")
NAME_MAX = 100


@dataclass
class Wanted:
    """The filters as asked for; `errors` maps a field to the message key of what is wrong with it."""

    group: str = ""
    author: str = ""
    kind: str = ""
    since: str | None = None  # ISO date-time, inclusive
    until: str | None = None  # ISO date-time, exclusive (the day after the "to" date)
    errors: dict[str, str] = field(default_factory=dict)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def _midnight(day: date, zone: str) -> str | None:
    """The moment a day starts in the node's zone (the zone the pages show times in), as stored;
    None for a day at the edge of the calendar, where there is nothing to bound."""
    try:
        return iso(datetime.combine(day, time(), ZoneInfo(zone)))
    except OverflowError:
        return None


def parse(params: dict[str, str], zone: str = "UTC") -> Wanted:
    """zone: the node's time zone, so "from 11 March" means from midnight as the pages show it."""
    wanted = Wanted(group=params.get("group", "").strip()[:NAME_MAX],
                    author=params.get("author", "").strip().removeprefix("@").lower()[:NAME_MAX],
                    kind=params.get("kind", "").strip())
    if wanted.kind and wanted.kind not in KINDS:
        wanted.errors["kind"] = "find.bad_kind"
    start, end = params.get("from", "").strip(), params.get("to", "").strip()
    first, last = _day(start), _day(end)
    if start and first is None:
        wanted.errors["from"] = "find.bad_date"
    if end and last is None:
        wanted.errors["to"] = "find.bad_date"
    if first and last and first > last:
        wanted.errors["to"] = "find.dates_reversed"
    if first:
        wanted.since = _midnight(first, zone)
    if last and last < date.max:
        wanted.until = _midnight(last + timedelta(days=1), zone)
    return wanted
