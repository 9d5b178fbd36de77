"""A deploy on a database holding times outside the window the system holds (events.0006 and
events.0008): the events and announcements it repairs become drafts that nobody else sees,
nothing is pushed about them, and operators see why their pushes were dropped. Once the office
has corrected an event and announced it again, its followers are told of it."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from graphql_relay import to_global_id

from accounts.models import Device
from cities.models import CityFollow, OfficeMembership
from events import services
from events.models import Announcement, Event, StateChange
from notifications import dispatch
from notifications.models import Delivery, DropReason, Notification
from tests.factories import AnnouncementFactory, EventFactory, MembershipFactory
from tests.migrating import (
    BEFORE_THE_WINDOW,
    FAR_FUTURE,
    factories_at,
    migrate,
    models_at,
    set_columns,
)

State = Notification.State
NOTIFICATIONS_PAGE = "/admin/notifications/notification/"

EVENTS = """
query Events($orderBy: EventOrderBy) {
  events(orderBy: $orderBy, first: 100) { edges { node { id title } } }
}
"""
EVENT = """
query Event($id: ID!) { event(id: $id) { title status startsAt } }
"""
ANNOUNCEMENTS = """
query { announcements(first: 100) { edges { node { title } } } }
"""


def an_hour_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=1)


def out_of_the_window(event: Event) -> None:
    """Move ``event`` to "year 10000" (PostgreSQL) or Python's last day (SQLite), as
    eventCreate and eventPostpone could before the window; the end first, so that it always
    comes after the start."""
    set_columns("events_event", event.pk, ends_at=FAR_FUTURE[1])
    set_columns("events_event", event.pk, starts_at=FAR_FUTURE[0])


@pytest.mark.django_db(transaction=True)
def test_after_the_deploy_a_stuck_push_about_an_event_outside_the_window_is_never_sent(
    fcm_backend, fake_fcm, push, gql, client, capsys, city_factory, event_factory, user_factory
):
    # Given a database from before the window, holding an announced event stored outside it,
    # a follower of its city with a phone, and the event's "New event" push, stuck: its fan-out
    # failed each time the sweep tried it
    migrate(BEFORE_THE_WINDOW)
    try:
        with factories_at(BEFORE_THE_WINDOW, EventFactory, AnnouncementFactory):
            aktau = city_factory(name_en="Aktau", timezone="Asia/Aqtau")
            event = event_factory(title_en="Caspian jazz night", host_city=aktau)
            follower = user_factory()
            Device.objects.create(user=follower, token="phone", platform="ANDROID")
            CityFollow.objects.create(user=follower, city=aktau)
            then = models_at(BEFORE_THE_WINDOW)
            stuck = then.get_model("events", "Notification").objects.create(
                kind="EVENT_ANNOUNCED", dedupe_key=f"event:{event.pk}:announced", event_id=event.pk
            )
            then.get_model("events", "Notification").objects.filter(pk=stuck.pk).update(
                created_at=an_hour_ago()
            )
            out_of_the_window(event)
    finally:
        # When the new version is deployed
        migrate()

    # and its workers sweep the outbox and take the notification
    counts = dispatch.sweep()
    dispatch.fan_out(stuck.pk)
    dispatch.send_due(stuck.pk)

    # Then nothing is pushed: the notification was dropped whole, with its reason
    assert fake_fcm.messages == []
    assert counts["fan_out"] == 0
    stuck = Notification.objects.get(pk=stuck.pk)
    assert (stuck.state, stuck.drop_reason) == (State.DROPPED, DropReason.TIMES_REPAIRED)
    assert not Delivery.objects.filter(notification=stuck).exists()
    # and operators see why, in push_status and in the admin
    call_command("push_status")
    assert (
        f"#{stuck.pk} EVENT_ANNOUNCED (event {event.pk}) DROPPED (TIMES_REPAIRED)"
        in capsys.readouterr().out
    )
    ops = get_user_model().objects.create_superuser("ops@example.org", "x" * 12)
    client.force_login(ops)
    page = client.get(NOTIFICATIONS_PAGE).content.decode()
    assert "dropped before anything was sent: TIMES_REPAIRED" in page
    client.logout()
    # and the event, with its made-up dates, is a draft again: in no public read
    event.refresh_from_db()
    assert (event.status, event.announced_at) == (Event.Status.DRAFT, None)
    assert event.starts_at == datetime.datetime(2099, 12, 31, tzinfo=datetime.UTC)
    for order in ("START", "START_DESC"):
        feed = gql(EVENTS, {"orderBy": order})
        assert feed["data"]["events"]["edges"] == [], feed
    found = gql(EVENT, {"id": to_global_id("Event", event.pk)})
    assert found == {"data": {"event": None}}
    assert client.get(reverse("event-ics", args=[event.pk])).status_code == 404
    # and its history tells its office what happened and what to do
    line = StateChange.objects.get(event=event, details__code="DATE_OUT_OF_RANGE")
    assert (line.from_status, line.to_status) == (Event.Status.ANNOUNCED, Event.Status.DRAFT)
    assert "Correct its times and announce it again" in line.details["reason"]

    # When the office corrects its times and announces it again
    publisher = MembershipFactory(office=event.office, role=OfficeMembership.Role.PUBLISHER).user
    starts = timezone.now() + datetime.timedelta(days=10)
    push(
        services.update_event,
        publisher,
        event,
        {"starts_at": starts, "ends_at": starts + datetime.timedelta(hours=2)},
    )
    push(services.announce_event, publisher, event)

    # Then its follower is told of it, once, as of a new event
    assert [message["notification"]["title"] for message in fake_fcm.messages] == [
        "New event: Caspian jazz night"
    ]
    assert [message["token"] for message in fake_fcm.messages] == ["phone"]


@pytest.mark.django_db(transaction=True)
def test_the_deploy_drops_what_was_left_of_pushes_partly_sent_and_of_repaired_news(
    fcm_backend,
    fake_fcm,
    gql,
    client,
    city_factory,
    event_factory,
    announcement_factory,
    user_factory,
):
    # Given, before the window, an event whose change was being sent (one phone reached, one
    # held for quiet hours) and whose "New event" was going out by FCM topics (English sent,
    # Russian waiting), news posted with a publication time outside the window and its push
    # waiting, and an event inside the window with its push waiting
    migrate(BEFORE_THE_WINDOW)
    try:
        with factories_at(BEFORE_THE_WINDOW, EventFactory, AnnouncementFactory):
            aktau = city_factory(name_en="Aktau", timezone="Asia/Aqtau")
            moved = event_factory(title_en="Moved", host_city=aktau)
            fine = event_factory(title_en="Fine", host_city=aktau)
            news = announcement_factory(title_en="Someday", office__city=aktau)
            reached, sleeping = (
                Device.objects.create(user=user_factory(), token=token, platform="ANDROID")
                for token in ("reached", "sleeping")
            )
            then = models_at(BEFORE_THE_WINDOW)
            OldNotification = then.get_model("events", "Notification")
            OldDelivery = then.get_model("events", "Delivery")
            changed = OldNotification.objects.create(
                kind="EVENT_CHANGED",
                dedupe_key=f"event:{moved.pk}:change:1",
                event_id=moved.pk,
                state="FANNED_OUT",
                path="TOKENS",
                audience_size=2,
                fanned_out_at=an_hour_ago(),
            )
            OldDelivery.objects.create(
                notification=changed,
                device_id=reached.pk,
                language="en",
                status="SENT",
                attempts=1,
                next_attempt_at=an_hour_ago(),
                sent_at=an_hour_ago(),
            )
            held = OldDelivery.objects.create(
                notification=changed,
                device_id=sleeping.pk,
                language="en",
                next_attempt_at=timezone.now() + datetime.timedelta(hours=5),
                held_for_quiet_hours=True,
            )
            by_topics = OldNotification.objects.create(
                kind="EVENT_ANNOUNCED",
                dedupe_key=f"event:{moved.pk}:announced",
                event_id=moved.pk,
                path="TOPICS",
                audience_size=60_000,
                fanned_out_at=an_hour_ago(),
                topic_results={
                    "en": {"condition": "'city-1-en' in topics", "outcome": "SENT"},
                    "ru": {"condition": "'city-1-ru' in topics", "outcome": "WAITING"},
                },
            )
            posted = OldNotification.objects.create(
                kind="ANNOUNCEMENT_POSTED",
                dedupe_key=f"announcement:{news.pk}:posted",
                announcement_id=news.pk,
            )
            untouched = OldNotification.objects.create(
                kind="EVENT_ANNOUNCED", dedupe_key=f"event:{fine.pk}:announced", event_id=fine.pk
            )
            out_of_the_window(moved)
            set_columns("events_announcement", news.pk, published_at=FAR_FUTURE[0])
    finally:
        # When the new version is deployed
        migrate()

    # Then the change, partly sent, is done: what went stays sent, what waited is dropped
    changed = Notification.objects.get(pk=changed.pk)
    assert (changed.state, changed.drop_reason) == (State.DONE, DropReason.TIMES_REPAIRED)
    assert dict(
        Delivery.objects.filter(notification=changed).values_list("device__token", "status")
    ) == {"reached": Delivery.Status.SENT, "sleeping": Delivery.Status.DROPPED}
    assert Delivery.objects.get(pk=held.pk).drop_reason == DropReason.TIMES_REPAIRED
    # and the topic send keeps the language that went, and drops the one still waiting
    by_topics = Notification.objects.get(pk=by_topics.pk)
    assert (by_topics.state, by_topics.drop_reason) == (State.DONE, DropReason.TIMES_REPAIRED)
    assert {language: r["outcome"] for language, r in by_topics.topic_results.items()} == {
        "en": "SENT",
        "ru": "DROPPED",
    }
    # and the news is a draft, its push dropped whole
    posted = Notification.objects.get(pk=posted.pk)
    assert (posted.state, posted.drop_reason) == (State.DROPPED, DropReason.TIMES_REPAIRED)
    assert Announcement.objects.get(pk=news.pk).published_at is None
    assert gql(ANNOUNCEMENTS)["data"]["announcements"]["edges"] == []
    # and the push about the event inside the window is left as it was, to be sent
    untouched = Notification.objects.get(pk=untouched.pk)
    assert (untouched.state, untouched.drop_reason, untouched.dedupe_key) == (
        State.PENDING,
        "",
        f"event:{fine.pk}:announced",
    )
    # and operators see each drop by its reason
    ops = get_user_model().objects.create_superuser("ops@example.org", "x" * 12)
    client.force_login(ops)
    page = client.get(NOTIFICATIONS_PAGE).content.decode()
    assert "failed 0, dropped 1 (TIMES_REPAIRED: 1)" in page
    assert "topics: en SENT, ru DROPPED (dropped: TIMES_REPAIRED)" in page
    assert "dropped before anything was sent: TIMES_REPAIRED" in page

    # When the held delivery's quiet hours end and the sweep runs
    dispatch.send_due(changed.pk, clock=lambda: timezone.now() + datetime.timedelta(hours=6))
    dispatch.sweep()

    # Then nobody hears of the repaired event or news
    assert fake_fcm.messages == []
