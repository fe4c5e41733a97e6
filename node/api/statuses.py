"""Statuses: posting (topic, reply or blog post by where it is addressed), reading, editing (and the
edit history), deleting, favouriting and sharing, and a thread's context."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth, present
from node.api.instance import LIMITS
from node.api.respond import ApiError, endpoint, json, params, path_id, strings, text
from node.services import outbound, revisions
from node.services import posts as post_service
from node.services.context import Node
from node.services.errors import ServiceError
from node.web import node_of
from storage import groups, posts, tokens
from storage.db import Row

MENTION = re.compile(r"(?<![\w/@])@([a-z0-9][a-z0-9_-]*)(?:@([a-z0-9.-]+(?::\d+)?))?", re.IGNORECASE)
TITLE_MAX = 200
MAX_CHARACTERS = LIMITS["max_characters"]  # what /api/v1/instance promises, for the whole status


def _group_mentioned(node: Node, text_: str) -> tuple[Row, str] | None:
    """The first group a status mentions (@open-overheid or @open-overheid@this.node), and that mention."""
    here = str(node.config["node.domain"]).lower()
    for match in MENTION.finditer(text_):
        name, domain = match.group(1).lower(), (match.group(2) or "").lower()
        group = groups.local_by_slug(node.db, name) if domain in ("", here) else groups.by_slug(
            node.db, f"{name}@{domain}")
        if group is not None:
            return group, match.group(0)
    return None


def _title_and_body(text_: str) -> tuple[str, str]:
    """First line the title, the rest the body (the title again when there is no rest)."""
    first, _, rest = text_.strip().partition("\n")
    title = first.strip()[:TITLE_MAX].strip() or "…"
    return title, rest.strip() or first.strip()


def _post(request: Request, viewer: Row | None) -> Row:
    """The status in the path; deleted ones are gone for the API, as in Mastodon."""
    try:
        post = post_service.get(node_of(request), path_id(request), viewer)
    except ServiceError as error:
        raise ApiError(404, "Record not found") from error
    if post["deleted_at"] or (_removed(post) and (viewer is None or viewer["id"] != post["author_id"])):
        raise ApiError(404, "Record not found")  # removed by a moderator: still there for its author
    return post


def _removed(post: Row) -> bool:
    return bool(post["removed_at"] or post["topic_removed_at"])


def _status_text(values: dict[str, object]) -> str:
    status_text = text(values, "status").replace("\r\n", "\n").strip()
    if not status_text:
        raise ApiError(422, "Validation failed: Text can't be blank")
    if len(status_text) > MAX_CHARACTERS:
        raise ApiError(422, f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded")
    return status_text


MEDIA_ATTRIBUTES_MAX = 20


def _descriptions(values: dict[str, object]) -> dict[int, str]:
    """media_attributes[] of an edit ([{id, description, focus}], as Mastodon's clients send them in
    JSON): the attachments' new descriptions by id. Focus is not editable here."""
    raw = values.get("media_attributes")
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > MEDIA_ATTRIBUTES_MAX or not all(isinstance(i, dict) for i in raw):
        raise ApiError(422, "Validation failed: media_attributes must be a list of objects")
    found = {}
    for item in raw:
        ident = str(item.get("id", "")).strip()
        if not ident.isdigit() or len(ident) > 18:
            raise ApiError(404, "Record not found", "This file does not exist (any more).")
        if item.get("description") is not None:  # null: as it is (an undescribed document)
            if not isinstance(item["description"], str):
                raise ApiError(422, "Validation failed: description must be a string")
            found[int(ident)] = item["description"]
    return found


def _media_ids(values: dict[str, object]) -> list[int] | None:
    """media_ids[] as numbers (clients send them as strings); None when absent (an edit keeps them).
    An id that is no number is nobody's upload: 404, as for someone else's."""
    if "media_ids" not in values:
        return None
    found = []
    for raw in strings(values, "media_ids"):
        if not raw.strip().isdigit() or len(raw.strip()) > 18:
            raise ApiError(404, "Record not found", "This file does not exist (any more).")
        found.append(int(raw.strip()))
    return found


@endpoint
async def create(request: Request) -> Response:
    me = auth.member(request, "write:statuses")
    values = await params(request)
    node = node_of(request)
    key = request.headers.get("idempotency-key", "").strip()[:200]
    if key:
        earlier = tokens.idempotent_post(node.db, me["id"], key)
        if earlier is not None and (found := posts.by_id(node.db, earlier)) is not None:
            return json(present.status(node, found, me))
    status_text = _status_text(values)
    if values.get("poll") or any(key.startswith("poll[") for key in values):
        raise ApiError(422, "Validation failed: Meent posts have no polls")
    media_ids = _media_ids(values) or []
    if text(values, "visibility", "public") not in ("public", "unlisted", ""):
        raise ApiError(422, "Validation failed: Meent posts are public; private and direct posts are not supported")
    parent_id = text(values, "in_reply_to_id")
    if parent_id:
        if not parent_id.isdigit() or len(parent_id) > 18:
            raise ApiError(404, "Record not found")
        post = post_service.reply(node, me, int(parent_id), status_text, media_ids)
    elif (mentioned := _group_mentioned(node, status_text)) is not None:
        group, mention = mentioned
        title, body = _title_and_body(status_text.replace(mention, "", 1))
        post = post_service.start_topic(node, me, group, title, body, media_ids)
    else:
        title, body = _title_and_body(status_text)
        post = post_service.write_blog_post(node, me, title, "", body, "", publish=True, media_ids=media_ids)
    if key:
        tokens.remember_post(node.db, me["id"], key, post["id"], node.now())
    return json(present.status(node, post, me))


