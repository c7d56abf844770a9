"""Image decoding and resizing shared by training and serving (Pillow and NumPy only, no torch).

Training and the API call the same function, so a served image is prepared exactly like the
images the model learnt from.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
FORMATS = {"PNG", "JPEG", "WEBP"}
#: Images with more pixels than this are refused before decoding (decompression bombs).
MAX_PIXELS = 40_000_000


class ImageError(ValueError):
    """The bytes are not a readable PNG, JPEG or WebP image."""


class UnsupportedFormat(ImageError):
    """An image, but not PNG, JPEG or WebP."""


class TooManyPixels(ImageError):
    """More pixels than allowed (a decompression bomb, or just too large)."""


def open_image(
    source: bytes | Path, max_pixels: int = MAX_PIXELS, size: int | None = None
) -> Image.Image:
    """Open and fully decode an image, checking its format and pixel count *before* decoding.

    With ``size``, large JPEGs are decoded at a reduced scale that is still at least ``size``
    pixels a side (much faster for photos; training and serving do the same).
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)  # reads the header only
            if image.format not in FORMATS:
                raise UnsupportedFormat(
                    f"unsupported image format {image.format}; use PNG, JPEG or WebP"
                )
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixels(
                    f"image is {width}x{height} = {width * height} pixels, over the limit of "
                    f"{max_pixels}"
                )
            if size and image.format == "JPEG" and min(width, height) >= 4 * size:
                image.draft(None, (size, size))
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels(f"image is too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"not a readable image ({exc})") from exc
    return image


def to_array(image: Image.Image, size: int, channels: int) -> np.ndarray:
    """Resize an image to ``size`` x ``size`` and return uint8 ``channels x size x size``.

    EXIF rotation is applied; transparency is composited on white; grayscale images become RGB
    (and colour images grayscale) as the model needs.
    """
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_array(source: bytes | Path, size: int, channels: int) -> np.ndarray:
    """Decode ``source`` and return a uint8 ``channels x size x size`` array (raises ImageError)."""
    return to_array(open_image(source, size=size), size, channels)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
