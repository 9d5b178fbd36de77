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
- ``webp``: a lossless WebP, every pixel transparent black.

Each is a square of the largest side the settings take for it (``--side`` to force one, e.g.
7000 to compare with the figures of before the decoded-bytes budget). Settings come from the
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

CASES = ("rgba8", "rgba16", "palette", "jpeg", "webp")
PURPOSES = ("EVENT", "AVATAR")
# Bytes a pixel of each case takes decoded, as Pillow holds it (16-bit RGBA is held as 8-bit
# RGBA; a palette image one byte a pixel).
DECODED_BYTES_PER_PIXEL = {"rgba8": 4, "rgba16": 4, "palette": 1, "jpeg": 4, "webp": 4}


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


def encoded(side: int, fmt: str, **save) -> bytes:
    from PIL import Image

    mode = "RGBA" if fmt == "WEBP" else "RGB"
    colour = (0, 0, 0, 0) if mode == "RGBA" else (128, 128, 128)
    image = Image.new(mode, (side, side), colour)
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
        return encoded(side, "WEBP", lossless=True, quality=0, method=0)
    raise ValueError(case)


def largest_side(case: str) -> int:
    """The side of the largest square of ``case`` the settings take."""
    from django.conf import settings

    pixels = settings.IMAGE_MAX_PIXELS
    budget = getattr(settings, "IMAGE_MAX_DECODED_BYTES", None)
    if budget is not None:
        pixels = min(pixels, budget // DECODED_BYTES_PER_PIXEL[case])
    return math.isqrt(pixels)


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
        side = arguments.side or largest_side(case)
        data = build(case, side)
        small = build(case, 64)
        for purpose in arguments.purpose or PURPOSES:
            results = [
                in_child(measure, {"purpose": purpose, "data": data, "small": small})
                for _ in range(arguments.runs)
            ]
            worst = max(results, key=lambda result: result["peak_growth_mib"])
            decoded = side * side * DECODED_BYTES_PER_PIXEL[case] / 1e6
            print(
                f"{case:<8} {purpose:<7} {side:>6} {len(data) / 1000:>8.0f} {decoded:>10.0f} "
                f"{worst['peak_growth_mib']:>9.0f} {worst['peak_mib']:>8.0f} "
                f"{max(r['cpu_s'] for r in results):>6.2f} "
                f"{max(r['wall_s'] for r in results):>6.2f}  {worst['outcome']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
