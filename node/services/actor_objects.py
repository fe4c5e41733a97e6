"""Our actors as ActivityStreams objects, with their images: the records looked up (key, image
files), then mapped by the pure federation/vocab.py. Used by the ActivityStreams views and by the
Update an actor's new avatar, header, icon, banner or logo sends (node/services/outbound.py)."""

from __future__ import annotations

import html
from typing import Any

from federation import vocab
from node import urls
from node.services.context import Node
from storage import keys, media, settings
from storage.db import Row


def paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def _image(node: Node, file_hash: str | None) -> dict[str, Any] | None:
    row = media.file(node.db, file_hash) if file_hash else None
    if row is None:
        return None
    return vocab.image(node.config.base_url + urls.media_file(row["hash"]), row["media_type"])


def person(node: Node, account: Row) -> dict[str, Any] | None:
    """None when the member has no key (not an actor)."""
    key = keys.get(node.db, f"user:{account['username']}")
    if key is None:
        return None
    actor = vocab.person(node.config.base_url, account, key["public_pem"], paragraphs(account["about"]))
    return vocab.with_images(actor, _image(node, account["avatar_hash"]), _image(node, account["header_hash"]))


def group(node: Node, record: Row) -> dict[str, Any] | None:
    key = keys.get(node.db, f"group:{record['slug']}")
    if key is None:
        return None
    actor = vocab.group(node.config.base_url, record, key["public_pem"], [])
    return vocab.with_images(actor, _image(node, record["icon_hash"]), _image(node, record["banner_hash"]))


def organisation(node: Node) -> dict[str, Any] | None:
    key = keys.get(node.db, "organisation")
    if key is None:
        return None
    config = node.config
    actor = vocab.organisation(config.base_url, config.organisation_handle, config["node.name"], key["public_pem"])
    return vocab.with_images(actor, _image(node, settings.get(node.db, media.LOGO) or None), None)
