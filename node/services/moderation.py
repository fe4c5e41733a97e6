"""What moderators do (issue 9): remove and restore posts, lock and pin topics, ban accounts from a group,
suspend members node-wide, appoint a group's own moderators. Every door (pages, CLI) comes here.

Each action is checked with `groups.moderates` (admins everything; the node's moderators every group of
ours; a group's own moderators that group), recorded in the public moderation log and the audit log, and
federated (node/services/outbound_moderation.py), all in the action's one transaction. `actor` None is the
command line, which acts with the admin's authority. Restrictive actions need a reason, which is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from federation import ids
from node import markup, urls
from node.services import audit, blocks, media, outbound_moderation, sessions
from node.services.accounts import can_moderate, is_admin
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid, NotFound
from node.services.groups import moderates
from storage import accounts, groups, posts, reports, search
from storage.db import Row

REASON_MAX = 1000


def check_reason(reason: str, required: bool = True) -> str:
    reason = " ".join(markup.clean_text(reason or "").split())
    if required and not reason:
        raise Invalid("error.reason_required", "reason")
    if len(reason) > REASON_MAX:
        raise Invalid("error.too_long", "reason", max=REASON_MAX)
    return reason


def group_of(node: Node, post: Row) -> Row | None:
    return groups.by_id(node.db, post["group_id"]) if post["group_id"] else None


def may_moderate_post(node: Node, actor: Row | None, post: Row) -> bool:
    """Posts in a group: its moderators. Blog posts (no group): the node's moderators and admins."""
    if actor is None:
        return True
    group = group_of(node, post)
    return moderates(node, actor, group) if group is not None else can_moderate(actor)


def check_may_see(node: Node, post: Row, viewer: Row | None) -> None:
    """Not found unless the viewer sees this post as the pages show it: not deleted, not by a limited
    account they do not follow, and when removed (or in a removed thread) only its author and its
    moderators."""
    if post["deleted_at"] or blocks.hidden_ids(node, [post], viewer):
        raise NotFound("error.post_not_found")
    if post["removed_at"] or post["topic_removed_at"]:
        if viewer is None or (viewer["id"] != post["author_id"] and not may_moderate_post(node, viewer, post)):
            raise NotFound("error.post_not_found")


def may_moderate_group(node: Node, actor: Row | None, group: Row) -> bool:
    return actor is None or moderates(node, actor, group)


def may_appoint(actor: Row | None, group: Row) -> bool:
    """Who names a group's own moderators: admins, and the member who created the group."""
    if group["domain"]:
        return False
    return actor is None or is_admin(actor) or (not actor["domain"] and group["created_by"] == actor["id"])


def _post(node: Node, actor: Row | None, post_id: int) -> Row:
    post = posts.by_id(node.db, post_id) if 0 < post_id < 2**63 else None
    if post is None or post["deleted_at"]:
        raise NotFound("error.post_not_found")
    if not may_moderate_post(node, actor, post):
        raise Forbidden("error.not_allowed")
    return post


def _topic(node: Node, actor: Row | None, post_id: int) -> Row:
    topic = _post(node, actor, post_id)
    if topic["id"] != topic["topic_id"]:
        raise Invalid("error.not_a_topic")
    return topic


def find_post(node: Node, url: str) -> Row:
    """A post by a URL: one of ours by its page or id URL (a reply by its #post-N anchor), or the copy we keep
    of another server's post by its id or page URL."""
    url = url.strip()
    base = urlsplit(node.config.base_url)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
        post_id = urls.post_id_of(parts.path, parts.fragment)
        post = posts.by_id(node.db, post_id) if post_id is not None else None
    else:
        post = posts.by_url(node.db, url) if parts.scheme in ("http", "https") else None
    if post is None or post["deleted_at"]:
        raise NotFound("error.post_not_found")
    return post


def post_url(node: Node, post: Row) -> str:
    if post["uri"]:
        return str(post["url"] or post["uri"])
    return node.config.base_url + urls.post(post)


def _label(post: Row) -> str:
    return str(post["title"] or post["topic_title"] or "")


def remove_post(node: Node, actor: Row | None, post_id: int, reason: str, *, report_id: int | None = None) -> Row:
    """Take a reply, a topic or a blog post down: its author still sees it, marked removed; others see that
    a moderator removed it, and why; every server that had it is told."""
    post = _post(node, actor, post_id)
    reason = check_reason(reason)
    if post["removed_at"]:
        raise Conflict("error.already_removed")
    if report_id is not None and not reports.known_report(node.db, report_id):
        raise Invalid("error.report_not_found", "report")
    with node.db.transaction():
        if not posts.remove(node.db, post["id"], reason, node.now()):
            raise Conflict("error.already_removed")  # the command line or another moderator was first
        media.post_deleted(node, post["id"])  # its files stop being served at once (a restore cannot bring them back)
        activity = outbound_moderation.removed(node, actor, post, reason)
        audit.publish(node, actor, action="remove", target_url=post_url(node, post), target_label=_label(post),
                      reason=reason, group_id=post["group_id"], report_id=report_id, activity_uri=activity)
    found = posts.by_id(node.db, post["id"])
    assert found is not None
    return found


