"""A push is checked against the present when it is due: one about a cancelled event, a change
superseded by a later one, an event that is over or an announcement gone is dropped with its
reason, which operators see; one still true is sent. Time passes through the clock the
sending code takes, never by sleeping."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from events import services
from events.models import Announcement, Event, Rsvp, StateChange
from notifications import dispatch
from notifications.models import Delivery, DropReason, Notification
from notifications.staleness import stale_reason
from tests.notifications.helpers import quiet_now, tokens_pushed

Kind = Notification.Kind
Status = Event.Status
NOTIFICATIONS_PAGE = "/admin/notifications/notification/"


def at(moment: datetime.datetime):
    """A clock stopped at ``moment``."""
    return lambda: moment


def titles_to(fake_fcm, token: str) -> list[str]:
    return [
        message["notification"]["title"]
        for message in fake_fcm.messages
        if message.get("token") == token
    ]


# --- Held or retrying, then no longer true ------------------------------------------------------


def test_a_push_held_for_quiet_hours_is_dropped_once_its_event_is_cancelled(
    world, push, fake_fcm, client, capsys
):
    # Given a follower in their quiet hours, and one awake
    world.person("sleeper", follows=[world.aktau], **quiet_now())
    world.person("awake", follows=[world.aktau])
    event = world.draft()
    # and the event announced (the sleeper's push held), then cancelled (held too: the
    # event is three days away, no reason to wake anyone)
    push(services.announce_event, world.publisher, event)
    push(services.cancel_event, world.publisher, event, "Storm warning")
    announced = Notification.objects.get(kind=Kind.EVENT_ANNOUNCED)
    cancelled = Notification.objects.get(kind=Kind.EVENT_CANCELLED)
    quiet_ends = Delivery.objects.get(notification=announced, device__token="sleeper")
    assert titles_to(fake_fcm, "sleeper") == []

    # When the quiet hours end and both come due
    push(dispatch.send_due, announced.pk, clock=at(quiet_ends.next_attempt_at))
    push(dispatch.send_due, cancelled.pk, clock=at(quiet_ends.next_attempt_at))

    # Then the sleeper hears of the cancellation only, never of a "new event"
    assert titles_to(fake_fcm, "sleeper") == ["Event cancelled: Caspian jazz night"]
    assert titles_to(fake_fcm, "awake") == [
        "New event: Caspian jazz night",
        "Event cancelled: Caspian jazz night",
    ]
    held = Delivery.objects.get(notification=announced, device__token="sleeper")
    assert (held.status, held.drop_reason) == (Delivery.Status.DROPPED, DropReason.EVENT_CANCELLED)
    assert Delivery.objects.get(notification=cancelled, device__token="sleeper").status == (
        Delivery.Status.SENT
    )
    # and operators see the drop and its reason
    call_command("push_status")
    out = capsys.readouterr().out
    assert f"#{announced.pk} EVENT_ANNOUNCED (event {event.pk}) DONE TOKENS" in out
    assert "sent=1 due=0 held=0 retrying=0 failed=0 dropped=1 [EVENT_CANCELLED 1]" in out
    client.force_login(get_user_model().objects.create_superuser("ops@example.org", "x" * 12))
    page = client.get(NOTIFICATIONS_PAGE).content.decode()
    assert "failed 0, dropped 1 (EVENT_CANCELLED: 1)" in page


def test_a_change_waiting_for_a_retry_is_dropped_once_a_later_change_is_sent(world, push, fake_fcm):
    # Given someone going to an announced event, whose phone FCM refuses once
    goer = world.person("flaky")
    event = world.draft(status=Status.ANNOUNCED)
    Rsvp.objects.create(user=goer, event=event, status=Rsvp.Status.GOING)
    fake_fcm.fail("flaky", "UNAVAILABLE", times=1)
    first = event.starts_at + datetime.timedelta(days=1)
    second = event.starts_at + datetime.timedelta(days=2)
    # and the event postponed, that push waiting for its retry
    push(
        services.postpone_event, world.publisher, event, first, first + datetime.timedelta(hours=2)
    )
    stale = Notification.objects.get(kind=Kind.EVENT_POSTPONED)
    retry = Delivery.objects.get(notification=stale)
    assert (retry.status, retry.error_code) == (Delivery.Status.PENDING, "UNAVAILABLE")

    # When it is postponed again, and then the first one's retry comes due
    push(
        services.postpone_event,
        world.publisher,
        event,
        second,
        second + datetime.timedelta(hours=2),
    )
    push(dispatch.send_due, stale.pk, clock=at(retry.next_attempt_at))

    # Then only the later postponement reached the phone, and the first was dropped
    later = Notification.objects.filter(kind=Kind.EVENT_POSTPONED).exclude(pk=stale.pk).get()
    assert [m["data"]["notificationId"] for m in fake_fcm.messages] == [str(later.pk)]
    assert fake_fcm.attempts["flaky"] == 2  # the refused try, and the later push
    retry.refresh_from_db()
    assert (retry.status, retry.drop_reason) == (Delivery.Status.DROPPED, DropReason.SUPERSEDED)
    stale.refresh_from_db()
    assert stale.state == Notification.State.DONE


def test_a_held_announcement_that_comes_due_after_the_event_ended_is_dropped(world, push, fake_fcm):
    # Given an event that starts in half an hour and lasts one, and a follower whose quiet
    # hours last two more hours
    world.person("sleeper", follows=[world.aktau], **quiet_now())
    world.person("awake", follows=[world.aktau])
    soon = timezone.now() + datetime.timedelta(minutes=30)
    event = world.draft(starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    push(services.announce_event, world.publisher, event)
    announced = Notification.objects.get()
    held = Delivery.objects.get(device__token="sleeper")
    assert held.held_for_quiet_hours and held.next_attempt_at > event.ends_at

    # When the quiet hours end, after the event
    push(dispatch.send_due, announced.pk, clock=at(held.next_attempt_at))

    # Then the announcement is not sent late
    assert tokens_pushed(fake_fcm) == ["awake"]
    held.refresh_from_db()
    assert (held.status, held.drop_reason) == (Delivery.Status.DROPPED, DropReason.EVENT_OVER)


def test_a_held_push_still_true_when_it_comes_due_is_sent(world, push, fake_fcm):
    # Given a follower in their quiet hours, and an event announced
    world.person("sleeper", follows=[world.aktau], **quiet_now())
    event = world.draft()
    push(services.announce_event, world.publisher, event)
    held = Delivery.objects.get()

    # When the quiet hours end, the event still on (an edit of its summary changes nothing)
    push(services.update_event, world.publisher, event, {"summary_en": "Bring a friend"})
    push(dispatch.send_due, held.notification_id, clock=at(held.next_attempt_at))

    # Then it is sent
    assert titles_to(fake_fcm, "sleeper") == ["New event: Caspian jazz night"]
    held.refresh_from_db()
    assert (held.status, held.drop_reason) == (Delivery.Status.SENT, "")


def test_a_reminder_of_an_event_moved_meanwhile_is_dropped(world, push, fake_fcm, settings):
    # Given a reminder whose push waits for a retry
    settings.PUSH_REMINDER_MINUTES = 60
    soon = timezone.now() + datetime.timedelta(minutes=30)
    event = world.draft(
        status=Status.ANNOUNCED, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)
    )
    goer = world.person("flaky")
    Rsvp.objects.create(user=goer, event=event, status=Rsvp.Status.GOING)
    fake_fcm.fail("flaky", "INTERNAL", times=1)
    push(dispatch.create_reminders)
    reminder = Notification.objects.get(kind=Kind.EVENT_REMINDER)
    retry = Delivery.objects.get(notification=reminder)

    # When the event is postponed to tomorrow before the retry
    tomorrow = soon + datetime.timedelta(days=1)
    push(
        services.postpone_event,
        world.publisher,
        event,
        tomorrow,
        tomorrow + datetime.timedelta(hours=1),
    )
    push(dispatch.send_due, reminder.pk, clock=at(retry.next_attempt_at))

    # Then "starting soon" is not sent; the postponement is
    assert titles_to(fake_fcm, "flaky") == ["Event postponed: Caspian jazz night"]
    retry.refresh_from_db()
    assert retry.drop_reason == DropReason.SUPERSEDED


def test_a_reminder_that_comes_due_once_its_event_has_started_is_dropped(
    world, push, fake_fcm, settings
):
    # Given a reminder whose push waits for a retry
    settings.PUSH_REMINDER_MINUTES = 60
    soon = timezone.now() + datetime.timedelta(minutes=30)
    event = world.draft(
        status=Status.ANNOUNCED, starts_at=soon, ends_at=soon + datetime.timedelta(hours=2)
    )
    goer = world.person("flaky")
    Rsvp.objects.create(user=goer, event=event, status=Rsvp.Status.GOING)
    fake_fcm.fail("flaky", "UNAVAILABLE", times=1)
    push(dispatch.create_reminders)
    reminder = Notification.objects.get(kind=Kind.EVENT_REMINDER)
    retry = Delivery.objects.get(notification=reminder)
    assert retry.status == Delivery.Status.PENDING

    # When the retry comes due after the start, before the end
    push(dispatch.send_due, reminder.pk, clock=at(soon + datetime.timedelta(minutes=5)))

    # Then "starting soon" is not sent late
    assert fake_fcm.attempts["flaky"] == 1  # the refused try only
    retry.refresh_from_db()
    assert (retry.status, retry.drop_reason) == (Delivery.Status.DROPPED, DropReason.EVENT_STARTED)


# --- Before anything is written: dropped as a whole, on either path --------------------------


@pytest.mark.parametrize("threshold", [50_000, 2], ids=["device by device", "topics"])
def test_a_notification_cancelled_before_its_fan_out_is_dropped_whole(
    world, fcm_backend, fake_fcm, settings, django_capture_on_commit_callbacks, threshold, capsys
):
    # Given an announcement whose fan-out has not run yet (the broker was down, say)
    settings.PUSH_TOPIC_THRESHOLD = threshold
    for n in range(3):
        world.person(f"fan-{n}", follows=[world.aktau])
    event = world.draft()
    with django_capture_on_commit_callbacks(execute=False):
        services.announce_event(world.publisher, event)
        services.cancel_event(world.publisher, event, "")
    announced = Notification.objects.get(kind=Kind.EVENT_ANNOUNCED)

    # When the fan-out runs
    dispatch.fan_out(announced.pk)

    # Then nothing is written or sent, and the notification says why
    announced.refresh_from_db()
    assert (announced.state, announced.drop_reason) == (
        Notification.State.DROPPED,
        DropReason.EVENT_CANCELLED,
    )
    assert fake_fcm.messages == []
    assert not Delivery.objects.exists()
    call_command("push_status", "--state", "DROPPED")
    assert f"#{announced.pk} EVENT_ANNOUNCED (event {event.pk}) DROPPED (EVENT_CANCELLED)" in (
        capsys.readouterr().out
    )


def test_topic_messages_still_to_send_are_dropped_when_the_event_is_cancelled_meanwhile(
    world, push, fake_fcm, settings, monkeypatch
):
    # Given an announcement large enough for topics, and its event cancelled as soon as the
    # first language's message has gone
    from notifications import topic_sends

    settings.PUSH_TOPIC_THRESHOLD = 2
    for n in range(3):
        world.person(f"fan-{n}", follows=[world.aktau])
    event = world.draft()
    record = topic_sends._record

    def record_then_cancel(notification_id, language, result):
        record(notification_id, language, result)
        Event.objects.filter(pk=event.pk).update(status=Status.CANCELLED)

    monkeypatch.setattr(topic_sends, "_record", record_then_cancel)

    # When it is announced
    push(services.announce_event, world.publisher, event)

    # Then the messages after the cancellation are dropped, checked before each is sent
    notification = Notification.objects.get()
    outcomes = {
        language: result["outcome"] for language, result in notification.topic_results.items()
    }
    assert outcomes == {"en": "SENT", "ru": "DROPPED", "kk": "DROPPED", "ur": "DROPPED"}
    assert len(fake_fcm.messages) == 1
    assert (notification.state, notification.drop_reason) == (
        Notification.State.DONE,
        DropReason.EVENT_CANCELLED,
    )


# --- Each kind's checks ------------------------------------------------------------------------


def _announced(world, **fields):
    return world.draft(status=Status.ANNOUNCED, **fields)


def _change(event) -> StateChange:
    """The record of a change of ``event``'s time, as the kinds notified per change need."""
    return StateChange.objects.create(
        event=event, subject_title=event.title_en, action=StateChange.Action.UPDATED
    )


