"""Follow, stop following, mute and unmute a topic; follow and unfollow a tag (issue 12)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.services import topic_subscriptions
from node.web import field, flash, node_of, read_form, redirect, require_account, safe_next

TOPIC_FLASH = {"follow": "sub.flash.followed", "mute": "sub.flash.muted", "": "sub.flash.cleared"}


async def topic(request: Request) -> Response:
    """Form field level: 'follow', 'mute' or '' (neither); next: where to go back to (same site)."""
    account = require_account(request)
    form = await read_form(request)
    chosen = field(form, "level")
    root = topic_subscriptions.set_level(node_of(request), account, request.path_params["topic_id"], chosen)
    flash(request, TOPIC_FLASH.get(chosen, "sub.flash.cleared"), title=root["title"])
    return redirect(safe_next(field(form, "next"), urls.thread(root)))


async def tag(request: Request) -> Response:
    """Form field follow: '1' to follow, '' to stop."""
    account = require_account(request)
    form = await read_form(request)
    follow = field(form, "follow") == "1"
    name = topic_subscriptions.set_tag(node_of(request), account, request.path_params["tag"], follow)
    flash(request, "sub.flash.tag_followed" if follow else "sub.flash.tag_unfollowed", tag=name)
    return redirect(safe_next(field(form, "next"), urls.tag(name)))
