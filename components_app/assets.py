"""What an uploaded component asset is: its media type, judged from its bytes, and what a client needs to
know about it (an image's width, height and format).

Supported, as Metabind documents them: images, fonts and JSON. The bytes decide, not the name or the
``Content-Type`` the client sent: a raster image is what Pillow recognises from its header (it is never
decoded), an SVG is XML whose root element is ``svg``, a font is TrueType, OpenType, WOFF or WOFF2 by its
signature, JSON is what parses as JSON.
"""

import json
import mimetypes
import re
import warnings
from dataclasses import dataclass, field
from typing import IO

from PIL import Image, UnidentifiedImageError

SUPPORTED_TYPES = ["image/*", "font/*", "application/json"]

# Raster formats a browser or app shows, by Pillow's format name.
_IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "ICO": "image/x-icon",
}
_FONT_SIGNATURES = {
    b"\x00\x01\x00\x00": ("font/ttf", "ttf"),
    b"true": ("font/ttf", "ttf"),
    b"OTTO": ("font/otf", "otf"),
    b"wOFF": ("font/woff", "woff"),
    b"wOF2": ("font/woff2", "woff2"),
}
_SVG_ROOT = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]", re.DOTALL)
# How much of a file is read to tell SVG from other text.
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class AssetFacts:
    media_type: str
    metadata: dict = field(default_factory=dict)


def inspect_asset(stream: IO[bytes]) -> AssetFacts | None:
    """The media type and metadata of ``stream``, or None when it is not a supported type."""
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    image = _raster_image(stream)
    if image is not None:
        return image
    if head[:4] in _FONT_SIGNATURES:
        media_type, format_ = _FONT_SIGNATURES[head[:4]]
        return AssetFacts(media_type, {"format": format_})
    if _SVG_ROOT.match(head):
        return AssetFacts("image/svg+xml", {"format": "svg"})
    if _is_json(stream):
        return AssetFacts("application/json", {"format": "json"})
    return None


def provided_type(*, filename: str, declared_type: str | None) -> str:
    """What the client said the file was, for the UNSUPPORTED_FILE_TYPE report."""
    if declared_type and declared_type != "application/octet-stream":
        return declared_type
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or declared_type or "application/octet-stream"


def _raster_image(stream: IO[bytes]) -> AssetFacts | None:
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Only the header is read: width and height without decoding a single pixel.
            with Image.open(stream) as image:
                format_, (width, height) = image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None
    finally:
        stream.seek(0)
    if format_ not in _IMAGE_FORMATS:
        return None
    return AssetFacts(_IMAGE_FORMATS[format_], {"width": width, "height": height, "format": format_.lower()})


def _is_json(stream: IO[bytes]) -> bool:
    stream.seek(0)
    try:
        json.load(stream)
    except (ValueError, UnicodeDecodeError):
        return False
    finally:
        stream.seek(0)
    return True


def human_size(size: int) -> str:
    """``10MB``, ``1.5MB``, ``512KB``, ``20B``: the form Metabind's FILE_TOO_LARGE details use."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + unit
    return f"{size}B"
