"""Children's photos: checked by what the file contains, then re-encoded as a small clean JPEG.

A family's upload is untrusted: its name and declared content type say nothing about its bytes.
``clean_child_photo`` reads at most the allowed number of bytes, lets Pillow identify the format
among JPEG, PNG and WebP only (no other decoder ever sees the data), refuses images whose
dimensions could exhaust memory, and writes a new JPEG from the pixels alone, so that nothing of
the original file survives: no EXIF (GPS position, camera, date), no comment, no colour profile,
no trailing data, and not its name.
"""

import secrets
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.html import avoid_wrapping
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from PIL import Image, ImageOps

from . import conf

MAX_PHOTO_PIXELS = 40_000_000
"""Largest width × height decoded: a 40-megapixel RGB image already takes 120 MB of memory."""

PHOTO_BOX = (800, 800)
JPEG_QUALITY = 85
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")

MB = 1024 * 1024


def max_photo_bytes() -> int:
    return conf.max_photo_bytes()


def clean_child_photo(uploaded) -> ContentFile:
    """The uploaded photo as a new JPEG of at most 800×800 pixels, named ``<random hex>.jpg``.

    ``uploaded`` is a Django ``UploadedFile`` or any file object with ``read()`` (and, ideally,
    ``size``). Raises ``ValidationError`` (codes ``too_large``, ``not_an_image``,
    ``too_many_pixels``) when the file must be refused.
    """
    data = _read_at_most(uploaded, max_photo_bytes())
    image = _decode(data)
    image = _normalise(image)
    output = BytesIO()
    image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return ContentFile(output.getvalue(), name=f"{secrets.token_hex(16)}.jpg")


def _read_at_most(uploaded, limit: int) -> bytes:
    """The file's bytes, refusing it on its declared size before reading anything.

    The read is bounded too, so a file object whose ``size`` is missing or wrong cannot make the
    portal hold more than ``limit`` bytes.
    """
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _too_large(size, limit)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise _too_large(size if size is not None and size > limit else len(data), limit)
    return data


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(
        _("The photo is too large (%(size)s); the maximum is %(maximum)s."),
        code="too_large",
        params={"size": filesizeformat(size), "maximum": _human_limit(limit)},
    )


def _human_limit(limit: int) -> str:
    """'5 MB' rather than filesizeformat's '5.0 MB' for a whole number of megabytes."""
    if limit >= MB and limit % MB == 0:
        return avoid_wrapping(pgettext("family portal", "%s MB") % number_format(limit // MB))
    return filesizeformat(limit)


def _not_an_image() -> ValidationError:
    return ValidationError(_("This file is not a JPEG, PNG or WebP image."), code="not_an_image")


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The image's dimensions are too large; the maximum is %(maximum)s megapixels."),
        code="too_many_pixels",
        params={"maximum": number_format(MAX_PHOTO_PIXELS // 1_000_000)},
    )


def _decode(data: bytes) -> Image.Image:
    """Identify and fully decode the image, refusing anything but a whole JPEG, PNG or WebP."""
    try:
        # ``formats`` restricts the decoders Pillow tries: a GIF, PDF, SVG or TIFF is not
        # recognised at all, whatever its name says.
        image = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:
        # Pillow reports malformed input with many exception types (OSError, SyntaxError,
        # ValueError, struct.error…); all of them mean the same thing to the family.
        raise _not_an_image() from exc
    if image.format not in ACCEPTED_FORMATS:
        raise _not_an_image()
    width, height = image.size
    if width * height > MAX_PHOTO_PIXELS:
        raise _too_many_pixels()
    # A JPEG can be decoded directly at 1/2, 1/4 or 1/8 scale: large phone photos then never
    # take their full size in memory. The result still covers the 800×800 box.
    image.draft(None, PHOTO_BOX)
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:
        raise _not_an_image() from exc  # truncated or corrupt pixel data
    return image


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, RGB on white, within the box, and a new image carrying no metadata at all."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:
        pass  # unreadable orientation data: keep the pixels as stored
    if image.has_transparency_data:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image)
    image = image.convert("RGB")
    image.thumbnail(PHOTO_BOX, Image.Resampling.LANCZOS)
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean
