"""What every page handler shares: rendering, the signed-in member, CSRF-checked forms.

A handler reads a form only through read_form(), so no form can skip the CSRF
check or the size limit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
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

from node import avatars, i18n, localtime, paging, threads, urls
from node.page_cache import VersionedCache
from node.services import blocks, moderation, node_settings, profile_images, reads, reports, sessions
from node.services.accounts import registration_mode
from node.services.context import Node
from node.services.errors import Forbidden, NotFound
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


@dataclasses.dataclass
class TimeView:
    """How one render shows times: in which language, as of when (None: the clock), and the
    relative times it showed (they go stale, so the tree cache must know)."""

    lang: str = "nl"
    now: datetime | None = None
    marks: list[str] = dataclasses.field(default_factory=list)


# Set around each render: macros imported without context (thread.html's) cannot see the
# page's variables, so the filter reads the language here.
TIME_VIEW: ContextVar[TimeView | None] = ContextVar("time_view", default=None)


@jinja2.pass_environment
def show_time(env: jinja2.Environment, value: str | None) -> str:
    """The `datetime` filter: a stored UTC time as local time in the page's language, relative
    ("3 uur geleden (1 december 2026, 16:35)") when under a day old."""
    view = TIME_VIEW.get() or TimeView()
    now = view.now or datetime.now(UTC)
    if localtime.is_recent(value, now) and value:
        view.marks.append(value)
    return localtime.shown(value, view.lang, str(env.globals["timezone"]), now)


def render_with_times(template: jinja2.Template, values: dict[str, Any], view: TimeView) -> str:
    token = TIME_VIEW.set(view)
    try:
        return template.render(values)
    finally:
        TIME_VIEW.reset(token)


class _Environment(jinja2.Environment):
    """Jinja reads `post.title` as getattr() first and only then post["title"]; for a database row
    that means a raised and caught AttributeError on every column a template reads (a third of a
    list page's rendering). Rows are read as rows first; anything else as Jinja does."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) in _ROW_TYPES:
            try:
                return obj[attribute]
            except (KeyError, IndexError):  # not a column (row.keys, say): as Jinja would
                pass
        return super().getattr(obj, attribute)


_ROW_TYPES = (Row, reads.Marked)


def make_environment(timezone: str = localtime.DEFAULT_ZONE, body_max: int | None = None) -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["datetime"] = show_time
    env.globals["timezone"] = timezone
    env.globals["body_max"] = body_max  # message text areas' maxlength (macros.html area_field)
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
        self.used = False  # shown in the page: the page belongs to this session

    def __str__(self) -> str:
        self.used = True
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


def _node_values(request: Request) -> tuple[str, Row | None]:
    """What base.html shows of the node's settings (registration mode, logo): two queries, the same
    for every page until something is committed, so kept per database version."""
    node = node_of(request)
    cache: VersionedCache = request.app.state.page_cache
    version = node.db.version()
    found: tuple[str, Row | None] | None = cache.get(version, "node")
    if found is None:
        found = (registration_mode(node), profile_images.logo_file(node))
        cache.put(version, "node", found)
    return found


def _member_values(request: Request, account: Row) -> tuple[int, bool]:
    """The member's unread count and whether they moderate anything, per (member, database version):
    a new notification, a read one or a new moderator is a commit, so none of them is shown stale."""
    node = node_of(request)
    cache: VersionedCache = request.app.state.member_cache
    version = node.db.version()
    found: tuple[int, bool] | None = cache.get(version, account["id"])
    if found is None:
        found = (notifications.unread_count(node.db, account["id"]), reports.may_moderate_any(node, account))
        cache.put(version, account["id"], found)
    return found


def page_values(request: Request, context: dict[str, Any] | None = None,
                csrf: LazyCsrf | None = None) -> dict[str, Any]:
    """Everything a page template is rendered with: what base.html needs, then the page's own context.

    Pops the session's flash message (it is shown once)."""
    node = node_of(request)
    account = current_account(request)
    lang = language(request)
    mode, logo = _node_values(request)
    unread, moderates = _member_values(request, account) if account else (0, False)
    face = node_settings.current(node)
    values = {
        "request": request,
        "lang_url": lambda code: _with_query(request, lang=code),
        # Sign-up links only where anyone may sign up (by e-mail domain); by invitation, a visitor
        # without one would reach a dead end, so the pages say how to get one instead.
        "registration_open": account is None and mode == "domains",
        "registration_by_invite": account is None and mode == "invite",
        "lang": lang,
        "t": lambda key, **params: i18n.translate(lang, key, **params),
        "account": account,
        "csrf": csrf or LazyCsrf(request),
        "site_name": face.name,
        "face": face,
        "site_logo": logo,
        "theme_class": node.config["theme.class_name"],
        "has_theme_tokens": bool(node.config["theme.tokens_css"]),
        "unread": unread,
        "moderates": moderates,  # the queue's link
        "path": request.url.path,
        "errors": {},
        "values": {},
        "flash": request.session.pop("flash", None),
    }
    values.update(context or {})
    return values


def _respond(request: Request, html: str, status: int) -> HTMLResponse:
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie("lang", language(request), max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    values = page_values(request, context)
    return _respond(request, render_with_times(env.get_template(template), values, TimeView(values["lang"])), status)


PAGE_CACHE_SIZE = 64


def _stale(stale_after: int | None, minute: int) -> bool:
    """Cached HTML that showed a changing time (stale_after: the minute it was rendered in) is
    good within that minute only; HTML without one is good until the next commit."""
    return stale_after is not None and stale_after != minute


def shared(request: Request, key: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What a page shows the same to everyone (a list of recent posts, say), built once per
    database version. Only for values that do not depend on who asks."""
    cache: VersionedCache = request.app.state.page_cache
    version = node_of(request).db.version()
    found: dict[str, Any] | None = cache.get(version, ("shared", key))
    if found is None:
        found = build()
        cache.put(version, ("shared", key), found)
    return found


def render_for_visitors(request: Request, template: str, build: Callable[[], dict[str, Any]]) -> HTMLResponse:
    """render(), but a visitor's page is kept as HTML per (template, path, query, language,
    database version): such a page is the same for every visitor until something is committed.

    Never for a signed-in member, never with a flash message to show, and never kept when the page
    showed a form's CSRF token (that token belongs to one browser's session)."""
    if current_account(request) is not None or "flash" in request.session:
        return render(request, template, build())
    node = node_of(request)
    cache: VersionedCache = request.app.state.page_cache
    version = node.db.version()  # before building: a commit meanwhile must not be stored as current
    key = ("page", template, request.url.path, request.url.query, language(request))
    now = datetime.now(UTC)
    minute = localtime.bucket(now)
    found: tuple[str, int | None] | None = cache.get(version, key)
    if found is not None and _stale(found[1], minute):
        found = None  # it shows "3 minuten geleden" as of an earlier minute
    if found is None:
        csrf = LazyCsrf(request)
        env: jinja2.Environment = request.app.state.templates
        view = TimeView(language(request), localtime.bucket_start(now))
        found = (render_with_times(env.get_template(template), page_values(request, build(), csrf), view),
                 minute if view.marks else None)
        if not csrf.used:
            cache.put(version, key, found)
    return _respond(request, found[0], 200)


TREE_CACHE_SIZE = 256


def thread_page_number(request: Request) -> int | str:
    """?page=N (from 1) or ?page=last, read as every paged list reads it (node/paging.py: a
    malformed number is a 400 with a message); a page after the last is the caller's 404."""
    value = request.query_params.get("page")
    return "last" if value == "last" else paging.page_number(value)


def _fingerprint(value: Any, out: Any) -> None:
    """Feed everything a template reads from value into the hash `out` (rows, tree branches, lists)."""
    if isinstance(value, Row):
        out.update(repr(tuple(value)).encode())
    elif isinstance(value, threads.Branch):  # every field: what the tree template may read
        out.update(b"(")
        for item in dataclasses.fields(value):
            _fingerprint(getattr(value, item.name), out)
        out.update(b")")
    elif isinstance(value, list | tuple):
        out.update(b"[")
        for item in value:
            _fingerprint(item, out)
        out.update(b"]")
    elif isinstance(value, set | frozenset):
        _fingerprint(sorted(value, key=repr), out)
    elif isinstance(value, dict):
        _fingerprint(sorted(value.items(), key=lambda item: repr(item[0])), out)
    else:
        out.update(repr(value).encode())


def thread_context(request: Request, root: Row) -> dict[str, Any]:
    """What a thread page shows below its opening post: one page of replies, rendered as HTML.

    A visitor's view of a page is the same for everyone, so for visitors that part is cached per
    (thread, page, language, database version): any commit, ours or another process's, makes a new
    version. A new version (a reply elsewhere, say) costs the thread's queries, but the replies' HTML
    is rendered again only when what it is made from changed: it is also kept per (thread, page,
    language, fingerprint of everything tree.html is given). A member's view has their read marks,
    so it is made afresh, and seeing it moves their mark (reads.seen). Times under a day old read
    "3 minuten geleden", true only for the minute they were rendered in (as of that minute's start):
    HTML that shows one is used within that minute only.
    """
    node = node_of(request)
    account = current_account(request)
    if blocks.hidden_ids(node, [root], account):
        raise Forbidden("blocks.limited_post")
    lang = language(request)
    page = thread_page_number(request)
    moderator = account is not None and moderation.may_moderate_post(node, account, root)
    cache: VersionedCache = request.app.state.tree_cache  # emptied when the version moves on
    version = node.db.version()  # before building: a commit meanwhile must not be stored as current
    key = (root["id"], page, lang)
    now = datetime.now(UTC)
    minute = localtime.bucket(now)
    parts = cache.get(version, key) if account is None else None
    if parts is not None and _stale(parts["stale_after"], minute):
        parts = None  # it shows "3 minuten geleden": rendered in an earlier minute, so no longer true
    if parts is None:
        mark = reads.mark(node, account, root["id"])
        context = threads.page_context(node, root, account, page, mark)
        if context["page"] is None:
            raise NotFound("thread.page_beyond", pages=context["pages"])
        env: jinja2.Environment = request.app.state.templates
        given = {"tree": context["tree"], "account": account, "liked": context["liked"], "moderator": moderator}
        found: tuple[Markup, int | None] | None = None
        shareable = True  # false when the HTML holds this session's CSRF token
        if account is None:
            digest = hashlib.blake2b(digest_size=20)
            _fingerprint(given, digest)
            by_content: OrderedDict[tuple[Any, ...], tuple[Markup, int | None]] = request.app.state.tree_html_cache
            content_key = (root["id"], page, lang, digest.digest())
            found = by_content.get(content_key)
            if found is not None and _stale(found[1], minute):
                found = None  # relative times from an earlier minute
        if found is None:
            view = TimeView(lang, localtime.bucket_start(now))
            csrf = LazyCsrf(request)
            html = Markup(render_with_times(env.get_template("tree.html"), {
                **given, "csrf": csrf, "t": lambda key, **params: i18n.translate(lang, key, **params),
            }, view))
            found = (html, minute if view.marks else None)
            shareable = not csrf.used
            if account is None and shareable:  # a form's token is one session's: never shared
                by_content[content_key] = found
                if len(by_content) > TREE_CACHE_SIZE:
                    by_content.popitem(last=False)
        elif account is None:
            by_content.move_to_end(content_key)
        parts = {name: context[name] for name in (
            "root", "reply_total", "tags", "liked", "root_attachments", "page", "pages", "latest",
            "first_unread", "root_unread", "has_replies", "positions")}
        parts |= {"tree_html": found[0], "stale_after": found[1], "had_read": mark is not None}
        if account is None:
            if shareable:
                cache.put(version, key, parts)
        else:
            reads.seen(node, account, root["id"], context["highest_shown"], mark)
    pager = paging.nav(paging.Page(parts["page"], parts["positions"], threads.PAGE_SIZE), urls.thread(root), {})
    return parts | {"views": int(root["views"]) + node.views.get(root["id"], 0), "moderator": moderator,
                    "pager": pager}


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
