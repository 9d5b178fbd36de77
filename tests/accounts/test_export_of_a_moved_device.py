"""A phone's FCM token moves to whoever registers it last (`deviceRegister`). What was pushed to
that phone for the person before is theirs, not the next account's: it must not appear in the
next account's export, and it must go when the person deletes their account."""

import json

from django.utils import timezone

from notifications.models import Delivery, Notification

TOKEN = "shared-phone-token:APA91b" + "x" * 40
REGISTER = """
mutation ($token: String!) { deviceRegister(token: $token, platform: ANDROID) {
  device { token } errors { code } } }
"""
EXPORT = "{ me { export } }"


def test_the_next_account_on_a_phone_does_not_export_the_pushes_of_the_one_before(
    gql, user_factory, event_factory
):
    # Given Aigerim's phone, pushed the place she got from an event's waitlist
    aigerim, bolat = user_factory(), user_factory()
    assert gql(REGISTER, {"token": TOKEN}, user=aigerim)["data"]["deviceRegister"]["errors"] == []
    event = event_factory(title_en="Clinic for the deaf community")
    place = Notification.objects.create(
        kind=Notification.Kind.WAITLIST_PLACE,
        dedupe_key=f"waitlist:{event.pk}:{aigerim.pk}",
        event=event,
        recipient=aigerim,
    )
    Delivery.objects.create(
        notification=place,
        device=aigerim.devices.get(),
        language="en",
        status=Delivery.Status.SENT,
        next_attempt_at=timezone.now(),
        sent_at=timezone.now(),
    )

    # When Bolat signs in on the same phone, which registers its token for him
    assert gql(REGISTER, {"token": TOKEN}, user=bolat)["data"]["deviceRegister"]["errors"] == []

    # Then his export holds nothing pushed for Aigerim
    exported = json.loads(gql(EXPORT, user=bolat)["data"]["me"]["export"])
    assert exported["sections"]["pushes"] == []


def test_what_was_still_to_push_to_the_one_before_does_not_reach_the_next(
    gql, user_factory, event_factory
):
    aigerim, bolat = user_factory(), user_factory()
    gql(REGISTER, {"token": TOKEN}, user=aigerim)
    place = Notification.objects.create(
        kind=Notification.Kind.WAITLIST_PLACE,
        dedupe_key="waitlist:pending",
        event=event_factory(),
        recipient=aigerim,
    )
    Delivery.objects.create(
        notification=place,
        device=aigerim.devices.get(),
        language="en",
        next_attempt_at=timezone.now(),
    )
    # Another phone of hers keeps its deliveries.
    gql(REGISTER, {"token": TOKEN + "2"}, user=aigerim)
    other = aigerim.devices.get(token=TOKEN + "2")
    Delivery.objects.create(
        notification=place, device=other, language="en", next_attempt_at=timezone.now()
    )

    gql(REGISTER, {"token": TOKEN}, user=bolat)

    assert list(Delivery.objects.values_list("device__token", "status")) == [
        (TOKEN + "2", Delivery.Status.PENDING)
    ]


def test_registering_ones_own_phone_again_keeps_what_was_pushed_to_it(gql, user_factory):
    aigerim = user_factory()
    gql(REGISTER, {"token": TOKEN}, user=aigerim)
    place = Notification.objects.create(
        kind=Notification.Kind.WAITLIST_PLACE, dedupe_key="waitlist:own", recipient=aigerim
    )
    Delivery.objects.create(
        notification=place,
        device=aigerim.devices.get(),
        language="en",
        status=Delivery.Status.SENT,
        next_attempt_at=timezone.now(),
    )

    gql(REGISTER, {"token": TOKEN}, user=aigerim)

    assert Delivery.objects.count() == 1
