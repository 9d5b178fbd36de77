"""Text that shows nothing (only spaces and invisible characters) counts as empty however it
arrives: the models refuse it (``core.validators.validate_visible``), so every admin form, which
validates its model, refuses it on its field; the API's services make it "" first."""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from cities.models import City, CityOffice, Twinning
from core.i18n import LANGUAGE_CODES
from core.validators import validate_visible
from events.models import Announcement, Event

# Zero-width space, word joiner, zero-width no-break space, and a right-to-left mark.
INVISIBLE = "\u200b\u2060\ufeff\u200f"
SHOWS_NOTHING = "shows nothing"


def translations(field: str, **values) -> dict:
    return {f"{field}_{code}": values.get(code, "") for code in LANGUAGE_CODES}


def refused_on(response, field: str) -> None:
    """The admin answered with its form again, with the visible-text error on ``field``."""
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert SHOWS_NOTHING in errors[field][0]


@pytest.fixture
def superuser(client, db):
    user = get_user_model().objects.create_superuser("root@example.org", "x" * 12)
    client.force_login(user)
    return user


# --- The validator ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "Aktau", "Ақтау", "اکتاؤ", "\u200fاکتاؤ\u200f", "👩\u200d🚀"])
def test_text_that_shows_something_passes(text):
    validate_visible(text)


@pytest.mark.parametrize("text", [" ", INVISIBLE, "\u3164", "\u2800\u2800", "\u00ad \u200b"])
def test_text_that_shows_nothing_is_refused(text):
    with pytest.raises(ValidationError) as refused:
        validate_visible(text)
    assert refused.value.code == "invisible"


def test_a_model_refuses_it_in_its_own_validation(city_factory):
    city = City(
        name_en=INVISIBLE,
        name_ru=INVISIBLE,
        country="KZ",
        latitude=43.65,
        longitude=51.16,
        timezone="Asia/Aqtau",
        slug="aktau-kz",
    )

    with pytest.raises(ValidationError) as refused:
        city.full_clean()

    # The required English name is missing; the Russian one would hide the English fallback.
    assert set(refused.value.error_dict) == {"name_en", "name_ru"}


# Text columns that people do not type as words: codes, zone names, keys, tokens, what the
# system writes itself. Every other text column of the project's apps must refuse text that
# shows nothing; a new one fails the test below until it does (or is listed here, with why).
NOT_TYPED_AS_WORDS = {
    "accounts.User.password",
    "accounts.User.firebase_uid",
    "accounts.User.time_zone",  # an IANA name, validated as one
    "accounts.User.calendar_token",
    "accounts.RefreshToken.token_hash",
    "accounts.DeletedAccount.uid_digest",  # a digest the deletion of an account writes
    "accounts.Device.token",  # an FCM registration token, written by the app
    "accounts.Device.locale",
    "accounts.Device.app_version",
    "accounts.Device.deactivated_reason",
    "accounts.User.display_name",  # optional, and made "" by User.clean when it shows nothing
    "cities.City.country",  # an ISO code, validated as one
    "cities.City.timezone",
    "cities.City.slug",
    "cities.CityOffice.phone",
    "events.Event.timezone",
    "events.Event.search_document",
    "cities.City.search_document",
    "chat.ChatMessage.client_id",  # a key the app makes up for retries
    "chat.ChatReaction.emoji",
    "events.StateChange.subject_title",
    "events.StateChange.from_status",
    "events.StateChange.to_status",
    "notifications.Notification.dedupe_key",
    "notifications.Delivery.language",
    "notifications.Delivery.error_code",
    "notifications.Delivery.error_detail",
    "notifications.DeviceTopic.topic",
    "cities.OfficeInvitation.token_hash",
    "events.Event.schedule_failure",  # the reason a service gave, written by the beat
    "events.Event.registration_url",  # an https address, validated as one
    "events.Event.price_currency",  # an ISO 4217 code, validated as one
    "events.Tag.slug",  # letters, digits and hyphens, validated as a slug
    "events.Announcement.schedule_failure",
}


def test_every_text_people_type_refuses_text_that_shows_nothing():
    unguarded = [
        name
        for app in ("accounts", "cities", "events", "chat", "notifications")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.EmailField | models.URLField)
        and not field.choices
        and (name := f"{app}.{model.__name__}.{field.name}") not in NOT_TYPED_AS_WORDS
        and validate_visible not in field.validators
    ]

    assert unguarded == []


# --- The admin's forms ------------------------------------------------------------------------


def city_form(**changes) -> dict:
    return {
        **translations("name", en="Aktau"),
        "country": "KZ",
        "region": "",
        "population": "",
        "geonames_id": "",
        "latitude": "43.65",
        "longitude": "51.16",
        "timezone": "Asia/Aqtau",
        **changes,
    }


@pytest.mark.parametrize(("field", "value"), [("name_en", INVISIBLE), ("region", " \u200b ")])
def test_the_city_add_form_refuses_it(client, superuser, field, value):
    response = client.post(reverse("admin:cities_city_add"), city_form(**{field: value}))

    refused_on(response, field)
    assert not City.objects.exists()


