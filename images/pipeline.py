"""From an uploaded file to the variants a phone shows, in memory: nothing here stores or
reads the database (``images.services`` stores what this makes).

Every upload is judged by its content, never by its name or declared type: at most
``IMAGE_MAX_BYTES`` bytes; JPEG, PNG, WebP or GIF as Pillow reads it, no other decoder ever
being tried on it; at most ``IMAGE_MAX_PIXELS`` pixels, and at most ``IMAGE_MAX_DECODED_BYTES``
of memory to decode (its pixels times what a pixel of its mode takes, and what its decoder keeps
beside: ``decoded_bytes``), both checked from the header before a pixel is decoded, so that a
small file claiming a huge picture (a decompression bomb) costs nothing and one that decodes
costs at most what the settings say; and every pixel readable (a truncated file is refused, not
shown half grey). Animated GIF and WebP are taken as their first frame: the app shows still
pictures.

What is made: the picture turned as its EXIF orientation says, in sRGB (a camera's wide-gamut
profile is converted, not dropped), cut and resized into each variant of its purpose
(``images.variants``) and encoded anew. Nothing of the file but its pixels survives: no EXIF
(the camera, the time, the GPS position), no XMP, no comments, no colour profile.

What it costs: the decoded picture is the largest thing held. Right after decoding it is
reduced (a box average, by strips, so that no second copy of its size is ever made) to the
smallest whole fraction that still covers the largest variant, and everything after (turning,
colour, cutting, resizing) works on that: a picture at the limits costs little more than its
decoded bytes (docs/benchmarks.md, "Images").
"""

import hashlib
import io
import math
import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from .error_codes import ImageErrorCode
from .variants import EXTENSIONS, PURPOSES, Format, Purpose, PurposeSpec, Variant, VariantSpec

# The decoders an upload may meet; Pillow tries no other on it.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# What Pillow raises on a file whose pixels cannot be read: cut short, or damaged inside.
_UNREADABLE = (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError, TypeError)
# The picture's own signatures: a file that starts as one of the accepted kinds but does not
# open is a damaged image, not something else.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_SRGB = ImageCms.createProfile("sRGB")
# The memory a pixel takes once decoded, by mode, as Pillow holds it: RGB is padded to four
# bytes like RGBA; 16-bit PNGs are held as 8-bit RGB(A), but as 16-bit greyscale (I;16).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Others (RGB, RGBA, LA, PA, CMYK, YCbCr, I, F…) take four.
_DEFAULT_BYTES_PER_PIXEL = 4
# Pictures of a decoded size beside the image: Pillow's WebP reader goes through libwebp's
# animation decoder, which keeps two canvases of the picture's size, and hands the frame over as
# bytes of that size again before the image is made of them.
_DECODER_COPIES = {"WEBP": 4}
# The modes reduced and kept as they are (Pillow's reduce takes them, and the colour profile
# applies to them); any other is converted, strip by strip, as it is reduced.
_WORKING_MODES = ("RGB", "RGBA", "L", "LA", "CMYK")
# Rows of the full-size picture converted and resized at once: with the filter's reach, a strip
# of a 7,000-pixel-wide RGBA picture is about 4 MB, and its premultiplied copy as much again.
_STRIP_ROWS = 128
# A picture more than this many times the size it is resized to is first box-averaged by a
# whole factor (Pillow's reducing_gap: "practically identical" to resampling it all).
_REDUCING_GAP = 3.0


@dataclass(frozen=True, slots=True)
class EncodedVariant:
    """One variant, encoded: what is stored, and what the API says of it."""

    variant: Variant
    width: int
    height: int
    format: Format
    content: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """An upload made into its purpose's variants, ready to store. ``digest`` (SHA-256 of the
    purpose and every variant's bytes) names the picture: the same variants, the same name."""

    purpose: Purpose
    digest: str
    # The source as it was read, after turning: its kind and size.
    source_format: str
    source_width: int
    source_height: int
    variants: tuple[EncodedVariant, ...]


