"""The push of a place from a waitlist, end to end through the fake FCM: it reaches the one
person the place went to, in their language, and nobody else; a place given up before the
push left is not told of; near the start it breaks through quiet hours."""

import datetime

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from events import services
from events.models import Event, Rsvp
from notifications import dispatch
from notifications.models import Delivery, DropReason, Notification
from tests.notifications.helpers import quiet_now, tokens_pushed

GOING, WAITLISTED = Rsvp.Status.GOING, Rsvp.Status.WAITLISTED
Kind = Notification.Kind


@pytest.fixture
def full(world):
    """Aktau's announced event of one place, taken by a follower of Aktau, and two people
    with phones waiting for it (the first reads Kazakh); everyone follows Aktau."""

    def make(starts_in=datetime.timedelta(days=3), **waiting_fields):
        starts = timezone.now() + starts_in
        event = world.draft(
            status=Event.Status.ANNOUNCED,
            announced_at=timezone.now(),
            capacity=1,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2),
        )
        holder = world.person("holder", follows=[world.aktau])
        first = world.person("first", language="kk", follows=[world.aktau], **waiting_fields)
        second = world.person("second", follows=[world.aktau])
        services.set_rsvp(holder, event, GOING)
        services.set_rsvp(first, event, WAITLISTED)
        services.set_rsvp(second, event, WAITLISTED)
        return event, holder, first, second

    return make


def test_the_first_in_line_is_pushed_their_place_in_their_language(full, push, fake_fcm):
    event, holder, first, _ = full()

    # When the one going withdraws (and the request commits)
    push(services.set_rsvp, holder, event, None)

    # Then only the first in line is pushed, in Kazakh, about the event
    assert tokens_pushed(fake_fcm) == ["first"]
    message = fake_fcm.message_to("first")
    assert message["notification"]["title"] == "Сізге орын табылды: Каспий джаз кеші"
    assert message["notification"]["body"].endswith("· Central Concert Hall, Ақтау")
    assert message["data"]["kind"] == "WAITLIST_PLACE"
    assert message["data"]["eventId"] == to_global_id("Event", event.pk)
    notification = Notification.objects.get(kind=Kind.WAITLIST_PLACE)
    assert (notification.recipient_id, notification.state, notification.urgent) == (
        first.pk,
        Notification.State.DONE,
        False,
    )


def test_more_places_push_each_person_who_gets_one(full, push, fake_fcm, world):
    event, _, _, _ = full()

    push(services.update_event, world.publisher, event, {"capacity": 3})

    assert tokens_pushed(fake_fcm) == ["first", "second"]
    titles = {fake_fcm.message_to(token)["notification"]["title"] for token in ("first", "second")}
    assert titles == {"Сізге орын табылды: Каспий джаз кеші", "A place for you: Caspian jazz night"}


def test_a_place_given_up_before_the_fan_out_is_not_told(full, enqueued, fcm_backend, fake_fcm):
    # Given the first in line promoted, their push waiting for a worker
    event, holder, first, _ = full()
    services.set_rsvp(holder, event, None)
    notification = Notification.objects.get(kind=Kind.WAITLIST_PLACE, recipient=first)

    # When they give the place up before the worker comes to it
    services.set_rsvp(first, event, None)
    dispatch.fan_out(notification.pk)

    # Then nothing is sent of it, and it says why
    notification.refresh_from_db()
    assert (notification.state, notification.drop_reason) == (
        Notification.State.DROPPED,
        DropReason.PLACE_GIVEN_UP,
    )
    assert tokens_pushed(fake_fcm) == []
    # (The place went on to the next in line, who has a push of their own.)
    assert Notification.objects.filter(kind=Kind.WAITLIST_PLACE).count() == 2


def test_a_place_given_up_while_its_push_is_held_is_not_told(full, push, fake_fcm):
    # Given the first in line in quiet hours, promoted: their push is held
    event, holder, first, _ = full(**quiet_now())
    push(services.set_rsvp, holder, event, None)
    held = Delivery.objects.get(device__token="first")
    assert held.held_for_quiet_hours

    # When they give the place up, and later the quiet hours end
    push(services.set_rsvp, first, event, None)
    Delivery.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now())
    push(dispatch.sweep)

    # Then their push is dropped, not sent; the next in line was told of theirs
    held.refresh_from_db()
    assert (held.status, held.drop_reason) == (Delivery.Status.DROPPED, DropReason.PLACE_GIVEN_UP)
    assert tokens_pushed(fake_fcm) == ["second"]


def test_a_place_near_the_start_breaks_through_quiet_hours(full, push, fake_fcm):
    event, holder, _, _ = full(starts_in=datetime.timedelta(hours=6), **quiet_now())

    push(services.set_rsvp, holder, event, None)

    assert tokens_pushed(fake_fcm) == ["first"]
    assert Notification.objects.get(kind=Kind.WAITLIST_PLACE).urgent
