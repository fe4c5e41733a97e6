"""Topics: the form to start one, starting it, and the threaded topic page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.pages import attachments, writing
from node.services import drafts, groups, posts, topic_subscriptions
from node.services.errors import NotFound, ServiceError
from node.web import (
    current_account,
    field,
    form_errors,
    node_of,
    read_upload_form,
    redirect,
    render,
    require_account,
    thread_context,
)


async def new_form(request: Request) -> Response:
    account = require_account(request)
    group = groups.get(node_of(request), request.path_params["slug"])
    draft = drafts.for_topic(node_of(request), account, group["id"])
    values = {"title": draft["title"], "body": draft["source"]} if draft is not None else {}
    return render(request, "topic_new.html", {"group": group, "values": values, "draft": draft,
                                              **attachments.context(request, [])})


async def create(request: Request) -> Response:
    account = require_account(request)
    form = await read_upload_form(request)
    node = node_of(request)
    group = groups.get(node, request.path_params["slug"])
    values = {"title": field(form, "title"), "body": field(form, "body")}
    chosen = await attachments.take(request, form, account)
    try:
        if chosen.errors:
            return render(request, "topic_new.html", {
                "group": group, "values": values, "errors": chosen.errors,
                **attachments.context(request, chosen.rows, chosen.slot_values)}, status=chosen.status)
        action = field(form, "action")
        if action in (writing.PREVIEW, writing.DRAFT):  # nothing is posted; the form comes back
            extra, status = (writing.preview(request, values["body"]) if action == writing.PREVIEW else
                             writing.save_draft(request, account, group_id=group["id"], title=values["title"],
                                                body=values["body"]))
            return render(request, "topic_new.html", {
                "group": group, "values": values, **extra,
                **attachments.context(request, chosen.rows, chosen.slot_values)}, status=status)
        topic = posts.start_topic(node, account, group, values["title"], values["body"], chosen.media_ids)
    except ServiceError as error:
        return render(request, "topic_new.html", {
            "group": group, "values": values, "errors": form_errors(request, error),
            **attachments.context(request, chosen.rows, chosen.slot_values)}, status=error.status)
    return redirect(urls.topic(group["slug"], topic["id"]))


async def show(request: Request) -> Response:
    node = node_of(request)
    account = current_account(request)
    topic = posts.get(node, request.path_params["topic_id"], account)
    if topic["kind"] != "topic" or topic["group_slug"] != request.path_params["slug"].lower():
        raise NotFound("error.post_not_found")
    posts.record_view(node, topic["id"])
    return render(request, "topic.html", thread_context(request, topic)
                  | writing.reply_box_values(request, account, topic)
                  | {"subscription": topic_subscriptions.level(node, account, topic["id"])})
