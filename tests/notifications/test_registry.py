"""The registry of notification kinds and the broker's jobs: every kind has a whole entry and
every job a task, or the app does not start; a kind names what makes it."""

from dataclasses import replace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from events import signals
from notifications import broker, registry, tasks
from notifications.models import Notification

Kind = Notification.Kind


# --- Kinds --------------------------------------------------------------------------------------


def test_every_kind_has_a_whole_entry():
    assert registry.problems() == []


def test_a_kind_registered_in_part_stops_the_start_up():
    # Given the registry as it is, less one kind's label in Urdu and another kind's checks
    entries = {kind: registry.spec(kind) for kind in Kind}
    announced = entries[Kind.EVENT_ANNOUNCED]
    entries[Kind.EVENT_ANNOUNCED] = replace(
        announced, labels={k: v for k, v in announced.labels.items() if k != "ur"}
    )
    entries[Kind.EVENT_REMINDER] = replace(entries[Kind.EVENT_REMINDER], stale=())
    del entries[Kind.ANNOUNCEMENT_POSTED]

    # Then verifying it refuses, naming each gap
    with pytest.raises(ImproperlyConfigured, match="incomplete") as refused:
        registry.verify(entries)
    message = str(refused.value)
    assert "EVENT_ANNOUNCED: no label in ur" in message
    assert "EVENT_REMINDER: no stale" in message
    assert "ANNOUNCEMENT_POSTED: no entry" in message


def test_a_kind_that_nothing_makes_stops_the_start_up():
    # Given a kind without a trigger, and one whose trigger is neither a signal nor the beat
    entries = {kind: registry.spec(kind) for kind in Kind}
    entries[Kind.EVENT_CHANGED] = replace(entries[Kind.EVENT_CHANGED], trigger=None)
    entries[Kind.EVENT_CANCELLED] = replace(entries[Kind.EVENT_CANCELLED], trigger="cancel")

    # Then verifying it refuses, naming both
    with pytest.raises(ImproperlyConfigured) as refused:
        registry.verify(entries)
    assert "EVENT_CHANGED: no trigger" in str(refused.value)
    assert "EVENT_CANCELLED: trigger 'cancel' is neither a signal nor BEAT" in str(refused.value)


def test_a_kind_registered_twice_or_not_at_all_is_refused():
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        registry.register(Kind.EVENT_ANNOUNCED, registry.spec(Kind.EVENT_ANNOUNCED))
    with pytest.raises(ImproperlyConfigured, match="not registered"):
        registry.spec("EVENT_FORGOTTEN")


def test_each_kind_is_made_by_the_signal_of_its_change_or_by_the_beat():
    triggers = {kind: entry.trigger for kind, entry in registry.entries()}

    assert triggers == {
        Kind.EVENT_ANNOUNCED: signals.event_announced,
        Kind.EVENT_CHANGED: signals.event_changed,
        Kind.EVENT_POSTPONED: signals.event_postponed,
        Kind.EVENT_CANCELLED: signals.event_cancelled,
        Kind.EVENT_REMINDER: registry.BEAT,
        Kind.ANNOUNCEMENT_POSTED: signals.announcement_posted,
        Kind.WAITLIST_PLACE: signals.waitlist_place_given,
    }
    # and each of those signals has the receiver that writes its kind, once
    for trigger in triggers.values():
        if isinstance(trigger, Signal):
            assert len(trigger.receivers) == 1


# --- Jobs ---------------------------------------------------------------------------------------


def test_each_job_is_done_by_its_task():
    broker.verify()
    assert {job: broker.task_of(job).name for job in broker.Job} == {
        broker.Job.FAN_OUT: tasks.fan_out_notification.name,
        broker.Job.SEND_DUE: tasks.send_due_deliveries.name,
        broker.Job.SYNC_TOPICS: tasks.sync_topics.name,
        broker.Job.UNSUBSCRIBE_TOKENS: tasks.unsubscribe_tokens.name,
    }
    assert tasks.fan_out_notification.name == "notifications.tasks.fan_out_notification"


def test_a_job_without_a_task_or_with_two_stops_the_start_up(monkeypatch):
    # Given the jobs less the fan-out's task
    jobs = {job: task for job, task in broker._TASKS.items() if job != broker.Job.FAN_OUT}
    monkeypatch.setattr(broker, "_TASKS", jobs)

    # Then verifying them refuses, naming it
    with pytest.raises(ImproperlyConfigured, match="fan-out"):
        broker.verify()
    # and a second task for a job that has one is refused when it is declared
    with pytest.raises(ImproperlyConfigured, match="two tasks"):
        broker.does(broker.Job.SEND_DUE)(tasks.sync_topics)
