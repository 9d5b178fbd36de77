"""What the worst pictures the settings let in cost to process: peak memory and CPU time.

A file of a few hundred kB can hold a picture as large as the limits allow (all zeros deflate
to nearly nothing), so the worst case is not a large upload but a picture at the limits:
``IMAGE_MAX_PIXELS`` pixels, or as many as ``IMAGE_MAX_DECODED_BYTES`` lets its mode have.
Each case builds such a file in this process, then processes it with
``images.pipeline.process`` in a fresh process of its own (``bench.support.in_child``) after a
small picture of the same kind (Pillow's and Django's imports and first allocations done), and
reports what processing it added to that process's peak resident memory (the kernel's
high-water mark, ``VmHWM``, reset after the small picture: Pillow allocates outside Python's
allocator, which tracemalloc does not see; ``ru_maxrss`` would carry the parent's peak over to
the child), the absolute peak, and
the CPU seconds (user + system) and wall seconds it took. A case the settings refuse is
reported with its code.

The cases, for each purpose (``EVENT``, ``AVATAR``):

- ``rgba8``: an 8-bit RGBA PNG, every pixel transparent black;
- ``rgba16``: the same at 16 bits a channel;
- ``palette``: a palette PNG (one byte a pixel decoded; four once in colour);
- ``jpeg``: a progressive JPEG of one grey, no chroma subsampling (libjpeg holds every DCT
  coefficient of a progressive file until the last scan);
- ``webp``: a lossless WebP, every pixel transparent black;
- ``turned``: ``rgba8`` with an sRGB colour profile and an EXIF orientation of 6 (turned a
  quarter), so that turning and colour conversion both run.

Each is a square of the largest side the settings take for it, by the pipeline's own count
(``images.pipeline.decoded_bytes``; for the JPEG, whose cost depends on the fraction of its
size it is decoded at, found by bisection on its header alone), or ``--side`` to force one
(e.g. 7000 to compare with the figures of before the decoded-bytes budget). Settings come from the
environment (``IMAGE_MAX_PIXELS=… IMAGE_MAX_DECODED_BYTES=…`` to try others). Results are in
docs/benchmarks.md, "Images".

Run from the project root (about a minute)::

    .venv/bin/python bench/images.py
    .venv/bin/python bench/images.py --only rgba16 --purpose AVATAR --side 7000
"""

import argparse
import io
import json
import math
import os
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import in_child, machine  # noqa: E402

