"""Pages that e-mail links lead to, and those that send them: confirm the address of a new account,
ask for a new confirmation link, forgot password, reset password, one-click unsubscribe."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from node.services import accounts, mail
from node.services.errors import Invalid, ServiceError
from node.web import field, flash, form_errors, node_of, read_form, redirect, render, t


def _mail_off(request: Request) -> bool:
    return not node_of(request).config.mail_enabled


def _message(request: Request, title: str, message: str, status: int = 200) -> Response:
    return render(request, "mail_message.html", {"title": t(request, title), "message": t(request, message)}, status)


def _bad_link(request: Request, error: ServiceError) -> Response:
    return render(request, "mail_message.html", {"title": t(request, "mail.link_title"),
                                                 "message": t(request, error.message_key), "bad_link": True},
                  status=400)


async def confirm(request: Request) -> Response:
    """GET shows a button (mail scanners follow links; they must not use them up); POST confirms."""
    token = request.query_params.get("token", "")
    try:
        mail.check_link(node_of(request), token, "confirm")
    except Invalid as error:
        return _bad_link(request, error)
    return render(request, "mail_confirm.html", {"token": token})


async def confirm_post(request: Request) -> Response:
    form = await read_form(request)
    try:
        accounts.confirm_email(node_of(request), field(form, "token"))
    except Invalid as error:
        return _bad_link(request, error)
    flash(request, "mail.confirmed")
    return redirect("/login?next=/welcome")  # the address confirmed: a new member's next steps follow


async def resend_form(request: Request) -> Response:
    return render(request, "mail_ask.html", {"what": "resend", "mail_off": _mail_off(request)})


async def resend(request: Request) -> Response:
    form = await read_form(request)
    if _mail_off(request):
        return render(request, "mail_ask.html", {"what": "resend", "mail_off": True}, status=409)
    accounts.resend_confirmation(node_of(request), field(form, "email"))
    return _message(request, "mail.resend.title", "mail.sent_if_known")


async def forgot_form(request: Request) -> Response:
    return render(request, "mail_ask.html", {"what": "forgot", "mail_off": _mail_off(request)})


async def forgot(request: Request) -> Response:
    form = await read_form(request)
    if _mail_off(request):
        return render(request, "mail_ask.html", {"what": "forgot", "mail_off": True}, status=409)
    accounts.request_reset(node_of(request), field(form, "email"))
    return _message(request, "mail.forgot.title", "mail.sent_if_known")


async def reset_form(request: Request) -> Response:
    token = request.query_params.get("token", "")
    try:
        mail.check_link(node_of(request), token, "reset")
    except Invalid as error:
        return _bad_link(request, error)
    return render(request, "mail_reset.html", {"token": token})


async def reset(request: Request) -> Response:
    form = await read_form(request)
    token = field(form, "token")
    try:
        accounts.reset_password(node_of(request), token, field(form, "password"))
    except Invalid as error:
        if error.field == "token":
            return _bad_link(request, error)
        return render(request, "mail_reset.html", {"token": token, "errors": form_errors(request, error)},
                      status=error.status)
    flash(request, "mail.reset.done")
    return redirect("/login")


def _unsubscribe_args(request: Request) -> tuple[int, str, str]:
    raw = request.path_params
    account_id = int(raw["account_id"]) if str(raw["account_id"]).isdigit() else 0
    return account_id, str(raw["kind"]), str(raw["signature"])


async def unsubscribe_form(request: Request) -> Response:
    account_id, kind, signature = _unsubscribe_args(request)
    try:
        mail.check_unsubscribe(node_of(request), account_id, kind, signature)
    except Invalid as error:
        return _bad_link(request, error)
    return render(request, "mail_unsubscribe.html", {"kind": kind})


async def unsubscribe(request: Request) -> Response:
    """RFC 8058 one-click: the mail program POSTs `List-Unsubscribe=One-Click` without a session or a
    CSRF token; the signed link itself is the proof. The form on the page posts the same."""
    account_id, kind, signature = _unsubscribe_args(request)
    try:
        mail.unsubscribe(node_of(request), account_id, kind, signature)
    except Invalid:
        return PlainTextResponse(t(request, "error.link_unknown"), status_code=400)
    if "text/html" in request.headers.get("accept", ""):
        return _message(request, "mail.unsubscribe.title", "mail.unsubscribe.done")
    return PlainTextResponse(t(request, "mail.unsubscribe.done"))
