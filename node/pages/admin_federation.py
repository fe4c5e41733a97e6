"""/admin/federation: queue depths, failing servers and activities that went wrong, with retry
and drop buttons (the same service as `meent federation status|retry`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import federation_status
from node.web import client_address, field, flash, node_of, read_form, redirect, render, require_admin

ACTIONS = {"retry_inbox", "drop_inbox", "retry_server", "drop_server", "retry_all"}


async def show(request: Request) -> Response:
    require_admin(request)
    return render(request, "admin_federation.html", {"status": federation_status.status(node_of(request)),
                                                      "error": None})


async def act(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    node = node_of(request)
    address = client_address(request)
    action, target = field(form, "action"), field(form, "target")
    if action not in ACTIONS:
        return render(request, "admin_federation.html", {"status": federation_status.status(node),
                                                          "error": "admin.federation.bad_action"}, 400)
    row_id = int(target) if target.isdigit() else None
    if action == "retry_inbox" and row_id is not None:
        count = federation_status.retry_inbox(node, [row_id], by=admin, address=address)
    elif action == "drop_inbox" and row_id is not None:
        count = federation_status.drop_inbox(node, [row_id], by=admin, address=address)
    elif action == "retry_server" and target:
        count = federation_status.retry_deliveries(node, target, by=admin, address=address)
    elif action == "drop_server" and target:
        count = federation_status.drop_deliveries(node, target, by=admin, address=address)
    elif action == "retry_all":
        count = (federation_status.retry_inbox(node, by=admin, address=address)
                 + federation_status.retry_deliveries(node, by=admin, address=address))
    else:
        count = 0
    flash(request, "admin.federation.done", count=count)
    return redirect("/admin/federation")
