"""From an uploaded file to the variants a phone shows, in memory: nothing here stores or
reads the database (``images.services`` stores what this makes).

Every upload is judged by its content, never by its name or declared type: at most
``IMAGE_MAX_BYTES`` bytes; JPEG, PNG, WebP or GIF as Pillow reads it, no other decoder ever
being tried on it; at most ``IMAGE_MAX_PIXELS`` pixels, checked from the header before a pixel
is decoded, so that a small file claiming a huge picture (a decompression bomb) costs nothing;
and every pixel readable (a truncated file is refused, not shown half grey). Animated GIF and
WebP are taken as their first frame: the app shows still pictures.

What is made: the picture turned as its EXIF orientation says, in sRGB (a camera's wide-gamut
profile is converted, not dropped), cut and resized into each variant of its purpose
(``images.variants``) and encoded anew. Nothing of the file but its pixels survives: no EXIF
(the camera, the time, the GPS position), no XMP, no comments, no colour profile.
"""

import hashlib
import io
import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

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


def too_many_pixels() -> ValidationError:
    return ValidationError(
        gettext_noop("The picture has more than %(megapixels)s million pixels."),
        code=ImageErrorCode.IMAGE_TOO_MANY_PIXELS,
        params={"megapixels": f"{settings.IMAGE_MAX_PIXELS / 1_000_000:g}"},
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
    _decode_reduced(image, spec)
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except _UNREADABLE:
        raise corrupt() from None
    image = _upright(image)
    image = _in_srgb(image)
    variants = tuple(_variants(image, spec))
    digest = hashlib.sha256(spec.purpose.value.encode())
    for variant in variants:
        digest.update(f"\n{variant.variant}:{len(variant.content)}\n".encode())
        digest.update(variant.content)
    return ProcessedImage(
        purpose=spec.purpose,
        digest=digest.hexdigest(),
        source_format=source_format,
        source_width=image.width,
        source_height=image.height,
        variants=variants,
    )


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


def _upright(image: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation says; a damaged EXIF block is ignored (the
    picture is shown as stored)."""
    try:
        return ImageOps.exif_transpose(image)
    except (*_UNREADABLE, KeyError, ZeroDivisionError):
        return image


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
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit greyscale (PNG): to 8 bits before colour.
            image = image.point(lambda value: value / 256).convert("L")
        converted = image.convert(mode)
    if converted.mode != mode:
        converted = converted.convert(mode)
    if mode == "RGBA" and converted.getchannel("A").getextrema() == (255, 255):
        # Transparency in name only: nothing to keep, and smaller without.
        converted = converted.convert("RGB")
    converted.info = {}
    return converted


def _variants(image: Image.Image, spec: PurposeSpec):
    """Each variant of ``spec``, largest first, each resized from the one before (the same
    picture, less work), and encoded anew."""
    if spec.square:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    made = {}
    current = image
    for variant in sorted(spec.variants, key=lambda variant: -variant.box):
        size = _target_size(image.size, variant.box, spec.square)
        if current.size != size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
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
