"""Registering devices, and keeping their FCM topics in line with follows and languages."""

import pytest
from graphql_relay import to_global_id

from accounts.models import Device
from notifications.models import DeviceTopic

REGISTER = """
mutation($token: String!, $platform: DevicePlatform!, $locale: String, $version: String) {
  deviceRegister(token: $token, platform: $platform, locale: $locale, appVersion: $version) {
    device { token platform locale appVersion active }
    errors { field code message }
  }
}
"""
UNREGISTER = "mutation($t: String!) { deviceUnregister(token: $t) { errors { code } } }"
DEVICES = "{ me { devices { token platform active } } }"


def register(gql, user, token, platform="ANDROID", locale="ru-KZ", version="1.4.0"):
    variables = {"token": token, "platform": platform, "locale": locale, "version": version}
    return gql(REGISTER, variables, user=user)["data"]["deviceRegister"]


def test_a_device_registers_and_shows_in_me(gql, user_factory):
    user = user_factory()

    payload = register(gql, user, "tok-1")

    assert payload == {
        "device": {
            "token": "tok-1",
            "platform": "ANDROID",
            "locale": "ru-KZ",
            "appVersion": "1.4.0",
            "active": True,
        },
        "errors": [],
    }
    assert gql(DEVICES, user=user)["data"]["me"]["devices"] == [
        {"token": "tok-1", "platform": "ANDROID", "active": True}
    ]


def test_a_token_registered_again_by_another_user_moves_and_revives(gql, user_factory):
    first, second = user_factory(), user_factory()
    register(gql, first, "shared-phone")
    Device.objects.update(active=False, deactivated_reason="UNREGISTERED")

    register(gql, second, "shared-phone", platform="IOS")

    device = Device.objects.get()
    assert (device.user, device.platform, device.active) == (second, "IOS", True)
    assert gql(DEVICES, user=first)["data"]["me"]["devices"] == []


def test_unregister_only_touches_the_viewers_tokens(gql, user_factory):
    owner, other = user_factory(), user_factory()
    register(gql, owner, "mine")

    assert gql(UNREGISTER, {"t": "mine"}, user=other)["data"]["deviceUnregister"] == {"errors": []}
    assert Device.objects.filter(token="mine").exists()
    gql(UNREGISTER, {"t": "mine"}, user=owner)
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("token", "locale", "field", "code"),
    [
        ("", "ru", "token", "INVALID_DEVICE_TOKEN"),
        ("x" * 513, "ru", "token", "INVALID_DEVICE_TOKEN"),
        ("has space", "ru", "token", "INVALID_DEVICE_TOKEN"),
        ("\ue000", "ru", "token", "INVALID_DEVICE_TOKEN"),
        ("tok\u0301en", "ru", "token", "INVALID_DEVICE_TOKEN"),
        ("tok", "ру", "locale", "INVALID_LOCALE"),
        ("tok", "ru KZ", "locale", "INVALID_LOCALE"),
    ],
)
def test_bad_registrations_are_refused(gql, user_factory, token, locale, field, code):
    payload = register(gql, user_factory(), token, locale=locale)

    assert (payload["device"], [(e["field"], e["code"]) for e in payload["errors"]]) == (
        None,
        [(field, code)],
    )
    assert not Device.objects.exists()


FOLLOW = "mutation($id: ID!) { cityFollow(city: $id) { errors { code } } }"
UNFOLLOW = "mutation($id: ID!) { cityUnfollow(city: $id) { errors { code } } }"
FOLLOW_PAIR = "mutation($id: ID!) { twinningFollow(twinning: $id) { errors { code } } }"
LANGUAGE = 'mutation { preferencesUpdate(language: "ur") { errors { code } } }'


