"""The second factor's pages: the code step of a log-in, enrolment when the policy requires it,
and enrolling or turning it off in /settings."""

from __future__ import annotations

from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import Response

from node.services import second_factor, second_factor_policy
from node.services.errors import ServiceError
from node.web import (
    client_address,
    field,
    flash,
    form_errors,
    log_in,
    node_of,
    read_form,
    redirect,
    render,
    require_account,
    safe_next,
    t,
)
from storage.db import Row

PENDING = "pending_login"


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (segno, pure Python); decorative next to the text."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False))


def after_password(request: Request, account: Row, target: str) -> Response | None:
    """The second step of a log-in when one is due (a code, or enrolment the policy requires);
    None when the password was enough. Local log-ins only: SSO relies on the provider's MFA."""
    node = node_of(request)
    if second_factor.enrolled(account):
        step = "code"
    elif second_factor_policy.needs_second_factor(node, account):
        step = "enrol"
    else:
        return None
    request.session[PENDING] = {"token": second_factor.begin(node, account, step), "next": target}
    return redirect("/login/code" if step == "code" else "/login/enrol")


def _pending(request: Request, step: str) -> tuple[Row, str, str] | None:
    held = request.session.get(PENDING)
    if not isinstance(held, dict) or not isinstance(held.get("token"), str):
        return None
    found = second_factor.pending(node_of(request), held["token"])
    if found is None or found[1] != step:
        return None
    return found[0], held["token"], safe_next(str(held.get("next") or "/"))


def _expired(request: Request) -> Response:
    request.session.pop(PENDING, None)
    flash(request, "second_factor.expired")
    return redirect("/login")


async def code_form(request: Request) -> Response:
    if _pending(request, "code") is None:
        return _expired(request)
    return render(request, "login_code.html", {})


async def code_submit(request: Request) -> Response:
    form = await read_form(request)
    found = _pending(request, "code")
    if found is None:
        return _expired(request)
    account, token, target = found
    node = node_of(request)
    try:
        ok = second_factor.check(node, account, field(form, "code"), client_address(request))
    except ServiceError as error:
        return render(request, "login_code.html", {"errors": form_errors(request, error)}, error.status)
    if not ok:
        return render(request, "login_code.html", {"errors": {"code": t(request, "error.second_factor_code")}},
                      401)
    second_factor.finish(node, token)
    log_in(request, account)
    return redirect(target)


def _enrol_context(request: Request, uri: str, action: str) -> dict[str, Any]:
    secret = uri.split("secret=")[1].split("&")[0]
    return {"uri": uri, "secret": secret, "qr": qr_svg(uri), "action": action, "required": False}


async def enrol_form(request: Request) -> Response:
    """Enrolment the policy requires, right after the password: the member is not signed in yet."""
    found = _pending(request, "enrol")
    if found is None:
        return _expired(request)
    uri = second_factor.start_enrolment(node_of(request), found[0], found[1])
    context = _enrol_context(request, uri, "/login/enrol") | {"required": True}
    return render(request, "second_factor_enrol.html", context)


async def enrol_submit(request: Request) -> Response:
    form = await read_form(request)
    found = _pending(request, "enrol")
    if found is None:
        return _expired(request)
    account, token, target = found
    node = node_of(request)
    try:
        codes = second_factor.confirm_enrolment(node, account, field(form, "code"), token)
    except ServiceError as error:
        uri = second_factor.start_enrolment(node, account, token)
        context = _enrol_context(request, uri, "/login/enrol") | {"required": True,
                                                                   "errors": form_errors(request, error)}
        return render(request, "second_factor_enrol.html", context, error.status)
    second_factor.finish(node, token)
    log_in(request, account)
    return render(request, "second_factor_codes.html", {"codes": codes, "next": target})


async def settings_form(request: Request) -> Response:
    account = require_account(request)
    node = node_of(request)
    if second_factor.enrolled(account):
        return render(request, "second_factor_off.html", {"left": second_factor.recovery_codes_left(node, account)})
    uri = second_factor.start_enrolment(node, account)
    return render(request, "second_factor_enrol.html", _enrol_context(request, uri, "/settings/second-factor"))


async def settings_submit(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    node = node_of(request)
    try:
        codes = second_factor.confirm_enrolment(node, account, field(form, "code"))
    except ServiceError as error:
        uri = second_factor.start_enrolment(node, account)
        context = _enrol_context(request, uri, "/settings/second-factor") | {"errors": form_errors(request, error)}
        return render(request, "second_factor_enrol.html", context, error.status)
    return render(request, "second_factor_codes.html", {"codes": codes, "next": "/settings"})


async def disable(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    node = node_of(request)
    try:
        second_factor.disable(node, account, field(form, "code"), field(form, "password"), client_address(request))
    except ServiceError as error:
        context = {"left": second_factor.recovery_codes_left(node, account), "errors": form_errors(request, error)}
        return render(request, "second_factor_off.html", context, error.status)
    flash(request, "second_factor.disabled")
    return redirect("/settings")