def restore_post(node: Node, actor: Row | None, post_id: int, reason: str = "") -> Row:
    """Undo a removal here (servers that were sent the Delete keep it deleted)."""
    post = _post(node, actor, post_id)
    reason = check_reason(reason, required=False)
    if not post["removed_at"]:
        raise Conflict("error.not_removed")
    with node.db.transaction():
        posts.restore(node.db, post["id"])
        if post["state"] == "published":
            tags = posts.tags_of(node.db, [post["id"]])[post["id"]]
            search.index(node.db, post["id"], post["title"], markup.plain_text(post["content"]), tags)
        audit.publish(node, actor, action="restore", target_url=post_url(node, post), target_label=_label(post),
                      reason=reason, group_id=post["group_id"])
    found = posts.by_id(node.db, post["id"])
    assert found is not None
    return found


def lock_topic(node: Node, actor: Row | None, post_id: int, reason: str) -> None:
    topic = _topic(node, actor, post_id)
    reason = check_reason(reason)
    if topic["locked_at"]:
        raise Conflict("error.already_locked")
    with node.db.transaction():
        posts.set_locked(node.db, topic["id"], node.now())
        activity = outbound_moderation.locked(node, actor, topic, reason)
        audit.publish(node, actor, action="lock", target_url=post_url(node, topic), target_label=_label(topic),
                      reason=reason, group_id=topic["group_id"], activity_uri=activity)


def unlock_topic(node: Node, actor: Row | None, post_id: int, reason: str = "") -> None:
    topic = _topic(node, actor, post_id)
    reason = check_reason(reason, required=False)
    if not topic["locked_at"]:
        raise Conflict("error.not_locked")
    with node.db.transaction():
        posts.set_locked(node.db, topic["id"], None)
        activity = outbound_moderation.unlocked(node, actor, topic)
        audit.publish(node, actor, action="unlock", target_url=post_url(node, topic), target_label=_label(topic),
                      reason=reason, group_id=topic["group_id"], activity_uri=activity)


def _pin(node: Node, actor: Row | None, post_id: int, pinned: bool, reason: str) -> None:
    topic = _topic(node, actor, post_id)
    reason = check_reason(reason, required=False)
    if topic["kind"] != "topic":
        raise Invalid("error.not_a_topic")
    if bool(topic["pinned_at"]) == pinned:
        raise Conflict("error.already_pinned" if pinned else "error.not_pinned")
    with node.db.transaction():
        posts.set_pinned(node.db, topic["id"], node.now() if pinned else None)
        audit.publish(node, actor, action="pin" if pinned else "unpin", target_url=post_url(node, topic),
                      target_label=_label(topic), reason=reason, group_id=topic["group_id"])


def pin_topic(node: Node, actor: Row | None, post_id: int, reason: str = "") -> None:
    """Pinned topics come first in their group's list."""
    _pin(node, actor, post_id, True, reason)


def unpin_topic(node: Node, actor: Row | None, post_id: int, reason: str = "") -> None:
    _pin(node, actor, post_id, False, reason)


def parse_until(text: str, now: str) -> str | None:
    """The end of a ban from a form: empty (for good), a date (its start, UTC) or an ISO time, in the future."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        until = moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (ValueError, OverflowError):
        raise Invalid("error.date_format", "until") from None
    if until <= now:
        raise Invalid("error.date_past", "until")
    return until


def account_url(node: Node, account: Row) -> str:
    return str(account["actor_uri"] or node.config.base_url + urls.member(account["username"]))


def _handle(account: Row) -> str:
    return str(account["username"]) if account["domain"] else f"@{account['username']}"


def ban(node: Node, actor: Row | None, group: Row, account: Row, reason: str, *, until: str | None = None,
        remove_posts: bool = False) -> None:
    """Ban an account (here or elsewhere) from a group, until a time or for good; optionally remove its posts
    there too. A banned member can no longer post or reply in the group."""
    if not may_moderate_group(node, actor, group):
        raise Forbidden("error.not_allowed")
    reason = check_reason(reason)
    expires = parse_until(until, node.now()) if until else None
    if actor is not None and account["id"] == actor["id"]:
        raise Invalid("error.ban_self", "account")
    if moderates(node, account, group):
        raise Invalid("error.ban_moderator", "account")
    with node.db.transaction():
        groups.ban(node.db, group["id"], account["id"], reason=reason, banned_by=actor["id"] if actor else None,
                   now=node.now(), expires_at=expires)
        activity = outbound_moderation.banned(node, actor, group, account, reason, expires)
        audit.publish(node, actor, action="ban", target_url=account_url(node, account), target_label=_handle(account),
                      reason=reason, group_id=group["id"], activity_uri=activity)
        if remove_posts:
            for post in posts.in_group_by_author(node.db, group["id"], account["id"]):
                remove_post(node, actor, post["id"], reason)


def unban(node: Node, actor: Row | None, group: Row, account: Row, reason: str = "") -> None:
    if not may_moderate_group(node, actor, group):
        raise Forbidden("error.not_allowed")
    reason = check_reason(reason, required=False)
    with node.db.transaction():
        if not groups.unban(node.db, group["id"], account["id"]):
            raise NotFound("error.ban_not_found")
        activity = outbound_moderation.unbanned(node, actor, group, account)
        audit.publish(node, actor, action="unban", target_url=account_url(node, account),
                      target_label=_handle(account), reason=reason, group_id=group["id"], activity_uri=activity)


def _local_member(node: Node, actor: Row | None, username: str) -> Row:
    if actor is not None and not is_admin(actor):
        raise Forbidden("error.not_allowed")
    account = accounts.local_by_username(node.db, username.strip().lower())
    if account is None:
        raise NotFound("error.member_not_found")
    if actor is not None and account["id"] == actor["id"]:
        raise Forbidden("error.not_allowed")  # an admin does not lock themselves out
    return account


def suspend(node: Node, actor: Row | None, username: str, reason: str) -> None:
    """A local account suspended node-wide (admins only): no log-in, its sessions and tokens end."""
    account = _local_member(node, actor, username)
    reason = check_reason(reason)
    if account["suspended_at"]:
        raise Conflict("error.already_suspended")
    with node.db.transaction():
        accounts.set_suspended(node.db, account["id"], node.now(), reason)
        sessions.end_all(node, account["id"], revoke_tokens=True)
        audit.publish(node, actor, action="suspend", target_url=account_url(node, account),
                      target_label=_handle(account), reason=reason)


def unsuspend(node: Node, actor: Row | None, username: str, reason: str = "") -> None:
    account = _local_member(node, actor, username)
    reason = check_reason(reason, required=False)
    if not account["suspended_at"]:
        raise Conflict("error.not_suspended")
    with node.db.transaction():
        accounts.set_suspended(node.db, account["id"], None, None)
        audit.publish(node, actor, action="unsuspend", target_url=account_url(node, account),
                      target_label=_handle(account), reason=reason)


def add_moderator(node: Node, actor: Row | None, group: Row, account: Row) -> None:
    """A group's own moderator: a member here, or an account elsewhere (by its actor), announced as Add."""
    if not may_appoint(actor, group):
        raise Forbidden("error.not_allowed")
    if account["disabled"] or account["suspended_at"]:
        raise Invalid("error.member_not_found", "account")
    with node.db.transaction():
        if not groups.add_moderator(node.db, group["id"], account["id"], actor["id"] if actor else None, node.now()):
            raise Conflict("error.already_moderator", "account")
        activity = outbound_moderation.moderators_changed(node, group, account, added=True)
        audit.publish(node, actor, action="add_moderator", target_url=account_url(node, account),
                      target_label=_handle(account), group_id=group["id"], activity_uri=activity)


def remove_moderator(node: Node, actor: Row | None, group: Row, account: Row) -> None:
    if not may_appoint(actor, group):
        raise Forbidden("error.not_allowed")
    with node.db.transaction():
        if not groups.remove_moderator(node.db, group["id"], account["id"]):
            raise NotFound("error.not_moderator", "account")
        activity = outbound_moderation.moderators_changed(node, group, account, added=False)
        audit.publish(node, actor, action="remove_moderator", target_url=account_url(node, account),
                      target_label=_handle(account), group_id=group["id"], activity_uri=activity)


def moderator_uris(node: Node, group: Row) -> list[str]:
    """Every moderator of one of our groups by actor id: the node's moderators and admins, then its own."""
    base = node.config.base_url
    found = [ids.member(base, name) for name in accounts.moderator_usernames(node.db)]
    for row in groups.moderators(node.db, group["id"]):
        uri = str(row["actor_uri"] or ids.member(base, row["username"]))
        if uri not in found:
            found.append(uri)
    return found