def _notify(kind, subject, django_capture_on_commit_callbacks, change=None):
    with django_capture_on_commit_callbacks(execute=False):
        return dispatch.notify(kind, subject, change=change)


def _later_change(world, event, callbacks):
    with callbacks(execute=False):
        services.update_event(world.publisher, event, {"venue_name": "Old port hall"})


def _moved(world, event, callbacks):
    Event.objects.filter(pk=event.pk).update(
        starts_at=event.starts_at + datetime.timedelta(hours=1),
        ends_at=event.ends_at + datetime.timedelta(hours=1),
    )


def _cancelled(world, event, callbacks):
    Event.objects.filter(pk=event.pk).update(status=Status.CANCELLED)


def _postponed_status(world, event, callbacks):
    Event.objects.filter(pk=event.pk).update(status=Status.POSTPONED)


def _nothing(world, event, callbacks):
    pass


AN_HOUR = datetime.timedelta(hours=1)
# An hour into the event (it starts three days away and lasts two hours).
STARTED = datetime.timedelta(days=3, hours=1)


@pytest.mark.parametrize(
    ("kind", "meanwhile", "later", "reason"),
    [
        (Kind.EVENT_ANNOUNCED, _nothing, AN_HOUR, None),
        (Kind.EVENT_ANNOUNCED, _cancelled, AN_HOUR, DropReason.EVENT_CANCELLED),
        (Kind.EVENT_ANNOUNCED, _nothing, datetime.timedelta(days=4), DropReason.EVENT_OVER),
        # It tells the event's time as it is when sent: a move leaves it true.
        (Kind.EVENT_ANNOUNCED, _moved, AN_HOUR, None),
        (Kind.EVENT_CHANGED, _nothing, AN_HOUR, None),
        (Kind.EVENT_CHANGED, _later_change, AN_HOUR, DropReason.SUPERSEDED),
        (Kind.EVENT_CHANGED, _moved, AN_HOUR, DropReason.SUPERSEDED),
        (Kind.EVENT_CHANGED, _cancelled, AN_HOUR, DropReason.EVENT_CANCELLED),
        (Kind.EVENT_POSTPONED, _postponed_status, AN_HOUR, None),
        (Kind.EVENT_POSTPONED, _later_change, AN_HOUR, DropReason.SUPERSEDED),
        (Kind.EVENT_POSTPONED, _nothing, datetime.timedelta(days=4), DropReason.EVENT_OVER),
        (Kind.EVENT_CANCELLED, _cancelled, AN_HOUR, None),
        (Kind.EVENT_CANCELLED, _cancelled, datetime.timedelta(days=4), None),
        (Kind.EVENT_REMINDER, _nothing, AN_HOUR, None),
        (Kind.EVENT_REMINDER, _moved, AN_HOUR, DropReason.SUPERSEDED),
        (Kind.EVENT_REMINDER, _cancelled, AN_HOUR, DropReason.EVENT_CANCELLED),
        (Kind.EVENT_REMINDER, _nothing, datetime.timedelta(days=4), DropReason.EVENT_OVER),
        # Once the event has started, "starting soon" is late; news of it is not.
        (Kind.EVENT_REMINDER, _nothing, STARTED, DropReason.EVENT_STARTED),
        (Kind.EVENT_ANNOUNCED, _nothing, STARTED, None),
        (Kind.EVENT_CHANGED, _nothing, STARTED, None),
    ],
)
def test_each_event_kind_is_stale_for_its_own_reasons(
    world, django_capture_on_commit_callbacks, kind, meanwhile, later, reason
):
    # Given a notification of the kind about an event three days away
    event = _announced(world)
    notification = _notify(kind, event, django_capture_on_commit_callbacks, _change(event))

    # When something happens meanwhile, and it comes due some time later
    meanwhile(world, event, django_capture_on_commit_callbacks)

    # Then it is still true, or stale for its kind's reason
    assert stale_reason(notification, timezone.now() + later) == reason


