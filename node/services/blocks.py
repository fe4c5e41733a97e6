"""Blocks and limits of remote accounts and servers, set by admins at run time (page or CLI).

The running federation policy holds the rules as sets (`federation.policy.Rules`); `rules` builds them
from the database, and the runtime reloads them at once after a change made here, and within seconds
after a change made by another process (`meent block`: the runtime polls `storage.blocks.fingerprint`).

A block refuses the account's or server's activities (403 at the inbox), stops deliveries and fetches,
and severs existing follows both ways; a limit keeps federating but shows its posts only to those who
follow the author (`hidden_from`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from federation import ids
from federation.policy import FederationPolicy, Rules, normalise_host
from node.services import audit
from node.services.context import Node
from node.services.errors import Invalid, NotFound
from storage import blocks, follows
from storage.db import Row

SEVERITIES = ("block", "limit")
MAX_REASON = 1000
DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Target:
    kind: str  # "domain" or "actor"
    value: str  # a normalised host name, or an actor URL


def parse_target(value: str) -> Target:
    """An actor URL or a domain, as an admin types it. Pure; raises Invalid."""
    value = value.strip()
    if value.startswith("@") or (value.count("@") == 1 and "://" not in value):
        raise Invalid("blocks.use_url", "target")
    if "://" in value:
        try:
            parts = urlsplit(value)
        except ValueError:
            raise Invalid("blocks.bad_target", "target") from None
        host = normalise_host(value)
        if parts.scheme not in ("http", "https") or host is None:
            raise Invalid("blocks.bad_target", "target")
        if parts.path in ("", "/") and not parts.query:
            return Target("domain", host)
        return Target("actor", value.split("#")[0])
    host = normalise_host(value)
    if host is None or "/" in value or not DOMAIN.match(host.strip("[]")) and ":" not in host:
        raise Invalid("blocks.bad_target", "target")
    return Target("domain", host)


def _check_not_ours(node: Node, target: Target) -> None:
    ours = normalise_host(node.config.base_url)
    host = target.value if target.kind == "domain" else normalise_host(target.value)
    if target.kind == "domain" and host == ours:
        raise Invalid("blocks.own_domain", "target")
    if target.kind == "actor" and target.value.startswith(node.config.base_url + "/"):
        raise Invalid("blocks.own_domain", "target")


def block(node: Node, actor: Row | None, value: str, reason: str, *, limit: bool = False) -> Row:
    """Block (or limit) an actor URL or a domain, with a reason; takes effect at once. actor None: the CLI."""
    target = parse_target(value)
    reason = reason.strip()
    if not reason:
        raise Invalid("blocks.reason_required", "reason")
    if len(reason) > MAX_REASON:
        raise Invalid("blocks.reason_too_long", "reason", max=MAX_REASON)
    _check_not_ours(node, target)
    severity = "limit" if limit else "block"
    with node.db.transaction():
        blocks.put(node.db, target=target.value, kind=target.kind, severity=severity, reason=reason,
                   created_by=actor["id"] if actor is not None else None, now=node.now())
        if severity == "block":
            uris = blocks.remote_actors_of(node.db, domain=target.value if target.kind == "domain" else None,
                                           uri=target.value if target.kind == "actor" else None)
            blocks.sever_follows(node.db, uris)
        audit.publish(node, actor, action=severity, target_url=target.value, target_label=target.value,
                      reason=reason, group_id=None, role=audit.ROLE_ADMIN)
        row = blocks.get(node.db, target.value)
    assert row is not None
    reload(node)
    return row


def unblock(node: Node, actor: Row | None, value: str) -> None:
    """Lift a block or limit set here (the config's and the lists' are changed where they live)."""
    target = parse_target(value)
    with node.db.transaction():
        existing = blocks.get(node.db, target.value)
        if existing is None:
            raise NotFound("blocks.unknown", "target", target=target.value)
        blocks.remove(node.db, target.value)
        audit.publish(node, actor, action="unblock", target_url=target.value, target_label=target.value,
                      reason=f"was {existing['severity']}: {existing['reason']}", group_id=None,
                      role=audit.ROLE_ADMIN)
    reload(node)


def listing(node: Node) -> list[Row]:
    return blocks.listing(node.db)


def rules(node: Node) -> Rules:
    """The run-time rules as the policy takes them, from the database."""
    own: dict[tuple[str, str], set[str]] = {(kind, sev): set() for kind in ("domain", "actor") for sev in SEVERITIES}
    for row in blocks.listing(node.db):
        own[(row["kind"], row["severity"])].add(row["target"])
    listed: dict[str, set[str]] = {"block": set(), "limit": set(), "allow": set()}
    for entry in blocks.entries(node.db):
        listed[entry["severity"]].add(entry["domain"])
    return Rules(
        blocked_domains=frozenset(own[("domain", "block")]), limited_domains=frozenset(own[("domain", "limit")]),
        blocked_actors=frozenset(own[("actor", "block")]), limited_actors=frozenset(own[("actor", "limit")]),
        list_blocked=frozenset(listed["block"]), list_limited=frozenset(listed["limit"]),
        list_allowed=frozenset(listed["allow"]),
    )


@dataclass(frozen=True)
class Standing:
    """A domain named by more than one source that disagree, and what applies (see federation.policy)."""

    domain: str
    sources: tuple[tuple[str, str], ...]  # (where: "admin", "config" or a list's URL, severity)
    severity: str
    source: str


def conflicts(node: Node, limit: int = 200) -> list[Standing]:
    """Domains on which the admin's blocks, the config and the lists disagree, with the outcome."""
    running = policy(node)
    named: dict[str, list[tuple[str, str]]] = {}
    for row in blocks.listing(node.db):
        if row["kind"] == "domain":
            named.setdefault(row["target"], []).append(("admin", row["severity"]))
    for domain in running.blocked_domains:
        named.setdefault(domain, []).append(("config", "block"))
    for domain in running.allowed_domains:
        named.setdefault(domain, []).append(("config", "allow"))
    for entry in blocks.entries(node.db):
        named.setdefault(entry["domain"], []).append((entry["url"], entry["severity"]))
    found = []
    for domain in sorted(named):
        sources = named[domain]
        if len({severity for _, severity in sources}) > 1:
            severity, source = running.verdict(domain)
            found.append(Standing(domain, tuple(sources), severity, source))
            if len(found) >= limit:
                break
    return found


