"""Whom the admins require a second factor of (for local log-ins: SSO relies on the provider's MFA).
Apart from node/services/second_factor.py so that accounts.set_role can ask it too."""

from __future__ import annotations

from node.services.context import Node
from storage import settings
from storage.db import Row

POLICIES = ("off", "staff", "everyone")
STAFF = ("admin", "moderator")


def policy(node: Node) -> str:
    return settings.get(node.db, "auth.second_factor") or "off"


def needs_second_factor(node: Node, account: Row, role: str | None = None) -> bool:
    """Whether the policy requires a second factor of this member (role: as if they had that role)."""
    rule = policy(node)
    return rule == "everyone" or (rule == "staff" and (role or account["role"]) in STAFF)