@pytest.mark.parametrize(
    ("meanwhile", "later", "reason"),
    [
        ("nothing", AN_HOUR, None),
        ("deleted", AN_HOUR, DropReason.ANNOUNCEMENT_DELETED),
        ("unpublished", AN_HOUR, DropReason.ANNOUNCEMENT_UNPUBLISHED),
        ("nothing", datetime.timedelta(days=1), DropReason.EVENT_OVER),
        ("posted after its event ended", datetime.timedelta(days=1), None),
    ],
)
def test_news_is_stale_once_deleted_unpublished_or_about_an_event_now_over(
    world, announcement_factory, django_capture_on_commit_callbacks, meanwhile, later, reason
):
    # Given news about an event ending in five hours, posted now (or after the event)
    now = timezone.now()
    event = _announced(
        world,
        starts_at=now + datetime.timedelta(hours=3),
        ends_at=now + datetime.timedelta(hours=5),
    )
    published = now + datetime.timedelta(hours=6) if "after" in meanwhile else now
    news = announcement_factory(
        office=world.office, city=world.aktau, event=event, published_at=published
    )
    notification = _notify(Kind.ANNOUNCEMENT_POSTED, news, django_capture_on_commit_callbacks)

    # When it is deleted or unpublished meanwhile (or nothing happens)
    if meanwhile == "deleted":
        news.delete()
    elif meanwhile == "unpublished":
        Announcement.objects.filter(pk=news.pk).update(published_at=None)

    # Then, come due later (an hour, or after the event), it is stale for that reason, or true
    assert stale_reason(notification, now + later) == reason


