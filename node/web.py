"""What every page handler shares: rendering, the signed-in member, CSRF-checked forms.

A handler reads a form only through read_form(), so no form can skip the CSRF
check or the size limit.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from node import avatars, i18n, threads
from node.services import blocks, moderation, profile_images, reports, sessions
from node.services.accounts import registration_mode
from node.services.context import Node
from node.services.errors import Forbidden
from storage import notifications
from storage.db import Row

TEMPLATES = Path(__file__).parent / "templates"
MAX_FIELDS = 50


class CsrfFailed(Exception):
    """The form's CSRF token is missing or does not match the session's."""


class FormTooLarge(Exception):
    """The request body is over the configured limit."""


class BadForm(Exception):
    """The body could not be parsed as a form."""


class LoginRequired(Exception):
    """A page for members was asked for by a visitor."""


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["datetime"] = lambda value: (value or "")[:16].replace("T", " ")
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    env.filters["filesize"] = file_size
    env.globals["picture"] = avatars.picture  # the avatar macro's data (tree.html has no render() context)
    return env


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def current_account(request: Request) -> Row | None:
    """The signed-in, enabled member, looked up once per request from the session row that the
    cookie's token names; a session that was ended or has expired no longer counts."""
    if "account" not in request.state._state:
        token = request.session.get("token")
        found = sessions.account_for(node_of(request), token) if isinstance(token, str) else None
        request.state.account = found
        request.state.session_id = found["session_id"] if found is not None else None
    account: Row | None = request.state.account
    return account


def current_session_id(request: Request) -> int | None:
    """The id of this browser's session row, when signed in."""
    current_account(request)
    session_id: int | None = request.state.session_id
    return session_id


def log_in(request: Request, account: Row) -> None:
    """A fresh session for the member (no fixation: a new token, the old row ended); the CSRF
    token of the form in use stays valid."""
    node = node_of(request)
    csrf = request.session.get("csrf")
    old = request.session.get("token")
    if isinstance(old, str):
        sessions.end(node, old)
    request.session.clear()
    token, session_id = sessions.start(node, account["id"], request.headers.get("user-agent", ""),
                                       client_address(request))
    request.session.update({"token": token, "csrf": csrf})
    request.state.account = account
    request.state.session_id = session_id


def log_out(request: Request) -> None:
    """End this browser's session for real: its row is deleted, so a copied cookie stops working."""
    token = request.session.get("token")
    if isinstance(token, str):
        sessions.end(node_of(request), token)
    request.session.clear()
    request.state.account = None
    request.state.session_id = None


def require_account(request: Request) -> Row:
    account = current_account(request)
    if account is None:
        raise LoginRequired()
    return account


def require_admin(request: Request) -> Row:
    """The signed-in admin; anyone else gets 403 (a visitor is sent to log in first)."""
    account = require_account(request)
    if account["role"] != "admin":
        raise Forbidden("error.not_allowed")
    return account


def client_address(request: Request) -> str:
    """The address a request came from, as uvicorn reports it: behind a proxy listed in
    `server.trusted_proxies` (or `meent serve --trusted-proxy`), the visitor's, from X-Forwarded-For."""
    return request.client.host if request.client else ""


def language(request: Request) -> str:
    if "language" not in request.state._state:
        account = current_account(request)
        request.state.language = i18n.choose(
            request.query_params.get("lang"), request.cookies.get("lang"),
            account["language"] if account else "", request.headers.get("accept-language", ""),
            node_of(request).config["node.default_language"],
        )
    chosen: str = request.state.language
    return chosen


def t(request: Request, key: str, **params: Any) -> str:
    return i18n.translate(language(request), key, **params)


class LazyCsrf:
    """The session's CSRF token, made only when a page really shows a form.

    Pages without forms then set no session cookie for visitors, and stay cacheable.
    """

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)


def file_size(size: int | None) -> str:
    """A size as people read it: 340 kB, 2.4 MB (decimal units, as the limits are given)."""
    value = int(size or 0)
    if value < 1000:
        return f"{value} B"
    if value < 1_000_000:
        return f"{round(value / 1000)} kB"
    return f"{value / 1_000_000:.1f} MB"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def read_form(request: Request) -> FormData:
    """The posted form, after the size limit and the CSRF check."""
    limit = node_of(request).config["limits.form_max_bytes"]
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FormTooLarge()
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FormTooLarge()
        chunks.append(chunk)
    request._body = b"".join(chunks)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception as error:  # multipart raises several unrelated types for a broken body
        raise BadForm() from error
    expected = request.session.get("csrf")
    given = form.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        raise CsrfFailed()
    return form


def upload_limit(config: Any) -> int:
    """The largest body of a form or API request that carries files (the files and the text)."""
    return int(config["limits.form_max_bytes"]) + int(config["media.max_post_bytes"])


