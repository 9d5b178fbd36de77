"""``manage.py prune_images`` (and the beat's daily task): the pictures nothing shows and the
files no picture names go, once older than the grace; what is shown, or young, stays."""

import datetime
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from images import services
from images.models import Image
from images.pipeline import process
from images.variants import Purpose
from tests.factories import EventFactory

from . import pictures

pytestmark = pytest.mark.django_db(transaction=True)
LONG_AGO = timezone.now() - datetime.timedelta(days=2)


def stored(colour):
    return services.store(process(io.BytesIO(pictures.png(colour=colour)), Purpose.EVENT))


def aged(media_root, name):
    path = media_root / name
    os.utime(path, (LONG_AGO.timestamp(), LONG_AGO.timestamp()))
    return path


def test_what_nothing_shows_goes_and_the_rest_stays(media_root):
    # Given a picture an event shows, one nothing shows, one nothing shows uploaded just now,
    # and a file left by an upload whose change failed, and one being written now
    shown, unused, young = stored((1, 1, 1)), stored((2, 2, 2)), stored((3, 3, 3))
    EventFactory(image=shown)
    Image.objects.filter(pk__in=[shown.pk, unused.pk]).update(created_at=LONG_AGO)
    for name in [*shown.storage_names(), *unused.storage_names()]:
        aged(media_root, name)
    stray = default_storage.save("images/ab/stray-full.webp", ContentFile(b"x"))
    aged(media_root, stray)
    fresh = default_storage.save("images/cd/fresh-full.webp", ContentFile(b"y"))

    # When asked what would go, nothing goes
    call_command("prune_images", "--dry-run", stdout=io.StringIO())
    assert Image.objects.count() == 3 and (media_root / stray).exists()

    out = io.StringIO()
    call_command("prune_images", stdout=out)

    assert out.getvalue().strip() == "Deleted 1 unused picture(s) and 1 stray file(s)."
    assert set(Image.objects.values_list("pk", flat=True)) == {shown.pk, young.pk}
    assert not any((media_root / name).exists() for name in unused.storage_names())
    assert all((media_root / name).exists() for name in shown.storage_names())
    assert not (media_root / stray).exists() and (media_root / fresh).exists()

    # And again: nothing more
    out = io.StringIO()
    call_command("prune_images", stdout=out)
    assert out.getvalue().strip() == "Deleted 0 unused picture(s) and 0 stray file(s)."


def test_on_s3_stray_objects_go_too(bucket):
    from tests.s3_bucket import BUCKET, keys_in

    bucket.put_object(Bucket=BUCKET, Key="images/ef/stray-card.webp", Body=b"x")
    unused = stored((4, 4, 4))

    # Everything is young on S3 (its objects were written now): a grace of 0 takes them
    call_command("prune_images", "--grace-minutes", "0", stdout=io.StringIO())

    assert keys_in(bucket) == set()
    assert not Image.objects.filter(pk=unused.pk).exists()