def policy(node: Node) -> FederationPolicy:
    """The running policy (with the current rules), or one built now from the config and the database."""
    if node.federation is not None:
        return node.federation.policy
    built = FederationPolicy.from_config(node.config)
    built.update(rules(node))
    return built


def reload(node: Node) -> None:
    """Hand the current rules to the running policy, if federation runs in this process."""
    if node.federation is not None:
        node.federation.reload_rules()


def _anything_limited(running: FederationPolicy) -> bool:
    rules = running.rules
    return bool(rules.limited_domains or rules.limited_actors or rules.list_limited)


def viewer_uri(node: Node, viewer: Row) -> str:
    return ids.member(node.config.base_url, viewer["username"])


# A capped query (search looks at its first 1,001 matches) is asked again without the hidden authors
# it found, since leaving their posts out lets it reach others; this many times at most.
HIDDEN_ROUNDS = 4


def hidden_authors_among(node: Node, viewer: Row | None,
                         candidates: Callable[[str | None, tuple[int, ...]], Iterable[Row]],
                         capped: bool = False) -> tuple[int, ...]:
    """The authors whose posts this viewer does not see (hidden_ids's rule per author), for SQL that
    counts or pages posts. candidates(viewer's URI, authors hidden so far) gives the remote authors a
    query meets, as rows (id, actor_uri, followed). Nothing is asked when nothing is limited."""
    running = policy(node)
    if not _anything_limited(running):
        return ()
    uri = viewer_uri(node, viewer) if viewer is not None else None
    hidden: tuple[int, ...] = ()
    for _ in range(HIDDEN_ROUNDS if capped else 1):
        found = {int(row["id"]) for row in candidates(uri, hidden)
                 if not row["followed"] and running.limited(row["actor_uri"])}
        if found <= set(hidden):
            break
        hidden = tuple(sorted({*hidden, *found}))
    return hidden


def hidden_ids(node: Node, rows: Iterable[Row], viewer: Row | None) -> set[int]:
    """Posts (rows with id, author_uri, author_domain) that this viewer may not see: by a limited
    remote account or server that the viewer does not follow. Visitors follow nobody."""
    running = policy(node)
    if not _anything_limited(running):
        return set()
    uri = viewer_uri(node, viewer) if viewer is not None else None
    hidden: set[int] = set()
    answers: dict[str, bool] = {}
    for row in rows:
        author = row["author_uri"]
        if not row["author_domain"] or not author:
            continue
        if author not in answers:
            answers[author] = running.limited(author) and not _follows(node, uri, author)
        if answers[author]:
            hidden.add(int(row["id"]))
    return hidden


def _follows(node: Node, viewer_uri: str | None, author: str) -> bool:
    if viewer_uri is None:
        return False
    follow = follows.get(node.db, viewer_uri, author)
    return follow is not None and follow["state"] == "accepted"


def visible(node: Node, rows: list[Row], viewer: Row | None) -> list[Row]:
    """The rows without the posts hidden from this viewer (listings, search, timelines)."""
    hidden = hidden_ids(node, rows, viewer)
    return [row for row in rows if row["id"] not in hidden] if hidden else rows
