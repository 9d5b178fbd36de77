"""Events' pictures: uploaded by their offices in the admin (scoped as the admin scopes every
event), checked there, recorded in the history, shown by the API per size, replaced and removed
with their files deleted after the commit; and `imageUrl` kept working."""

import datetime
import json

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events import services
from events.models import Event, StateChange
from images.models import Image
from images.pipeline import process
from images.variants import Purpose
from tests.events.test_admin import event_form
from tests.factories import ImageFactory
from tests.images import pictures

Role = OfficeMembership.Role
Status = Event.Status

EVENT = """
query ($id: ID!) {
  event(id: $id) {
    imageUrl
    image {
      thumbnail { url width height mimeType }
      card { url width height mimeType }
      full { url width height mimeType }
      share { url width height mimeType }
    }
  }
}
"""


def change_url(event):
    return reverse("admin:events_event_change", args=[event.pk])


def picture(data=None, name="poster.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data or pictures.photo(1600, 1200), content_type)


def stored_files(media_root) -> list:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


@pytest.fixture
def office_x(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"))


@pytest.fixture
def office_y(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Karachi", timezone="Asia/Karachi"))


@pytest.fixture
def staff(db, client, user_factory):
    """Sign in a staff user with ``role`` in ``office``."""

    def sign_in(office, role):
        user = user_factory(is_staff=True)
        OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def draft_x(event_factory, office_x):
    return event_factory(
        office=office_x, host_city=office_x.city, status=Status.DRAFT, announced_at=None
    )


def read_event(gql, event):
    return gql(EVENT, {"id": to_global_id("Event", event.pk)})["data"]["event"]


def test_an_editor_uploads_a_picture_the_api_shows_in_every_size(
    client, gql, staff, draft_x, media_root, committing
):
    staff(draft_x.office, Role.EDITOR)

    with committing():
        response = client.post(change_url(draft_x), event_form(draft_x, picture=picture()))

    assert response.status_code == 302, response.content.decode()[:2000]
    draft_x.refresh_from_db()
    assert draft_x.image is not None
    # Four files, named by content
    assert len(stored_files(media_root)) == 4
    # The history says the picture changed
    change = StateChange.objects.filter(event=draft_x).latest("id")
    assert change.details["fields"] == ["image"]
    assert change.details["changes"][0]["before"] is None
    assert change.details["changes"][0]["after"].startswith("1600×1200 ")
    # The API (its offices see the draft) gives each size with its width and height
    draft_x.status, draft_x.announced_at = Status.ANNOUNCED, draft_x.created_at
    draft_x.save()
    shown = read_event(gql, draft_x)
    image = shown["image"]
    assert (image["thumbnail"]["width"], image["thumbnail"]["height"]) == (400, 300)
    assert (image["card"]["width"], image["card"]["height"]) == (1080, 810)
    assert (image["full"]["width"], image["full"]["height"]) == (1600, 1200)
    assert (image["share"]["width"], image["share"]["mimeType"]) == (1200, "image/jpeg")
    assert image["card"]["mimeType"] == "image/webp"
    for variant in image.values():
        name = variant["url"].removeprefix("http://testserver/media/")
        assert (media_root / name).is_file()
    # And imageUrl, for the apps that read it, is the card
    assert shown["imageUrl"] == image["card"]["url"]


def test_the_admins_page_shows_the_picture_now(client, staff, draft_x, media_root):
    services.set_event_image(_superuser(), draft_x, process(picture(), Purpose.EVENT))
    staff(draft_x.office, Role.EDITOR)

    page = client.get(change_url(draft_x)).content.decode()

    assert 'type="file"' in page and 'accept="image/jpeg,image/png,image/webp,image/gif"' in page
    assert "/media/images/" in page and "1600 × 1200" in page
    assert 'name="remove_picture"' in page


def _superuser():
    return get_user_model().objects.create_superuser("root@example.org", "correct horse")


def test_a_new_picture_replaces_the_old_whose_files_go_after_the_commit(
    client, staff, draft_x, media_root, committing
):
    staff(draft_x.office, Role.EDITOR)
    with committing():
        client.post(change_url(draft_x), event_form(draft_x, picture=picture()))
    first = stored_files(media_root)

    other = pictures.photo(900, 1200, orientation=None, gps=False)
    with committing():
        response = client.post(change_url(draft_x), event_form(draft_x, picture=picture(other)))

    assert response.status_code == 302
    now = stored_files(media_root)
    assert len(now) == 4 and not set(first) & set(now)
    assert Image.objects.count() == 1


def test_removing_the_picture_deletes_it(client, staff, draft_x, media_root, committing):
    staff(draft_x.office, Role.EDITOR)
    with committing():
        client.post(change_url(draft_x), event_form(draft_x, picture=picture()))

    with committing():
        response = client.post(change_url(draft_x), event_form(draft_x, remove_picture="on"))

    assert response.status_code == 302
    draft_x.refresh_from_db()
    assert draft_x.image is None
    assert stored_files(media_root) == [] and not Image.objects.exists()


def test_a_picture_shared_by_two_events_stays_while_one_shows_it(
    client, staff, draft_x, event_factory, media_root, committing
):
    # The same poster on two events of the office: stored once
    twin = event_factory(
        office=draft_x.office, host_city=draft_x.host_city, status=Status.DRAFT, announced_at=None
    )
    staff(draft_x.office, Role.EDITOR)
    poster = pictures.photo(800, 600)
    with committing():
        client.post(change_url(draft_x), event_form(draft_x, picture=picture(poster)))
        client.post(change_url(twin), event_form(twin, picture=picture(poster)))
    assert Image.objects.count() == 1

    with committing():
        client.post(change_url(draft_x), event_form(draft_x, remove_picture="on"))

    twin.refresh_from_db()
    assert twin.image is not None and len(stored_files(media_root)) == 4


def test_deleting_a_draft_deletes_its_picture(client, staff, draft_x, media_root, committing):
    editor = staff(draft_x.office, Role.EDITOR)
    with committing():
        services.set_event_image(editor, draft_x, process(picture(), Purpose.EVENT))

    with committing():
        services.delete_event(editor, draft_x)

    assert stored_files(media_root) == [] and not Image.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Dear office, please find the poster attached.", "not a picture"),
        (pictures.photo(800, 600)[:3000], "damaged or cut short"),
        (pictures.decompression_bomb(), "more than 50 million pixels"),
    ],
    ids=["not-a-picture", "truncated", "bomb"],
)
def test_a_bad_picture_is_the_fields_error_and_nothing_changes(
    client, staff, draft_x, media_root, data, message
):
    staff(draft_x.office, Role.EDITOR)
    before = Event.objects.filter(pk=draft_x.pk).values().get()

    response = client.post(
        change_url(draft_x), event_form(draft_x, venue_name="Moved", picture=picture(data))
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Event.objects.filter(pk=draft_x.pk).values().get() == before
    assert stored_files(media_root) == [] and not Image.objects.exists()


def test_another_citys_office_cannot_touch_the_picture(
    client, staff, draft_x, office_y, media_root
):
    staff(office_y, Role.PUBLISHER)

    page = client.get(change_url(draft_x))
    response = client.post(change_url(draft_x), event_form(draft_x, picture=picture()))

    # The admin does not show another city's events at all
    assert page.status_code == 302 and response.status_code == 302
    draft_x.refresh_from_db()
    assert draft_x.image is None
    assert stored_files(media_root) == [] and not Image.objects.exists()


def test_the_service_lets_only_who_may_edit_the_event_change_its_picture(
    user_factory, draft_x, office_y, event_factory, media_root
):
    stranger = user_factory()
    OfficeMembership.objects.create(user=stranger, office=office_y, role=Role.PUBLISHER)
    editor = user_factory()
    OfficeMembership.objects.create(user=editor, office=draft_x.office, role=Role.EDITOR)
    public = event_factory(office=draft_x.office, host_city=draft_x.host_city)
    poster = process(picture(), Purpose.EVENT)

    with pytest.raises(PermissionDenied):
        services.set_event_image(stranger, draft_x, poster)
    # An editor changes drafts; a public event is its publishers'
    with pytest.raises(PermissionDenied):
        services.set_event_image(editor, public, poster)
    services.set_event_image(editor, draft_x, poster)

    assert stored_files(media_root)  # written for the draft only
    assert Event.objects.get(pk=public.pk).image is None


def test_a_cancelled_events_picture_is_shown_not_offered(
    client, staff, event_factory, office_x, media_root
):
    cancelled = event_factory(office=office_x, host_city=office_x.city, status=Status.CANCELLED)
    cancelled.image = ImageFactory()
    cancelled.save()
    staff(office_x, Role.PUBLISHER)

    page = client.get(change_url(cancelled)).content.decode()

    assert "/media/images/" in page
    assert 'type="file"' not in page and 'name="remove_picture"' not in page


def test_a_new_event_may_come_with_its_picture(client, staff, office_x, media_root, committing):
    staff(office_x, Role.EDITOR)
    template = Event(
        office=office_x,
        host_city=office_x.city,
        title_en="Caspian jazz night",
        category=Event.Category.CULTURAL,
        starts_at=pictures_time(30),
        ends_at=pictures_time(30, hours=3),
        timezone="Asia/Aqtau",
        venue_name="Seaside stage",
    )

    with committing():
        response = client.post(
            reverse("admin:events_event_add"), event_form(template, picture=picture())
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title_en="Caspian jazz night")
    assert event.image is not None and len(stored_files(media_root)) == 4


def pictures_time(days, hours=0):
    return (timezone.now() + datetime.timedelta(days=days, hours=hours)).replace(microsecond=0)


def test_without_an_upload_image_is_null_and_image_url_the_link(gql, event_factory):
    event = event_factory(image_url="https://example.org/poster.jpg")

    shown = read_event(gql, event)

    assert shown == {"imageUrl": "https://example.org/poster.jpg", "image": None}


def test_image_urls_come_from_the_bucket_on_s3(gql, event_factory, bucket, settings):
    event = event_factory()
    services.set_event_image(_superuser(), event, process(picture(), Purpose.EVENT))

    shown = read_event(gql, event)

    url = shown["image"]["card"]["url"]
    assert url.startswith(settings.STORAGES["default"]["OPTIONS"]["endpoint_url"])
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/webp"
    json.dumps(shown)  # plain data


def test_the_share_page_previews_the_uploaded_picture_as_its_jpeg(client, event_factory, settings):
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"
    event = event_factory(image_url="https://example.org/old-poster.jpg")
    services.set_event_image(_superuser(), event, process(picture(), Purpose.EVENT))

    page = client.get(f"/e/{event.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    share = Event.objects.get(pk=event.pk).image.variants["SHARE"]
    expected = f"https://twinning.example.org/media/{share['name']}"
    assert f'<meta property="og:image" content="{expected}">' in page
    assert expected.endswith(".jpg") and "old-poster" not in page
