"""Error codes of uploaded images; clients see them in `errors[].code` (field: the upload)."""

from enum import StrEnum


class ImageErrorCode(StrEnum):
    # Nothing was sent, or an empty file.
    IMAGE_REQUIRED = "IMAGE_REQUIRED"
    # More bytes than IMAGE_MAX_BYTES.
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    # More pixels than IMAGE_MAX_PIXELS, whatever the file's size: a decompression bomb, or a
    # picture larger than any phone shows.
    IMAGE_TOO_MANY_PIXELS = "IMAGE_TOO_MANY_PIXELS"
    # Not an image at all (text, a PDF, random bytes), judged by its content.
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    # An image of a kind not taken (HEIC, TIFF, BMP, SVG, AVIF): JPEG, PNG, WebP or GIF only.
    IMAGE_TYPE_UNSUPPORTED = "IMAGE_TYPE_UNSUPPORTED"
    # Of a type taken, but cut short or damaged: its pixels cannot all be read.
    IMAGE_CORRUPT = "IMAGE_CORRUPT"
