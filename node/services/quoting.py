"""Quoting in a reply: the parent's Markdown source, or a passage a member selected, as a
Markdown blockquote under an attribution line. Pure functions."""

from __future__ import annotations

import re

from node import markup

QUOTE_TEXT_MAX = 2000  # a selected passage; more is cut, it is a quote, not a copy
# Backslash escapes (CommonMark) keep a selected passage plain text: no emphasis, code, links, images
# or HTML anywhere, and no heading, list, rule or nested quote at the start of a line.
SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&])")
LINE_START = re.compile(r"^(\s*(?:\d+)?)([#=+.)-])", re.MULTILINE)


def escape_plain(text: str) -> str:
    return LINE_START.sub(r"\1\\\2", SPECIAL.sub(r"\\\1", text))


def blockquote(attribution: str, markdown: str) -> str:
    """`attribution` then every line of `markdown` behind "> ", and an empty line to write under."""
    lines = markup.clean_text(markdown).strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}".rstrip() for line in lines)
    return f"{escape_plain(attribution)}\n{quoted}\n\n"


def quote_source(attribution: str, source: str, content: str) -> str:
    """The whole parent: its Markdown as written, or (a remote post without source) its plain text."""
    return blockquote(attribution, source if source.strip() else escape_plain(markup.plain_text(content)))


def quote_passage(attribution: str, passage: str) -> str:
    """A selected passage: plain text, bounded, escaped so it cannot become markup."""
    passage = markup.clean_text(passage)[:QUOTE_TEXT_MAX]
    return blockquote(attribution, escape_plain(passage))