@endpoint
async def show(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:statuses")
    post = _post(request, viewer)
    if post["state"] != "published":
        raise ApiError(404, "Record not found")
    return json(present.status(node_of(request), post, viewer))


def _source_text(post: Row) -> str:
    return f"{post['title']}\n\n{post['source']}" if post["kind"] != "reply" else str(post["source"])


@endpoint
async def source(request: Request) -> Response:
    me = auth.member(request, "read:statuses")
    post = _post(request, me)
    return json({"id": str(post["id"]), "text": _source_text(post), "spoiler_text": ""})


@endpoint
async def history(request: Request) -> Response:
    """Every version, oldest first, the current one last (one for a never-edited status). Who may see
    it is the web history page's rule (revisions.history): a removed status for its author and its
    moderators too, which GET /api/v1/statuses/:id does not show them."""
    viewer = auth.optional_member(request, "read:statuses")
    node = node_of(request)
    try:
        post = post_service.get(node, path_id(request), viewer)
        if post["state"] != "published":
            raise ApiError(404, "Record not found")
        versions = revisions.history(node, post, viewer)
    except ServiceError as error:
        raise ApiError(404, "Record not found") from error
    return json(present.status_history(node, post, versions))


@endpoint
async def delete(request: Request) -> Response:
    me = auth.member(request, "write:statuses")
    node = node_of(request)
    post = _post(request, me)
    entity = present.status(node, post, me) | {"text": _source_text(post)}
    # a moderator deleting someone else's status removes it, with `reason` (?reason=...: a Meent extension)
    post_service.delete(node, me, post["id"], text(await params(request), "reason"))
    return json(entity)


@endpoint
async def edit(request: Request) -> Response:
    me = auth.member(request, "write:statuses")
    values = await params(request)
    node = node_of(request)
    post = _post(request, me)
    status_text = _status_text(values)
    media_ids = _media_ids(values)
    descriptions = _descriptions(values)
    if post["kind"] == "reply":
        updated = post_service.edit(node, me, post["id"], body=status_text, media_ids=media_ids,
                                    descriptions=descriptions)
    else:
        title, body = _title_and_body(status_text)
        tags = post_service.tags_for_form(node, post) if post["kind"] == "blog" else None
        updated = post_service.edit(node, me, post["id"], body=body, title=title, summary=post["summary"], tags=tags,
                                    media_ids=media_ids, descriptions=descriptions)
    return json(present.status(node, updated, me))


@endpoint
async def context(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:statuses")
    node = node_of(request)
    post = _post(request, viewer)
    thread = [row for row in posts.thread(node.db, post["topic_id"]) if row["state"] == "published"
              and not (row["removed_at"] and (viewer is None or viewer["id"] != row["author_id"]))]
    by_id = {row["id"]: row for row in thread}
    ancestors: list[Row] = []
    parent = by_id.get(post["parent_id"]) if post["parent_id"] else None
    while parent is not None:
        ancestors.insert(0, parent)
        parent = by_id.get(parent["parent_id"]) if parent["parent_id"] else None
    children: dict[int, list[Row]] = {}
    for row in thread:
        if row["parent_id"]:
            children.setdefault(row["parent_id"], []).append(row)
    descendants: list[Row] = []
    stack = list(reversed(children.get(post["id"], [])))
    while stack:  # depth first, in order, as clients draw threads
        row = stack.pop()
        descendants.append(row)
        stack.extend(reversed(children.get(row["id"], [])))
    return json({"ancestors": present.statuses(node, ancestors, viewer),
                 "descendants": present.statuses(node, descendants, viewer)})


@endpoint
async def favourite(request: Request) -> Response:
    me = auth.member(request, "write:favourites")
    node = node_of(request)
    post_service.like(node, me, _post(request, me)["id"])
    return json(present.status(node, _post(request, me), me))


@endpoint
async def unfavourite(request: Request) -> Response:
    me = auth.member(request, "write:favourites")
    node = node_of(request)
    post_service.unlike(node, me, _post(request, me)["id"])
    return json(present.status(node, _post(request, me), me))


@endpoint
async def reblog(request: Request) -> Response:
    """Sharing announces the post to the member's followers elsewhere; Meent pages show no shares."""
    me = auth.member(request, "write:statuses")
    node = node_of(request)
    post = _post(request, me)
    outbound.shared(node, me, post)
    original = present.status(node, post, me) | {"reblogged": True}
    return json(original | {"reblog": original})


@endpoint
async def unreblog(request: Request) -> Response:
    me = auth.member(request, "write:statuses")
    node = node_of(request)
    post = _post(request, me)
    outbound.unshared(node, me, post)
    return json(present.status(node, post, me))