CASES = ("rgba8", "rgba16", "palette", "jpeg", "webp", "turned")
PURPOSES = ("EVENT", "AVATAR")
# The mode and format each case is decoded in (16-bit RGBA is held as 8-bit RGBA).
DECODED_AS = {
    "rgba8": ("RGBA", "PNG"),
    "rgba16": ("RGBA", "PNG"),
    "palette": ("P", "PNG"),
    "jpeg": ("RGB", "JPEG"),
    "webp": ("RGBA", "WEBP"),
    "turned": ("RGBA", "PNG"),
}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zeros_png(side: int, depth: int = 8, colour_type: int = 6, palette: bool = False) -> bytes:
    """A PNG of ``side`` × ``side`` pixels of zeros, deflated: a few hundred kB at most."""
    channels = {6: 4, 3: 1}[colour_type]
    deflate = zlib.compressobj(9)
    row = bytes(1 + side * channels * depth // 8)
    body = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    header = struct.pack(">IIBBBBB", side, side, depth, colour_type, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if palette:
        chunks.append(_chunk(b"PLTE", bytes((30, 160, 60)) + bytes(3 * 255)))
    chunks += [_chunk(b"IDAT", body), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def encoded(side: int, fmt: str, mode: str = "RGB", **save) -> bytes:
    from PIL import Image

    colour = (0, 0, 0, 0) if mode == "RGBA" else (128, 128, 128)
    image = Image.new(mode, (side, side), colour)
    if "exif" in save:
        exif = image.getexif()
        exif[0x0112] = save.pop("exif")
        save["exif"] = exif
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def build(case: str, side: int) -> bytes:
    if case == "rgba8":
        return zeros_png(side)
    if case == "rgba16":
        return zeros_png(side, depth=16)
    if case == "palette":
        return zeros_png(side, colour_type=3, palette=True)
    if case == "jpeg":
        return encoded(side, "JPEG", quality=90, progressive=True, subsampling=0)
    if case == "webp":
        return encoded(side, "WEBP", "RGBA", lossless=True, quality=0, method=0)
    if case == "turned":
        from PIL import ImageCms

        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        return encoded(side, "PNG", "RGBA", exif=6, icc_profile=srgb, compress_level=9)
    raise ValueError(case)


def _resized_jpeg_header(template: bytes, side: int) -> bytes:
    """``template`` (a JPEG) saying it is ``side`` × ``side``: its SOF's height and width."""
    position = 2
    while True:
        marker, length = template[position + 1], struct.unpack_from(">H", template, position + 2)[0]
        if marker in (0xC0, 0xC1, 0xC2):
            sizes = position + 5
            return template[:sizes] + struct.pack(">HH", side, side) + template[sizes + 4 :]
        position += 2 + length


def _jpeg_taken(template: bytes, side: int, purpose) -> bool:
    """Whether the pipeline takes a progressive JPEG of ``side``: its header alone checked, as
    ``process`` checks it before decoding."""
    from django.core.exceptions import ValidationError

    from images import pipeline

    image = pipeline.open_image(_resized_jpeg_header(template, side))
    coefficients = pipeline._jpeg_coefficient_bytes(image)
    pipeline._decode_reduced(image, pipeline.PURPOSES[purpose])
    try:
        pipeline.check_decoded_bytes(image, coefficients)
    except ValidationError:
        return False
    return True


def largest_side(case: str, purpose: str) -> int:
    """The side of the largest square of ``case`` the settings take for ``purpose``."""
    from django.conf import settings

    from images import pipeline
    from images.variants import Purpose

    largest = math.isqrt(settings.IMAGE_MAX_PIXELS)
    if getattr(settings, "IMAGE_MAX_DECODED_BYTES", None) is None:
        return largest  # the code of before the budget
    mode, fmt = DECODED_AS[case]
    if case == "jpeg":
        template = build(case, 64)
        low, high = 1, largest
        while low < high:
            middle = (low + high + 1) // 2
            if _jpeg_taken(template, middle, Purpose[purpose]):
                low = middle
            else:
                high = middle - 1
        return low
    per_pixel = pipeline.bytes_per_pixel(mode) * pipeline._DECODER_COPIES.get(fmt, 1)
    return min(largest, math.isqrt(settings.IMAGE_MAX_DECODED_BYTES // per_pixel))


def _status(field: str) -> float:
    """A field of /proc/self/status in MiB (VmRSS: resident now; VmHWM: its peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    # Linux 4.0+: writing 5 to clear_refs sets the peak (VmHWM) to the resident memory now.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def measure(config: dict) -> dict:
    """In a fresh process: process a small file of the case, then the large one; what the
    large one added to the peak, and its CPU and wall time."""
    import resource
    import time

    setup_django()
    from django.core.exceptions import ValidationError

    from images.pipeline import process
    from images.variants import Purpose

    purpose = Purpose[config["purpose"]]
    process(io.BytesIO(config["small"]), purpose)
    data = config["data"]
    _reset_peak()
    resident = _status("VmRSS")
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    outcome = "processed"
    try:
        made = process(io.BytesIO(data), purpose)
    except ValidationError as refusal:
        outcome = f"refused: {refusal.code}"
    else:
        outcome += f" ({made.source_width} x {made.source_height})"
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "outcome": outcome,
        "peak_growth_mib": _status("VmHWM") - resident,
        "peak_mib": _status("VmHWM"),
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "wall_s": wall,
    }


def decoded_megabytes(data: bytes, purpose: str) -> float:
    """What the pipeline counts decoding ``data`` takes, in MB (its header read, nothing
    decoded); with the code of before the budget, the full-size pixels at 4 bytes."""
    from images import pipeline
    from images.variants import Purpose

    image = pipeline.open_image(data) if hasattr(pipeline, "decoded_bytes") else None
    if image is None:
        from PIL import Image

        return math.prod(Image.open(io.BytesIO(data)).size) * 4 / 1e6
    coefficients = pipeline._jpeg_coefficient_bytes(image)
    pipeline._decode_reduced(image, pipeline.PURPOSES[Purpose[purpose]])
    return pipeline.decoded_bytes(image, coefficients) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=CASES, action="append", help="cases to run")
    parser.add_argument("--purpose", choices=PURPOSES, action="append", help="purposes")
    parser.add_argument("--side", type=int, help="a square of this side, whatever the settings")
    parser.add_argument("--runs", type=int, default=1, help="runs of each case (the worst kept)")
    arguments = parser.parse_args()
    setup_django()
    from django.conf import settings

    print(
        json.dumps(
            {
                "machine": machine(),
                "IMAGE_MAX_PIXELS": settings.IMAGE_MAX_PIXELS,
                "IMAGE_MAX_DECODED_BYTES": getattr(settings, "IMAGE_MAX_DECODED_BYTES", None),
            }
        )
    )
    print(
        f"{'case':<8} {'purpose':<7} {'side':>6} {'file kB':>8} {'decoded MB':>10} "
        f"{'peak +MiB':>9} {'peak MiB':>8} {'CPU s':>6} {'wall s':>6}  outcome"
    )
    for case in arguments.only or CASES:
        small = build(case, 64)
        data, side = None, None
        for purpose in arguments.purpose or PURPOSES:
            wanted = arguments.side or largest_side(case, purpose)
            if wanted != side:
                side, data = wanted, build(case, wanted)
            results = [
                in_child(measure, {"purpose": purpose, "data": data, "small": small})
                for _ in range(arguments.runs)
            ]
            worst = max(results, key=lambda result: result["peak_growth_mib"])
            decoded = decoded_megabytes(data, purpose)
            print(
                f"{case:<8} {purpose:<7} {side:>6} {len(data) / 1000:>8.0f} {decoded:>10.0f} "
                f"{worst['peak_growth_mib']:>9.0f} {worst['peak_mib']:>8.0f} "
                f"{max(r['cpu_s'] for r in results):>6.2f} "
                f"{max(r['wall_s'] for r in results):>6.2f}  {worst['outcome']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
