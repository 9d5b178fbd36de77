"""Drafts that announce themselves and announcements that publish themselves at a chosen time:
the services that set and drop the time, and the beat's run (``services.publish_due``) that
publishes what is due, once, in the scheduler's name, and keeps the reason of what it could not
publish instead of trying again."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cities.models import OfficeMembership
from core import channel_groups
from core.error_codes import CommonErrorCode
from events import services, tasks
from events.error_codes import EventErrorCode
from events.models import Announcement, Event, StateChange
from notifications import broker
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role
Action = StateChange.Action
Status = Event.Status


def soon(minutes=30) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def codes(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {None: [e.code for e in error.error_list]}


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    """The push jobs handed to the broker, kept here instead of run."""
    jobs = []

    def enqueue(job, *args):
        jobs.append((job, args))
        return True

    monkeypatch.setattr(broker, "enqueue", enqueue)
    return jobs


@pytest.fixture
def draft(event_factory, office):
    return event_factory(
        office=office, host_city=office.city, status=Status.DRAFT, announced_at=None
    )


def announcement_data(**changes) -> dict:
    return {"title_en": "Roads closed for the marathon", "body_en": "From 8 to 12.", **changes}


def pushes_about(subject) -> int:
    field = "event" if isinstance(subject, Event) else "announcement"
    return Notification.objects.filter(**{field: subject}).count()


# --- Events ----------------------------------------------------------------------------------


def test_a_scheduled_draft_stays_a_draft_until_its_time(publisher, draft):
    # When a publisher schedules the draft for later
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)

    # Then it is still a draft, out of every public list, and no push was written
    draft.refresh_from_db()
    assert (draft.status, draft.announce_at, draft.scheduled_by) == (Status.DRAFT, at, publisher)
    assert not Event.objects.public().filter(pk=draft.pk).exists()
    assert pushes_about(draft) == 0
    scheduled = StateChange.objects.get(event=draft, action=Action.SCHEDULED)
    assert scheduled.actor == publisher
    assert scheduled.details == {
        "changes": [{"field": "announce_at", "before": None, "after": at.isoformat()}]
    }
    # and a run before its time leaves it alone
    assert services.publish_due(now=at - datetime.timedelta(seconds=1))["announced"] == 0
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_at_its_time_the_draft_is_announced_in_the_scheduler_name_once(
    publisher, draft, committing, enqueued
):
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)

    # When the beat runs at its time, and again
    with committing():
        first = services.publish_due(now=at)
    with committing():
        second = services.publish_due(now=at + datetime.timedelta(minutes=1))

    # Then it was announced once, by whoever scheduled it, and its followers pushed once
    draft.refresh_from_db()
    assert (first["announced"], second["announced"]) == (1, 0)
    assert (draft.status, draft.announce_at) == (Status.ANNOUNCED, None)
    announced = StateChange.objects.get(event=draft, action=Action.ANNOUNCED)
    assert announced.actor == publisher
    assert announced.details["scheduled_for"] == at.isoformat()
    assert {"field": "announce_at", "before": at.isoformat(), "after": None} in (
        announced.details["changes"]
    )
    assert pushes_about(draft) == 1
    assert len(enqueued) == 1


def test_an_editor_may_not_schedule_and_a_past_or_late_time_is_refused(editor, publisher, draft):
    with pytest.raises(PermissionDenied):
        services.schedule_event_announcement(editor, draft, soon())

    with pytest.raises(ValidationError) as past:
        services.schedule_event_announcement(publisher, draft, soon(-1))
    with pytest.raises(ValidationError) as after_end:
        services.schedule_event_announcement(
            publisher, draft, draft.ends_at + datetime.timedelta(minutes=1)
        )
    with pytest.raises(ValidationError) as naive:
        services.schedule_event_announcement(publisher, draft, soon().replace(tzinfo=None))

    assert codes(past.value) == {"announce_at": [EventErrorCode.SCHEDULE_IN_PAST]}
    assert codes(after_end.value) == {"announce_at": [EventErrorCode.SCHEDULE_AFTER_END]}
    assert codes(naive.value) == {"announce_at": [CommonErrorCode.NAIVE_DATETIME]}
    draft.refresh_from_db()
    assert draft.announce_at is None
    assert not StateChange.objects.filter(event=draft, action=Action.SCHEDULED).exists()


def test_only_a_draft_is_scheduled(publisher, event_factory, office):
    event = event_factory(office=office, host_city=office.city)

    with pytest.raises(ValidationError) as refused:
        services.schedule_event_announcement(publisher, event, soon())

    assert codes(refused.value) == {None: [EventErrorCode.NOT_A_DRAFT]}


def test_an_unscheduled_or_deleted_draft_is_not_announced(publisher, draft, event_factory, office):
    other = event_factory(office=office, host_city=office.city, status=Status.DRAFT)
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)
    services.schedule_event_announcement(publisher, other, at)

    # When one is unscheduled and the other deleted before their time
    services.unschedule_event_announcement(publisher, draft)
    services.delete_event(publisher, other)
    result = services.publish_due(now=at)

    # Then nothing was announced, and the history says the time was dropped
    draft.refresh_from_db()
    assert result == {"announced": 0, "published": 0, "refused": 0}
    assert (draft.status, draft.announce_at) == (Status.DRAFT, None)
    assert StateChange.objects.filter(event=draft, action=Action.UNSCHEDULED).count() == 1


def test_an_edit_by_someone_who_may_not_announce_drops_the_time(publisher, editor, draft):
    # Given a draft a publisher has read and scheduled
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)

    # When an editor, who may not announce it, changes it before its time
    services.update_event(editor, draft, {"title_en": "Free beer for everyone"})
    result = services.publish_due(now=at)

    # Then it is not announced in the publisher's name: it waits for a publisher again, and the
    # history says who dropped the time
    draft.refresh_from_db()
    assert result["announced"] == 0
    assert (draft.status, draft.announce_at) == (Status.DRAFT, None)
    dropped = StateChange.objects.get(event=draft, action=Action.UNSCHEDULED)
    assert dropped.actor == editor


def test_an_edit_by_a_publisher_keeps_the_time(publisher, draft):
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)

    services.update_event(publisher, draft, {"title_en": "Caspian jazz night, second set"})

    assert services.publish_due(now=at)["announced"] == 1


def test_a_rescheduled_draft_waits_for_its_new_time(publisher, draft):
    services.schedule_event_announcement(publisher, draft, soon(30))
    services.schedule_event_announcement(publisher, draft, soon(90))

    assert services.publish_due(now=soon(60))["announced"] == 0
    assert services.publish_due(now=soon(91))["announced"] == 1


def test_announcing_by_hand_drops_the_time(publisher, draft):
    services.schedule_event_announcement(publisher, draft, soon())

    services.announce_event(publisher, draft)

    draft.refresh_from_db()
    assert (draft.status, draft.announce_at) == (Status.ANNOUNCED, None)
    announced = StateChange.objects.get(event=draft, action=Action.ANNOUNCED)
    assert "scheduled_for" not in announced.details
    assert "announce_at" in [change["field"] for change in announced.details["changes"]]


def test_a_refused_announcement_keeps_its_reason_and_is_not_tried_again(
    publisher, draft, committing
):
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)
    # Given the scheduler no longer publishes for the office when the time comes
    OfficeMembership.objects.filter(user=publisher).update(role=Role.EDITOR)

    with committing():
        first = services.publish_due(now=at)
    second = services.publish_due(now=at + datetime.timedelta(minutes=1))

    # Then it stays a draft with the reason, recorded once, and the next runs skip it
    draft.refresh_from_db()
    assert (first["refused"], second["refused"]) == (1, 0)
    assert draft.status == Status.DRAFT
    assert "publishers" in draft.schedule_failure
    assert StateChange.objects.filter(event=draft, action=Action.SCHEDULE_FAILED).count() == 1
    assert pushes_about(draft) == 0


def test_a_draft_whose_scheduler_account_is_gone_is_refused_with_its_reason(publisher, draft):
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)
    publisher.delete()

    result = services.publish_due(now=at)

    draft.refresh_from_db()
    assert result["refused"] == 1
    assert (draft.status, draft.scheduled_by) == (Status.DRAFT, None)
    assert draft.schedule_failure
    assert StateChange.objects.get(event=draft, action=Action.SCHEDULE_FAILED).actor is None


# --- Announcements ---------------------------------------------------------------------------


def test_a_scheduled_announcement_is_hidden_and_silent_until_its_time(
    publisher, office, committing, enqueued
):
    at = soon()
    with committing():
        announcement = services.create_announcement(
            publisher, office, announcement_data(publish_at=at)
        )

    # Then nobody sees it and no push is written
    assert announcement.published_at is None
    assert not Announcement.objects.published().filter(pk=announcement.pk).exists()
    assert pushes_about(announcement) == 0
    assert enqueued == []

    # When its time comes (and the beat runs twice)
    with committing():
        services.publish_due(now=at)
    with committing():
        services.publish_due(now=at)

    # Then it is published at that moment, pushed once, in the scheduler's name
    announcement.refresh_from_db()
    assert announcement.published_at is not None
    assert Announcement.objects.published().filter(pk=announcement.pk).exists()
    assert pushes_about(announcement) == 1
    assert len(enqueued) == 1
    published = StateChange.objects.get(announcement=announcement, action=Action.PUBLISHED)
    assert published.actor == publisher
    assert published.details["scheduled_for"] == at.isoformat()
    assert "title_en" in [change["field"] for change in published.details["changes"]]


@pytest.fixture
def broadcasts(monkeypatch):
    """What reaches the channel layer, as (group, payload), once a transaction commits."""
    sent = []

    async def record(group, payload):
        sent.append((group, payload))

    monkeypatch.setattr(channel_groups, "broadcast", record)
    return sent


def test_live_subscribers_hear_of_a_scheduled_announcement_only_when_it_is_published(
    publisher, office, committing, broadcasts
):
    at = soon()
    with committing():
        announcement = services.create_announcement(
            publisher, office, announcement_data(publish_at=at)
        )
    assert broadcasts == []

    with committing():
        services.publish_due(now=at)

    # Its city's group and the group of every city
    assert [payload for _, payload in broadcasts] == [
        {
            "kind": "posted",
            "announcement": announcement.pk,
            "city": office.city_id,
            "twinning": None,
        }
    ] * 2


def test_an_announcement_without_a_time_is_published_at_once(publisher, office, committing):
    with committing():
        announcement = services.create_announcement(publisher, office, announcement_data())

    assert announcement.published_at is not None
    assert pushes_about(announcement) == 1


def test_a_scheduled_announcement_is_rescheduled_published_now_or_withdrawn(
    publisher, office, committing
):
    first = services.create_announcement(publisher, office, announcement_data(publish_at=soon()))
    second = services.create_announcement(publisher, office, announcement_data(publish_at=soon()))
    third = services.create_announcement(publisher, office, announcement_data(publish_at=soon()))

    services.update_announcement(publisher, first, {"publish_at": soon(120)})
    with committing():
        services.update_announcement(publisher, second, {"publish_at": None})
    services.delete_announcement(publisher, third)
    services.publish_due(now=soon(60))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.published_at is None
    assert first.publish_at > soon(119)
    assert second.published_at is not None
    assert pushes_about(second) == 1
    assert not Announcement.objects.filter(pk=third.pk).exists()


def test_a_published_announcement_cannot_be_scheduled_and_past_times_are_refused(
    publisher, office, announcement_factory
):
    published = announcement_factory(office=office)

    with pytest.raises(ValidationError) as already:
        services.update_announcement(publisher, published, {"publish_at": soon()})
    with pytest.raises(ValidationError) as past:
        services.create_announcement(publisher, office, announcement_data(publish_at=soon(-5)))

    assert codes(already.value) == {"publish_at": [EventErrorCode.ALREADY_PUBLISHED]}
    assert codes(past.value) == {"publish_at": [EventErrorCode.SCHEDULE_IN_PAST]}
    assert Announcement.objects.count() == 1


def test_a_refused_publication_keeps_its_reason(publisher, office, committing):
    at = soon()
    announcement = services.create_announcement(publisher, office, announcement_data(publish_at=at))
    OfficeMembership.objects.filter(user=publisher).delete()

    with committing():
        first = services.publish_due(now=at)
    second = services.publish_due(now=at)

    announcement.refresh_from_db()
    assert (first["refused"], second["refused"]) == (1, 0)
    assert announcement.published_at is None
    assert announcement.schedule_failure
    assert pushes_about(announcement) == 0


def test_the_task_publishes_what_is_due(publisher, office, draft, committing):
    services.schedule_event_announcement(publisher, draft, soon(1))
    announcement = services.create_announcement(
        publisher, office, announcement_data(publish_at=soon(1))
    )
    Event.objects.filter(pk=draft.pk).update(announce_at=soon(-1))
    Announcement.objects.filter(pk=announcement.pk).update(publish_at=soon(-1))

    with committing():
        result = tasks.publish_scheduled()

    assert result == {"announced": 1, "published": 1, "refused": 0}


# --- Two runs at once (PostgreSQL) ------------------------------------------------------------


def _run_at_once(runs: int, now) -> list[dict]:
    start = threading.Barrier(runs)
    results = []

    def run():
        try:
            start.wait()
            results.append(services.publish_due(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_publish_each_item_once(publisher, office, event_factory):
    # Given many drafts and announcements due at once
    at = soon()
    drafts = [
        event_factory(office=office, host_city=office.city, status=Status.DRAFT, announced_at=None)
        for _ in range(8)
    ]
    for draft in drafts:
        services.schedule_event_announcement(publisher, draft, at)
    news = [
        services.create_announcement(publisher, office, announcement_data(publish_at=at))
        for _ in range(8)
    ]

    # When two workers run the task at the same moment
    results = _run_at_once(2, at)

    # Then between them each item was published exactly once, with one push each
    assert connection.vendor == "postgresql"
    assert sum(result["announced"] for result in results) == len(drafts)
    assert sum(result["published"] for result in results) == len(news)
    for draft in drafts:
        assert StateChange.objects.filter(event=draft, action=Action.ANNOUNCED).count() == 1
        assert pushes_about(draft) == 1
    for announcement in news:
        assert (
            StateChange.objects.filter(announcement=announcement, action=Action.PUBLISHED).count()
            == 1
        )
        assert pushes_about(announcement) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_skips_a_row_another_holds_and_leaves_it_to_that_one(publisher, office, draft):
    at = soon()
    services.schedule_event_announcement(publisher, draft, at)
    held = threading.Event()
    release = threading.Event()

    def hold():
        # Another run that has taken the row and not yet committed.
        try:
            with transaction.atomic():
                Event.objects.select_for_update().get(pk=draft.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(timeout=30)
    try:
        # When a run comes while the row is held, it does not wait for it
        skipped = services.publish_due(now=at)
    finally:
        release.set()
        holder.join()
    # and a run after the holder let go announces it
    taken = services.publish_due(now=at)

    assert (skipped["announced"], taken["announced"]) == (0, 1)


def test_the_beat_runs_the_task_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["publish-scheduled"]

    assert entry["task"] == tasks.publish_scheduled.name
    assert entry["schedule"] == 60.0
