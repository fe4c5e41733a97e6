"""Rules: the node's (edited by admins, served to apps as the instance rules) and each group's
(edited by those who moderate the group). Every change goes to the audit log."""

from __future__ import annotations

from federation import ids
from node.markup import clean_text
from node.services import audit
from node.services.accounts import is_admin
from node.services.context import Node
from node.services.errors import Forbidden, Invalid
from node.services.groups import moderates
from storage import rules
from storage.db import Row

RULES_MAX = 30
RULE_MAX = 500


def of_node(node: Node) -> list[Row]:
    return rules.of(node.db, None)


def of_group(node: Node, group: Row) -> list[Row]:
    return rules.of(node.db, group["id"])


def parse(text: str) -> list[str]:
    """One rule a line, in order; control characters out, spaces folded, empty lines and repeats dropped."""
    found: list[str] = []
    for line in text.splitlines():
        rule = " ".join(clean_text(line).split())
        if rule and rule not in found:
            found.append(rule)
    if len(found) > RULES_MAX:
        raise Invalid("error.rules_count", "rules", max=RULES_MAX)
    if any(len(rule) > RULE_MAX for rule in found):
        raise Invalid("error.too_long", "rules", max=RULE_MAX)
    return found


def may_edit_node(actor: Row | None) -> bool:
    return is_admin(actor)


def set_node_rules(node: Node, actor: Row | None, texts: list[str], address: str = "") -> None:
    """actor None: the command line."""
    if actor is not None and not may_edit_node(actor):
        raise Forbidden("error.not_allowed")
    _replace(node, actor, None, "node", texts, address)


def may_edit_group(node: Node, actor: Row | None, group: Row) -> bool:
    """Those who moderate a group of ours; a remote group's rules are kept on its own server."""
    return group["domain"] is None and moderates(node, actor, group)


def set_group_rules(node: Node, actor: Row | None, group: Row, texts: list[str], address: str = "") -> None:
    if group["domain"] is not None or (actor is not None and not moderates(node, actor, group)):
        raise Forbidden("error.not_allowed")
    target = group["actor_uri"] or ids.group(node.config.base_url, group["slug"])
    _replace(node, actor, group["id"], target, texts, address)


def _replace(node: Node, actor: Row | None, group_id: int | None, target: str, texts: list[str],
             address: str) -> None:
    texts = parse("\n".join(texts))  # whichever door it came from: the same limits and clean-up
    with node.db.transaction():
        rules.replace(node.db, group_id, texts, node.now())
        audit.record(node, actor, "rule_change", target, "\n".join(texts), address)
