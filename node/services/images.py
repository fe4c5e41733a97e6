"""Uploaded images, re-encoded with Pillow: what a browser is sent is never the bytes we were sent.

- The pixel count is checked from the header before anything is decoded (decompression bombs), and
  again for every frame of an animation; a truncated or damaged file is refused.
- The EXIF orientation is applied, then the image is written anew without its metadata (EXIF with
  GPS, XMP, comments, ICC profiles): only pixels survive.
- Large images are scaled down; a smaller preview is made for pages; avatars, headers and logos
  are cut to their shape. The blurhash is computed from a 32 x 32 thumbnail.

Pure: bytes in, bytes out (callers run it in a worker thread: it is CPU work).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import blurhash
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

FULL_SIDE = 4096  # longest side of a stored attachment
PREVIEW_SIDE = 1280  # the size shown inline in a thread
MAX_FRAMES = 300

# The shapes of the images people and groups choose: (width, height, cropped to fill).
SHAPES = {
    "avatar": (400, 400, True),
    "icon": (400, 400, True),
    "header": (1500, 500, True),
    "banner": (1500, 500, True),
    "logo": (800, 240, False),
}
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


class ImageRefused(Exception):
    """reason: a message key (error.image_*)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Encoded:
    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    full: Encoded
    preview: Encoded | None  # None: the full image is small enough to show as it is
    blurhash: str


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise ImageRefused("error.image_too_many_pixels")
            if getattr(image, "n_frames", 1) > MAX_FRAMES:
                raise ImageRefused("error.image_too_many_frames")
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # Pillow's own limit
        raise ImageRefused("error.image_too_many_pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:  # truncated, damaged,
        # or not what it says
        raise ImageRefused("error.image_damaged") from error
    return image


def _flatten(image: Image.Image, keep_alpha: bool) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        converted = image.convert("RGBA")
        if keep_alpha:
            return converted
        background = Image.new("RGB", converted.size, (255, 255, 255))
        background.paste(converted, mask=converted.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, media_type: str) -> Encoded:
    out = io.BytesIO()
    kind = _FORMATS[media_type]
    if kind == "JPEG":
        _flatten(image, keep_alpha=False).save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif kind == "PNG":
        _flatten(image, keep_alpha=True).save(out, "PNG", optimize=True)
    elif kind == "WEBP":
        _flatten(image, keep_alpha=True).save(out, "WEBP", quality=85)
    else:
        image.convert("RGBA").save(out, "GIF")
    return Encoded(out.getvalue(), media_type, image.width, image.height)


def _animated(image: Image.Image, media_type: str, max_pixels: int) -> Encoded:
    """GIF and WebP animations keep their frames (each re-drawn, none of the metadata)."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(frame.convert("RGBA"))
        durations.append(int(frame.info.get("duration", 100)))
        if len(frames) * image.width * image.height > max_pixels:  # all frames together, decoded
            raise ImageRefused("error.image_too_many_pixels")
    out = io.BytesIO()
    kind = _FORMATS[media_type]
    frames[0].save(out, kind, save_all=True, append_images=frames[1:], duration=durations,
                   loop=int(image.info.get("loop", 0)), **({"quality": 80} if kind == "WEBP" else {}))
    return Encoded(out.getvalue(), media_type, image.width, image.height)


def _blurhash(image: Image.Image) -> str:
    small = _flatten(image, keep_alpha=False).resize((32, 32))
    pixels = [[list(small.getpixel((x, y))) for x in range(32)] for y in range(32)]  # type: ignore[arg-type]
    return str(blurhash.encode(pixels, 4, 3))


def _scaled(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def attachment(data: bytes, media_type: str, max_pixels: int) -> Processed:
    """An image attached to a post: the full image (scaled down past FULL_SIDE) and a preview."""
    image = _open(data, max_pixels)
    if getattr(image, "n_frames", 1) > 1 and media_type in ("image/gif", "image/webp"):
        full = _animated(image, media_type, max_pixels)
        image.seek(0)
        return Processed(full, None, _blurhash(image))
    image = ImageOps.exif_transpose(image)
    full_image = _scaled(image, FULL_SIDE)
    stored_type = "image/png" if media_type == "image/gif" else media_type  # a still GIF: PNG keeps it exact
    full = _encode(full_image, stored_type)
    preview = None
    if max(full_image.size) > PREVIEW_SIDE:
        preview_type = "image/jpeg" if stored_type == "image/jpeg" else "image/webp"
        preview = _encode(_scaled(full_image, PREVIEW_SIDE), preview_type)
    return Processed(full, preview, _blurhash(full_image))


def shaped(data: bytes, media_type: str, purpose: str, max_pixels: int) -> Processed:
    """An avatar, header, group icon or banner (cut to fill its shape) or a logo (fitted inside)."""
    width, height, fill = SHAPES[purpose]
    image = ImageOps.exif_transpose(_open(data, max_pixels))
    if fill:
        image = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    else:
        image = image.copy()
        image.thumbnail((width, height), Image.Resampling.LANCZOS)
    stored_type = "image/jpeg" if media_type == "image/jpeg" else "image/png"
    return Processed(_encode(image, stored_type), None, _blurhash(image))
