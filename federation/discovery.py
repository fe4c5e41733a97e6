"""WebFinger, host-meta and NodeInfo documents (pure builders), and reading a handle."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

from federation.vocab import AS

ACTIVITY_JSON = "application/activity+json"
HANDLE = re.compile(r"^@?([^@\s/]+)@([^@\s/]+)$")


class BadHandle(ValueError):
    """Not a handle such as @open-overheid@amsterdam.example or an https URL."""


def parse_handle(text: str) -> tuple[str, str]:
    """'@name@domain' or 'acct:name@domain' as (name, domain)."""
    text = text.strip()
    if text.startswith("acct:"):
        text = text[5:]
    match = HANDLE.match(text)
    if match is None:
        raise BadHandle(text)
    return match.group(1), match.group(2).lower()


def webfinger(subject: str, actor_uri: str, profile_url: str, aliases: list[str] | None = None) -> dict[str, Any]:
    return {
        "subject": subject,
        "aliases": aliases or list(dict.fromkeys([actor_uri, profile_url])),
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url},
        ],
    }


def host_meta(base: str) -> str:
    template = quoteattr(f"{base}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">'
        f'<Link rel="lrdd" type="application/jrd+json" template={template}/>'
        "</XRD>\n"
    )


def nodeinfo_links(base: str) -> dict[str, Any]:
    return {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                       "href": f"{base}/nodeinfo/2.1"}]}


def nodeinfo(version: str, users: int, posts: int, comments: int, open_registrations: bool,
             name: str) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {"name": "meent", "version": version, "repository": "", "homepage": ""},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {"users": {"total": users, "activeHalfyear": users, "activeMonth": users},
                  "localPosts": posts, "localComments": comments},
        "metadata": {"nodeName": name},
    }


def actor_link(jrd: dict[str, Any]) -> str | None:
    """The ActivityPub id a WebFinger answer points at."""
    for link in jrd.get("links", []):
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind = str(link.get("type", ""))
        if kind == ACTIVITY_JSON or (kind.startswith("application/ld+json") and AS in kind):
            href = link.get("href")
            return href if isinstance(href, str) else None
    return None