def _refusal(message: str, code: ImageErrorCode, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def read_upload(upload) -> bytes:
    """The bytes of ``upload`` (an UploadedFile, or any file-like object), refused when there
    are none or more than ``IMAGE_MAX_BYTES``; never reads more than one byte past the limit."""
    limit = settings.IMAGE_MAX_BYTES
    if upload is None:
        raise _refusal(gettext_noop("Choose a picture to upload."), ImageErrorCode.IMAGE_REQUIRED)
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise too_large(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data:
        raise _refusal(gettext_noop("The file is empty."), ImageErrorCode.IMAGE_REQUIRED)
    return data


def too_large(limit: int) -> ValidationError:
    return ValidationError(
        gettext_noop("The picture is larger than %(megabytes)s MB."),
        code=ImageErrorCode.IMAGE_TOO_LARGE,
        params={"megabytes": f"{limit / 1_000_000:g}"},
    )


def too_many_pixels(limit: int | None = None) -> ValidationError:
    """The refusal of a picture of more pixels than ``limit`` (``IMAGE_MAX_PIXELS`` unless
    told: a smaller one when the decoded-bytes budget is what a picture of its kind meets)."""
    limit = settings.IMAGE_MAX_PIXELS if limit is None else limit
    return ValidationError(
        gettext_noop("The picture has more than %(megapixels)s million pixels."),
        code=ImageErrorCode.IMAGE_TOO_MANY_PIXELS,
        params={"megapixels": f"{math.floor(limit / 100_000) / 10:g}"},
    )


def corrupt() -> ValidationError:
    return _refusal(
        gettext_noop("The picture is damaged or cut short; upload it again."),
        ImageErrorCode.IMAGE_CORRUPT,
    )


def other_kind(data: bytes) -> str | None:
    """The name of a kind of image that is not taken, when ``data`` starts as one (so that
    the refusal says what to send instead); None for anything else."""
    head = data[:64]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
            return "HEIC"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"BM") and len(head) >= 18:
        (header_size,) = struct.unpack_from("<I", head, 14)
        if header_size in (12, 40, 52, 56, 64, 108, 124):
            return "BMP"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ICO"
    text = data[:1024].lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    return None


def open_image(data: bytes) -> Image.Image:
    """The image ``data`` holds, its header read and its size checked, no pixel decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (which a warning turned error in tests reaches too).
        raise too_many_pixels() from None
    except UnidentifiedImageError:
        kind = other_kind(data)
        if kind is not None:
            raise _refusal(
                gettext_noop(
                    "%(kind)s pictures are not taken: send a JPEG, PNG, WebP or GIF (phones "
                    "convert when asked to)."
                ),
                ImageErrorCode.IMAGE_TYPE_UNSUPPORTED,
                kind=kind,
            ) from None
        if data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise corrupt() from None
        raise _refusal(
            gettext_noop("This file is not a picture: send a JPEG, PNG, WebP or GIF."),
            ImageErrorCode.NOT_AN_IMAGE,
        ) from None
    except _UNREADABLE:
        raise corrupt() from None
    width, height = image.size
    if width < 1 or height < 1:
        raise corrupt()
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise too_many_pixels()
    return image


def process(upload, purpose: Purpose) -> ProcessedImage:
    """``upload`` checked and made into the variants of ``purpose``; a ValidationError with an
    ``ImageErrorCode`` when it is refused."""
    spec = PURPOSES[Purpose(purpose)]
    data = read_upload(upload)
    image = open_image(data)
    source_format = image.format
    coefficients = _jpeg_coefficient_bytes(image)
    _decode_reduced(image, spec)
    check_decoded_bytes(image, coefficients)
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except _UNREADABLE:
        raise corrupt() from None
    orientation = _orientation(image)
    # The decoded pixels alone, without the reader (WebP's keeps libwebp's decoder, and its
    # two canvases of the picture's size, for as long as the image lives): no copy is made.
    image = image._new(image.im)
    source_width, source_height = image.size
    if orientation in _TURNS_SIDEWAYS:
        source_width, source_height = source_height, source_width
    # The full-size picture goes as soon as its reduced copy is made (nothing else holds it),
    # and only then is the copy's alpha made straight again.
    image = _reduced(image, spec)
    image = _straight_alpha(image)
    image = _upright(image, orientation)
    image = _in_srgb(image)
    variants = tuple(_variants(image, spec, (source_width, source_height)))
    digest = hashlib.sha256(spec.purpose.value.encode())
    for variant in variants:
        digest.update(f"\n{variant.variant}:{len(variant.content)}\n".encode())
        digest.update(variant.content)
    return ProcessedImage(
        purpose=spec.purpose,
        digest=digest.hexdigest(),
        source_format=source_format,
        source_width=source_width,
        source_height=source_height,
        variants=variants,
    )


def bytes_per_pixel(mode: str) -> int:
    """The memory one pixel of ``mode`` takes decoded, as Pillow holds it."""
    return _BYTES_PER_PIXEL.get(mode, _DEFAULT_BYTES_PER_PIXEL)


def decoded_bytes(image: Image.Image, coefficients: int = 0) -> int:
    """The memory decoding ``image`` takes, read from its header (at the size it will be
    decoded at: a JPEG's reduced size once ``draft`` is set): its pixels times the bytes a
    pixel of its mode takes, times the copies its decoder keeps (WebP), plus the DCT
    ``coefficients`` libjpeg keeps of a progressive JPEG (``_jpeg_coefficient_bytes``)."""
    width, height = image.size
    copies = _DECODER_COPIES.get(image.format, 1)
    return width * height * bytes_per_pixel(image.mode) * copies + coefficients


def check_decoded_bytes(image: Image.Image, coefficients: int = 0) -> None:
    """Refuse ``image`` (IMAGE_TOO_MANY_PIXELS, with the most pixels a picture of its kind may
    have) when decoding it would take more than ``IMAGE_MAX_DECODED_BYTES``; nothing of it is
    decoded yet."""
    budget = settings.IMAGE_MAX_DECODED_BYTES
    cost = decoded_bytes(image, coefficients)
    if cost <= budget:
        return
    # The same picture's kind at the most pixels the budget leaves it: what to send instead.
    pixels = image.width * image.height
    per_pixel = cost / pixels
    raise too_many_pixels(min(settings.IMAGE_MAX_PIXELS, int(budget / per_pixel)))


def _jpeg_coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg keeps while decoding a progressive JPEG (read before ``draft``, at its
    full size): every DCT coefficient of every component, two bytes each, since each scan
    refines all of them; nothing for any other picture (a baseline JPEG is decoded a row of
    blocks at a time)."""
    if image.format != "JPEG" or not image.info.get("progressive"):
        return 0
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
    h_max = max(layer[1] for layer in layers)
    v_max = max(layer[2] for layer in layers)
    width, height = image.size
    blocks = sum(
        math.ceil(math.ceil(width * h / h_max) / 8) * math.ceil(math.ceil(height * v / v_max) / 8)
        for _, h, v, _ in layers
    )
    return blocks * 64 * 2


def _target_size(size: tuple[int, int], box: int, square: bool) -> tuple[int, int]:
    width, height = size
    if square:
        side = min(box, width, height)
        return side, side
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode_reduced(image: Image.Image, spec: PurposeSpec) -> None:
    """Have a JPEG decoded at a fraction of its size (1/2, 1/4, 1/8) when even that is at
    least as large as the largest variant: a 48-megapixel photo costs a quarter of its
    memory and time. Turning it later changes nothing: the fraction is the same both ways."""
    if image.format != "JPEG":
        return
    largest = max(spec.variants, key=lambda variant: variant.box).box
    width, height = _target_size(image.size, largest, spec.square)
    if spec.square:
        # The square is cut from the middle: its side must survive in both directions.
        width = height = min(largest, *image.size)
    image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else "RGB", (width, height))


# EXIF orientations, and how each is turned upright.
_TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_TURNS_SIDEWAYS = (5, 6, 7, 8)


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation of the decoded ``image``; None when it has none, or a damaged EXIF
    block (the picture is shown as stored)."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except (*_UNREADABLE, KeyError, ZeroDivisionError):
        return None
    return orientation if orientation in _TRANSPOSITIONS else None


def _upright(image: Image.Image, orientation: int | None) -> Image.Image:
    """The (reduced) picture turned as the source's EXIF ``orientation`` says; itself, not a
    copy, when it needs no turning."""
    if orientation is None:
        return image
    return image.transpose(_TRANSPOSITIONS[orientation])


def _reduced(image: Image.Image, spec: PurposeSpec) -> Image.Image:
    """The decoded ``image`` (its middle square, for a square purpose) resized to the largest
    variant of ``spec`` (never enlarged), in a mode the rest works in (``_WORKING_MODES``: a
    palette picture in RGB or RGBA, 16-bit greyscale in 8 bits; with its colours premultiplied
    by its alpha when it has one and was resized: ``_straight_alpha``), made strip by strip: besides
    ``image`` only the result and one strip are ever held, where a whole-picture resize of
    RGBA, or a conversion, would copy it at full size first (twice the decoded bytes).

    Each strip is the source rows one band of the result needs (with the Lanczos filter's
    reach on both sides), premultiplied by its alpha when it has one (as Pillow's own resize
    does, so that what is see-through does not bleed its colour), box-averaged by a whole
    factor first when the picture is more than ``_REDUCING_GAP`` times the result (as Pillow's
    ``reducing_gap`` does), and resampled with Lanczos into its band: the same pixels as one
    resize of the whole, with one strip's memory."""
    width, height = image.size
    left, top, right, bottom = 0, 0, width, height
    if spec.square:
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        right, bottom = left + side, top + side
    width, height = right - left, bottom - top
    largest = max(spec.variants, key=lambda variant: variant.box).box
    size = _target_size((width, height), largest, spec.square)
    mode = _working_mode(image)
    whole = (width, height) == image.size
    if size == (width, height) and mode == image.mode:
        return image if whole else image.crop((left, top, right, bottom))
    premultiplied = {"RGBA": "RGBa", "LA": "La"}.get(mode, mode)
    factor = max(1, int(min(width / size[0], height / size[1]) / _REDUCING_GAP))
    reduced_width, reduced_height = math.ceil(width / factor), math.ceil(height / factor)
    # Rows of the reduced picture per row of the result, and how far Lanczos reaches.
    scale = reduced_height / size[1]
    reach = math.ceil(3 * max(scale, 1.0)) + 1
    band = max(1, int(_STRIP_ROWS / (scale * factor)))
    result = Image.new(premultiplied, size)
    for first in range(0, size[1], band):
        last = min(size[1], first + band)
        # The reduced rows this band is made of, the filter's reach included.
        low = max(0, math.floor(first * scale) - reach)
        high = min(reduced_height, math.ceil(last * scale) + reach)
        strip = image.crop((left, top + low * factor, right, min(bottom, top + high * factor)))
        if strip.mode != premultiplied:
            strip = _converted(strip, mode)
            if strip.mode != premultiplied:
                strip = strip.convert(premultiplied)
        if factor > 1:
            strip = strip.reduce(factor)
        if size != (reduced_width, reduced_height):
            window = (0, first * scale - low, reduced_width, last * scale - low)
            strip = strip.resize((size[0], last - first), Image.Resampling.LANCZOS, window)
        result.paste(strip, (0, first))
    # The colour profile, transparency and the rest, which _in_srgb reads (and then drops).
    result.info = dict(image.info)
    return result


def _straight_alpha(image: Image.Image) -> Image.Image:
    """``image`` with its colours no longer premultiplied by its alpha (``_reduced`` makes
    them so), keeping what the rest reads of it."""
    straight = {"RGBa": "RGBA", "La": "LA"}.get(image.mode)
    if straight is None:
        return image
    converted = image.convert(straight)
    converted.info = image.info
    return converted


def _working_mode(image: Image.Image) -> str:
    if image.mode in _WORKING_MODES:
        return image.mode
    if image.mode in ("1", "I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return "L"
    return "RGBA" if _has_alpha(image) else "RGB"


def _converted(image: Image.Image, mode: str) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale (PNG): to 8 bits.
        return image.point(lambda value: value / 256).convert("L")
    return image.convert(mode)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB (RGBA with real transparency) in sRGB, without any of the source's metadata."""
    mode = "RGBA" if _has_alpha(image) else "RGB"
    icc = image.info.get("icc_profile")
    converted = None
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, _SRGB, outputMode=mode if image.mode != "L" else "RGB"
            )
        except (ImageCms.PyCMSError, *_UNREADABLE):
            converted = None
    if converted is None:
        converted = image
    if converted.mode != mode:
        converted = converted.convert(mode)
    if mode == "RGBA" and converted.getextrema()[3] == (255, 255):
        # Transparency in name only: nothing to keep, and smaller without.
        converted = converted.convert("RGB")
    converted.info = {}
    return converted


def _variants(image: Image.Image, spec: PurposeSpec, source_size: tuple[int, int]):
    """Each variant of ``spec``, largest first, each resized from the one before (the same
    picture, less work), and encoded anew; their sizes are those of the (upright) source's
    ``source_size``, of which ``image`` may be a reduced copy."""
    if spec.square and image.width != image.height:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    made = {}
    current = image
    for variant in sorted(spec.variants, key=lambda variant: -variant.box):
        size = _target_size(source_size, variant.box, spec.square)
        if current.size != size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
        made[variant.variant] = _encode(current, variant)
    return (made[variant.variant] for variant in spec.variants)


def _encode(image: Image.Image, spec: VariantSpec) -> EncodedVariant:
    out = io.BytesIO()
    if spec.format == Format.JPEG:
        if image.mode == "RGBA":
            # JPEG has no transparency: what was see-through is white, as on a page.
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=spec.quality, optimize=True, progressive=True)
    else:
        image.save(out, "WEBP", quality=spec.quality, method=4)
    return EncodedVariant(spec.variant, image.width, image.height, spec.format, out.getvalue())
