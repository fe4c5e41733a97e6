"""/admin/blocks: block or limit remote accounts and servers, and subscribe to shared allow/block lists
(the same services as `meent block` and `meent unblock`); changes take effect at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import block_lists, blocks, network
from node.services.errors import Invalid, ServiceError
from node.web import field, flash, form_errors, node_of, read_form, redirect, render, require_admin


def _page(request: Request, extra: dict[str, object] | None = None, status: int = 200) -> Response:
    node = node_of(request)
    policy = blocks.policy(node)
    context: dict[str, object] = {
        "blocks": blocks.listing(node),
        "lists": block_lists.subscriptions(node),
        "standings": blocks.conflicts(node),
        "mode": policy.mode,
        "config_blocked": sorted(policy.blocked_domains),
        "config_allowed": sorted(policy.allowed_domains),
        "values": {}, "list_values": {}, "errors": {}, "list_errors": {},
    }
    context.update(extra or {})
    return render(request, "admin_blocks.html", context, status)


async def _resolved(request: Request, value: str) -> str:
    """An @user@domain handle as its actor URL (looked up by WebFinger); anything else as typed."""
    value = value.strip()
    if "://" in value or "@" not in value:
        return value
    runtime = node_of(request).runtime()
    try:
        return str((await network.resolve(node_of(request), runtime.fetcher, runtime.actors, value))["uri"])
    except Invalid:
        raise Invalid("blocks.handle_not_found", "target", handle=value) from None


async def show(request: Request) -> Response:
    require_admin(request)
    return _page(request)


async def act(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    node = node_of(request)
    action = field(form, "action")
    values = {name: field(form, name) for name in ("target", "reason", "severity")}
    try:
        if action == "block":
            if not values["reason"].strip():
                raise Invalid("blocks.reason_required", "reason")
            target = await _resolved(request, values["target"])
            row = blocks.block(node, admin, target, values["reason"], limit=values["severity"] == "limit")
            flash(request, f"blocks.done_{row['severity']}", target=row["target"])
        elif action == "unblock":
            blocks.unblock(node, admin, values["target"])
            flash(request, "blocks.done_unblock", target=values["target"])
        else:
            raise Invalid("blocks.bad_action")
    except ServiceError as error:
        return _page(request, {"values": values, "errors": form_errors(request, error)}, error.status)
    return redirect("/admin/blocks")


async def lists(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    node = node_of(request)
    action = field(form, "action")
    values = {name: field(form, name) for name in ("url", "kind")}
    try:
        if action == "subscribe":
            row = await block_lists.subscribe(node, admin, values["url"], values["kind"])
            flash(request, "blocks.list_subscribed", url=row["url"], count=row["entry_count"])
        elif action in ("unsubscribe", "refresh") and field(form, "list").isdigit():
            list_id = int(field(form, "list"))
            if action == "unsubscribe":
                block_lists.unsubscribe(node, admin, list_id)
                flash(request, "blocks.list_unsubscribed")
            else:
                await block_lists.refresh_one(node, list_id)
                flash(request, "blocks.list_refreshed")
        else:
            raise Invalid("blocks.bad_action")
    except ServiceError as error:
        return _page(request, {"list_values": values, "list_errors": form_errors(request, error)}, error.status)
    return redirect("/admin/blocks#lists")
