"""Editing rules: a group's (its moderators, on /groups/{slug}/rules) and the node's (admins, on /admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.pages import admin
from node.services import groups, rules
from node.services.errors import Forbidden, ServiceError
from node.web import (
    client_address,
    current_account,
    field,
    flash,
    form_errors,
    node_of,
    read_form,
    redirect,
    render,
    require_account,
)


def _page(request: Request, slug: str, extra: dict[str, object] | None = None, status: int = 200) -> Response:
    node = node_of(request)
    group = groups.get(node, slug)
    current = rules.of_group(node, group)
    context: dict[str, object] = {
        "group": group, "rules": current, "may_edit": rules.may_edit_group(node, current_account(request), group),
        "values": {"rules": "\n".join(rule["text"] for rule in current)},
    }
    return render(request, "rules.html", context | (extra or {}), status)


async def show(request: Request) -> Response:
    return _page(request, request.path_params["slug"])


async def save_group(request: Request) -> Response:
    account = require_account(request)
    node = node_of(request)
    group = groups.get(node, request.path_params["slug"])
    if not rules.may_edit_group(node, account, group):
        raise Forbidden("error.not_allowed")
    form = await read_form(request)
    try:
        rules.set_group_rules(node, account, group, field(form, "rules").splitlines(), client_address(request))
    except ServiceError as error:
        return _page(request, group["slug"], {"values": {"rules": field(form, "rules")},
                                              "errors": form_errors(request, error)}, error.status)
    flash(request, "rules.saved")
    return redirect(urls.group(group["slug"]) + "/rules")


async def save_node(request: Request) -> Response:
    """From /admin: the node's rules (admins only; the service checks)."""
    account = require_account(request)
    node = node_of(request)
    if not rules.may_edit_node(account):
        raise Forbidden("error.not_allowed")
    form = await read_form(request)
    try:
        rules.set_node_rules(node, account, field(form, "rules").splitlines(), client_address(request))
    except ServiceError as error:
        return admin._page(request, {"node_rules": field(form, "rules"), "errors": form_errors(request, error)},
                           error.status)
    flash(request, "rules.saved")
    return redirect("/admin#rules")
