"""Reports of a problem ("Meld een probleem"): filed by members, by visitors (with an e-mail address,
rate-limited), through the client API, or by other servers (Flag); the moderation queue that shows
them to those who moderate what they are about; notes, resolve, dismiss and forwarding to the
origin server of remote content, anonymously (sent by the organisation's actor).

Who sees a report: admins every one; a group's moderators (`groups.moderates`) those about that
group. A report about no group (a profile, a blog post) is for admins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from federation import audience, ids, reading, vocab
from federation.outcomes import Final
from node import urls
from node.markup import clean_text, plain_text
from node.services import accounts as member_accounts
from node.services import audit, outbound
from node.services import groups as group_service
from node.services import posts as post_service
from node.services.accounts import can_moderate, is_admin
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from storage import accounts, groups, posts, reports
from storage.db import Row

# Ours, each mapped to the nearest of Mastodon's four (spam, legal, violation, other).
CATEGORIES = ("spam", "illegal", "harassment", "privacy", "impersonation", "violation", "other")
MASTODON_CATEGORY = {"spam": "spam", "illegal": "legal", "violation": "violation"}
FROM_MASTODON = {"spam": "spam", "legal": "illegal", "violation": "violation", "other": "other"}
STATES = ("open", "resolved", "dismissed")
COMMENT_MAX = 1000  # as Mastodon's report comment
REMOTE_TEXT_MAX = 5000
NOTE_MAX = 2000
EMAIL_MAX = 254
EMAIL = member_accounts.EMAIL  # one rule for every address we keep
# Visitors (no account): per client address and per e-mail address within the window.
VISITOR_WINDOW_SECONDS = 3600
PER_ADDRESS = 5
PER_EMAIL = 3
PER_MEMBER = 20  # members are known and may report more, but a runaway script may not flood the queue
MAX_POSTS = 20


@dataclass(frozen=True)
class Target:
    """What a report is about: a post (ours or a copy of a remote one), an account or a group."""

    kind: str
    url: str  # its ActivityPub id
    post: Row | None = None
    account: Row | None = None
    group: Row | None = None

    @property
    def group_id(self) -> int | None:
        if self.group is not None:
            return int(self.group["id"])
        return int(self.post["group_id"]) if self.post is not None and self.post["group_id"] else None


def post_target(node: Node, post_id: int, viewer: Row | None = None) -> Target:
    post = post_service.get(node, post_id, viewer)
    if post["deleted_at"]:
        raise NotFound("error.post_not_found")
    return Target("post", vocab.post_uri(node.config.base_url, post), post=post)


def account_target(node: Node, username: str) -> Target:
    account = accounts.by_username(node.db, username)
    if account is None or account["disabled"]:
        raise NotFound("error.member_not_found")
    return Target("account", account["actor_uri"] or ids.member(node.config.base_url, account["username"]),
                  account=account)


def group_target(node: Node, group: Row) -> Target:
    return Target("group", group["actor_uri"] or ids.group(node.config.base_url, group["slug"]), group=group)


def check_rules(node: Node, target: Target, rule_ids: Sequence[str]) -> list[int]:
    """Rule ids as given by a client: each a rule of the node or of the group the report is about."""
    if len(rule_ids) > MAX_POSTS or not all(r.isdigit() and len(r) < 18 for r in rule_ids):
        raise Invalid("error.report_rules", "rule_ids")
    numbers = sorted({int(r) for r in rule_ids})
    if reports.existing_rules(node.db, numbers, target.group_id) != numbers:
        raise Invalid("error.report_rules", "rule_ids")
    return numbers


def _check(category: str, comment: str) -> str:
    if category not in CATEGORIES:
        raise Invalid("error.report_category", "category")
    comment = clean_text(comment).strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid("error.too_long", "comment", max=COMMENT_MAX)
    return comment


def _check_visitor(node: Node, email: str, address: str) -> str:
    email = email.strip().lower()
    if not email:
        raise Invalid("error.required", "email")
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        raise Invalid("error.email_format", "email")
    since = time.time() - VISITOR_WINDOW_SECONDS
    if (reports.count_attempts_from(node.db, address, since) >= PER_ADDRESS
            or reports.count_attempts_by(node.db, email, since) >= PER_EMAIL):
        raise TooManyAttempts("error.report_rate_limited", retry_after=VISITOR_WINDOW_SECONDS,
                              minutes=VISITOR_WINDOW_SECONDS // 60)
    return email


def file(node: Node, reporter: Row | None, target: Target, category: str, comment: str, *, email: str = "",
         address: str = "", rule_ids: Sequence[int] = (), extra_posts: Sequence[Row] = (),
         forward: bool = False) -> Row:
    """A report by a member (reporter) or a visitor (reporter None: email required, rate-limited)."""
    comment = _check(category, comment)
    if reporter is not None:
        now = datetime.fromisoformat(node.now().replace("Z", "+00:00"))
        since = (now - timedelta(seconds=VISITOR_WINDOW_SECONDS)).isoformat(timespec="milliseconds")
        if reports.count_by_reporter(node.db, reporter["id"], since.replace("+00:00", "Z")) >= PER_MEMBER:
            raise TooManyAttempts("error.report_rate_limited", retry_after=VISITOR_WINDOW_SECONDS,
                              minutes=VISITOR_WINDOW_SECONDS // 60)
    else:
        email = _check_visitor(node, email, address)
        reports.prune_attempts(node.db, time.time() - VISITOR_WINDOW_SECONDS)
        reports.add_attempt(node.db, address, email, time.time())
    post_ids = ([target.post["id"]] if target.post is not None else []) + [p["id"] for p in extra_posts]
    with node.db.transaction():
        report_id = reports.create(node.db, {
            "reporter_id": reporter["id"] if reporter is not None else None,
            "reporter_email": email if reporter is None else None,
            **_target_fields(target), "category": category, "comment": comment, "created_at": node.now(),
            "rule_ids": ",".join(str(i) for i in rule_ids), "post_ids": ",".join(str(i) for i in post_ids),
        })
        assert report_id is not None
        if forward:
            try:
                _forward(node, reporter, get_row(node, report_id), address)
            except (Conflict, Invalid):
                pass  # ours, or no inbox known for its server: the report stays here for our moderators
    return get_row(node, report_id)


def _target_fields(target: Target) -> dict[str, object]:
    account_id = target.account["id"] if target.account is not None else (
        target.post["author_id"] if target.post is not None else None)
    return {"target_kind": target.kind, "post_id": target.post["id"] if target.post is not None else None,
            "account_id": account_id, "group_id": target.group_id, "target_url": target.url}


def get_row(node: Node, report_id: int) -> Row:
    row = reports.by_id(node.db, report_id) if 0 < report_id < 2**62 else None
    if row is None:
        raise NotFound("error.report_not_found")
    return row


# The queue

def may_moderate_any(node: Node, account: Row | None) -> bool:
    """May this account open /moderation at all (admins, the node's moderators, group moderators)?"""
    if account is None or account["disabled"] or account["suspended_at"] or account["domain"]:
        return False
    return can_moderate(account) or bool(groups.moderated_by(node.db, account["id"]))


def may_handle(node: Node, account: Row | None, report: Row) -> bool:
    if account is None or account["domain"] or account["disabled"] or account["suspended_at"]:
        return False
    if is_admin(account):
        return True
    if report["target_kind"] == "group" or report["account_id"] == account["id"]:
        return False  # about a group (its moderators with it) or about the handler: for admins only
    return report["group_id"] is not None and group_service.moderates(
        node, account, groups.by_id(node.db, report["group_id"]))


def queue(node: Node, account: Row | None, state: str | None = "open") -> list[Row]:
    if not may_moderate_any(node, account):
        raise Forbidden("error.not_allowed")
    assert account is not None
    if state is not None and state not in STATES:
        raise Invalid("error.report_state", "state")
    if is_admin(account):
        return reports.listing(node.db, state=state, group_ids=None)
    moderated = [int(g["id"]) for g in groups.moderated_by(node.db, account["id"])]
    if can_moderate(account):
        moderated += [int(g["id"]) for g in groups.listing(node.db)]
    return reports.listing(node.db, state=state, group_ids=sorted(set(moderated)), handler_id=account["id"])


def get(node: Node, account: Row | None, report_id: int) -> Row:
    if not may_moderate_any(node, account):
        raise Forbidden("error.not_allowed")
    report = get_row(node, report_id)
    if not may_handle(node, account, report):
        raise Forbidden("error.not_allowed")
    return report


def notes(node: Node, report: Row) -> list[Row]:
    return reports.notes(node.db, report["id"])


def add_note(node: Node, account: Row, report_id: int, text: str) -> None:
    report = get(node, account, report_id)
    text = clean_text(text).strip()
    if not text:
        raise Invalid("error.required", "note")
    if len(text) > NOTE_MAX:
        raise Invalid("error.too_long", "note", max=NOTE_MAX)
    reports.add_note(node.db, report["id"], account["id"], text, node.now())


def _handle(node: Node, account: Row | None, report_id: int, state: str, address: str) -> Row:
    report = get(node, account, report_id) if account is not None else get_row(node, report_id)
    if report["state"] != "open":
        raise Conflict("error.report_handled")
    with node.db.transaction():
        reports.set_state(node.db, report["id"], state, account["id"] if account is not None else None, node.now())
        audit.record(node, account, "report_resolve" if state == "resolved" else "report_dismiss",
                     report["target_url"], f"report {report['id']}", address)
    return get_row(node, report["id"])


def resolve(node: Node, account: Row | None, report_id: int, address: str = "") -> Row:
    return _handle(node, account, report_id, "resolved", address)


def dismiss(node: Node, account: Row | None, report_id: int, address: str = "") -> Row:
    return _handle(node, account, report_id, "dismissed", address)


# Forwarding to the origin of remote content, and to our groups' moderators elsewhere

Send = tuple[dict[str, Any], list[str]]


def _sends(node: Node, report: Row) -> list[Send]:
    """What forwarding the report sends, each activity with the actors it goes to. All from our
    organisation's actor (never the reporter's): to a remote group a Flag in Lemmy's form, to another
    server's author or account a Flag in Mastodon's form; and when the report is about one of our
    groups that has moderators on other servers, the group's Announce of a Flag to just those."""
    base = node.config.base_url
    organisation = ids.organisation(base)
    text = report["comment"] or report["category"]
    post = posts.by_id(node.db, report["post_id"]) if report["post_id"] is not None else None
    sends: list[Send] = []
    if post is not None and post["uri"]:
        if post["group_domain"] and post["group_uri"]:
            group = str(post["group_uri"])
            sends.append((vocab.flag(outbound.new_activity_id(node), organisation, [str(post["uri"])], text,
                                     to=[group], lemmy=True), [group]))
        else:
            author = str(post["author_uri"])
            sends.append((vocab.flag(outbound.new_activity_id(node), organisation,
                                     [author, *_post_uris(node, report)], text), [author]))
    elif post is None and report["target_kind"] == "account" and report["account_domain"]:
        sends.append((vocab.flag(outbound.new_activity_id(node), organisation, [report["account_uri"]], text),
                      [report["account_uri"]]))
    elif post is None and report["target_kind"] == "group" and report["group_domain"]:
        sends.append((vocab.flag(outbound.new_activity_id(node), organisation, [report["group_uri"]], text),
                      [report["group_uri"]]))
    if report["group_id"] is not None and not report["group_domain"]:
        moderators = [str(m["actor_uri"]) for m in groups.moderators(node.db, report["group_id"]) if m["domain"]]
        if moderators:
            objects = [vocab.author_uri(base, post), vocab.post_uri(base, post)] if post is not None else [
                report["target_url"]]
            flag = vocab.flag(outbound.new_activity_id(node), organisation, objects, text, to=moderators)
            group_uri = ids.group(base, report["group_slug"])
            sends.append((vocab.activity("Announce", outbound.new_activity_id(node), group_uri,
                                         vocab.strip_context(flag), to=moderators), moderators))
    return sends


def may_forward(node: Node, report: Row) -> bool:
    return report["forwarded_at"] is None and bool(_sends(node, report))


def forward(node: Node, account: Row | None, report_id: int, address: str = "") -> Row:
    report = get(node, account, report_id) if account is not None else get_row(node, report_id)
    if report["forwarded_at"] is not None:
        raise Conflict("error.report_forwarded")
    with node.db.transaction():
        _forward(node, account, report, address)
    return get_row(node, report["id"])


def _forward(node: Node, actor: Row | None, report: Row, address: str) -> None:
    sends = _sends(node, report)
    if not sends:
        raise Invalid("error.report_not_remote")
    domains = []
    for activity, recipients in sends:
        domains += [audience.domain_of(inbox) for inbox in outbound.forward_report(node, activity, recipients)]
    if not domains:
        raise Conflict("error.report_no_inbox")
    forwarded_to = ", ".join(dict.fromkeys(domains))
    reports.set_forwarded(node.db, report["id"], forwarded_to, node.now())
    audit.record(node, actor, "report_forward", report["target_url"], f"report {report['id']} to {forwarded_to}",
                 address)


def _post_uris(node: Node, report: Row) -> list[str]:
    numbers = [int(n) for n in str(report["post_ids"] or "").split(",") if n.isdigit()]
    rows = posts.by_ids(node.db, numbers) if numbers else []
    return [str(row["uri"]) for row in rows if row["uri"]]


# Reports from other servers

def receive_flag(node: Node, flag: reading.RemoteFlag, via_group: Row | None = None) -> Row | None:
    """A Flag about our content (a post of ours or in one of our groups, one of our members, one of our
    groups) lands in the queue marked with the reporting server; one about anything else is refused.
    via_group: a remote group passed the Flag on (Announce) to the servers of its moderators; it counts
    when one of our members moderates that group and it is about a post in it.
    None when this Flag was received before."""
    if not flag.id or not flag.actor or len(flag.id) > reading.MAX_URL:
        raise Final("a report needs an id (a URL of sane length) and an actor")
    if reports.by_flag_uri(node.db, flag.id) is not None:
        return None
    if via_group is None:
        target, extra = _our_target(node, flag.objects)
    else:  # passed on by a group: the inbox checked the group, not who it says made the report
        if not flag.id or audience.domain_of(flag.id) != audience.domain_of(flag.actor):
            raise Final("an announced report must have its id on its actor's server")
        target, extra = _in_group_we_moderate(node, via_group, flag.objects)
    if target is None:
        raise Final("the report is about nothing on this server")
    comment = plain_text(flag.text_html)[:REMOTE_TEXT_MAX]
    post_ids = [p["id"] for p in ([target.post] if target.post is not None else []) + extra]
    with node.db.transaction():
        report_id = reports.create(node.db, {
            "origin_domain": audience.domain_of(flag.actor), "flag_uri": flag.id, **_target_fields(target),
            "category": "other", "comment": comment, "created_at": node.now(),
            "post_ids": ",".join(str(i) for i in post_ids[:MAX_POSTS]),
        })
    return get_row(node, report_id) if report_id is not None else None


def _in_group_we_moderate(node: Node, group: Row, uris: Sequence[str]) -> tuple[Target | None, list[Row]]:
    if not group["domain"] or not any(not m["domain"] for m in groups.moderators(node.db, group["id"])):
        return None, []
    found = [post for uri in uris
             if (post := posts.by_uri(node.db, uri)) is not None and post["group_id"] == group["id"]]
    if not found:
        return None, []
    return Target("post", str(found[0]["uri"]), post=found[0]), found[1:]


def _our_target(node: Node, uris: Sequence[str]) -> tuple[Target | None, list[Row]]:
    """The first post of ours the objects name (with the other ones), else an account or group of ours."""
    base = node.config.base_url
    found = [post for uri in uris if (post := _our_post(node, uri)) is not None]
    if found:
        return Target("post", vocab.post_uri(base, found[0]), post=found[0]), found[1:]
    for uri in uris:
        actor = ids.parse_actor(base, uri)
        if actor is None:
            continue
        kind, name = actor
        if kind == "member" and (account := accounts.local_by_username(node.db, name)) is not None:
            return Target("account", uri, account=account), []
        if kind == "group" and (group := groups.local_by_slug(node.db, name)) is not None:
            return Target("group", uri, group=group), []
    return None, []


def _our_post(node: Node, uri: str) -> Row | None:
    """A post written here, or a remote post in one of our groups (our moderators' business)."""
    path = ids.local_path(node.config.base_url, uri) or ""
    number = path.removeprefix("/posts/")
    if path.startswith("/posts/") and number.isdigit() and len(number) < 18:
        post = posts.by_id(node.db, int(number))
        return post if post is not None and not post["uri"] else None
    post = posts.by_uri(node.db, uri)
    return post if post is not None and post["group_id"] and not post["group_domain"] else None


# What the pages show

def target_page(report: Row, post: Row | None) -> str | None:
    """Our page for what the report is about."""
    if post is not None:
        return urls.post(post)
    if report["target_kind"] == "account" and report["account_username"]:
        return urls.member(report["account_username"])
    if report["target_kind"] == "group" and report["group_slug"]:
        return urls.group(report["group_slug"])
    return None


def mastodon_category(category: str) -> str:
    return MASTODON_CATEGORY.get(category, "other")
