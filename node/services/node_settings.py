"""The organisation's own face: its display name, description, contact details, footer links and
its privacy and accessibility statements, as admins set them on /admin.

Every page shows the name and the footer, so the values are read once and kept in memory per
database; a save here empties that cache at once, and a commit by another process (the CLI) is
noticed through the database's version.
"""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

from node.markup import clean_text
from node.markup import render as render_markdown
from node.services import audit
from node.services.context import Node
from node.services.errors import Forbidden, Invalid
from node.services.statement_templates import TEMPLATES
from storage import settings
from storage.db import Database, Row

PREFIX = "face."
NAME_MAX = 100
DESCRIPTION_MAX = 500
EMAIL_MAX = 254
PHONE_MAX = 30
URL_MAX = 500
LABEL_MAX = 60
LINKS_MAX = 6
STATEMENT_MAX = 50_000
STATEMENTS = ("privacy", "accessibility")
LINK_SCHEMES = ("https", "http", "mailto")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{6,30}$")


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Face:
    """What the organisation shows of itself; `name` is never empty (the config's node.name)."""

    name: str
    description: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    links: tuple[Link, ...] = ()
    privacy: str = ""
    accessibility: str = ""
    custom_name: str = ""  # the name as the admin typed it ("" means the config's)

    def statement(self, kind: str) -> str:
        return self.privacy if kind == "privacy" else self.accessibility


# Per database (tests run many nodes in one process): the external-commit count when read, and the values.
_cache: weakref.WeakKeyDictionary[Database, tuple[int, Face]] = weakref.WeakKeyDictionary()


def current(node: Node) -> Face:
    """The organisation's face, from memory unless a save or another process changed it."""
    external = node.db.version()[1]
    cached = _cache.get(node.db)
    if cached is not None and cached[0] == external:
        return cached[1]
    face = _load(node)
    _cache[node.db] = (external, face)
    return face


def _load(node: Node) -> Face:
    stored = {key[len(PREFIX):]: value for key, value in settings.with_prefix(node.db, PREFIX).items()}
    try:
        raw_links = json.loads(stored.get("links", "[]"))
    except ValueError:
        raw_links = []
    links = tuple(Link(str(item[0]), str(item[1])) for item in raw_links if isinstance(item, list) and len(item) == 2)
    custom = stored.get("name", "")
    return Face(
        name=custom or node.config["node.name"], custom_name=custom,
        description=stored.get("description", ""),
        email=stored.get("email", "") or node.config["node.contact_email"],
        phone=stored.get("phone", ""), website=stored.get("website", ""), links=links,
        privacy=stored.get("privacy", ""), accessibility=stored.get("accessibility", ""),
    )


def forget(db: Database) -> None:
    _cache.pop(db, None)


def _line(text: str, limit: int, field: str) -> str:
    value = " ".join(clean_text(text).split())
    if len(value) > limit:
        raise Invalid("error.too_long", field, max=limit)
    return value


def _web_url(text: str, field: str, schemes: tuple[str, ...] = ("https", "http")) -> str:
    value = _line(text, URL_MAX, field)
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a broken [IPv6] part or port
        raise Invalid("face.error.url", field) from None
    if parts.scheme.lower() not in schemes:
        raise Invalid("face.error.url_scheme", field, schemes=", ".join(schemes))
    if parts.scheme.lower() == "mailto":
        if not EMAIL.match(parts.path):
            raise Invalid("face.error.url", field)
    elif not host or " " in value or "." not in host and host != "localhost":
        raise Invalid("face.error.url", field)
    return value


def parse_details(values: dict[str, str], link_pairs: list[tuple[str, str]]) -> Face:
    """The organisation's details as typed, checked; raises Invalid naming the first bad field."""
    email = _line(values.get("email", ""), EMAIL_MAX, "email")
    if email and not EMAIL.match(email):
        raise Invalid("face.error.email", "email")
    phone = _line(values.get("phone", ""), PHONE_MAX, "phone")
    if phone and not PHONE.match(phone):
        raise Invalid("face.error.phone", "phone")
    description = " ".join(clean_text(values.get("description", "")).split())
    if len(description) > DESCRIPTION_MAX:
        raise Invalid("error.too_long", "description", max=DESCRIPTION_MAX)
    links: list[Link] = []
    for index, (label_text, url_text) in enumerate(link_pairs):
        label = _line(label_text, LABEL_MAX, f"link_label_{index}")
        url = _web_url(url_text, f"link_url_{index}", LINK_SCHEMES)
        if not label and not url:
            continue
        if not label:
            raise Invalid("face.error.link_label", f"link_label_{index}")
        if not url:
            raise Invalid("face.error.link_url", f"link_url_{index}")
        links.append(Link(label, url))
    if len(links) > LINKS_MAX:
        raise Invalid("face.error.links_count", "links", max=LINKS_MAX)
    name = _line(values.get("name", ""), NAME_MAX, "name")
    return Face(name=name, custom_name=name, description=description, email=email, phone=phone,
                website=_web_url(values.get("website", ""), "website"), links=tuple(links))


def _require_admin(actor: Row | None) -> None:
    if actor is not None and actor["role"] != "admin":
        raise Forbidden("error.not_allowed")


def save_details(node: Node, actor: Row | None, values: dict[str, str], link_pairs: list[tuple[str, str]],
                 address: str = "") -> Face:
    """Name, description, contact and footer links (actor None: the command line)."""
    _require_admin(actor)
    face = parse_details(values, link_pairs)
    stored = {
        "name": face.custom_name, "description": face.description, "email": face.email, "phone": face.phone,
        "website": face.website, "links": json.dumps([[link.label, link.url] for link in face.links]),
    }
    before = current(node)
    with node.db.transaction():
        for key, value in stored.items():
            settings.put(node.db, PREFIX + key, value)
        audit.record(node, actor, "node_settings", "organisation", _changes(before, face), address)
    forget(node.db)
    return current(node)


def _changes(before: Face, after: Face) -> str:
    names = [name for name in ("custom_name", "description", "email", "phone", "website", "links")
             if getattr(before, name) != getattr(after, name)]
    return ", ".join(name.replace("custom_", "") for name in names) or "unchanged"


def save_statement(node: Node, actor: Row | None, kind: str, source: str, address: str = "") -> None:
    """The privacy or accessibility statement, as Markdown (rendered sanitised when shown)."""
    _require_admin(actor)
    if kind not in STATEMENTS:
        raise Invalid("error.not_found", "kind")
    text = clean_text(source).strip()
    if len(text) > STATEMENT_MAX:
        raise Invalid("error.too_long", kind, max=STATEMENT_MAX)
    with node.db.transaction():
        settings.put(node.db, PREFIX + kind, text)
        audit.record(node, actor, "statement_change", kind, f"{len(text)} characters", address)
    forget(node.db)


def statement_html(node: Node, kind: str) -> str:
    """The statement as sanitised HTML, or "" when the organisation has not written it yet."""
    source = current(node).statement(kind)
    return render_markdown(source).html if source else ""


def template(kind: str, face: Face) -> str:
    """The Dutch text to start a statement from, with the organisation's name and contact filled in."""
    contact = face.email or "[e-mailadres]"
    return TEMPLATES[kind].replace("{name}", face.name).replace("{contact}", contact)
