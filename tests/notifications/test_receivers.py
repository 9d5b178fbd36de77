"""The receivers turn each signal of the events domain into its kind of notification, in the
sender's transaction (the outbox), with the kind's dedupe key; and changes of follows, devices
and languages into a topic sync once they commit."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Device
from accounts.signals import device_registered, preferences_changed
from cities.signals import follows_changed
from events import signals
from events.models import Announcement, Event, Rsvp, RsvpChange, StateChange
from notifications import broker
from notifications.models import Notification

Kind = Notification.Kind

# Each signal, the subject it carries, and the notification it makes: its kind and dedupe key
# (``{id}`` the subject's, ``{change}`` the StateChange's).
SIGNALS = [
    (signals.event_announced, "event", Kind.EVENT_ANNOUNCED, "event:{id}:announced"),
    (signals.event_changed, "event", Kind.EVENT_CHANGED, "event:{id}:change:{change}"),
    (signals.event_postponed, "event", Kind.EVENT_POSTPONED, "event:{id}:change:{change}"),
    (signals.event_cancelled, "event", Kind.EVENT_CANCELLED, "event:{id}:cancelled"),
    (
        signals.announcement_posted,
        "announcement",
        Kind.ANNOUNCEMENT_POSTED,
        "announcement:{id}:posted",
    ),
]


def subject_of(about: str, event_factory, announcement_factory):
    """An announced event in three days, or an announcement about one; and a history record
    of a change to it."""
    starts = timezone.now() + datetime.timedelta(days=3)
    event = event_factory(
        status=Event.Status.ANNOUNCED,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
    )
    subject = event if about == "event" else announcement_factory(event=event)
    change = StateChange.objects.create(
        subject_title="Caspian jazz night",
        action=StateChange.Action.UPDATED,
        **{about: subject},
    )
    return subject, change


@pytest.mark.parametrize(("signal", "about", "kind", "key"), SIGNALS)
def test_each_signal_writes_its_kind_of_notification_and_enqueues_it_on_commit(
    signal,
    about,
    kind,
    key,
    enqueued,
    event_factory,
    announcement_factory,
    django_capture_on_commit_callbacks,
):
    # Given an event or announcement, and the record of a change to it
    subject, change = subject_of(about, event_factory, announcement_factory)

    # When its signal is sent inside a transaction, as the service sends it
    with django_capture_on_commit_callbacks() as on_commit, transaction.atomic():
        signal.send(type(subject), **{about: subject}, change=change)
        written = Notification.objects.get()
        # Then the notification is written in that transaction, not yet handed on
        assert enqueued == []

    # of its kind, about the subject, with the kind's dedupe key
    assert (written.kind, written.dedupe_key) == (kind, key.format(id=subject.pk, change=change.pk))
    assert getattr(written, f"{about}_id") == subject.pk
    assert written.state == Notification.State.PENDING
    if about == "event":
        # with the times it tells, to tell later whether they are still the event's
        assert (written.event_starts_at, written.event_ends_at) == (
            subject.starts_at,
            subject.ends_at,
        )
    # and once the transaction commits, its fan-out is handed to a worker
    assert len(on_commit) == 1
    on_commit[0]()
    assert enqueued == [(broker.Job.FAN_OUT, (written.pk,))]


@pytest.mark.parametrize(("signal", "about", "kind", "key"), SIGNALS)
def test_a_signal_sent_again_for_the_same_change_writes_nothing_more(
    signal,
    about,
    kind,
    key,
    enqueued,
    event_factory,
    announcement_factory,
    django_capture_on_commit_callbacks,
):
    subject, change = subject_of(about, event_factory, announcement_factory)

    with django_capture_on_commit_callbacks(execute=True) as on_commit:
        signal.send(type(subject), **{about: subject}, change=change)
        signal.send(type(subject), **{about: subject}, change=change)

    assert Notification.objects.count() == 1
    assert len(on_commit) == 1
    assert enqueued == [(broker.Job.FAN_OUT, (Notification.objects.get().pk,))]


def test_a_place_from_the_waitlist_is_written_for_its_recipient_once_per_promotion(
    enqueued, event_factory, user_factory, django_capture_on_commit_callbacks
):
    # Given a promotion recorded as the RSVP service records it
    event, person = event_factory(), user_factory()
    change = RsvpChange.objects.create(
        event=event, from_status=Rsvp.Status.WAITLISTED, to_status=Rsvp.Status.GOING
    )

    # When its signal is sent, twice (a retried request)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(2):
            signals.waitlist_place_given.send(Event, event=event, recipient=person, change=change)

    # Then one notification is written, for that person, keyed by the promotion
    written = Notification.objects.get()
    assert (written.kind, written.dedupe_key, written.event_id, written.recipient_id) == (
        Notification.Kind.WAITLIST_PLACE,
        f"event:{event.pk}:place:{change.pk}",
        event.pk,
        person.pk,
    )
    assert enqueued == [(broker.Job.FAN_OUT, (written.pk,))]


def test_a_change_rolled_back_leaves_no_notification_and_enqueues_nothing(
    enqueued, event_factory, django_capture_on_commit_callbacks
):
    # Given an announced event
    event, change = subject_of("event", event_factory, None)

    # When the transaction that sent its cancellation fails after the signal
    with (
        django_capture_on_commit_callbacks() as on_commit,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        signals.event_cancelled.send(Event, event=event, change=change)
        raise RuntimeError("the change failed")

    # Then there is no notification, and nothing waits for a commit
    assert not Notification.objects.exists()
    assert on_commit == []
    assert enqueued == []


def test_the_cancellation_of_an_event_starting_within_a_day_is_urgent(
    enqueued, event_factory, django_capture_on_commit_callbacks
):
    soon = timezone.now() + datetime.timedelta(hours=5)
    tonight = event_factory(
        status=Event.Status.ANNOUNCED, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)
    )
    later, _ = subject_of("event", event_factory, None)

    with django_capture_on_commit_callbacks(execute=True):
        signals.event_cancelled.send(Event, event=tonight, change=None)
        signals.event_cancelled.send(Event, event=later, change=None)

    urgent = dict(Notification.objects.values_list("event_id", "urgent"))
    assert urgent == {tonight.pk: True, later.pk: False}


def test_news_without_an_event_is_notified_too(
    enqueued, announcement_factory, django_capture_on_commit_callbacks
):
    news = announcement_factory(event=None)

    with django_capture_on_commit_callbacks(execute=True):
        signals.announcement_posted.send(Announcement, announcement=news, change=None)

    written = Notification.objects.get()
    assert (written.kind, written.announcement_id, written.event_id) == (
        Kind.ANNOUNCEMENT_POSTED,
        news.pk,
        None,
    )
    assert (written.event_starts_at, written.event_ends_at) == (None, None)


# --- Topic sync ---------------------------------------------------------------------------------


def test_follows_devices_and_a_new_language_sync_the_users_topics_once_committed(
    enqueued, user_factory, django_capture_on_commit_callbacks
):
    user = user_factory()
    device = Device.objects.create(user=user, token="phone", platform="ANDROID")

    with django_capture_on_commit_callbacks() as on_commit:
        follows_changed.send(None, user_id=user.pk)
        device_registered.send(Device, device=device)
        preferences_changed.send(type(user), user=user, fields=["language"])
        preferences_changed.send(type(user), user=user, fields=["time_zone"])
        assert enqueued == []

    for callback in on_commit:
        callback()
    assert enqueued == [(broker.Job.SYNC_TOPICS, (user.pk,))] * 3