def test_an_event_deleted_meanwhile_drops_its_push(world, django_capture_on_commit_callbacks):
    event = _announced(world)
    notification = _notify(Kind.EVENT_ANNOUNCED, event, django_capture_on_commit_callbacks)

    Event.objects.filter(pk=event.pk).delete()

    assert stale_reason(notification, timezone.now()) == DropReason.EVENT_DELETED


def test_the_check_costs_one_query_however_large_the_batch(
    world, push, fake_fcm, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a change, the kind whose check also looks for later changes
    event = _announced(world)
    notification = _notify(
        Kind.EVENT_CHANGED, event, django_capture_on_commit_callbacks, _change(event)
    )

    # Then checking it is one query
    with django_assert_num_queries(1):
        assert stale_reason(notification, timezone.now()) is None


def test_sending_costs_the_same_queries_for_a_batch_of_any_size(
    world, fcm_backend, fake_fcm, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_send(audience: int) -> int:
        Notification.objects.all().delete()
        event = world.draft()
        for n in range(audience):
            world.person(f"fan-{event.pk}-{n}", follows=[world.aktau])
        with django_capture_on_commit_callbacks(execute=False):
            services.announce_event(world.publisher, event)
        notification = Notification.objects.get()
        dispatch.fan_out(notification.pk)  # sends once, as announcing does
        Delivery.objects.update(status=Delivery.Status.PENDING, next_attempt_at=timezone.now())
        with CaptureQueriesContext(connection) as queries:
            dispatch.send_due(notification.pk)
        return len(queries)

    assert queries_to_send(2) == queries_to_send(20)
