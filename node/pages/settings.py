"""A member's own settings: profile, language, password, and the sessions they are signed in with."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from node.pages import images
from node.services import accounts, mail_notify, media, sessions
from node.services.errors import NotFound, ServiceError
from node.web import (
    current_session_id,
    field,
    flash,
    form_errors,
    log_in,
    node_of,
    read_form,
    read_upload_form,
    redirect,
    render,
    require_account,
)
from storage import accounts as account_store
from storage.db import Row

PROFILE = ("display_name", "job_title", "department", "about", "language")


def _page(request: Request, account: Row, extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    current = current_session_id(request)
    listed = [{"id": row["id"], "device": sessions.describe_agent(row["user_agent"]), "agent": row["user_agent"],
               "address": row["address"], "last_seen": row["last_seen_at"], "created": row["created_at"],
               "current": row["id"] == current}
              for row in sessions.listing(node_of(request), account["id"])]
    context: dict[str, Any] = {"values": {name: account[name] for name in PROFILE}, "sessions": listed,
                               "mail_enabled": node_of(request).config.mail_enabled,
                               "mail_prefs": mail_notify.prefs(node_of(request), account["id"]),
                               "member": account_store.by_id(node_of(request).db, account["id"]),
                               "image_accept": images.ACCEPT,
                               "max_mb": node_of(request).config["media.max_file_bytes"] // 1_000_000}
    context.update(extra or {})
    return render(request, "settings.html", context, status=status)


async def show(request: Request) -> Response:
    return _page(request, require_account(request))


async def save_profile(request: Request) -> Response:
    """The profile's text fields and its two images (multipart); a refused image keeps what was typed."""
    account = require_account(request)
    node = node_of(request)
    form = await read_upload_form(request)
    values = {name: field(form, name) for name in PROFILE}
    try:
        # the images first: a refused file then changes nothing
        chosen = {which: await images.chosen(node, form, which, which) for which in ("avatar", "header")}
        accounts.update_profile(node, account, values)
        for which, file_hash in chosen.items():
            if file_hash is not None or images.removed(form, which):
                media.set_account_image(node, account, which, file_hash)
    except ServiceError as error:
        return _page(request, account, {"values": values, "errors": form_errors(request, error)}, error.status)
    finally:
        await form.close()
    response = redirect("/settings")
    if values["language"]:
        response.set_cookie("lang", values["language"], max_age=365 * 86400, samesite="lax", httponly=True)
    else:
        response.delete_cookie("lang")
    flash(request, "settings.saved")
    return response


async def change_password(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    try:
        accounts.change_password(node_of(request), account, field(form, "current_password"),
                                 field(form, "new_password"))
    except ServiceError as error:
        return _page(request, account, {"errors": form_errors(request, error)}, error.status)
    fresh = account_store.by_id(node_of(request).db, account["id"])
    assert fresh is not None
    log_in(request, fresh)  # every session ended; this browser goes on with a new one
    flash(request, "settings.password_changed")
    return redirect("/settings")


async def end_session(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    chosen = field(form, "session")
    if not chosen.isdigit():
        raise NotFound("error.session_not_found", "session")
    sessions.end_one(node_of(request), account["id"], int(chosen), current_session_id(request))
    flash(request, "sessions.ended")
    return redirect("/settings#sessions")


async def end_other_sessions(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    ended = sessions.end_others(node_of(request), account["id"], current_session_id(request))
    flash(request, "sessions.others_ended", count=ended)
    return redirect("/settings#sessions")


async def save_mail(request: Request) -> Response:
    """Which notifications come by e-mail, and whether at once or in a daily digest."""
    account = require_account(request)
    form = await read_form(request)
    chosen = {name: field(form, name) == "1" for name in ("mention", "reply", "topic", "digest")}
    mail_notify.save_prefs(node_of(request), account["id"], chosen)
    flash(request, "settings.saved")
    return redirect("/settings#h-mail")
