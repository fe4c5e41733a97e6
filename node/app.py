"""Build the Starlette app from a Config: routes, middleware, error pages."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from node import urls, web
from node.ap.negotiate import ActivityNegotiation
from node.api.cors import ApiCors
from node.body_limit import BodyLimit
from node.config import Config
from node.federation_runtime import FederationRuntime
from node.headers import SecurityHeaders
from node.mail_runtime import MailRuntime
from node.page_cache import VersionedCache
from node.pages.routes import routes
from node.services import oidc_members, organisation, summaries
from node.services.context import Node
from node.services.errors import Forbidden, NotFound, ServiceError, TooManyAttempts
from node.web import upload_limit
from storage.db import Database

log = logging.getLogger("meent")
SESSION_DAYS = 14
MEMBER_CACHE_SIZE = 1024  # members' unread counts per database version


def _login_required(request: Request, exc: Exception) -> Response:
    return web.redirect("/login?next=" + web.safe_next(request.url.path))


def _csrf_failed(request: Request, exc: Exception) -> Response:
    return _error_page(request, 403, "error.forbidden_title", "error.csrf")


def _too_large(request: Request, exc: Exception) -> Response:
    """The body was over the limit and was not read, so its text cannot be shown again: say so,
    and lead back to the form (the browser's Back usually still holds what was typed)."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    back = web.safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "") if same_site else ""
    message = web.t(request, "error.too_large") + " " + web.t(request, "polish.too_large")
    return web.render(request, "error.html", {"title_key": "polish.too_large_title", "message": message,
                                              "back": back}, 413)


def _bad_form(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400, "error.title", "error.bad_form")


def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    title = {404: "error.not_found_title", 403: "error.forbidden_title",
             429: "polish.wait_title"}.get(exc.status, "error.title")
    response = _error_page(request, exc.status, title, exc.message_key, **exc.params)
    if isinstance(exc, TooManyAttempts):  # a wait, not a fault: say how long (the limit's own window)
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error_page(request, 404, "error.not_found_title", "error.not_found")
    if exc.status_code == 405:
        return PlainTextResponse("Method not allowed", status_code=405, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        return _error_page(request, 500, "error.title", "error.server")
    except Exception:  # the error page itself failed: still no traceback for the visitor
        return PlainTextResponse("Internal server error", status_code=500)


def _error_page(request: Request, status: int, title_key: str, message_key: str, **params: object) -> Response:
    return web.render(
        request, "error.html", {"title_key": title_key, "message": web.t(request, message_key, **params)}, status
    )


VIEW_FLUSH_SECONDS = 5.0


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Background work in the server's event loop: writing batched page views, revalidating SSO
    members, and (once after an upgrade) deriving old summaries again."""
    node: Node = app.state.node
    federation = FederationRuntime(node)
    await federation.start()
    mail = MailRuntime(node)
    await mail.start()

    async def flush_views() -> None:
        while True:
            await asyncio.sleep(VIEW_FLUSH_SECONDS)
            node.flush_views()

    task = asyncio.create_task(flush_views())
    revalidation = asyncio.create_task(oidc_members.revalidate_forever(node))
    summaries_refreshed = asyncio.create_task(summaries.refresh_in_background(node))
    try:
        yield
    finally:
        task.cancel()
        revalidation.cancel()
        summaries_refreshed.cancel()
        node.flush_views()
        await mail.stop()
        await federation.stop()


def create_app(config: Config, database: Database | None = None) -> Starlette:
    db = database or Database(config.database_path)
    db.migrate()
    app = Starlette(
        routes=routes(config),
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders, hsts=config["node.https"]),
            Middleware(ApiCors),
            # before anything reads a body; inside the two above so that a 413 has their headers too
            Middleware(BodyLimit, form_limit=config["limits.form_max_bytes"], upload_limit=upload_limit(config)),
            Middleware(ActivityNegotiation),
            Middleware(
                SessionMiddleware, secret_key=config["node.secret_key"], session_cookie="meent_session",
                max_age=SESSION_DAYS * 86400, same_site="lax", https_only=config["node.https"],
            ),
        ],
        exception_handlers={
            web.LoginRequired: _login_required,
            web.CsrfFailed: _csrf_failed,
            web.FormTooLarge: _too_large,
            web.BadForm: _bad_form,
            ServiceError: _service_error,
            NotFound: _service_error,
            Forbidden: _service_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.node = Node(config=config, db=db)
    organisation.ensure_key(app.state.node)
    env = web.make_environment(config["node.timezone"], config["limits.body_max"])
    env.globals["urls"] = urls
    app.state.templates = env
    app.state.tree_cache = VersionedCache(web.TREE_CACHE_SIZE)  # visitors' thread parts (web.thread_context)
    app.state.tree_html_cache = OrderedDict()  # visitors' reply trees by content (web.thread_context)
    app.state.page_cache = VersionedCache(web.PAGE_CACHE_SIZE)
    app.state.member_cache = VersionedCache(MEMBER_CACHE_SIZE)
    return app

