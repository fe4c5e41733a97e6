"""Dutch by default, English on request: the UI's words and the choice of language."""

from __future__ import annotations

from typing import Any

from node.i18n_catalog import CATALOG

LANGUAGES = ("nl", "en")


def choose(query: str | None, cookie: str | None, account_language: str, accept: str, default: str) -> str:
    """The first explicit choice wins: ?lang=, the cookie, the profile, then Accept-Language."""
    for choice in (query, cookie, account_language):
        if choice in LANGUAGES:
            return choice
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default


def translate(language: str, key: str, **params: Any) -> str:
    """The text for a key; with count=1, the key's ".one" form where the catalogue has one."""
    if params.get("count") == 1 and f"{key}.one" in CATALOG:
        key = f"{key}.one"
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry.get(language) or entry["nl"]
    return text.format(**params) if params else text
