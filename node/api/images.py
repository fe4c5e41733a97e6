"""Default avatar and header images: apps show an image for every account, so none may be empty.

Made here as small PNGs (no image files to ship or library to add): a flat colour in our
palette, square for avatars and wide for headers.
"""

from __future__ import annotations

import functools
import struct
import zlib

from starlette.requests import Request
from starlette.responses import Response

CACHE = {"Cache-Control": "public, max-age=86400"}


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A flat-colour 8-bit RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height, 9))
            + chunk(b"IEND", b""))


@functools.cache
def _avatar() -> bytes:
    return png(96, 96, (36, 89, 133))


@functools.cache
def _header() -> bytes:
    return png(600, 200, (214, 226, 236))


async def avatar(request: Request) -> Response:
    return Response(_avatar(), media_type="image/png", headers=CACHE)


async def header(request: Request) -> Response:
    return Response(_header(), media_type="image/png", headers=CACHE)
