"""The organisation's face: its details and statements edited on /admin, the statement pages
(/privacy, /toegankelijkheid) and the welcome page a new member lands on."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.pages import admin
from node.pages.face_form import DETAILS, admin_context
from node.pages.face_form import links as typed_links
from node.services import node_settings
from node.services.errors import NotFound, ServiceError
from node.web import (
    client_address,
    field,
    flash,
    form_errors,
    node_of,
    read_form,
    redirect,
    render,
    require_account,
    require_admin,
)
from storage import groups as group_store
from storage.groups import follows

WELCOME_GROUPS = 5


async def save_details(request: Request) -> Response:
    actor = require_admin(request)
    form = await read_form(request)
    typed = {form_name: field(form, form_name) for form_name in DETAILS.values()}
    links = typed_links(form)
    try:
        node_settings.save_details(node_of(request), actor, {name: typed[form_name] for name, form_name in
                                                            DETAILS.items()}, links, client_address(request))
    except ServiceError as error:
        errors = form_errors(request, error)
        errors = {DETAILS.get(name, name): message for name, message in errors.items()}
        return admin._page(request, {"errors": errors, **admin_context(request, typed, links)}, error.status)
    flash(request, "settings.saved")
    return redirect("/admin#h-organisation")


async def save_statement(request: Request) -> Response:
    actor = require_admin(request)
    kind = request.path_params["kind"]
    if kind not in node_settings.STATEMENTS:
        raise NotFound("error.not_found")
    form = await read_form(request)
    text = field(form, kind)
    try:
        node_settings.save_statement(node_of(request), actor, kind, text, client_address(request))
    except ServiceError as error:
        return admin._page(request, {"errors": form_errors(request, error),
                                    **admin_context(request, typed_statement=(kind, text))}, error.status)
    flash(request, "face.statement_saved")
    return redirect(f"/admin#h-{kind}")


def _statement(request: Request, kind: str) -> Response:
    node = node_of(request)
    return render(request, "statement.html", {
        "kind": kind, "statement": node_settings.statement_html(node, kind),
    })


async def privacy(request: Request) -> Response:
    return _statement(request, "privacy")


async def accessibility(request: Request) -> Response:
    return _statement(request, "accessibility")


async def accessibility_english(request: Request) -> Response:
    """The English path leads to the one page (its language follows ?lang= as everywhere)."""
    query = request.url.query
    return RedirectResponse("/toegankelijkheid" + (f"?{query}" if query else ""), status_code=301)


async def welcome(request: Request) -> Response:
    """Next steps for a new member: shown once after sign-up, and reachable later."""
    account = require_account(request)
    node = node_of(request)
    listing = sorted(group_store.listing(node.db), key=lambda group: -int(group["followers"]))[:WELCOME_GROUPS]
    return render(request, "welcome.html", {
        "groups": [{"group": group, "following": follows(node.db, group["id"], account["id"])} for group in listing],
        "domain": node.config["node.domain"],
        "handle": f"@{account['username']}@{node.config['node.domain']}",
    })
