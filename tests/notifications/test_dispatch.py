"""The dispatch services called directly, as the receivers and the tasks call them: writing a
notification into the outbox, fanning it out into deliveries, the sweep and the reminders. The
jobs they hand to the broker are kept by the ``enqueued`` fixture rather than run."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Device
from events.models import Event, Rsvp
from notifications import dispatch
from notifications.broker import Job
from notifications.models import Delivery, Notification
from tests.notifications.helpers import quiet_now

Kind = Notification.Kind
State = Notification.State


def announced(world, **fields) -> Event:
    return world.draft(status=Event.Status.ANNOUNCED, announced_at=timezone.now(), **fields)


# --- notify -------------------------------------------------------------------------------------


def test_notify_writes_one_notification_per_dedupe_key_and_hands_it_on_after_commit(
    world, enqueued, django_capture_on_commit_callbacks
):
    event = announced(world)

    with django_capture_on_commit_callbacks() as on_commit:
        first = dispatch.notify(Kind.EVENT_ANNOUNCED, event)
        again = dispatch.notify(Kind.EVENT_ANNOUNCED, event)
        assert enqueued == []

    assert first.pk == again.pk
    assert Notification.objects.count() == 1
    written = Notification.objects.get()
    assert (written.kind, written.dedupe_key, written.event_id) == (
        Kind.EVENT_ANNOUNCED,
        f"event:{event.pk}:announced",
        event.pk,
    )
    assert (written.state, written.path, written.urgent) == (State.PENDING, "", False)
    assert len(on_commit) == 1
    on_commit[0]()
    assert enqueued == [(Job.FAN_OUT, (written.pk,))]


def test_a_reminder_is_urgent_and_keyed_by_the_start_it_reminds_of(world, enqueued):
    event = announced(world)

    reminder = dispatch.notify(Kind.EVENT_REMINDER, event)

    assert reminder.urgent is True
    assert reminder.dedupe_key == f"event:{event.pk}:reminder:{event.starts_at.isoformat()}"
    assert (reminder.event_starts_at, reminder.event_ends_at) == (event.starts_at, event.ends_at)


# --- fan_out ------------------------------------------------------------------------------------


def test_fan_out_writes_a_delivery_per_active_device_of_the_audience(
    world, enqueued, fcm_backend, fake_fcm
):
    # Given followers of Aktau: one with two phones in different languages, one in quiet
    # hours, one with a phone FCM no longer knows, one who muted the category; and a stranger
    both = world.person("ru-phone", locale="ru-KZ", follows=[world.aktau])
    Device.objects.create(user=both, token="kk-phone", platform="IOS", locale="kk")
    world.person("asleep", language="ur", follows=[world.pair], **quiet_now())
    gone = world.person("gone", follows=[world.karachi])
    Device.objects.filter(user=gone).update(active=False)
    world.person("muted", follows=[world.aktau], muted_categories=["CULTURAL"])
    world.person("stranger", follows=[world.elista])
    notification = dispatch.notify(Kind.EVENT_ANNOUNCED, announced(world, category="CULTURAL"))

    # When it is fanned out
    dispatch.fan_out(notification.pk)

    # Then each active device of the audience has one delivery, in its language; the one in
    # quiet hours waits for their end, the others are sent
    deliveries = {
        delivery.device.token: delivery
        for delivery in Delivery.objects.filter(notification=notification).select_related("device")
    }
    assert {token: d.language for token, d in deliveries.items()} == {
        "ru-phone": "ru",
        "kk-phone": "kk",
        "asleep": "ur",
    }
    assert deliveries["asleep"].status == Delivery.Status.PENDING
    assert deliveries["asleep"].next_attempt_at > timezone.now()
    assert deliveries["asleep"].held_for_quiet_hours is True
    assert {deliveries[token].status for token in ("ru-phone", "kk-phone")} == {
        Delivery.Status.SENT
    }
    notification.refresh_from_db()
    assert (notification.state, notification.path, notification.audience_size) == (
        State.FANNED_OUT,
        Notification.Path.TOKENS,
        3,
    )
    # and no other sender was started: in-process there is only this one
    assert enqueued == []


def test_fan_out_of_a_notification_taken_or_gone_does_nothing(world, enqueued, fcm_backend):
    world.person("fan", follows=[world.aktau])
    notification = dispatch.notify(Kind.EVENT_ANNOUNCED, announced(world))
    Notification.objects.filter(pk=notification.pk).update(state=State.DONE)

    dispatch.fan_out(notification.pk)
    dispatch.fan_out(notification.pk + 1000)

    assert not Delivery.objects.exists()


# --- The sweep ----------------------------------------------------------------------------------


def test_the_sweep_hands_on_what_was_left_and_finishes_what_is_done(
    world, enqueued, settings, fcm_backend
):
    settings.PUSH_SWEEP_AFTER_SECONDS = 60
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    event = announced(world)
    phone = Device.objects.get(user=world.person("fan", follows=[world.aktau]))

    def notification(key, at=an_hour_ago, **fields):
        written = Notification.objects.create(kind=Kind.EVENT_CHANGED, dedupe_key=key, **fields)
        Notification.objects.filter(pk=written.pk).update(created_at=at)
        return written

    # Given a notification never fanned out, one just written, one whose worker holds its
    # lease, one with a delivery due again, and one whose deliveries are all sent
    stuck = notification("stuck", event=event)
    notification("fresh", event=event, at=timezone.now())
    notification("leased", event=event, path=Notification.Path.TOKENS, fanned_out_at=timezone.now())
    retrying = notification("retrying", event=event, state=State.FANNED_OUT)
    Delivery.objects.create(
        notification=retrying, device=phone, language="en", next_attempt_at=an_hour_ago
    )
    sent = notification("sent", event=event, state=State.FANNED_OUT)
    Delivery.objects.create(
        notification=sent,
        device=phone,
        language="en",
        status=Delivery.Status.SENT,
        next_attempt_at=an_hour_ago,
    )

    # When the sweep runs
    counts = dispatch.sweep()

    # Then the first is fanned out again, the due delivery sent, the finished one done
    assert enqueued == [(Job.FAN_OUT, (stuck.pk,)), (Job.SEND_DUE, (retrying.pk,))]
    assert counts == {"fan_out": 1, "send": 1, "finished": 1}
    sent.refresh_from_db()
    assert sent.state == State.DONE
    assert sent.completed_at is not None


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_are_written_for_events_starting_soon_with_people_going_once(
    world, enqueued, settings
):
    settings.PUSH_REMINDER_MINUTES = 60
    soon = timezone.now() + datetime.timedelta(minutes=30)
    going = world.person("going")
    tonight = announced(world, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    nobody_going = announced(world, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    next_week = announced(world)
    for event in (tonight, next_week):
        Rsvp.objects.create(user=going, event=event, status=Rsvp.Status.GOING)
    Rsvp.objects.create(
        user=world.person("maybe"), event=nobody_going, status=Rsvp.Status.INTERESTED
    )

    assert dispatch.create_reminders() == 1
    assert dispatch.create_reminders() == 0

    reminder = Notification.objects.get()
    assert (reminder.kind, reminder.event_id, reminder.urgent) == (
        Kind.EVENT_REMINDER,
        tonight.pk,
        True,
    )


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.DRAFT])
def test_no_reminder_for_an_event_not_on(world, enqueued, settings, status):
    settings.PUSH_REMINDER_MINUTES = 60
    soon = timezone.now() + datetime.timedelta(minutes=30)
    event = world.draft(status=status, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    Rsvp.objects.create(user=world.person("going"), event=event, status=Rsvp.Status.GOING)

    assert dispatch.create_reminders() == 0
    assert not Notification.objects.exists()
