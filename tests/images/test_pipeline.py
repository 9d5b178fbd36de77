"""The image pipeline: what it takes (judged by content), what it refuses and with which code,
and what it makes of a photo (upright, in sRGB, stripped of everything the camera wrote, in each
variant's size and format)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from images.error_codes import ImageErrorCode
from images.pipeline import process
from images.variants import Purpose, Variant

from . import pictures


def opened(variant) -> Image.Image:
    return Image.open(io.BytesIO(variant.content))


def variants(processed) -> dict:
    return {variant.variant: variant for variant in processed.variants}


def refusal(data: bytes, purpose=Purpose.EVENT, name="photo.jpg", content_type="image/jpeg"):
    with pytest.raises(ValidationError) as caught:
        process(SimpleUploadedFile(name, data, content_type), purpose)
    return caught.value


def test_a_photo_becomes_each_variant_of_an_event_in_its_size_and_format():
    # Given a landscape photo larger than every variant
    data = pictures.photo(3000, 2000)

    # When it is processed as an event's picture
    made = variants(process(io.BytesIO(data), Purpose.EVENT))

    # Then each variant keeps the proportions, within its box, in its format
    expected = {
        Variant.THUMBNAIL: ((400, 267), "WEBP"),
        Variant.CARD: ((1080, 720), "WEBP"),
        Variant.FULL: ((2048, 1365), "WEBP"),
        Variant.SHARE: ((1200, 800), "JPEG"),
    }
    for variant, (size, fmt) in expected.items():
        image = opened(made[variant])
        assert (image.size, image.format) == (size, fmt), variant
        assert (made[variant].width, made[variant].height) == size


def test_a_small_picture_is_never_enlarged():
    made = variants(process(io.BytesIO(pictures.png(64, 48)), Purpose.EVENT))
    assert {(v.width, v.height) for v in made.values()} == {(64, 48)}


def test_an_avatar_is_the_middle_square_in_two_sizes():
    # Given a portrait photo, red at the top and blue at the bottom once upright
    data = pictures.photo(800, 1200)

    made = variants(process(io.BytesIO(data), Purpose.AVATAR))

    assert set(made) == {Variant.THUMBNAIL, Variant.FULL}
    assert (made[Variant.THUMBNAIL].width, made[Variant.THUMBNAIL].height) == (128, 128)
    assert (made[Variant.FULL].width, made[Variant.FULL].height) == (512, 512)
    # The square cut from the middle of a picture half red (left) and half blue (right)
    full = opened(made[Variant.FULL]).convert("RGB")
    assert _reddish(full.getpixel((10, 256))) and _bluish(full.getpixel((500, 256)))


def _reddish(pixel) -> bool:
    red, _green, blue = pixel[:3]
    return red > 150 and blue < 100


def _bluish(pixel) -> bool:
    red, _green, blue = pixel[:3]
    return blue > 150 and red < 100


def test_the_exif_orientation_is_applied():
    # Given a photo stored sideways (640 × 480, red left, blue right) that its EXIF says to
    # turn 90° clockwise (orientation 6), as phones save portraits
    data = pictures.photo(640, 480, orientation=6)

    full = opened(variants(process(io.BytesIO(data), Purpose.EVENT))[Variant.FULL])

    # Then it comes out upright: portrait, what was left now on top
    assert full.size == (480, 640)
    rgb = full.convert("RGB")
    assert _reddish(rgb.getpixel((240, 20))) and _bluish(rgb.getpixel((240, 620)))
    # And it says nothing of orientation any more (it would be turned twice)
    assert ORIENTATION_TAG not in full.getexif()


ORIENTATION_TAG = pictures.ORIENTATION


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_nothing_the_camera_wrote_survives(fmt):
    # Given a photo with EXIF: the camera, a description naming the place, the GPS position
    data = pictures.photo(900, 600, fmt=fmt)
    assert pictures.SECRET_PLACE.encode() in data

    processed = process(io.BytesIO(data), Purpose.EVENT)

    # Then no variant carries EXIF, GPS, XMP, a comment or a colour profile
    for variant in processed.variants:
        image = opened(variant)
        assert not image.getexif(), variant.variant
        assert not image.getexif().get_ifd(pictures.GPS_IFD)
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & set(image.info)
        assert pictures.SECRET_PLACE.encode() not in variant.content
        assert b"TwinCam" not in variant.content


def test_a_colour_profile_is_applied_then_dropped():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = pictures.photo(300, 200, icc_profile=srgb)

    for variant in process(io.BytesIO(data), Purpose.EVENT).variants:
        assert "icc_profile" not in opened(variant).info


def test_transparency_is_kept_in_webp_and_white_in_the_jpeg():
    made = variants(process(io.BytesIO(pictures.transparent_png()), Purpose.EVENT))

    card = opened(made[Variant.CARD])
    assert card.mode == "RGBA" and card.getpixel((0, 0))[3] == 0
    share = opened(made[Variant.SHARE]).convert("RGB")
    assert all(channel > 240 for channel in share.getpixel((0, 0)))


def test_an_animated_gif_is_taken_as_its_first_frame():
    made = variants(process(io.BytesIO(pictures.animated_gif()), Purpose.AVATAR))
    full = opened(made[Variant.FULL])
    assert not getattr(full, "is_animated", False)
    assert _reddish(full.convert("RGB").getpixel((5, 5)))


def test_the_same_picture_has_the_same_digest_and_another_another():
    first = process(io.BytesIO(pictures.png(colour=(1, 2, 3))), Purpose.EVENT)
    again = process(io.BytesIO(pictures.png(colour=(1, 2, 3))), Purpose.EVENT)
    other = process(io.BytesIO(pictures.png(colour=(200, 2, 3))), Purpose.EVENT)
    as_avatar = process(io.BytesIO(pictures.png(colour=(1, 2, 3))), Purpose.AVATAR)
    assert first.digest == again.digest
    assert len({first.digest, other.digest, as_avatar.digest}) == 3


def test_a_large_jpeg_is_decoded_reduced_and_still_sized_right():
    # 6000 × 4000 (24 megapixels): decoded at half its size, which still covers FULL
    made = variants(process(io.BytesIO(pictures.photo(6000, 4000)), Purpose.EVENT))
    assert (made[Variant.FULL].width, made[Variant.FULL].height) == (2048, 1365)


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Hello, this is a letter, not a picture.", ImageErrorCode.NOT_AN_IMAGE),
        (b"%PDF-1.7\n1 0 obj << >> endobj\n", ImageErrorCode.NOT_AN_IMAGE),
        (b"\x00" * 1000, ImageErrorCode.NOT_AN_IMAGE),
        (pictures.heic_header(), ImageErrorCode.IMAGE_TYPE_UNSUPPORTED),
        (pictures.SVG, ImageErrorCode.IMAGE_TYPE_UNSUPPORTED),
        (pictures.other("BMP"), ImageErrorCode.IMAGE_TYPE_UNSUPPORTED),
        (pictures.other("TIFF"), ImageErrorCode.IMAGE_TYPE_UNSUPPORTED),
        (b"", ImageErrorCode.IMAGE_REQUIRED),
    ],
    ids=["text", "pdf", "zeros", "heic", "svg", "bmp", "tiff", "empty"],
)
def test_what_is_not_a_picture_taken_is_refused_with_its_code(data, code):
    assert refusal(data).code == code


def test_a_truncated_picture_is_refused_as_corrupt():
    jpeg = pictures.photo(800, 600, quality=95)
    png = pictures.png(300, 300, mode="RGB", colour=(1, 2, 3), compress_level=0)
    assert refusal(jpeg[: len(jpeg) // 2]).code == ImageErrorCode.IMAGE_CORRUPT
    assert refusal(png[: len(png) // 2]).code == ImageErrorCode.IMAGE_CORRUPT
    # Cut inside its header: still a damaged picture, not "not a picture"
    assert refusal(png[:30]).code == ImageErrorCode.IMAGE_CORRUPT


def test_the_declared_type_and_name_are_not_believed():
    # A text file called a JPEG is not a picture
    error = refusal(b"GIF? no.", name="cat.jpg", content_type="image/jpeg")
    assert error.code == ImageErrorCode.NOT_AN_IMAGE
    # A PNG sent as application/octet-stream named .txt is a PNG
    upload = SimpleUploadedFile("notes.txt", pictures.png(), "application/octet-stream")
    assert process(upload, Purpose.EVENT).source_format == "PNG"


def test_a_file_over_the_byte_limit_is_refused_unread(settings):
    settings.IMAGE_MAX_BYTES = 1000
    data = pictures.photo(400, 300)
    assert len(data) > 1000

    error = refusal(data)
    assert error.code == ImageErrorCode.IMAGE_TOO_LARGE
    assert "0.001 MB" in error.message % error.params


def test_a_file_that_misstates_its_size_is_read_no_further_than_the_limit(settings):
    settings.IMAGE_MAX_BYTES = 1000

    class Lying(io.BytesIO):
        size = 10  # says it is small
        reads: list

        def read(self, size=-1):
            self.reads.append(size)
            return super().read(size)

    upload = Lying(pictures.photo(400, 300))
    upload.reads = []
    with pytest.raises(ValidationError) as caught:
        process(upload, Purpose.EVENT)
    assert caught.value.code == ImageErrorCode.IMAGE_TOO_LARGE
    assert upload.reads == [1001]


def test_a_picture_over_the_pixel_limit_is_refused_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 1000
    assert refusal(pictures.png(40, 30)).code == ImageErrorCode.IMAGE_TOO_MANY_PIXELS
    # 32 × 31 = 992 pixels: just under
    assert process(io.BytesIO(pictures.png(32, 31)), Purpose.EVENT).source_width == 32


def test_a_header_claiming_a_huge_picture_is_refused():
    # 100,000 × 100,000 pixels claimed by a file of 100 bytes
    assert refusal(pictures.png_claiming(100_000, 100_000)).code == (
        ImageErrorCode.IMAGE_TOO_MANY_PIXELS
    )
    # Just over the default 50 million, under Pillow's own limits
    assert refusal(pictures.png_claiming(8000, 7000)).code == (ImageErrorCode.IMAGE_TOO_MANY_PIXELS)


def test_a_decompression_bomb_is_refused():
    # 144 million pixels in 140 kB
    bomb = pictures.decompression_bomb()
    assert len(bomb) < 200_000
    assert refusal(bomb).code == ImageErrorCode.IMAGE_TOO_MANY_PIXELS


def test_a_picture_over_the_decoded_bytes_budget_is_refused_before_decoding(settings, monkeypatch):
    # Given a budget of 4,000 bytes decoded: 1,000 pixels of RGBA (4 bytes each)
    settings.IMAGE_MAX_DECODED_BYTES = 4000

    def decoded(*_):
        raise AssertionError("decoded")

    with monkeypatch.context() as patched:
        patched.setattr(ImageFile.ImageFile, "load", decoded)
        # 32 × 32 × 4 = 4,096 bytes: refused from its header, nothing decoded
        error = refusal(pictures.png(32, 32, mode="RGBA", colour=(1, 2, 3, 4)))
    assert error.code == ImageErrorCode.IMAGE_TOO_MANY_PIXELS
    assert error.message % error.params == "The picture has more than 0 million pixels."
    # 32 × 31 × 4 = 3,968 bytes: at the budget, processed
    rgba = pictures.png(32, 31, mode="RGBA", colour=(1, 2, 3, 4))
    assert process(io.BytesIO(rgba), Purpose.EVENT).source_width == 32


def test_the_budget_counts_the_bytes_a_pixel_of_its_kind_takes(settings):
    settings.IMAGE_MAX_DECODED_BYTES = 4000
    # Greyscale takes a byte a pixel: 63 × 63 = 3,969 pixels fit where 32 × 32 in colour do not
    grey = pictures.png(63, 63, mode="L", colour=128)
    assert process(io.BytesIO(grey), Purpose.AVATAR).source_width == 63
    # 16-bit RGBA is held as 8-bit: 4 bytes a pixel, as RGBA
    assert refusal(pictures.deep_png(32, 32)).code == ImageErrorCode.IMAGE_TOO_MANY_PIXELS
    assert process(io.BytesIO(pictures.deep_png(32, 31)), Purpose.EVENT).source_width == 32


def test_a_jpeg_counts_at_the_fraction_of_its_size_it_is_decoded_at(settings):
    # 6000 × 4000 takes 96 MB decoded at full size, 24 MB at half (which covers FULL)
    settings.IMAGE_MAX_DECODED_BYTES = 25_000_000
    made = variants(process(io.BytesIO(pictures.photo(6000, 4000)), Purpose.EVENT))
    assert (made[Variant.FULL].width, made[Variant.FULL].height) == (2048, 1365)
    # A progressive one keeps every coefficient of the full size (6000 × 4000 × 3 × 2 bytes)
    progressive = pictures.photo(6000, 4000, progressive=True, subsampling=0)
    assert refusal(progressive).code == ImageErrorCode.IMAGE_TOO_MANY_PIXELS