def test_the_city_change_form_refuses_it(client, superuser, city_factory):
    city = city_factory(name_en="Aktau")

    response = client.post(
        reverse("admin:cities_city_change", args=[city.pk]), city_form(name_en=INVISIBLE)
    )

    refused_on(response, "name_en")
    city.refresh_from_db()
    assert city.name_en == "Aktau"


def office_form(city: City, **changes) -> dict:
    # Superusers see the office's memberships inline: an empty formset.
    return {
        **translations("name", en="Aktau international office"),
        "city": city.pk,
        "email": "",
        "phone": "",
        "website": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **changes,
    }


def test_the_office_add_form_refuses_it(client, superuser, city_factory):
    city = city_factory()

    response = client.post(
        reverse("admin:cities_cityoffice_add"), office_form(city, name_en=INVISIBLE)
    )

    refused_on(response, "name_en")
    assert not CityOffice.objects.exists()


def test_the_office_change_form_refuses_it(client, superuser, office_factory):
    office = office_factory(name_en="Aktau office")

    response = client.post(
        reverse("admin:cities_cityoffice_change", args=[office.pk]),
        office_form(office.city, name_en="Aktau office", name_kk=INVISIBLE),
    )

    refused_on(response, "name_kk")
    office.refresh_from_db()
    assert office.name_kk == ""


def twinning_form(a: City, b: City, **changes) -> dict:
    return {
        "city_a": a.pk,
        "city_b": b.pk,
        "kind": Twinning.Kind.SISTER_CITY,
        "status": Twinning.Status.ACTIVE,
        "established_on": "",
        "ended_on": "",
        **translations("agreement_title"),
        **translations("agreement_summary"),
        "source_url": "",
        **changes,
    }


def test_the_twinning_add_form_refuses_it(client, superuser, city_factory):
    aktau, karachi = city_factory(), city_factory(country="PK")

    response = client.post(
        reverse("admin:cities_twinning_add"),
        twinning_form(aktau, karachi, agreement_title_en=INVISIBLE),
    )

    refused_on(response, "agreement_title_en")
    assert not Twinning.objects.exists()


def test_the_twinning_change_form_refuses_it(client, superuser, twinning_factory):
    twinning = twinning_factory(agreement_summary_en="Ports and culture")

    response = client.post(
        reverse("admin:cities_twinning_change", args=[twinning.pk]),
        twinning_form(twinning.city_a, twinning.city_b, agreement_summary_en=INVISIBLE),
    )

    refused_on(response, "agreement_summary_en")
    twinning.refresh_from_db()
    assert twinning.agreement_summary_en == "Ports and culture"


def event_form(office: CityOffice, **changes) -> dict:
    return {
        **translations("title", en="Caspian jazz night"),
        **translations("summary"),
        **translations("description"),
        "category": Event.Category.CULTURAL,
        "starts_at_0": "2031-05-04",
        "starts_at_1": "19:00",
        "ends_at_0": "2031-05-04",
        "ends_at_1": "22:00",
        "timezone": "Asia/Aqtau",
        "venue_name": "Central Concert Hall",
        "venue_address": "",
        "latitude": "",
        "longitude": "",
        "capacity": "",
        "image_url": "",
        "twinning": "",
        "office": office.pk,
        **changes,
    }


@pytest.mark.parametrize("field", ["title_en", "venue_name", "title_ur"])
def test_the_event_add_form_refuses_it(client, superuser, office_factory, field):
    office = office_factory()

    response = client.post(
        reverse("admin:events_event_add"), event_form(office, **{field: INVISIBLE})
    )

    refused_on(response, field)
    assert not Event.objects.exists()


def test_the_event_change_form_refuses_it(client, superuser, event_factory):
    event = event_factory(
        title_en="Caspian jazz night",
        status=Event.Status.DRAFT,
        announced_at=None,
        starts_at=datetime.datetime(2031, 5, 4, 14, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2031, 5, 4, 17, tzinfo=datetime.UTC),
        timezone="Asia/Aqtau",
    )

    response = client.post(
        reverse("admin:events_event_change", args=[event.pk]),
        event_form(event.office, title_en=INVISIBLE),
    )

    refused_on(response, "title_en")
    event.refresh_from_db()
    assert event.title_en == "Caspian jazz night"


def announcement_form(office: CityOffice, **changes) -> dict:
    return {
        **translations("title", en="Port open day"),
        **translations("body", en="The port opens its gates on Saturday."),
        "office": office.pk,
        "twinning": "",
        "event": "",
        **changes,
    }


@pytest.mark.parametrize("field", ["title_en", "body_en"])
def test_the_announcement_add_form_refuses_it(client, superuser, office_factory, field):
    office = office_factory()

    response = client.post(
        reverse("admin:events_announcement_add"), announcement_form(office, **{field: INVISIBLE})
    )

    refused_on(response, field)
    assert not Announcement.objects.exists()


def test_the_announcement_change_form_refuses_it(client, superuser, announcement_factory):
    news = announcement_factory(title_en="Port open day")

    response = client.post(
        reverse("admin:events_announcement_change", args=[news.pk]),
        announcement_form(news.office, title_en=INVISIBLE),
    )

    refused_on(response, "title_en")
    news.refresh_from_db()
    assert news.title_en == "Port open day"
