"""Log in, log out, sign up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.pages.oidc import sso_context
from node.pages.second_factor import after_password
from node.services import accounts
from node.services.errors import ServiceError
from node.web import (
    client_address,
    field,
    form_errors,
    log_in,
    log_out,
    node_of,
    read_form,
    redirect,
    render,
    safe_next,
    t,
)

WELCOME = "/welcome"  # a new member's next steps (node/pages/face.py)


async def login_form(request: Request) -> Response:
    return render(request, "login.html", {"next": safe_next(request.query_params.get("next")),
                                          **sso_context(request)})


async def login(request: Request) -> Response:
    form = await read_form(request)
    target = safe_next(field(form, "next"))
    account = await accounts.authenticate(node_of(request), field(form, "username"), field(form, "password"),
                                          client_address(request))
    if account is None:
        return render(request, "login.html", {
            **sso_context(request), "next": target, "values": {"username": field(form, "username")},
            "errors": {"_": t(request, "login.failed")},
        }, status=401)
    second_step = after_password(request, account, target)
    if second_step is not None:
        return second_step
    log_in(request, account)
    return redirect(target)


async def logout(request: Request) -> Response:
    await read_form(request)
    log_out(request)
    return redirect("/")


def _register_context(request: Request, invite: str) -> dict[str, object]:
    node = node_of(request)
    mode = accounts.registration_mode(node)
    return {
        "mode": mode,
        "invite": invite,
        "invite_ok": mode != "invite" or accounts.invite_is_valid(node, invite),
        "domains": ", ".join(accounts.allowed_domains(node)),
    }


async def register_form(request: Request) -> Response:
    context = _register_context(request, request.query_params.get("invite", ""))
    return render(request, "register.html", context, status=200)


async def register(request: Request) -> Response:
    form = await read_form(request)
    invite = field(form, "invite")
    values = {name: field(form, name) for name in ("username", "email", "display_name")}
    try:
        account = accounts.register(
            node_of(request), values["username"], field(form, "password"), values["email"],
            values["display_name"], invite,
        )
    except ServiceError as error:
        context = _register_context(request, invite)
        errors = form_errors(request, error)
        if error.field:  # a field's problem: show the other fields' problems too, not one at a time
            for other in accounts.sign_up_problems(node_of(request), values["username"], field(form, "password"),
                                                   values["email"], values["display_name"]):
                errors.setdefault(other.field or "_", t(request, other.message_key, **other.params))
        context.update(values=values, errors=errors)
        return render(request, "register.html", context, status=error.status)
    if account["email_pending"]:  # sign-up by e-mail domain: first the link in the mail
        return render(request, "register_sent.html", {"email": account["email"]})
    step = after_password(request, account, WELCOME)
    if step is not None:  # the admins require a second factor for everyone: enrol before anything else
        return step
    log_in(request, account)
    return redirect(WELCOME)
