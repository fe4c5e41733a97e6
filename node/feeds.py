"""Atom feeds of groups, blogs and tags: a pure builder and one response helper."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response

from node import urls
from node.web import t

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _same(title: str) -> str:
    return title


def _entry(base_url: str, post: Any, reply_title: Callable[[str], str]) -> str:
    link = base_url + urls.post(post)
    # A reply has no title of its own: say which topic it answers, not just repeat that topic's title.
    if post["kind"] == "reply":
        title = reply_title(post["topic_title"] or "")
    else:
        title = post["title"] or post["topic_title"] or ""
    updated = post["edited_at"] or post["published_at"] or post["created_at"]
    author = post["author_name"] or post["author_username"]
    return (
        "<entry>"
        f"<id>{escape(link)}</id>"
        f"<title>{escape(title)}</title>"
        f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(link)}/>"
        f"<published>{escape(post['published_at'] or post['created_at'])}</published>"
        f"<updated>{escape(updated)}</updated>"
        f"<author><name>{escape(author)}</name>"
        f"<uri>{escape(base_url + urls.member(post['author_username']))}</uri></author>"
        f"<summary>{escape(post['summary'])}</summary>"
        f"<content type=\"html\">{escape(post['content'])}</content>"
        "</entry>"
    )


def atom(base_url: str, title: str, path: str, entries: Iterable[Any], generated: str,
         reply_title: Callable[[str], str] = _same) -> str:
    """An Atom 1.0 document; `generated` is the time when there are no entries; `reply_title` words a
    reply's title from its topic's."""
    rows = list(entries)
    updated = max((r["edited_at"] or r["published_at"] or r["created_at"] for r in rows), default=generated)
    page = base_url + path
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(page)}</id>"
        f"<title>{escape(title)}</title>"
        f"<updated>{escape(updated)}</updated>"
        f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(page)}/>"
        f"<link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(page + '.atom')}/>"
        '<generator uri="https://meent.example">Meent</generator>'
        + "".join(_entry(base_url, row, reply_title) for row in rows)
        + "</feed>\n"
    )


def response(request: Request, title: str, path: str, entries: Iterable[Any]) -> Response:
    node = request.app.state.node
    body = atom(node.config.base_url, title, path, entries, node.now(),
                lambda topic: t(request, "find.reply_to", title=topic))
    return Response(body, media_type=ATOM_TYPE)
