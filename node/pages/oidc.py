"""Log-in with the organisation's account: the start (a redirect to the provider) and the callback."""

from __future__ import annotations

import hashlib
import logging
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.services import oidc, oidc_members
from node.services.errors import ServiceError
from node.web import (
    client_address,
    field,
    flash,
    log_in,
    node_of,
    read_form,
    redirect,
    render,
    require_admin,
    safe_next,
    t,
)

log = logging.getLogger("meent.oidc")
SESSION_KEY = "oidc_state"  # the attempt belongs to this browser: no log-in CSRF with someone else's code


def sso_context(request: Request) -> dict[str, object]:
    """The SSO buttons of the log-in page and of the client API's consent page."""
    node = node_of(request)
    return {"sso": oidc.providers(node), "local_passwords": oidc_members.local_passwords_on(node)}


async def start(request: Request) -> Response:
    node = node_of(request)
    target = safe_next(request.query_params.get("next"))
    try:
        url, state = await oidc.start(node, request.query_params.get("provider", ""), target)
    except oidc.LoginFailed as failed:
        log.warning("oidc start failed: %s", failed.reason)
        return _failed(request, failed, 502)
    except ServiceError as error:
        return _failed(request, error, error.status)
    request.session[SESSION_KEY] = hashlib.sha256(state.encode()).hexdigest()
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    node = node_of(request)
    state = request.query_params.get("state", "")
    bound = request.session.pop(SESSION_KEY, "")
    mine = isinstance(bound, str) and secrets.compare_digest(bound, hashlib.sha256(state.encode()).hexdigest())
    if request.query_params.get("error"):  # the person cancelled, or the provider refused
        log.info("oidc provider answered %s", request.query_params.get("error"))
        return _failed(request, oidc.LoginFailed("provider error"), 403)
    try:
        if not mine:
            raise oidc.LoginFailed("state not started in this browser")
        result = await oidc.finish(node, state, request.query_params.get("code", ""))
        account = oidc_members.sign_in(node, result, client_address(request))
    except oidc.LoginFailed as failed:
        log.warning("oidc log-in refused: %s", failed.reason)
        return _failed(request, failed, 403)
    except oidc.TokenRefused as refused:
        log.warning("oidc code refused by the provider: %s", refused)
        return _failed(request, oidc.LoginFailed(str(refused)), 403)
    except ServiceError as error:
        return _failed(request, error, error.status)
    first = account["last_login_at"] is None  # read before log_in() sets it
    log_in(request, account)
    # A member's very first log-in, not on the way elsewhere (an app's consent page): the next steps.
    return redirect("/welcome" if first and result.next_url == "/" else result.next_url)


def _failed(request: Request, error: ServiceError, status: int) -> Response:
    return render(request, "error.html", {
        "title_key": "oidc.failed_title", "message": t(request, error.message_key, **error.params),
    }, status)


async def local_passwords(request: Request) -> Response:
    """/admin: members may (or may no longer) log in with a local password; admins always may."""
    admin = require_admin(request)
    form = await read_form(request)
    try:
        oidc_members.set_local_passwords(node_of(request), field(form, "local_passwords") == "on", admin,
                                         client_address(request))
    except ServiceError as error:
        return _failed(request, error, error.status)
    flash(request, "settings.saved")
    return redirect("/admin#sso-admin")
