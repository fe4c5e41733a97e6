"""Files for the upload tests, made at test time: real images (with EXIF and GPS), and the bad
ones the issue lists (HTML posing as PNG, SVG with script, a pixel bomb, a truncated JPEG)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_with_gps(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (30, 120, 200))
    for x in range(0, width, 40):
        image.paste((220, 60, 40), (x, 0, x + 10, height))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 on display
    exif.get_ifd(0x8825)[2] = (52.0, 5.0, 0.0)  # GPSLatitude: somewhere near Utrecht
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png(width: int = 300, height: int = 200, colour: tuple[int, int, int] = (10, 160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def gif_animated(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (60, 40), (40 * i, 100, 200)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_bomb(side: int = 20_000) -> bytes:
    """A tiny PNG whose header claims side x side pixels (400 million for 20,000)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1) * 16)  # a few rows only: decoding would go on for ever
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    whole = jpeg_with_gps()
    return whole[: len(whole) // 2]


HTML_AS_PNG = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
                   b'<circle r="5"/></svg>')
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
