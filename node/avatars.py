"""What a page shows for a member's, group's or the organisation's picture: the stored image, our
address for another server's image, or initials on a coloured disc. Pure functions for templates."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from node import urls

# Every colour has at least 4.5:1 contrast with white text (tests/test_media_images.py checks it).
PALETTE = ("#1f5f8b", "#8b1f4a", "#2e6b30", "#6b3fa0", "#9a4a00", "#00666b", "#4a4a8b", "#a0213a")


def _value(row: Mapping[str, Any] | Any, key: str) -> Any:
    keys = row.keys()
    return row[key] if key in keys else None


def initials(name: str, fallback: str = "") -> str:
    """Two letters: of the first and last word, or the first two of a single word."""
    words = [word for word in (name or "").split() if word[:1].isalnum()] or [w for w in [fallback] if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def colour_index(key: str) -> int:
    """The same member always gets the same colour (not Python's hash(): that changes per process)."""
    return hashlib.sha256((key or "").encode()).digest()[0] % len(PALETTE)


def file_path(file_hash: str | None) -> str | None:
    return urls.media_file(file_hash) if file_hash else None


def remote_path(url: str | None) -> str | None:
    """Our copy of another server's image (the node fetches and caches it when first shown)."""
    return urls.remote_media(url) if url else None


def picture(row: Any, kind: str = "avatar") -> dict[str, Any]:
    """src (or None), initials and colour for an account row, a post row (its author_ columns) or a
    group row (kind "icon"); "header"/"banner" for the wide images."""
    prefix = "author_" if _value(row, "author_username") is not None else ""
    if prefix:
        name, key = _value(row, "author_name") or "", _value(row, "author_username") or ""
    else:
        name = _value(row, "display_name") or _value(row, "name") or ""
        key = _value(row, "username") or _value(row, "slug") or ""
    src = file_path(_value(row, f"{prefix}{kind}_hash")) or remote_path(_value(row, f"{prefix}{kind}_url"))
    return {"src": src, "initials": initials(name, key), "colour": colour_index(key)}
