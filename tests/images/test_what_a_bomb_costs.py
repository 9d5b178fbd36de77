"""What the largest picture taken costs to process: the settings say that one decoded "takes
about 150 MB for a moment" (IMAGE_MAX_PIXELS) and the README that an upload "costs about a
second of a core" (RATE_LIMIT_UPLOADS_USER). A file of 200 kB that is all zeros when inflated
reaches the pixel limit, so it is what a hostile user sends, 20 at once (the rate limit counts
them before any is processed)."""

import os
import subprocess
import sys
import textwrap

from django.conf import settings

# The measurement runs in a process of its own: Pillow allocates outside Python's allocator
# (tracemalloc does not see it), and the peak of a process is read once.
MEASURE = textwrap.dedent(
    """
    import io, resource, struct, sys, zlib
    import django
    django.setup()
    from images.pipeline import process
    from images.variants import Purpose

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    def zeros_png(side):
        # RGBA, 8 bits: every row the filter byte and zeros, deflated.
        deflate = zlib.compressobj(9)
        row = bytes(1 + side * 4)
        body = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
        header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
        return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
                + chunk(b"IEND", b""))

    small = zeros_png(64)
    process(io.BytesIO(small), Purpose[sys.argv[1]])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bomb = zeros_png(7000)  # 49 million pixels, under the 50 million taken
    assert len(bomb) < 250_000, len(bomb)
    process(io.BytesIO(bomb), Purpose[sys.argv[1]])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) // 1024)
    """
)


def peak_megabytes(purpose: str) -> int:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.test_settings"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, purpose],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_a_small_file_claiming_the_most_pixels_costs_what_the_settings_say():
    assert settings.IMAGE_MAX_PIXELS == 50_000_000
    # Twice what the settings state, to leave room; measured: about 440 MB for an event's
    # picture, 4 s of a core.
    assert peak_megabytes("EVENT") < 300
