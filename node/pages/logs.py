"""The public moderation log (the node's and each group's) and the about page with the node's rules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import groups, logs, rules
from node.services.errors import NotFound
from node.web import node_of, redirect, render
from storage import moderation_log


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _log(request: Request, group_slug: str | None) -> Response:
    node = node_of(request)
    group = groups.get(node, group_slug) if group_slug else None
    before = _before(request)
    page = logs.public_page(node, group, before)
    return render(request, "moderation_log.html", {
        "group": group, "entries": page.entries, "older": page.older, "paged": before is not None,
    })


async def node_log(request: Request) -> Response:
    return _log(request, None)


async def group_log(request: Request) -> Response:
    return _log(request, request.path_params["slug"])


async def entry(request: Request) -> Response:
    """An entry's own URL (its id in the ActivityStreams log): the log page where it stands."""
    row = moderation_log.public_entry(node_of(request).db, request.path_params["entry_id"])
    if row is None:
        raise NotFound("error.not_found")
    return redirect(f"/moderation-log?before={row['id'] + 1}#entry-{row['id']}")


async def about(request: Request) -> Response:
    return render(request, "about.html", {"rules": rules.of_node(node_of(request))})
