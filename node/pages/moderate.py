"""Moderators' pages (issue 9): a post's moderation page and its actions (remove, restore, lock, pin, ban
its author), and a group's moderation page (its moderators, its bans). The work is in services.moderation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.pages import images
from node.services import groups, media, moderation, network
from node.services.context import Node
from node.services.errors import Forbidden, Invalid, NotFound, ServiceError
from node.web import field, flash, form_errors, node_of, read_form, read_upload_form, redirect, render, require_account
from storage import accounts, posts
from storage import groups as group_store
from storage.db import Row


def _post(request: Request, account: Row) -> Row:
    node = node_of(request)
    post_id = request.path_params["post_id"]
    post = posts.by_id(node.db, post_id) if 0 < post_id < 2**63 else None
    if post is None or post["deleted_at"]:
        raise NotFound("error.post_not_found")
    if not moderation.may_moderate_post(node, account, post):
        raise Forbidden("error.not_allowed")
    return post


def _post_page(request: Request, post: Row, failed: str = "", error: ServiceError | None = None,
               values: dict[str, str] | None = None) -> Response:
    node = node_of(request)
    group = moderation.group_of(node, post)
    return render(request, "moderate_post.html", {
        "post": post, "group": group, "failed": failed, "values": values or {},
        "errors": form_errors(request, error) if error else {},
        "is_topic": post["id"] == post["topic_id"],
        "author_banned": group is not None and group_store.active_ban(node.db, group["id"], post["author_id"],
                                                                       node.now()) is not None,
    }, status=error.status if error else 200)


async def post_form(request: Request) -> Response:
    account = require_account(request)
    return _post_page(request, _post(request, account))


async def _act(request: Request, name: str, action: Callable[[Node, Row, Row, FormData], Any]) -> Response:
    """Run one action on the post from its form; errors in the form show on the post's moderation page."""
    account = require_account(request)
    form = await read_form(request)
    post = _post(request, account)
    try:
        action(node_of(request), account, post, form)
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        return _post_page(request, post, name, error, {f"{name}-{key}": value for key, value in form.items()
                                                        if isinstance(value, str)})
    flash(request, "mod.done")
    found = posts.by_id(node_of(request).db, post["id"])
    return redirect(urls.post(found) if found is not None else "/")


def _report_id(form: FormData) -> int | None:
    value = field(form, "report").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


async def remove(request: Request) -> Response:
    return await _act(request, "remove", lambda node, account, post, form: moderation.remove_post(
        node, account, post["id"], field(form, "reason"), report_id=_report_id(form)))


async def restore(request: Request) -> Response:
    return await _act(request, "restore", lambda node, account, post, form: moderation.restore_post(
        node, account, post["id"], field(form, "reason")))


async def lock(request: Request) -> Response:
    return await _act(request, "lock", lambda node, account, post, form: moderation.lock_topic(
        node, account, post["id"], field(form, "reason")))


async def unlock(request: Request) -> Response:
    return await _act(request, "unlock", lambda node, account, post, form: moderation.unlock_topic(
        node, account, post["id"], field(form, "reason")))


async def pin(request: Request) -> Response:
    return await _act(request, "pin", lambda node, account, post, form: moderation.pin_topic(
        node, account, post["id"], field(form, "reason")))


async def unpin(request: Request) -> Response:
    return await _act(request, "unpin", lambda node, account, post, form: moderation.unpin_topic(
        node, account, post["id"], field(form, "reason")))


def _ban_author(node: Node, account: Row, post: Row, form: FormData) -> None:
    group = moderation.group_of(node, post)
    author = accounts.by_id(node.db, post["author_id"])
    if group is None or author is None:
        raise Invalid("error.not_allowed")
    moderation.ban(node, account, group, author, field(form, "reason"), until=field(form, "until"),
                   remove_posts=field(form, "remove_posts") == "1")


async def ban_author(request: Request) -> Response:
    return await _act(request, "ban", _ban_author)


# --- a group's moderation page ---------------------------------------------------------------------

def _group(request: Request, account: Row) -> Row:
    node = node_of(request)
    group = groups.get(node, request.path_params["slug"])
    if not moderation.may_moderate_group(node, account, group):
        raise Forbidden("error.not_allowed")
    return group


def _group_page(request: Request, group: Row, account: Row, failed: str = "", error: ServiceError | None = None,
                values: dict[str, str] | None = None) -> Response:
    node = node_of(request)
    return render(request, "moderate_group.html", {
        "group": group, "moderators": group_store.moderators(node.db, group["id"]),
        "bans": group_store.bans(node.db, group["id"]), "now": node.now(),
        "may_appoint": moderation.may_appoint(account, group), "failed": failed, "values": values or {},
        "errors": form_errors(request, error) if error else {},
    }, status=error.status if error else 200)


async def group_page(request: Request) -> Response:
    account = require_account(request)
    return _group_page(request, _group(request, account), account)


async def _target(node: Node, form: FormData, by_name: bool) -> Row:
    if by_name:
        return await network.find_account(node, field(form, "account"))
    value = field(form, "account_id")
    target = accounts.by_id(node.db, int(value)) if value.isdigit() and len(value) < 19 else None
    if target is None:
        raise NotFound("error.member_not_found")
    return target


async def _group_act(request: Request, name: str, action: Callable[[Node, Row, Row, FormData, Row], Any],
                     by_name: bool = True) -> Response:
    account = require_account(request)
    form = await read_form(request)
    node = node_of(request)
    group = _group(request, account)
    try:
        action(node, account, group, form, await _target(node, form, by_name))
    except ServiceError as error:
        if error.status == 403:
            raise
        return _group_page(request, group, account, name, error,
                           {f"{name}-{key}": value for key, value in form.items() if isinstance(value, str)})
    flash(request, "mod.done")
    return redirect(f"{urls.group(group['slug'])}/moderation")


async def group_images(request: Request) -> Response:
    """The group's icon and banner (multipart), by its moderators and the node's."""
    account = require_account(request)
    node = node_of(request)
    group = _group(request, account)
    form = await read_upload_form(request)
    try:
        chosen = {which: await images.chosen(node, form, which, which) for which in ("icon", "banner")}
        for which, file_hash in chosen.items():
            if file_hash is not None or images.removed(form, which):
                media.set_group_image(node, group, which, file_hash)
    except ServiceError as error:
        return _group_page(request, group, account, "images", error)
    finally:
        await form.close()
    flash(request, "images.saved")
    return redirect(f"{urls.group(group['slug'])}/moderation")


async def add_moderator(request: Request) -> Response:
    return await _group_act(request, "moderator", lambda node, account, group, form, target:
                            moderation.add_moderator(node, account, group, target))


async def remove_moderator(request: Request) -> Response:
    return await _group_act(request, "moderator", lambda node, account, group, form, target:
                            moderation.remove_moderator(node, account, group, target), by_name=False)


async def ban(request: Request) -> Response:
    return await _group_act(request, "ban", lambda node, account, group, form, target: moderation.ban(
        node, account, group, target, field(form, "reason"), until=field(form, "until"),
        remove_posts=field(form, "remove_posts") == "1"))


async def lift_ban(request: Request) -> Response:
    return await _group_act(request, "lift", lambda node, account, group, form, target: moderation.unban(
        node, account, group, target, field(form, "reason")), by_name=False)