async def read_upload_form(request: Request) -> FormData:
    """A posted form that may carry files (multipart): parsed as it streams, the files spooled to
    anonymous temporary files (nothing named is left on disk if it breaks off), the whole body
    within upload_limit (body_limit.py counts it), then the CSRF check. The caller closes the form."""
    node = node_of(request)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await read_form(request)  # no files can be in it: the form limit holds
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > upload_limit(node.config):
        raise FormTooLarge()
    try:
        form = await request.form(max_files=node.config["media.max_files_per_post"] + 2, max_fields=MAX_FIELDS,
                                  max_part_size=node.config["limits.form_max_bytes"])
    except FormTooLarge:
        raise
    except (MultiPartException, HTTPException) as error:  # Starlette turns the first into the second
        if "maximum size" in str(getattr(error, "detail", error)):  # a text field over the form limit
            raise FormTooLarge() from error
        raise BadForm() from error
    except Exception as error:  # multipart raises several unrelated types for a broken body
        raise BadForm() from error
    expected = request.session.get("csrf")
    given = form.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        await form.close()
        raise CsrfFailed()
    return form


def files(form: FormData, name: str) -> list[UploadFile]:
    """The files chosen in this field (a file input left empty sends a part without a name)."""
    return [value for value in form.getlist(name) if isinstance(value, UploadFile) and value.filename]


async def file_bytes(upload: UploadFile, limit: int) -> bytes:
    """At most limit + 1 bytes of an uploaded file (one more says it was too large)."""
    return await upload.read(limit + 1)


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect a visitor to another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    node = node_of(request)
    account = current_account(request)
    lang = language(request)
    env: jinja2.Environment = request.app.state.templates
    values = {
        "request": request,
        "lang_url": lambda code: _with_query(request, lang=code),
        "registration_open": account is None and registration_mode(node) != "closed",
        "lang": lang,
        "t": lambda key, **params: i18n.translate(lang, key, **params),
        "account": account,
        "csrf": LazyCsrf(request),
        "site_name": node.config["node.name"],
        "site_logo": profile_images.logo_file(node),
        "theme_class": node.config["theme.class_name"],
        "has_theme_tokens": bool(node.config["theme.tokens_css"]),
        "unread": notifications.unread_count(node.db, account["id"]) if account else 0,
        "moderates": reports.may_moderate_any(node, account),  # the queue's link
        "path": request.url.path,
        "errors": {},
        "values": {},
        "flash": request.session.pop("flash", None),
    }
    values.update(context or {})
    response = HTMLResponse(env.get_template(template).render(values), status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


TREE_CACHE_SIZE = 256


def thread_context(request: Request, root: Row) -> dict[str, Any]:
    """What a thread page shows below its opening post, with the replies rendered as HTML.

    Rendering 200 replies costs milliseconds and a visitor's view of them is the same for
    everyone, so for visitors the whole part is cached per (thread, language, database
    version): any commit, ours or another process's, makes a new version.
    """
    node = node_of(request)
    account = current_account(request)
    if blocks.hidden_ids(node, [root], account):
        raise Forbidden("blocks.limited_post")
    lang = language(request)
    moderator = account is not None and moderation.may_moderate_post(node, account, root)
    cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = request.app.state.tree_cache
    key = (root["id"], lang, node.db.version())
    parts = cache.get(key) if account is None else None
    if parts is None:
        context = threads.page_context(node, root, account)
        env: jinja2.Environment = request.app.state.templates
        tree_html = Markup(env.get_template("tree.html").render({
            "tree": context["tree"], "account": account, "liked": context["liked"], "csrf": LazyCsrf(request),
            "moderator": moderator,
            "t": lambda key, **params: i18n.translate(lang, key, **params),
        }))
        parts = {"root": context["root"], "reply_total": context["reply_total"], "tags": context["tags"],
                 "has_replies": bool(context["tree"]),  # deleted or removed ones too: they keep their place
                 "liked": context["liked"], "tree_html": tree_html, "root_attachments": context["root_attachments"]}
        if account is None:
            cache[key] = parts
            if len(cache) > TREE_CACHE_SIZE:
                cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return parts | {"views": int(root["views"]) + node.views.get(root["id"], 0), "moderator": moderator}


def _with_query(request: Request, **changes: str) -> str:
    """This page's path and query with some parameters changed (e.g. the language)."""
    params = dict(request.query_params) | changes
    return request.url.path + "?" + urlencode(params)


def flash(request: Request, key: str, **params: Any) -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session["flash"] = t(request, key, **params)


def form_errors(request: Request, error: Any) -> dict[str, str]:
    """A ServiceError as {field: message} for a form."""
    return {error.field or "_": t(request, error.message_key, **error.params)}
