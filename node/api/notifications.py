"""Notifications: mentions, replies (as mentions), favourites."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth, entities, present
from node.api.respond import ApiError, endpoint, json, limit, link_header, paging_id, params, path_id, strings
from node.web import node_of
from storage import accounts, posts
from storage.db import Row

OUR_KINDS = {"mention": ["mention", "reply"], "favourite": ["like"], "follow": ["follow"], "reblog": ["reblog"],
             "status": ["status"]}


def _entities(request: Request, me: Row, rows: list[Row]) -> list[dict]:
    node = node_of(request)
    result = []
    for row in rows:
        sender = accounts.by_id(node.db, row["from_account"])
        post = posts.by_id(node.db, row["post_id"]) if row["post_id"] else None
        if sender is None or (row["post_id"] and post is None):
            continue
        status = present.status(node, post, me) if post is not None and not post["deleted_at"] else None
        result.append(entities.notification(row, present.account(node, sender), status))
    return result


@endpoint
async def index(request: Request) -> Response:
    me = auth.member(request, "read")
    values = await params(request)
    clauses, args = ["account_id = ?"], [me["id"]]
    wanted = [kind for t in strings(values, "types") for kind in OUR_KINDS.get(t, [])]
    excluded = [kind for t in strings(values, "exclude_types") for kind in OUR_KINDS.get(t, [])]
    if strings(values, "types"):
        clauses.append(f"kind IN ({','.join('?' * len(wanted))})" if wanted else "0")
        args += wanted
    if excluded:
        clauses.append(f"kind NOT IN ({','.join('?' * len(excluded))})")
        args += excluded
    for name, op in (("max_id", "<"), ("since_id", ">"), ("min_id", ">")):
        bound = paging_id(values, name)
        if bound is not None:
            clauses.append(f"id {op} ?")
            args.append(bound)
    order = "ASC" if paging_id(values, "min_id") is not None else "DESC"
    rows = node_of(request).db.all(
        f"SELECT * FROM notifications WHERE {' AND '.join(clauses)} ORDER BY id {order} LIMIT ?",
        [*args, limit(values, 15, 30)])
    if order == "ASC":
        rows.reverse()
    items = _entities(request, me, rows)
    return json(items, headers=link_header(request, items))


@endpoint
async def show(request: Request) -> Response:
    me = auth.member(request, "read")
    row = node_of(request).db.one("SELECT * FROM notifications WHERE id = ? AND account_id = ?",
                                  (path_id(request), me["id"]))
    items = _entities(request, me, [row]) if row else []
    if not items:
        raise ApiError(404, "Record not found")
    return json(items[0])


@endpoint
async def clear(request: Request) -> Response:
    me = auth.member(request, "write")
    node = node_of(request)
    node.db.execute("UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL",
                    (node.now(), me["id"]))
    return json({})
