"""Lease, send, record: no FCM request is made while a transaction is open, a topic message is
sent at most once whatever dies when, and a device batch in flight at least once."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from events import services
from notifications import dispatch, topic_sends, topics
from notifications.models import Delivery, Notification
from tests.notifications.helpers import tokens_pushed

LANGUAGES = ("en", "kk", "ru", "ur")


class WorkerDied(Exception):
    """Stands for a worker process dying at the point where it is raised."""


def _expire_lease(notification: Notification, settings) -> None:
    """Move the notification back in time, as if its worker had taken it (and died) longer
    than a lease ago: the sweep's moment to hand it to another worker."""
    before = timezone.now() - datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=notification.pk).update(created_at=before, fanned_out_at=before)


# --- No network call inside a transaction --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threshold", [50_000, 2], ids=["device by device", "topics"])
def test_no_fcm_request_is_made_while_a_transaction_is_open(
    world, push, fake_fcm, settings, threshold
):
    # Given the sending thread's connection watched by FCM as each request arrives
    connection = connections["default"]
    seen = []
    fake_fcm.watch(lambda request, target: seen.append((request, connection.in_atomic_block)))
    # and followers: one whose first push fails and is retried, one FCM no longer knows
    settings.PUSH_TOPIC_THRESHOLD = threshold
    fake_fcm.fail("busy", "UNAVAILABLE", times=1)
    fake_fcm.fail("gone", "UNREGISTERED")
    people = [world.person(token, follows=[world.aktau]) for token in ("busy", "fine", "gone")]

    # When an event is announced, its retries are swept up, and a follower's topics synced
    push(services.announce_event, world.publisher, world.draft())
    Delivery.objects.filter(status=Delivery.Status.PENDING).update(next_attempt_at=timezone.now())
    push(dispatch.sweep)
    topics.sync_user_topics(people[1].pk)

    # Then every request to FCM came with no transaction open on the sending connection
    assert {request for request, _ in seen} >= {"send", "subscribe"}
    assert [request for request, in_transaction in seen if in_transaction] == []


# --- Topics: at most once ------------------------------------------------------------------------


def test_a_worker_dying_between_sending_a_topic_message_and_recording_it_never_resends_it(
    world, fcm_backend, fake_fcm, settings, monkeypatch, django_capture_on_commit_callbacks, capsys
):
    # Given an announcement to more devices than the topic threshold
    settings.PUSH_TOPIC_THRESHOLD = 2
    for n in range(3):
        world.person(f"fan-{n}", follows=[world.aktau])
    with django_capture_on_commit_callbacks(execute=False):
        services.announce_event(world.publisher, world.draft())
    notification = Notification.objects.get()

    # When its worker dies once FCM has the first message, before recording FCM's answer
    def die(notification_id, language, result):
        raise WorkerDied

    monkeypatch.setattr(topic_sends, "_record", die)
    with pytest.raises(WorkerDied):
        dispatch.fan_out(notification.pk)
    monkeypatch.undo()

    # Then that message is at FCM, and marked as being sent under the worker's lease
    assert len(fake_fcm.messages) == 1
    first = fake_fcm.messages[0]["condition"]
    notification.refresh_from_db()
    assert notification.state == Notification.State.PENDING
    assert notification.topic_results["en"] == {"condition": first, "outcome": "SENDING"}
    # and while the lease runs, neither the sweep nor another fan-out takes over
    settings.PUSH_SWEEP_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep()["fan_out"] == 0
    dispatch.fan_out(notification.pk)
    assert len(fake_fcm.messages) == 1

    # When the lease has run out and the sweep hands it to another worker
    _expire_lease(notification, settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep()["fan_out"] == 1

    # Then FCM got each language's message exactly once: the one in flight is not resent
    conditions = [message["condition"] for message in fake_fcm.messages]
    assert len(conditions) == len(set(conditions)) == len(LANGUAGES)
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE
    outcomes = {language: r["outcome"] for language, r in notification.topic_results.items()}
    assert outcomes == {"en": "UNKNOWN", "kk": "SENT", "ru": "SENT", "ur": "SENT"}
    # and operators see which one's fate is unknown, and why
    call_command("push_status")
    assert f"    en: UNKNOWN ({topic_sends.GAVE_UP}) {first}" in capsys.readouterr().out


def test_a_topic_send_outlived_by_its_lease_is_recorded_once_fcm_answers(
    world, fcm_backend, fake_fcm, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a topic send whose worker is slow, not dead: its lease runs out while FCM has
    # the first message, and another worker takes over meanwhile
    settings.PUSH_TOPIC_THRESHOLD = 2
    for n in range(3):
        world.person(f"fan-{n}", follows=[world.aktau])
    with django_capture_on_commit_callbacks(execute=False):
        services.announce_event(world.publisher, world.draft())
    notification = Notification.objects.get()
    record = topic_sends._record
    taken_over = []

    def record_after_a_take_over(notification_id, language, result):
        if not taken_over:
            taken_over.append(language)
            _expire_lease(notification, settings)
            dispatch.fan_out(notification_id)  # the other worker sends the rest
        record(notification_id, language, result)

    monkeypatch.setattr(topic_sends, "_record", record_after_a_take_over)

    # When the slow worker finally records FCM's answer
    dispatch.fan_out(notification.pk)

    # Then no message went twice, and each language's outcome is FCM's answer
    conditions = [message["condition"] for message in fake_fcm.messages]
    assert len(conditions) == len(set(conditions)) == len(LANGUAGES)
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE
    assert {r["outcome"] for r in notification.topic_results.values()} == {"SENT"}


# --- Device by device: at least once for the batch in flight -------------------------------------


def test_a_worker_dying_between_sending_a_batch_and_recording_it_resends_that_batch_only(
    world, fcm_backend, fake_fcm, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # Given an announcement to 600 devices: two batches
    for n in range(600):
        world.person(f"device-{n:03}", follows=[world.aktau])
    with django_capture_on_commit_callbacks(execute=False):
        services.announce_event(world.publisher, world.draft())
    notification = Notification.objects.get()

    # When its worker dies after FCM accepted the first batch, before recording it
    def die(batch, results, now=None):
        raise WorkerDied

    monkeypatch.setattr(dispatch, "_record", die)
    with pytest.raises(WorkerDied):
        dispatch.fan_out(notification.pk)
    monkeypatch.undo()
    in_flight = set(tokens_pushed(fake_fcm))
    assert len(in_flight) == 500

    # and the sweep runs once the batch's lease has run out
    Delivery.objects.filter(notification=notification).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep()

    # Then every device got it; those of the batch in flight twice, no one else
    times = Counter(tokens_pushed(fake_fcm))
    assert len(times) == 600
    assert set(times.values()) == {1, 2}
    assert {token for token, n in times.items() if n == 2} == in_flight
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE
