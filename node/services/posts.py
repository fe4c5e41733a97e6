"""Topics, replies and blog posts: write, edit, delete (tombstone), like, view.

Every write goes through here, so the web pages, the client API and the CLI
apply the same limits, the same sanitising and the same notifications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from node import markup
from node.services import (
    mail_notify,
    media,
    moderation,
    outbound,
    revisions,
    subscriptions,
    topic_subscriptions,
)
from node.services.accounts import can_moderate
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, Invalid, NotFound
from storage import accounts, groups, notifications, posts, search, writing
from storage.db import Row

SUMMARY_MAX = 500
TAGS_MAX = 10
SQLITE_INT_LIMIT = 2**63  # ids in URLs beyond this cannot exist (and SQLite cannot bind them)


def _check_title(node: Node, title: str) -> str:
    title = " ".join(markup.clean_text(title).split())
    if not title:
        raise Invalid("error.required", "title")
    if len(title) > node.config["limits.title_max"]:
        raise Invalid("error.too_long", "title", max=node.config["limits.title_max"])
    return title


def _check_body(node: Node, body: str) -> str:
    body = markup.clean_text(body).strip()
    if not body:
        raise Invalid("error.required", "body")
    if len(body) > node.config["limits.body_max"]:
        raise Invalid("error.too_long", "body", max=node.config["limits.body_max"])
    return body


def _render(node: Node, body: str) -> markup.Rendered:
    candidates = markup.find_mentions(body)
    members = {row["username"] for row in accounts.by_usernames(node.db, candidates)}
    return markup.render(body, members, node.config.base_url)


def _after_write(node: Node, post_id: int, rendered: markup.Rendered, extra_tags: list[str]) -> None:
    """Tags, mentions, search index and mention notifications of a new or edited post."""
    post = posts.by_id(node.db, post_id)
    assert post is not None
    tags = sorted(set(rendered.tags) | set(extra_tags))
    mentioned = [row["id"] for row in accounts.by_usernames(node.db, rendered.mentions)]
    already = posts.mentioned_ids(node.db, post_id)
    posts.set_tags(node.db, post_id, tags)
    posts.set_mentions(node.db, post_id, mentioned)
    if post["state"] == "published":
        search.index(node.db, post_id, post["title"], markup.plain_text(post["content"]), tags)
        for account_id in set(mentioned) - already - {post["author_id"]}:
            notifications.add(node.db, account_id, "mention", post_id, post["author_id"], node.now())
            mail_notify.post_event(node, account_id, "mention", post_id, post["author_id"])
    else:
        search.unindex(node.db, post_id)


def get(node: Node, post_id: int, viewer: Row | None = None) -> Row:
    """A post the viewer may see: drafts only for their author."""
    post = posts.by_id(node.db, post_id) if 0 < post_id < SQLITE_INT_LIMIT else None
    if post is None:
        raise NotFound("error.post_not_found")
    root = post if post["topic_id"] == post["id"] else posts.by_id(node.db, post["topic_id"])
    if root is not None and root["state"] == "draft" and (viewer is None or viewer["id"] != root["author_id"]):
        raise NotFound("error.post_not_found")
    return post


def check_may_post(node: Node, author: Row, group_id: int | None, topic_id: int | None = None) -> None:
    """A member banned from a group (here or by a remote group's moderators) posts nothing in it,
    and nobody replies in a locked topic."""
    if group_id is not None:
        ban = groups.active_ban(node.db, group_id, author["id"], node.now())
        if ban is not None:
            group = groups.by_id(node.db, group_id)
            name = group["name"] if group is not None else ""
            if ban["expires_at"]:
                raise Forbidden("error.banned_from_group_until", group=name, reason=ban["reason"],
                                until=ban["expires_at"][:16].replace("T", " "))
            raise Forbidden("error.banned_from_group", group=name, reason=ban["reason"])
    topic = posts.by_id(node.db, topic_id) if topic_id is not None else None
    if topic is not None and topic["locked_at"]:
        raise Forbidden("error.topic_locked")


def start_topic(node: Node, author: Row, group: Row, title: str, body: str, media_ids: Sequence[int] = ()) -> Row:
    """media_ids: the author's uploads the topic carries (node/services/media.py)."""
    check_may_post(node, author, group["id"])
    title, body = _check_title(node, title), _check_body(node, body)
    attachments = media.check_attachable(node, author, list(media_ids))
    rendered = _render(node, body)
    now = node.now()
    with node.db.transaction():
        post_id = posts.insert(node.db, {
            "kind": "topic", "group_id": group["id"], "author_id": author["id"], "title": title,
            "summary": markup.summarise(rendered.html), "source": body, "content": rendered.html,
            "created_at": now, "published_at": now, "last_activity_at": now,
        })
        media.attach(node, post_id, attachments)
        _after_write(node, post_id, rendered, [])
        outbound.post_created(node, post_id)
        topic_subscriptions.auto_follow(node, author["id"], post_id)
        mail_notify.new_topic(node, post_id, _tell_all(node, post_id))
        writing.delete_draft(node.db, author["id"], group_id=group["id"])  # sent: the draft is done
    return get(node, post_id)


def reply(node: Node, author: Row, parent_id: int, body: str, media_ids: Sequence[int] = ()) -> Row:
    parent = get(node, parent_id, author)
    if parent["deleted_at"]:
        raise Invalid("error.reply_to_deleted", "body")
    if parent["topic_state"] != "published":
        raise Invalid("error.reply_to_draft", "body")  # a draft has no conversation yet
    if parent["removed_at"] or parent["topic_removed_at"]:
        raise Invalid("error.reply_to_removed", "body")
    check_may_post(node, author, parent["group_id"], parent["topic_id"])
    body = _check_body(node, body)
    attachments = media.check_attachable(node, author, list(media_ids))
    rendered = _render(node, body)
    now = node.now()
    with node.db.transaction():
        post_id = posts.insert(node.db, {
            "kind": "reply", "group_id": parent["group_id"], "blog_owner": parent["blog_owner"],
            "author_id": author["id"], "topic_id": parent["topic_id"], "parent_id": parent["id"],
            "source": body, "content": rendered.html, "created_at": now, "published_at": now,
            "last_activity_at": now,
        })
        media.attach(node, post_id, attachments)
        _after_write(node, post_id, rendered, [])
        already_told = set(posts.mentioned_ids(node.db, post_id))
        if parent["author_id"] != author["id"] and parent["author_id"] not in already_told:
            notifications.add(node.db, parent["author_id"], "reply", post_id, author["id"], now)
            mail_notify.post_event(node, parent["author_id"], "reply", post_id, author["id"])
            already_told.add(parent["author_id"])
        outbound.post_created(node, post_id)
        already_told |= subscriptions.tell_subscribers(node, post_id, frozenset(already_told))
        topic_subscriptions.tell(node, post_id, frozenset(already_told))
        topic_subscriptions.auto_follow(node, author["id"], parent["topic_id"])
        writing.delete_draft(node.db, author["id"], parent_id=parent["id"])  # sent: the draft is done
    return get(node, post_id)


def preview(node: Node, body: str) -> str:
    """The HTML a post with this body would show (the same checks and renderer); nothing is stored."""
    return _render(node, _check_body(node, body)).html


def _parse_tags(raw: str) -> list[str]:
    tags = sorted({markup.normalise_tag(t) for t in raw.replace(",", " ").split() if markup.normalise_tag(t)})
    if len(tags) > TAGS_MAX:
        raise Invalid("error.too_many_tags", "tags", max=TAGS_MAX)
    if any(not markup.HASHTAG.fullmatch("#" + tag) for tag in tags):
        raise Invalid("error.tag_format", "tags")
    return tags


def write_blog_post(
    node: Node, author: Row, title: str, summary: str, body: str, tags: str, *,
    publish: bool, organisation: bool = False, media_ids: Sequence[int] = (),
) -> Row:
    """A blog post on the author's blog, or on the organisation's (admins only)."""
    if organisation and author["role"] != "admin":
        raise Forbidden("error.not_allowed")
    title, body = _check_title(node, title), _check_body(node, body)
    summary = " ".join(markup.clean_text(summary).split())
    if len(summary) > SUMMARY_MAX:
        raise Invalid("error.too_long", "summary", max=SUMMARY_MAX)
    tag_list = _parse_tags(tags)
    attachments = media.check_attachable(node, author, list(media_ids))
    rendered = _render(node, body)
    now = node.now()
    with node.db.transaction():
        post_id = posts.insert(node.db, {
            "kind": "blog", "blog_owner": None if organisation else author["id"],
            "author_id": author["id"], "title": title,
            "summary": summary or markup.summarise(rendered.html), "source": body,
            "content": rendered.html, "state": "published" if publish else "draft",
            "created_at": now, "published_at": now if publish else None, "last_activity_at": now,
        })
        media.attach(node, post_id, attachments)
        _after_write(node, post_id, rendered, tag_list)
        outbound.post_created(node, post_id)
        topic_subscriptions.auto_follow(node, author["id"], post_id)
        _tell_all(node, post_id)
    return get(node, post_id, author)


def _tell_all(node: Node, post_id: int) -> frozenset[int]:
    """A newly published root post: the author's bell subscribers, then its tags' followers, each
    member once (the mentioned were told in _after_write); returns whom the tags told (their mail
    stands for the group's new-topic mail)."""
    told = frozenset(posts.mentioned_ids(node.db, post_id))
    told |= subscriptions.tell_subscribers(node, post_id, told)
    return frozenset(topic_subscriptions.tell(node, post_id, told))


def check_may_change(post: Row, actor: Row) -> None:
    """Only the author, or a moderator, may edit a post; a deleted one is gone, a removed one stays as it was
    removed (a moderator restores it)."""
    if post["deleted_at"]:
        raise NotFound("error.post_not_found")
    if post["author_id"] != actor["id"] and not can_moderate(actor):
        raise Forbidden("error.not_allowed")
    if post["removed_at"]:
        raise Forbidden("error.post_removed_no_edit")


def edit(
    node: Node, actor: Row, post_id: int, *, body: str, title: str | None = None,
    summary: str | None = None, tags: str | None = None, publish: bool | None = None,
    media_ids: Sequence[int] | None = None, descriptions: Mapping[int, str] | None = None,
) -> Row:
    """media_ids: the attachments the post keeps and gains, in order (None: as they are); those
    left out are taken off. descriptions: new descriptions (alt text) of the post's attachments, by
    id, written in the edit's transaction; a changed one is a change of the attachments. Only the
    author changes them: a moderator edits text, not files."""
    post = get(node, post_id, actor)
    check_may_change(post, actor)
    if post["uri"]:
        raise Forbidden("error.not_allowed")  # another server's post: moderators may remove it, not rewrite it
    body = _check_body(node, body)
    own = _speaks_for(post, actor)
    author = post["author_id"] == actor["id"]  # files are their uploader's to change
    attachments = None
    if media_ids is not None and author:
        attachments = media.check_attachable(node, actor, list(media_ids), post_id)
    described = media.changed_descriptions(node, post_id, descriptions or {}) if author else {}
    rendered = _render(node, body)
    now = node.now()
    fields: dict[str, Any] = {"source": body, "content": rendered.html}
    if post["kind"] != "reply" and title is not None:
        fields["title"] = _check_title(node, title)
    text = revisions.text_changed(post, fields.get("title"), body, rendered.html)
    redaction = text and not own and post["state"] == "published"
    if post["kind"] == "topic":
        fields["summary"] = markup.summarise(rendered.html)
    extra_tags: list[str] = []
    if post["kind"] == "blog":
        fields["summary"] = _blog_summary(post, summary, rendered.html, redaction)
        extra_tags = _parse_tags(tags or "")
        if own and publish and post["state"] == "draft":  # only its author publishes or withdraws it
            fields.update(state="published", published_at=now)
        elif own and publish is False and post["state"] == "published":
            fields.update(state="draft")
    changed = text or bool(described) or _others_changed(node, post, fields, rendered, extra_tags, attachments)
    if post["state"] == "published" and fields.get("state", "published") == "published" and changed:
        fields["edited_at"] = now  # editing a draft, or publishing it, is not an edit; nor is changing nothing
    with node.db.transaction():
        if "edited_at" in fields and redaction:
            # a moderator's edit of someone else's text is a redaction (an address, an insult): what
            # it took out must not stay readable in the history, so the earlier versions go
            revisions.redact(node, post, actor["id"])
        elif "edited_at" in fields:  # the version it replaces stays readable (/posts/{id}/history)
            revisions.record(node, post, actor["id"])
        posts.update(node.db, post_id, fields)
        if attachments is not None:
            media.attach(node, post_id, attachments)
        media.write_descriptions(node, described)
        _after_write(node, post_id, rendered, extra_tags)
        if "edited_at" in fields and not own:
            # what a moderator took out (text, title, summary, tags) must not stay readable in the
            # copies of the post our outbox still serves, nor go out with a delivery still queued
            outbound.post_redacted(node, post_id)
        if fields.get("state") == "draft":  # unpublished: other servers are asked to forget it
            outbound.post_deleted(node, post_id)
        elif changed or "state" in fields:  # an edit that changes nothing tells no one
            outbound.post_updated(node, post_id, newly_published=fields.get("state") == "published")
            if fields.get("state") == "published":
                _tell_all(node, post_id)
    return get(node, post_id, actor)


def _speaks_for(post: Row, actor: Row) -> bool:
    """Is this the post's own author? An organisation blog post (no owner) is every admin's: another
    admin's correction of it is an edit, not a moderator's redaction."""
    if post["author_id"] == actor["id"]:
        return True
    return post["kind"] == "blog" and post["blog_owner"] is None and actor["role"] == "admin"


def _blog_summary(post: Row, given: str | None, content: str, redaction: bool) -> str:
    """An empty summary is derived from the text (markup.summarise). The edit form and the client API
    pass the stored summary back as it was, so one that was derived from the old text is derived
    again from the new one, and a redaction derives it again unless the moderator typed another (the
    old one may quote what the moderator took out)."""
    typed = " ".join(markup.clean_text(given or "").split())
    if len(typed) > SUMMARY_MAX:
        raise Invalid("error.too_long", "summary", max=SUMMARY_MAX)
    if typed == post["summary"] and (redaction or post["summary"] == markup.summarise(post["content"])):
        typed = ""
    return typed or markup.summarise(content)


def _others_changed(node: Node, post: Row, fields: dict[str, Any], rendered: markup.Rendered,
                    extra_tags: list[str], attachments: list[Row] | None) -> bool:
    """Whether an edit changes what is not kept as a version: the blog summary, tags, attachments."""
    if "summary" in fields and post["kind"] == "blog" and fields["summary"] != post["summary"]:
        return True
    tags = sorted(set(rendered.tags) | set(extra_tags))
    if tags != posts.tags_of(node.db, [post["id"]])[post["id"]]:
        return True
    if attachments is None:
        return False
    current = [int(row["id"]) for row in media.for_posts(node, [post["id"]]).get(post["id"], [])]
    return [int(row["id"]) for row in attachments] != current


def check_may_delete(node: Node, post: Row, actor: Row) -> None:
    """The author may delete their post (a removed one too); someone else only as its moderator."""
    if post["deleted_at"]:
        raise NotFound("error.post_not_found")
    if post["author_id"] != actor["id"] and not moderation.may_moderate_post(node, actor, post):
        raise Forbidden("error.not_allowed")
    if post["author_id"] != actor["id"] and post["removed_at"]:  # a moderator's delete is a removal
        raise Conflict("error.already_removed")


def delete(node: Node, actor: Row, post_id: int, reason: str = "") -> Row:
    """The author's delete leaves a tombstone: the post keeps its place in the thread, its text is gone.
    A moderator's delete of someone else's post is a removal, with a reason (node/services/moderation.py)."""
    post = get(node, post_id, actor)
    check_may_delete(node, post, actor)
    if post["author_id"] != actor["id"]:
        return moderation.remove_post(node, actor, post_id, reason)
    with node.db.transaction():
        posts.tombstone(node.db, post_id, node.now())
        media.post_deleted(node, post_id)
        if post["state"] == "published":
            outbound.post_deleted(node, post_id)
    return get(node, post_id, actor)


def _likeable(node: Node, account: Row, post_id: int) -> Row:
    """A post the member sees (others are not found, as on the pages)."""
    post = get(node, post_id, account)
    moderation.check_may_see(node, post, account)
    return post


def like(node: Node, account: Row, post_id: int) -> None:
    post = _likeable(node, account, post_id)
    with node.db.transaction():
        if not posts.like(node.db, post_id, account["id"], node.now()):
            return
        if post["author_id"] != account["id"] and not post["author_uri"]:
            notifications.add(node.db, post["author_id"], "like", post_id, account["id"], node.now())
        outbound.liked(node, account, post_id)


def unlike(node: Node, account: Row, post_id: int) -> None:
    _likeable(node, account, post_id)
    with node.db.transaction():
        if posts.unlike(node.db, post_id, account["id"]):
            outbound.unliked(node, account, post_id)


def record_view(node: Node, topic_id: int) -> None:
    node.views[topic_id] += 1


def views(node: Node, post: Row) -> int:
    """Stored views plus those not yet written."""
    return int(post["views"]) + node.views.get(post["id"], 0)


def tags_for_form(node: Node, post: Row) -> str:
    """The tags a blog post's author typed (those not in the body) for its edit form."""
    in_body = set(markup.find_tags(post["source"]))
    stored = posts.tags_of(node.db, [post["id"]])[post["id"]]
    return " ".join(tag for tag in stored if tag not in in_body)
