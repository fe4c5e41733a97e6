"""Impersonation: a new account or group whose name looks like an existing one is refused.

`skeleton` reduces a name to what a reader sees (after Unicode TR39's idea of a skeleton, with a
compact table rather than the full confusables data): compatibility forms folded (NFKC), accents
dropped, separators and case ignored, and the Cyrillic and Greek letters that look like Latin ones,
and the digits 0 and 1, read as those Latin letters (i, l, I and 1 all as l; rn as m). Two names with
the same skeleton look alike: `open_overheid`, `Open-Overheid` and `оpen-overheid` (Cyrillic о) all
read as `openoverheld`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from node.services.context import Node
from node.services.errors import Conflict
from storage import accounts, groups

SEPARATORS = str.maketrans("", "", "-_. \u00a0\u2010\u2011\u2012\u2013\u2014\u00b7'’")
# Look-alikes, read as the Latin letter they imitate (lower and upper case; uppercase I reads as l).
CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "А": "a", "в": "b", "В": "b", "е": "e", "Е": "e", "ё": "e", "к": "k", "К": "k", "м": "m",
    "М": "m", "н": "h", "Н": "h", "о": "o", "О": "o", "р": "p", "Р": "p", "с": "c", "С": "c", "т": "t",
    "Т": "t", "у": "y", "У": "y", "х": "x", "Х": "x", "ѕ": "s", "Ѕ": "s", "і": "l", "І": "l", "ї": "l",
    "ј": "j", "Ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ь": "b", "Ь": "b", "г": "r", "п": "n",
    "ѵ": "v", "Ѵ": "v", "ɡ": "g",
    # Greek
    "α": "a", "Α": "a", "β": "b", "Β": "b", "ε": "e", "Ε": "e", "η": "n", "Η": "h", "ι": "l", "Ι": "l",
    "κ": "k", "Κ": "k", "μ": "u", "Μ": "m", "ν": "v", "Ν": "n", "ο": "o", "Ο": "o", "ρ": "p", "Ρ": "p",
    "τ": "t", "Τ": "t", "υ": "u", "Υ": "y", "χ": "x", "Χ": "x", "ω": "w", "Ζ": "z", "Ϲ": "c", "ϲ": "c",
    # Latin and digits that pass for others
    "0": "o", "1": "l", "I": "l", "|": "l", "ı": "l", "ł": "l",
})
# After case folding: i and l are told apart by a dot only, and capital I reads as either.
NARROW = str.maketrans({"i": "l"})


def skeleton(name: str) -> str:
    """What a name looks like, for comparing names. Pure."""
    text = unicodedata.normalize("NFKC", name)
    text = text.translate(CONFUSABLES)  # before case folding: capital I reads as l, not i
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(CONFUSABLES).translate(NARROW).translate(SEPARATORS)
    return text.replace("rn", "m").replace("vv", "w")


def first_lookalike(name: str, existing: Iterable[str]) -> str | None:
    """The first existing name that looks like `name` (the same name included). Pure."""
    wanted = skeleton(name)
    if not wanted:
        return None
    return next((other for other in existing if skeleton(other) == wanted), None)


def check_account(node: Node, username: str, display_name: str) -> None:
    """A new member's user name may not look like another member's or a group's; nor its display
    name like a group's name (people may share a display name; a group is an organisation's voice)."""
    group_names = [*groups.local_names(node.db), node.config.organisation_handle]
    _refuse(username, [*accounts.local_usernames(node.db), *group_names], "username")
    if display_name:
        _refuse(display_name, group_names, "display_name")


def check_group(node: Node, slug: str, name: str) -> None:
    """A new group's slug and name may not look like another group's slug or name, or a member's user name."""
    existing = [*groups.local_names(node.db), *accounts.local_usernames(node.db), node.config.organisation_handle]
    _refuse(slug, existing, "slug")
    _refuse(name, existing, "name")


def _refuse(name: str, existing: list[str], field: str) -> None:
    other = first_lookalike(name, existing)
    if other is not None:
        raise Conflict("blocks.name_taken", field, other=other)
