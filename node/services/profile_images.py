"""Reading the organisation's logo for the site header (the writes are in node/services/media.py)."""

from __future__ import annotations

from node.services import media
from node.services.context import Node
from storage import media as media_store
from storage.db import Row


def logo_file(node: Node) -> Row | None:
    """The logo's file row (hash, width, height), or None when none is set or its file is gone."""
    file_hash = media.logo(node)
    return media_store.file(node.db, file_hash) if file_hash else None
