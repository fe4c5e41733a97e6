"""/admin/audit: the audit log for admins, paged and filtered by action, and all of it as CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import logs
from node.web import node_of, render, require_account


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


async def show(request: Request) -> Response:
    account = require_account(request)
    action = request.query_params.get("action", "")[:50] or None
    page = logs.audit_page(node_of(request), account, _page_number(request), action)
    return render(request, "admin_audit.html", {"audit": page, "action": action or ""})


async def export(request: Request) -> Response:
    account = require_account(request)
    node = node_of(request)
    text = logs.audit_csv(node, account)
    day = node.now()[:10]
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="meent-audit-{day}.csv"', "Cache-Control": "no-store"})