@pytest.fixture
def synced_gql(gql, fcm_backend, django_capture_on_commit_callbacks):
    """Requests whose after-commit work (topic sync) runs, as it does in production."""

    def execute(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return gql(*args, **kwargs)

    return execute


def test_topics_follow_follows_devices_and_language(
    synced_gql, fake_fcm, user_factory, city_factory, twinning_factory
):
    user = user_factory(language="en")
    city = city_factory()
    pair = twinning_factory()
    city_id, pair_id = to_global_id("City", city.pk), to_global_id("Twinning", pair.pk)

    synced_gql(FOLLOW, {"id": city_id}, user=user)
    assert fake_fcm.topics == {}  # no device yet
    register(synced_gql, user, "phone", locale="ru-KZ")
    register(synced_gql, user, "tablet", locale="")
    synced_gql(FOLLOW_PAIR, {"id": pair_id}, user=user)

    assert fake_fcm.topics == {
        f"city-{city.pk}-ru": {"phone"},
        f"city-{city.pk}-en": {"tablet"},
        f"twinning-{pair.pk}-ru": {"phone"},
        f"twinning-{pair.pk}-en": {"tablet"},
    }

    # The user's language moves the device that follows it (the tablet has no locale).
    synced_gql(LANGUAGE, user=user)
    synced_gql(UNFOLLOW, {"id": city_id}, user=user)

    subscribed = {topic: tokens for topic, tokens in fake_fcm.topics.items() if tokens}
    assert subscribed == {
        f"twinning-{pair.pk}-ru": {"phone"},
        f"twinning-{pair.pk}-ur": {"tablet"},
    }
    assert set(DeviceTopic.objects.values_list("device__token", "topic")) == {
        ("phone", f"twinning-{pair.pk}-ru"),
        ("tablet", f"twinning-{pair.pk}-ur"),
    }


ACCOUNT_DELETE = "mutation { accountDelete { errors { field code message } } }"


def test_a_deleted_accounts_devices_leave_their_topics_at_fcm(
    synced_gql, fake_fcm, user_factory, city_factory, twinning_factory
):
    # Given a user whose two phones are in the topics of what they follow, and a neighbour in
    # one of the same topics
    user, neighbour = user_factory(language="en"), user_factory(language="en")
    city, pair = city_factory(), twinning_factory()
    city_id, pair_id = to_global_id("City", city.pk), to_global_id("Twinning", pair.pk)
    for person, tokens in ((user, ("phone", "tablet")), (neighbour, ("neighbours-phone",))):
        for token in tokens:
            register(synced_gql, person, token, locale="ru-KZ")
        synced_gql(FOLLOW, {"id": city_id}, user=person)
    synced_gql(FOLLOW_PAIR, {"id": pair_id}, user=user)
    assert fake_fcm.topics == {
        f"city-{city.pk}-ru": {"phone", "tablet", "neighbours-phone"},
        f"twinning-{pair.pk}-ru": {"phone", "tablet"},
    }
    # (FCM is down for the tablet once: its unsubscription is tried again.)
    fake_fcm.fail("tablet", "UNAVAILABLE", times=1)
    tablet_requests = fake_fcm.attempts["tablet"]

    # When the user deletes their account
    answer = synced_gql(ACCOUNT_DELETE, user=user)

    # Then FCM no longer has their phones in any topic (after the deletion committed: the
    # fixture fails the test for an FCM call made inside a transaction); the neighbour stays
    assert answer == {"data": {"accountDelete": {"errors": []}}}
    subscribed = {topic: tokens for topic, tokens in fake_fcm.topics.items() if tokens}
    assert subscribed == {f"city-{city.pk}-ru": {"neighbours-phone"}}
    # Two topics, and one of them again.
    assert fake_fcm.attempts["tablet"] - tablet_requests == 3
    assert set(DeviceTopic.objects.values_list("device__token", flat=True)) == {"neighbours-phone"}
    assert set(Device.objects.values_list("token", flat=True)) == {"neighbours-phone"}


def test_an_unregistered_phone_leaves_its_topics_at_fcm(
    synced_gql, fake_fcm, user_factory, city_factory
):
    # Signing out of the app drops the phone's token: the phone must stop hearing of what the
    # account follows, while the account's other phone goes on.
    user = user_factory(language="en")
    city_id = to_global_id("City", city_factory().pk)
    register(synced_gql, user, "phone", locale="ru-KZ")
    register(synced_gql, user, "tablet", locale="ru-KZ")
    synced_gql(FOLLOW, {"id": city_id}, user=user)
    topic = next(iter(fake_fcm.topics))
    assert fake_fcm.topics == {topic: {"phone", "tablet"}}

    answer = synced_gql(UNREGISTER, {"t": "phone"}, user=user)

    assert answer == {"data": {"deviceUnregister": {"errors": []}}}
    assert fake_fcm.topics == {topic: {"tablet"}}
    assert set(DeviceTopic.objects.values_list("device__token", flat=True)) == {"tablet"}


def test_a_phone_deleted_in_the_admin_leaves_its_topics_at_fcm(
    synced_gql, fake_fcm, user_factory, city_factory, django_capture_on_commit_callbacks
):
    user = user_factory(language="en")
    register(synced_gql, user, "phone", locale="ru-KZ")
    synced_gql(FOLLOW, {"id": to_global_id("City", city_factory().pk)}, user=user)

    with django_capture_on_commit_callbacks(execute=True):
        Device.objects.filter(token="phone").delete()

    assert {topic: tokens for topic, tokens in fake_fcm.topics.items() if tokens} == {}
