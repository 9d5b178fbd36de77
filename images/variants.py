"""What each kind of picture is resized into: one entry per purpose, each variant with its box,
format and quality. A phone picks the variant that fits the place it shows the picture in, and
each is given with its width and height so that the app lays the screen out before it loads.

Formats: WebP for everything the app shows (Android and iOS 14+ decode it; about a third
smaller than JPEG at the same quality, and it keeps transparency), and for events one JPEG,
``SHARE``, sized for link previews: messengers and social sites do not all read WebP.
"""

from dataclasses import dataclass

from django.db import models


class Purpose(models.TextChoices):
    """What a picture is for: how it is cut and which variants it gets."""

    EVENT = "EVENT", "Event image"
    AVATAR = "AVATAR", "Avatar"


class Variant(models.TextChoices):
    """The sizes a picture is stored in."""

    THUMBNAIL = "THUMBNAIL", "Thumbnail"
    CARD = "CARD", "Card"
    FULL = "FULL", "Full"
    SHARE = "SHARE", "Share"


class Format(models.TextChoices):
    """The encodings variants are stored in."""

    WEBP = "WEBP", "WebP"
    JPEG = "JPEG", "JPEG"


EXTENSIONS = {Format.WEBP: "webp", Format.JPEG: "jpg"}
CONTENT_TYPES = {Format.WEBP: "image/webp", Format.JPEG: "image/jpeg"}


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One variant: at most ``box`` pixels on its longest side (both sides when ``square``),
    never enlarged beyond the source."""

    variant: Variant
    box: int
    format: Format
    quality: int


@dataclass(frozen=True, slots=True)
class PurposeSpec:
    """How pictures of one purpose are made: ``square`` cuts the middle square out first
    (avatars, shown in circles), otherwise the whole picture is kept in its proportions."""

    purpose: Purpose
    square: bool
    variants: tuple[VariantSpec, ...]


PURPOSES: dict[Purpose, PurposeSpec] = {
    # An event's picture as the app shows it: a row of a list (about 100 dp wide, ×3 for the
    # densest screens), a card across the phone's width (360 dp ×3) and the detail page, which
    # may be zoomed; and the link preview (1200 px wide is what Open Graph asks for).
    Purpose.EVENT: PurposeSpec(
        Purpose.EVENT,
        square=False,
        variants=(
            VariantSpec(Variant.THUMBNAIL, 400, Format.WEBP, 80),
            VariantSpec(Variant.CARD, 1080, Format.WEBP, 80),
            VariantSpec(Variant.FULL, 2048, Format.WEBP, 82),
            VariantSpec(Variant.SHARE, 1200, Format.JPEG, 85),
        ),
    ),
    # A person beside their chat message (40 dp ×3) and on their profile.
    Purpose.AVATAR: PurposeSpec(
        Purpose.AVATAR,
        square=True,
        variants=(
            VariantSpec(Variant.THUMBNAIL, 128, Format.WEBP, 80),
            VariantSpec(Variant.FULL, 512, Format.WEBP, 82),
        ),
    ),
}
