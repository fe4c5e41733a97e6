""""Meld een probleem": the report form under every post, topic, blog post and profile, for members
and for visitors (with an e-mail address, rate-limited)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.services import groups, reports
from node.services.errors import ServiceError, TooManyAttempts
from node.web import client_address, current_account, field, flash, form_errors, node_of, read_form, redirect, render


def _post_target(request: Request) -> reports.Target:
    return reports.post_target(node_of(request), request.path_params["post_id"], current_account(request))


def _account_target(request: Request) -> reports.Target:
    return reports.account_target(node_of(request), request.path_params["name"])


def _group_target(request: Request) -> reports.Target:
    return reports.group_target(node_of(request), groups.get(node_of(request), request.path_params["slug"]))


def _back(target: reports.Target) -> str:
    if target.post is not None:
        return urls.post(target.post)
    if target.group is not None:
        return urls.group(target.group["slug"])
    assert target.account is not None
    return urls.member(target.account["username"])


def _form(request: Request, target: reports.Target, action: str, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(request, "report.html", {
        "target": target, "action": action, "back": _back(target), "categories": reports.CATEGORIES,
        "values": values or {"category": ""}, "errors": errors or {}, "comment_max": reports.COMMENT_MAX,
    }, status=status)


async def post_form(request: Request) -> Response:
    return _form(request, _post_target(request), request.url.path)


async def account_form(request: Request) -> Response:
    return _form(request, _account_target(request), request.url.path)


async def group_form(request: Request) -> Response:
    return _form(request, _group_target(request), request.url.path)


async def group_submit(request: Request) -> Response:
    return await _submit(request, _group_target(request))


async def post_submit(request: Request) -> Response:
    return await _submit(request, _post_target(request))


async def account_submit(request: Request) -> Response:
    return await _submit(request, _account_target(request))


async def _submit(request: Request, target: reports.Target) -> Response:
    form = await read_form(request)
    values = {name: field(form, name) for name in ("category", "comment", "email")}
    account = current_account(request)
    try:
        reports.file(node_of(request), account, target, values["category"], values["comment"],
                     email=values["email"], address=client_address(request))
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        response = _form(request, target, request.url.path, values, form_errors(request, error), error.status)
        if isinstance(error, TooManyAttempts):  # the form again, and when it may be sent
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    flash(request, "report.thanks")
    return redirect(_back(target))
