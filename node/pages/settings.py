"""A member's own settings: profile, language, password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import accounts
from node.services.errors import ServiceError
from node.web import field, flash, form_errors, log_in, node_of, read_form, redirect, render, require_account
from storage import accounts as account_store

PROFILE = ("display_name", "job_title", "department", "about", "language")


async def show(request: Request) -> Response:
    account = require_account(request)
    return render(request, "settings.html", {"values": {name: account[name] for name in PROFILE}})


async def save_profile(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    values = {name: field(form, name) for name in PROFILE}
    try:
        accounts.update_profile(node_of(request), account, values)
    except ServiceError as error:
        return render(request, "settings.html", {"values": values, "errors": form_errors(request, error)},
                      status=error.status)
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
        fresh = account_store.by_id(node_of(request).db, account["id"])
        assert fresh is not None
        log_in(request, fresh)  # this session goes on; the others end
    except ServiceError as error:
        return render(request, "settings.html", {
            "values": {name: account[name] for name in PROFILE}, "errors": form_errors(request, error),
        }, status=error.status)
    flash(request, "settings.password_changed")
    return redirect("/settings")
