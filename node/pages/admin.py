"""Administration: members, their roles and sessions, registration policy, invitations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.pages import face_form, images
from node.pages.oidc import sso_context
from node.services import accounts, lifecycle, media, moderation, rules, second_factor, sessions
from node.services import second_factor_policy as mfa_policy
from node.services.errors import Forbidden, ServiceError
from node.web import (
    client_address,
    field,
    flash,
    form_errors,
    node_of,
    read_form,
    read_upload_form,
    redirect,
    render,
    require_admin,
    t,
)
from storage import accounts as account_store
from storage import groups, settings


def _page(request: Request, extra: dict[str, object] | None = None, status: int = 200) -> Response:
    node = node_of(request)
    context: dict[str, object] = {
        "members": account_store.listing(node.db),
        "session_counts": sessions.active_counts(node),
        "groups": groups.listing(node.db),
        "mode": accounts.registration_mode(node),
        "mail_enabled": node.config.mail_enabled,
        "domains": " ".join(accounts.allowed_domains(node)),
        "invites": settings.invites(node.db),
        "invite_url": request.session.pop("invite_url", None),
        "roles": accounts.ROLES,
        "node_rules": "\n".join(rule["text"] for rule in rules.of_node(node)),
        **sso_context(request),
        "second_factor_policy": mfa_policy.policy(node),
        "second_factor_policies": mfa_policy.POLICIES,
        **face_form.admin_context(request),
    }
    context.update(extra or {})
    return render(request, "admin.html", context, status)


async def show(request: Request) -> Response:
    require_admin(request)
    return _page(request)


async def logo(request: Request) -> Response:
    """The organisation's logo in the site header (set_logo writes the audit log)."""
    admin = require_admin(request)
    node = node_of(request)
    form = await read_upload_form(request)
    try:
        file_hash = await images.chosen(node, form, "logo", "logo")
        if file_hash is not None or images.removed(form, "logo"):
            media.set_logo(node, file_hash, by=admin, address=client_address(request))
    except ServiceError as error:
        return _page(request, {"errors": form_errors(request, error)}, error.status)
    finally:
        await form.close()
    flash(request, "images.logo_saved")
    return redirect("/admin#h-logo")


async def registration(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    try:
        accounts.set_registration_policy(node_of(request), field(form, "mode"), field(form, "domains").split(),
                                         by=admin, address=client_address(request))
    except ServiceError as error:
        return _page(request, {"errors": form_errors(request, error)}, error.status)
    flash(request, "settings.saved")
    return redirect("/admin#registration")


async def invite(request: Request) -> Response:
    admin = require_admin(request)
    await read_form(request)
    token = accounts.create_invite(node_of(request), admin["id"], client_address(request))
    request.session["invite_url"] = f"{node_of(request).config.base_url}/register?invite={token}"
    return redirect("/admin#invites")


async def create_member(request: Request) -> Response:
    require_admin(request)
    form = await read_form(request)
    values = {name: field(form, name) for name in ("username", "display_name", "role")}
    try:
        member = accounts.create(
            node_of(request), values["username"], field(form, "password"), role=values["role"] or "member",
            display_name=values["display_name"],
        )
    except ServiceError as error:
        return _page(request, {"values": values, "errors": form_errors(request, error)}, error.status)
    flash(request, "admin.member_created", name=member["username"])
    return redirect("/admin#members")


async def member(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    node = node_of(request)
    name = request.path_params["name"]
    action = field(form, "action")
    if name.lower() == admin["username"]:
        raise Forbidden("error.not_allowed")  # an admin cannot lock themselves out
    if action == "role":
        accounts.set_role(node, name, field(form, "role"), by=admin, address=client_address(request))
    elif action in ("disable", "enable"):
        accounts.set_disabled(node, name, action == "disable", by=admin, address=client_address(request))
    elif action in ("suspend", "unsuspend"):
        try:
            act = moderation.suspend if action == "suspend" else moderation.unsuspend
            act(node, admin, name, field(form, "reason"))
        except ServiceError as error:
            if error.status in (403, 404):
                raise
            return _page(request, {"errors": form_errors(request, error), "failed": f"suspend-{name}"}, error.status)
    elif action == "send_reset":
        accounts.admin_send_reset(node, name, by=admin, address=client_address(request))
        flash(request, "admin.reset_sent", name=name)
        return redirect("/admin#members")
    elif action == "end_sessions":
        sessions.end_all(node, accounts.get(node, name)["id"], revoke_tokens=True)
        flash(request, "admin.sessions_ended", name=name)
        return redirect("/admin#members")
    else:
        raise Forbidden("error.not_allowed")
    flash(request, "settings.saved")
    return redirect("/admin#members")


async def second_factor_policy(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    try:
        ended = second_factor.set_policy(node_of(request), field(form, "policy"), by=admin,
                                         address=client_address(request))
    except ServiceError as error:
        return _page(request, {"errors": form_errors(request, error)}, error.status)
    flash(request, "admin.second_factor_saved", count=ended)
    return redirect("/admin#second-factor")


async def delete_form(request: Request) -> Response:
    admin = require_admin(request)
    member = accounts.get(node_of(request), request.path_params["name"])
    if member["id"] == admin["id"] or member["domain"] or member["deleted_at"]:
        raise Forbidden("error.not_allowed")
    return render(request, "admin_delete.html", {"member": member})


async def delete_member(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    name = request.path_params["name"]
    if field(form, "confirm") != name:
        member = accounts.get(node_of(request), name)
        return render(request, "admin_delete.html", {
            "member": member, "errors": {"confirm": t(request, "admin.delete_confirm_wrong", name=name)}}, 400)
    lifecycle.delete_member(node_of(request), name, by=admin, address=client_address(request))
    flash(request, "admin.member_deleted", name=name)
    return redirect("/admin#members")
