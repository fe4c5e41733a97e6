"""The organisation actor: it signs server-to-server fetches and may publish the organisation's posts."""

from __future__ import annotations

from federation.keys import generate_pem_pair
from node.services.context import Node
from storage import keys

OWNER = "organisation"


def ensure_key(node: Node) -> None:
    """Give the organisation its key pair if it has none (new nodes, and nodes made before keys existed)."""
    if keys.get(node.db, OWNER) is None:
        public_pem, private_pem = generate_pem_pair()
        keys.put(node.db, OWNER, public_pem, private_pem, node.now())
