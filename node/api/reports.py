"""POST /api/v1/reports: a member reports an account (and some of its statuses) as Mastodon apps do."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth, entities, present
from node.api.respond import ApiError, endpoint, flag, json, params, strings, text
from node.services import reports
from node.services.context import Node
from node.services.errors import ServiceError
from node.web import client_address, node_of
from storage import accounts, groups, posts
from storage.db import Row


def _target(node: Node, account_id: str, status_ids: list[str]) -> tuple[reports.Target, list[Row]]:
    """The report's target: the first status named (the others go with it), else the account or group."""
    if not account_id.isdigit() or len(account_id) > 19:
        raise ApiError(404, "Record not found")
    number = int(account_id)
    if number >= entities.GROUP_OFFSET:
        group = groups.by_id(node.db, number - entities.GROUP_OFFSET)
        if group is None:
            raise ApiError(404, "Record not found")
        if status_ids:
            raise ApiError(422, "Validation failed: statuses of a group are reported with their author's account")
        return reports.group_target(node, group), []
    account = accounts.by_id(node.db, number)
    if account is None or account["disabled"]:
        raise ApiError(404, "Record not found")
    if len(status_ids) > reports.MAX_POSTS:
        raise ApiError(422, f"Validation failed: at most {reports.MAX_POSTS} statuses")
    found = []
    for raw in dict.fromkeys(status_ids):
        post = posts.by_id(node.db, int(raw)) if raw.isdigit() and len(raw) < 18 else None
        if post is None or post["deleted_at"] or post["author_id"] != account["id"] or post["state"] != "published":
            raise ApiError(422, f"Validation failed: status {raw[:20]} is not one of this account's")
        found.append(post)
    if found:
        return reports.post_target(node, found[0]["id"]), found[1:]
    return reports.account_target(node, account["username"]), []


def _category(values: dict[str, object]) -> str:
    given = text(values, "category")
    if not given:
        return "violation" if strings(values, "rule_ids") else "other"
    if given in reports.FROM_MASTODON:
        return reports.FROM_MASTODON[given]
    if given in reports.CATEGORIES:
        return given
    raise ApiError(422, "Validation failed: category must be one of spam, legal, violation, other")


@endpoint
async def create(request: Request) -> Response:
    me = auth.member(request, "write:reports")
    values = await params(request)
    node = node_of(request)
    account_id = text(values, "account_id")
    if not account_id:
        raise ApiError(422, "Validation failed: account_id is required")
    target, extra = _target(node, account_id, strings(values, "status_ids"))
    comment = text(values, "comment")
    if len(comment) > reports.COMMENT_MAX:
        raise ApiError(422, f"Validation failed: Comment is too long (maximum is {reports.COMMENT_MAX} characters)")
    category = _category(values)
    try:
        rule_ids = reports.check_rules(node, target, strings(values, "rule_ids"))
        row = reports.file(node, me, target, category, comment, rule_ids=rule_ids, extra_posts=extra,
                           forward=flag(values, "forward"), address=client_address(request))
    except ServiceError as error:
        if error.status == 404:
            raise ApiError(404, "Record not found") from None
        raise
    return json(_entity(node, row))


def _entity(node: Node, row: Row) -> dict[str, object]:
    if row["target_kind"] == "group":
        group = groups.by_id(node.db, row["group_id"])
        assert group is not None
        target_account = present.group(node, group)
    else:
        account = accounts.by_id(node.db, row["account_id"])
        assert account is not None
        target_account = present.account(node, account)
    status_ids = [int(n) for n in str(row["post_ids"]).split(",") if n.isdigit()]
    rule_ids = [int(n) for n in str(row["rule_ids"]).split(",") if n.isdigit()]
    return entities.report(row, reports.mastodon_category(row["category"]), target_account, status_ids, rule_ids)
