"""Pictures for the tests, made here: photos with what cameras write into them, transparent
and animated ones, damaged ones and bombs."""

import io
import os
import struct
import zlib

from PIL import Image

# EXIF tags.
ORIENTATION = 0x0112
MAKE = 0x010F
GPS_IFD = 0x8825
# Where the photo was taken, as a camera writes it (GPSLatitude of Aktau's seafront).
GPS_LATITUDE_REF = "N"
SECRET_PLACE = "Aktau seafront, 43.6500 N 51.1600 E"


def photo(width=640, height=480, *, orientation=None, gps=True, fmt="JPEG", **save) -> bytes:
    """A photo as a phone's camera saves it: left half red, right half blue, with EXIF (the
    camera's make, the GPS position, a description naming the place) and an orientation."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = image.getexif()
    exif[MAKE] = "TwinCam"
    exif[0x010E] = SECRET_PLACE  # ImageDescription
    if gps:
        exif[GPS_IFD] = {1: GPS_LATITUDE_REF, 2: (43.0, 39.0, 0.0), 3: "E", 4: (51.0, 9.0, 36.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **save)
    return out.getvalue()


def noisy_photo(width: int, height: int) -> bytes:
    """A JPEG of noise at the best quality: as large as a real photo of its size, or larger."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def png(width=64, height=48, mode="RGB", colour=(30, 160, 60), **save) -> bytes:
    image = Image.new(mode, (width, height), colour)
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def transparent_png(width=80, height=60) -> bytes:
    """A logo on a see-through background: a green square in the middle."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste((30, 160, 60, 255), (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    """Two frames: red, then blue."""
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((220, 20, 20), (20, 20, 220))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return out.getvalue()


def other(fmt: str) -> bytes:
    """A picture in a format Pillow writes but the app does not take (BMP, TIFF)."""
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` × ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def decompression_bomb(side=12_000) -> bytes:
    """A real PNG of ``side`` × ``side`` black pixels (144 million by default: 144 MB once
    decoded) that compresses to well under a megabyte."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # the filter byte, then the row's pixels
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def heic_header() -> bytes:
    """The start of an iPhone's HEIC photo (an ISO media file of brand heic)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\0" * 64


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


def deep_png(width: int, height: int) -> bytes:
    """An RGBA PNG of 16 bits a channel, every pixel transparent black."""
    row = b"\x00" * (1 + width * 8)  # the filter byte, then 4 channels of 2 bytes a pixel
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )
