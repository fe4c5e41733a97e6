"""Markdown to safe HTML, and the #hashtags and @mentions in a text. Pure, no I/O.

markdown-it-py renders CommonMark with raw HTML switched off and bare URLs linked; nh3 (Ammonia)
then sanitises the result, so what reaches a page or another server is an
allow-list of tags and attributes whatever the author typed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt

# Bare URLs become links: those with http(s) or mailto, and domains without a scheme only under the few
# top-level domains our texts name, so that a file such as plan.py or README.md stays text.
FUZZY_TLDS = ["nl", "eu", "be", "com", "org", "net", "gov", "int", "info"]


class _Linkify(LinkifyIt):
    def normalize(self, match: Any) -> None:
        """A domain written without a scheme (www.utrecht.nl) links over https, not http."""
        had_scheme = bool(match.schema)
        super().normalize(match)
        if not had_scheme:
            match.url = "https://" + match.url.removeprefix("http://")


_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
_md.enable("strikethrough").enable("table").enable("linkify")
_md.linkify = _Linkify(options={"fuzzy_email": False, "fuzzy_ip": False}).add("ftp:", None).add("//", None)
_md.linkify.tlds(FUZZY_TLDS, False)

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": set(), "th": {"align"}, "td": {"align"}}
# Only the microformat classes other servers put on mentions and tags: a remote post must not borrow
# our own interface classes (utrecht-button, ...) to look like part of the page.
ALLOWED_CLASSES = {"a": {"mention", "hashtag", "u-url", "status-link", "unhandled-link"},
                   "span": {"h-card", "invisible", "ellipsis"}}
URL_SCHEMES = {"http", "https", "mailto"}

# A tag or mention starts at the beginning or after a space or opening punctuation,
# never inside a word, a URL path or an e-mail address.
HASHTAG = re.compile(r"(?<![\w/&#])#(\w[\w-]{0,49})", re.UNICODE)
MENTION = re.compile(r"(?<![\w/@.])@([a-z0-9_]{2,30})\b", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`\n]*`")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Typed text without control characters (NUL and friends) and with Unix line ends."""
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Rendered:
    html: str
    tags: list[str]
    mentions: list[str]


def sanitise(fragment: str) -> str:
    """Clean any HTML: allowed tags only, safe URLs, links marked nofollow."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    ).replace("<pre>", '<pre tabindex="0">')  # a code block scrolls inside itself: keyboards must reach it


def normalise_tag(tag: str) -> str:
    return tag.strip().lstrip("#").lower()[:50]


def _prose_lines(source: str) -> list[str]:
    """The lines of a Markdown text outside fenced code, with inline code blanked."""
    lines, in_fence = [], False
    for line in source.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and not line.startswith("    "):
            lines.append(INLINE_CODE.sub(" ", line))
    return lines


def find_tags(source: str) -> list[str]:
    found = (normalise_tag(m) for line in _prose_lines(source) for m in HASHTAG.findall(line))
    return sorted({tag for tag in found if tag and not tag.isdigit()})


def find_mentions(source: str) -> list[str]:
    found = (m.lower() for line in _prose_lines(source) for m in MENTION.findall(line))
    return sorted(set(found))


def _link_tags_and_mentions(source: str, members: set[str], base: str) -> str:
    """Turn #tag and @member into Markdown links before rendering (outside code)."""
    out, in_fence = [], False
    for line in source.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence or line.startswith("    ") or FENCE.match(line):
            out.append(line)
            continue
        pieces = re.split(r"(`[^`\n]*`)", line)
        for i in range(0, len(pieces), 2):
            text = HASHTAG.sub(lambda m: f"[#{m[1]}]({base}/tags/{normalise_tag(m[1])})", pieces[i])
            pieces[i] = MENTION.sub(
                lambda m: f"[@{m[1]}]({base}/users/{m[1].lower()})" if m[1].lower() in members else m[0], text
            )
        out.append("".join(pieces))
    return "\n".join(out)


def render(source: str, members: set[str] | None = None, base: str = "") -> Rendered:
    """Markdown source to sanitised HTML, with its tags and the mentioned members.

    `base` makes tag and mention links absolute, as they must be when the HTML federates.
    """
    mentions = [name for name in find_mentions(source) if members is None or name in members]
    linked = _link_tags_and_mentions(source, set(mentions), base)
    return Rendered(html=sanitise(_md.render(linked)), tags=find_tags(source), mentions=mentions)


BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment, whitespace folded (for search and feeds)."""
    text = nh3.clean(BREAK.sub(" ", fragment.replace("</p>", "</p> ")), tags=set())
    return " ".join(html.unescape(text).split())


# Marks left where blocks meet, before the tags are stripped (private-use characters no text has;
# the body was cleaned of them first). The strongest mark of a run between two texts decides the join.
_HEADING, _BLOCK, _ITEM = "\ue000", "\ue001", "\ue002"
_MARKS = re.compile(r"(?:\s*[\ue000-\ue002])+\s*")
_MARK_TAGS = [
    (re.compile(r"</h[1-6]\s*>", re.IGNORECASE), _HEADING),
    (re.compile(r"<(?:p|h[1-6]|pre|blockquote|table|tr|hr|div)\b[^>]*>|</(?:p|pre|blockquote|table|tr|div)\s*>",
                re.IGNORECASE), _BLOCK),
    (re.compile(r"</li\s*>|<(?:ul|ol)\b[^>]*>|</(?:ul|ol)\s*>|</t[dh]\s*>", re.IGNORECASE), _ITEM),
]
_ENDS_SENTENCE = (".", "!", "?", ":", ";", "…")


def _join(before: str, run: str) -> str:
    if _HEADING in run:
        return " " if before.endswith(_ENDS_SENTENCE) else ": "
    if _BLOCK in run:
        return " " if before.endswith(_ENDS_SENTENCE) else " · "
    return " · "


def readable_text(fragment: str) -> str:
    """Text of an HTML fragment that keeps its blocks apart on one line: list items and table cells
    as "one · two", a heading followed by ": ", paragraphs by a space (or " · " when the paragraph
    has no closing punctuation), code blocks as their text with spaces."""
    marked = re.sub(r"[\ue000-\ue002]", "", fragment)
    marked = BREAK.sub(" ", marked)
    for pattern, mark in _MARK_TAGS:
        marked = pattern.sub(lambda m, mark=mark: mark + m[0], marked)  # type: ignore[misc]
    text = " ".join(html.unescape(nh3.clean(marked, tags=set())).split(" "))
    text = text.strip(" \t\n" + _HEADING + _BLOCK + _ITEM)
    out, last = [], 0
    for run in _MARKS.finditer(text):
        before = " ".join(text[last:run.start()].split())
        out.append(before)
        out.append(_join(before, run[0]))
        last = run.end()
    out.append(" ".join(text[last:].split()))
    return "".join(out).strip()


def summary_before_blocks(fragment: str, limit: int = 280) -> str:
    """The summary as Meent derived it before summaries kept blocks apart (list items, headings and
    code ran together): only to recognise stored summaries that were derived, so they may be again."""
    stripped = nh3.clean(fragment.replace("</p>", "</p> ").replace("<br>", " "), tags=set())
    text = " ".join(html.unescape(stripped).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def summarise(fragment: str, limit: int = 280) -> str:
    """A plain-text summary of the start of a post that reads well on its own."""
    text = readable_text(fragment)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:·").rstrip()
    return cut + "…"
