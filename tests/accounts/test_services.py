"""The accounts' services, called directly: a user's preferences, calendar secret and devices.
Each refusal carries its code and writes nothing; what other apps follow (``preferences_changed``,
``device_registered``) is sent once the transaction commits."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.error_codes import AccountErrorCode
from accounts.models import Device, User
from accounts.signals import device_registered, preferences_changed
from core.error_codes import CommonErrorCode

pytestmark = pytest.mark.django_db

Platform = Device.Platform
TOKEN = "fcm-token:APA91b_ExAmPlE-1"


def codes(error: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


@pytest.fixture
def user(user_factory):
    return user_factory(language="en", time_zone="UTC")


@pytest.fixture
def told():
    """What ``preferences_changed`` and ``device_registered`` are sent with, in order."""
    sent = []

    def on_preferences(sender, user, fields, **kwargs):
        sent.append(("preferences", user.pk, fields))

    def on_device(sender, device, **kwargs):
        sent.append(("device", device.token, device.user_id))

    preferences_changed.connect(on_preferences, weak=False)
    device_registered.connect(on_device, weak=False)
    yield sent
    preferences_changed.disconnect(on_preferences)
    device_registered.disconnect(on_device)


# --- Preferences --------------------------------------------------------------------------------


def test_the_preferences_given_change_and_are_told_once_committed(
    user, told, django_capture_on_commit_callbacks
):
    # When the user changes their language and mutes two categories (one of them twice)
    with django_capture_on_commit_callbacks() as on_commit:
        services.update_preferences(
            user, language="kk", muted_categories=["SPORTS", "BUSINESS", "SPORTS"]
        )

    # Then those change, and nothing else
    user = User.objects.get(pk=user.pk)
    assert (user.language, user.muted_categories, user.time_zone) == (
        "kk",
        ["BUSINESS", "SPORTS"],
        "UTC",
    )
    # and the apps that follow preferences hear of it after the commit, not before
    assert told == []
    for callback in on_commit:
        callback()
    assert told == [("preferences", user.pk, ["language", "muted_categories"])]


def test_quiet_hours_may_span_midnight_and_be_cleared(user):
    services.update_preferences(user, quiet_hours=(datetime.time(22), datetime.time(7)))
    assert User.objects.get(pk=user.pk).quiet_hours_start == datetime.time(22)

    services.update_preferences(user, quiet_hours=None)

    user = User.objects.get(pk=user.pk)
    assert (user.quiet_hours_start, user.quiet_hours_end) == (None, None)


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        ({"language": "fr"}, {"language": [AccountErrorCode.UNSUPPORTED_LANGUAGE]}),
        ({"time_zone": "Mars/Olympus"}, {"time_zone": [CommonErrorCode.INVALID_TIME_ZONE]}),
        (
            {"quiet_hours": (datetime.time(22), datetime.time(22))},
            {"quiet_hours": [AccountErrorCode.INVALID_QUIET_HOURS]},
        ),
        (
            {"quiet_hours": (datetime.time(22, tzinfo=datetime.UTC), datetime.time(7))},
            {"quiet_hours": [AccountErrorCode.INVALID_QUIET_HOURS]},
        ),
    ],
    ids=["an unknown language", "an unknown zone", "no length", "with an offset"],
)
def test_a_refused_preference_changes_nothing(user, told, committing, preferences, expected):
    # When one valid and one invalid preference are sent together
    with committing(), pytest.raises(ValidationError) as refused:
        services.update_preferences(user, muted_categories=["SPORTS"], **preferences)

    # Then the invalid one is named with its code, neither is saved, and nobody is told
    assert codes(refused.value) == expected
    user.refresh_from_db()
    assert (user.language, user.time_zone, user.muted_categories) == ("en", "UTC", [])
    assert told == []


def test_nothing_given_is_nothing_changed(user, told, committing):
    with committing():
        services.update_preferences(user)

    assert told == []


def test_a_new_calendar_secret_replaces_the_old(user):
    old = user.calendar_token

    services.rotate_calendar_token(user)

    assert User.objects.get(pk=user.pk).calendar_token not in ("", old)


# --- Devices ------------------------------------------------------------------------------------


def test_a_device_is_registered_and_told_once_committed(user, told, committing):
    with committing():
        device = services.register_device(user, f"  {TOKEN} ", Platform.ANDROID, "ru-KZ", "2.1.0")

    device = Device.objects.get(pk=device.pk)
    assert (device.token, device.user, device.platform, device.locale, device.app_version) == (
        TOKEN,
        user,
        Platform.ANDROID,
        "ru-KZ",
        "2.1.0",
    )
    assert device.active
    assert told == [("device", TOKEN, user.pk)]


def test_a_token_registered_by_another_user_moves_and_comes_back_to_life(user, user_factory):
    # Given the token registered by someone else, and since reported gone
    previous = user_factory()
    services.register_device(previous, TOKEN, Platform.IOS)
    Device.objects.update(active=False, deactivated_reason="UNREGISTERED")

    # When this user registers it
    services.register_device(user, TOKEN, Platform.IOS)

    # Then it is one device, this user's, active again
    device = Device.objects.get()
    assert (device.user, device.active, device.deactivated_reason) == (user, True, "")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            (f"{TOKEN} with spaces", Platform.WEB),
            {"token": [AccountErrorCode.INVALID_DEVICE_TOKEN]},
        ),
        ((TOKEN, Platform.WEB, "ru KZ"), {"locale": [AccountErrorCode.INVALID_LOCALE]}),
        ((TOKEN, Platform.WEB, "", "9" * 33), {"app_version": ["max_length"]}),
    ],
    ids=["a token FCM never gave", "a locale not BCP 47", "a version too long"],
)
def test_a_refused_device_is_not_written_nor_told(user, told, committing, arguments, expected):
    with committing(), pytest.raises(ValidationError) as refused:
        services.register_device(user, *arguments)

    assert codes(refused.value) == expected
    assert not Device.objects.exists()
    assert told == []


def test_unregistering_forgets_the_users_token_only(user, user_factory):
    other = user_factory()
    services.register_device(user, TOKEN, Platform.ANDROID)
    services.register_device(other, "other-token", Platform.ANDROID)

    services.unregister_device(user, f" {TOKEN}")
    services.unregister_device(user, "other-token")

    assert list(Device.objects.values_list("token", flat=True)) == ["other-token"]
