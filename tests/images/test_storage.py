"""Storing pictures: by content hash, once per picture, through Django's storage API on the
local file system and on an S3-compatible bucket (moto's S3 server, the real boto3 client);
and letting them go after the commit, unless something still shows them."""

import io

import pytest
import requests
from django.core.files.storage import default_storage, storages
from django.db import transaction

from images import services
from images.models import Image
from images.pipeline import process
from images.variants import Purpose
from tests.factories import UserFactory
from tests.s3_bucket import BUCKET, keys_in, s3_options

from . import pictures


def event_picture(colour=(30, 160, 60)):
    return process(io.BytesIO(pictures.png(120, 90, colour=colour)), Purpose.EVENT)


@pytest.mark.django_db
def test_each_variant_is_stored_under_its_content_hash(media_root):
    processed = event_picture()

    image = services.store(processed)

    assert image.digest == processed.digest and image.purpose == Purpose.EVENT
    assert set(image.variants) == {"THUMBNAIL", "CARD", "FULL", "SHARE"}
    for name, variant in image.variants.items():
        expected = f"images/{processed.digest[:2]}/{processed.digest[:32]}-{name.lower()}."
        assert variant["name"].startswith(expected)
        assert (media_root / variant["name"]).read_bytes() == next(
            v.content for v in processed.variants if v.variant == name
        )
    assert image.variants["SHARE"]["name"].endswith(".jpg")
    assert default_storage.url(image.variants["CARD"]["name"]).startswith("/media/images/")


@pytest.mark.django_db
def test_the_same_picture_is_stored_once(media_root):
    first = services.store(event_picture())
    again = services.store(event_picture())

    assert first.pk == again.pk
    assert Image.objects.count() == 1
    assert len(list(media_root.rglob("*.*"))) == 4


@pytest.mark.django_db(transaction=True)
def test_a_picture_let_go_is_deleted_after_the_commit_with_its_files(media_root):
    image = services.store(event_picture())
    files = [media_root / name for name in image.storage_names()]

    with transaction.atomic():
        services.release(image)
        # Not before the commit: a rollback would leave it needed
        assert Image.objects.filter(pk=image.pk).exists()
        assert all(path.exists() for path in files)

    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(path.exists() for path in files)


@pytest.mark.django_db(transaction=True)
def test_a_picture_let_go_in_a_transaction_that_rolls_back_stays(media_root):
    image = services.store(event_picture())

    with pytest.raises(RuntimeError), transaction.atomic():
        services.release(image)
        raise RuntimeError("the change failed")

    assert Image.objects.filter(pk=image.pk).exists()
    assert all((media_root / name).exists() for name in image.storage_names())


@pytest.mark.django_db(transaction=True)
def test_a_picture_still_shown_elsewhere_is_kept(media_root):
    image = services.store(process(io.BytesIO(pictures.png(colour=(9, 9, 9))), Purpose.AVATAR))
    UserFactory(avatar=image)

    with transaction.atomic():
        services.release(image)

    assert Image.objects.filter(pk=image.pk).exists()
    assert all((media_root / name).exists() for name in image.storage_names())


@pytest.mark.django_db
def test_a_storage_failing_part_way_leaves_nothing(media_root, monkeypatch):
    processed = event_picture()
    saved = []
    storage_class = type(storages["default"])
    original = storage_class.save

    def failing_save(storage, name, content, max_length=None):
        if len(saved) == 2:
            raise OSError("disk full")
        saved.append(name)
        return original(storage, name, content, max_length=max_length)

    monkeypatch.setattr(storage_class, "save", failing_save)

    with pytest.raises(services.StorageUnavailable, match="disk full"):
        services.store(processed)

    assert len(saved) == 2
    assert not Image.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


# --- S3 ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_s3_the_files_are_public_objects_cached_for_good_and_deleted_when_let_go(bucket):
    processed = event_picture()

    image = services.store(processed)

    # Each variant is an object under its content-hash name, with its type and an immutable,
    # year-long Cache-Control
    assert keys_in(bucket) == set(image.storage_names())
    for variant in processed.variants:
        name = image.variants[variant.variant]["name"]
        head = bucket.head_object(Bucket=BUCKET, Key=name)
        assert head["ContentType"] == ("image/jpeg" if name.endswith(".jpg") else "image/webp")
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentLength"] == len(variant.content)
        # The URL is plain (no signature that expires), and serves the bytes
        url = services.url_of(name)
        assert "X-Amz-Signature" not in url and "Signature=" not in url
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200 and answer.content == variant.content

    with transaction.atomic():
        services.release(image)

    assert keys_in(bucket) == set()
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_on_s3_urls_start_with_the_public_base_url_when_there_is_one(bucket, s3_server, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(
                s3_server, custom_domain="cdn.example.org/twinning", url_protocol="https:"
            ),
        },
    }
    image = services.store(event_picture())
    name = image.variants["CARD"]["name"]

    assert services.url_of(name) == f"https://cdn.example.org/twinning/{name}"
    assert bucket.head_object(Bucket=BUCKET, Key=name)["ContentLength"] > 0
