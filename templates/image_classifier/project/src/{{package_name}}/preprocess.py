"""Image decoding shared by training and serving (Pillow and NumPy, no torch): the format sniffed
from the bytes, EXIF orientation applied, 16-bit rescaled, transparency on white, then fitted to the
model's square input (shorter side resized + centre crop, or squashed)."""

from __future__ import annotations

import io
import warnings
from contextlib import suppress
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".webp", ".mpo")
FORMATS = {"PNG", "JPEG", "MPO", "WEBP"}
DRAFT_FORMATS = {"JPEG", "MPO"}  # decoded at a reduced scale when much larger than needed
GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
#: Images with more pixels than this are refused before decoding (decompression bombs).
MAX_PIXELS = 40_000_000
#: How an image becomes the model's square: shorter side resized + centre crop, or squashed.
FITS = ("crop", "squash")
#: The fit of a model whose metadata does not say (trained by template 0.4.0 or earlier).
LEGACY_FIT = "squash"
#: The smallest input side the model takes (three 2x poolings); smaller images are upscaled.
MIN_SIZE = 8
#: The smallest input side chosen when ``--image-size`` is not given: smaller images are
#: upscaled (trained at their native 8 px, scikit-learn's digits lose to kNN; at 32 px they tie).
MIN_AUTO_SIZE = 32


class ImageError(ValueError):
    """The bytes are not a readable PNG, JPEG or WebP image."""


class UnsupportedFormat(ImageError):
    """An image, but not PNG, JPEG or WebP."""


class TooManyPixels(ImageError):
    """More pixels than allowed (a decompression bomb, or just too large)."""


def decode_limit(size: int | None, image_format: str, max_pixels: int = MAX_PIXELS) -> int:
    """Most pixels an image may have for a model input of ``size``: JPEGs (decoded at up to 1/8
    scale) ``max_pixels``; lossless ones 4,096 per input pixel, at least 4 MP, at most that."""
    if size is None or image_format in DRAFT_FORMATS:
        return max_pixels
    return min(max_pixels, max(4_000_000, 4096 * size * size))


def open_image(
    source: bytes | Path, max_pixels: int = MAX_PIXELS, size: int | None = None
) -> Image.Image:
    """Decode an image, checking its format and pixel count (:func:`decode_limit`) first; large
    JPEGs are decoded at a reduced scale still at least ``size`` pixels a side."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)  # reads the header only; the format from the bytes
            if image.format not in FORMATS:
                raise UnsupportedFormat(
                    f"unsupported image format {image.format}; use PNG, JPEG or WebP"
                )
            width, height = image.size
            limit = decode_limit(size, image.format, max_pixels)
            if width * height > limit:
                raise TooManyPixels(
                    f"image is {width}x{height} = {width * height} pixels, over the limit of "
                    f"{limit} for this model"
                )
            if size and image.format in DRAFT_FORMATS and min(width, height) >= 4 * size:
                image.draft(None, (size, size))
            image.load()  # multi-frame files: the first frame
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels(f"image is too large to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not a readable image (no PNG, JPEG or WebP data found)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"not a readable image ({exc})") from exc
    return image


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale scaled into 0..255 (Pillow's convert would clip at 255)."""
    if not image.mode.startswith(("I", "F")):
        return image
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or values.max(initial=0) > 255:
        values = values / 257.0  # 0..65535 -> 0..255
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def fit_of(metadata: dict) -> str:
    """The fit a trained model's images were prepared with (its metadata's ``fit``)."""
    return metadata.get("fit", LEGACY_FIT)


def to_array(image: Image.Image, size: int, channels: int, fit: str = "crop") -> np.ndarray:
    """uint8 ``channels x size x size``: EXIF rotation applied, transparency on white, the
    channels the model needs, fitted to the square by ``fit`` (see ``FITS``)."""
    with suppress(ValueError, TypeError, OSError, SyntaxError):  # broken EXIF: keep as stored
        image = ImageOps.exif_transpose(image)
    image = to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (size, size):
        box = None  # squash: the whole image
        if fit == "crop":  # the centred square (ImageOps.fit's box, kept here for reducing_gap)
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) / 2, (height - side) / 2
            box = (left, top, left + side, top + side)
        image = image.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_array(source: bytes | Path, size: int, channels: int, fit: str = "crop") -> np.ndarray:
    """Decode ``source`` and return a uint8 ``channels x size x size`` array (raises ImageError)."""
    return to_array(open_image(source, size=size), size, channels, fit)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
