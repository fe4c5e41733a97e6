"""The NL Design System styles (from npm) and the organisation's own design tokens."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from node.app_assets import assets_root
from node.web import node_of

CACHE = {"Cache-Control": "public, max-age=3600"}


def _css(path: Path) -> Response:
    if not path.is_file():
        # Without `npm install` the pages still work, unstyled but for static/meent.css.
        return Response("/* not installed: run make setup */", media_type="text/css", headers=CACHE)
    return FileResponse(path, media_type="text/css", headers=CACHE)


async def nlds_components(request: Request) -> Response:
    root = assets_root(node_of(request).config)
    return _css(root / "@utrecht" / "component-library-css" / "dist" / "index.css")


async def nlds_tokens(request: Request) -> Response:
    root = assets_root(node_of(request).config)
    return _css(root / "@utrecht" / "design-tokens" / "dist" / "index.css")


async def theme_tokens(request: Request) -> Response:
    """The organisation's design-token file from the config, served after the defaults."""
    config = node_of(request).config
    if not config["theme.tokens_css"]:
        return Response("", media_type="text/css", headers=CACHE)
    return _css(config.resolve("theme.tokens_css"))
