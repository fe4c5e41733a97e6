"""The network page: follow people and groups elsewhere, look up a post or an actor by its address, and
what they post."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.services import network
from node.services.errors import ServiceError
from node.web import field, flash, form_errors, node_of, read_form, redirect, render, require_account
from storage import posts


def _context(request: Request) -> dict[str, object]:
    node = node_of(request)
    account = require_account(request)
    return {"followed": network.followed(node, account), "recent": posts.recent_remote_roots(node.db, 30)}


async def show(request: Request) -> Response:
    return render(request, "network.html", _context(request))


async def follow(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    runtime = node_of(request).runtime()
    try:
        actor = await network.follow(node_of(request), runtime.fetcher, runtime.actors, account, field(form, "handle"))
    except ServiceError as error:
        context = _context(request) | {"values": {"handle": field(form, "handle")},
                                       "errors": form_errors(request, error)}
        return render(request, "network.html", context, status=error.status)
    flash(request, "network.now_following", name=actor["name"] or actor["username"])
    return redirect("/network")


async def look_up(request: Request) -> Response:
    """A post, person or group by its address: stored here and shown on its page."""
    require_account(request)
    form = await read_form(request)
    runtime = node_of(request).runtime()
    address = field(form, "address")
    try:
        kind, row = await network.look_up(runtime.federated.ingest, address)
    except ServiceError as error:
        message = next(iter(form_errors(request, error).values()))
        context = _context(request) | {"values": {"address": address}, "errors": {"address": message}}
        return render(request, "network.html", context, status=error.status)
    if kind == "post":
        return redirect(urls.post(row))
    return redirect(urls.group(row["slug"]) if kind == "group" else urls.member(row["username"]))


async def unfollow(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    network.unfollow(node_of(request), account, field(form, "actor"))
    return redirect("/network")
