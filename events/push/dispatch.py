"""Turning outbox notifications into pushes: fan-out, sending in batches, retries, the sweep.

Every step is safe to run twice and in parallel: deliveries are unique per (notification,
device); a worker takes a batch by moving its ``next_attempt_at`` a lease ahead (rows locked
with SKIP LOCKED on PostgreSQL), so two workers never take the same delivery, and a batch
whose worker died comes back when the lease runs out. Only a push that FCM accepted in the
instant before its worker died can be sent twice; everything else is sent once.
"""

import datetime
import logging
import random
import time
from collections import Counter
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Device
from core import metrics

from ..models import Event, Rsvp
from . import broker
from .audience import recipient_devices
from .backends import MAX_BATCH, Outcome, OutgoingMessage, get_backend
from .models import Delivery, Notification
from .quiet_hours import quiet_until
from .texts import pick_language, render
from .topics import topic_conditions

logger = logging.getLogger(__name__)

Kind = Notification.Kind
State = Notification.State

# Kinds whose audience is only followers, so FCM topics can stand in for device lists.
TOPIC_KINDS = frozenset({Kind.EVENT_ANNOUNCED, Kind.ANNOUNCEMENT_POSTED})
RETRYABLE = frozenset({Outcome.UNAVAILABLE, Outcome.INTERNAL, Outcome.UNKNOWN})
DEACTIVATING = frozenset({Outcome.UNREGISTERED, Outcome.SENDER_ID_MISMATCH})
FAN_OUT_CHUNK = 2000
# How often a sender that is ahead of the fan-out's writing looks for new rows.
WRITER_POLL_SECONDS = 0.05
# A sender stops waiting for the fan-out's rows after this long without any (its writer may
# have died: the sweep takes over once the writer's lease runs out).
WRITER_WAIT_SECONDS = 10.0
# A batch at least this large in which every token is a SENDER_ID_MISMATCH means a wrong
# project setting, not wrong devices.
MISCONFIGURATION_BATCH = 20
# Without a Retry-After, how long QUOTA_EXCEEDED waits before the next try.
DEFAULT_QUOTA_WAIT_SECONDS = 60.0


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def backoff(attempt: int, retry_after: float | None = None) -> datetime.timedelta:
    """Exponential backoff with ±50 % jitter (so retries of many devices spread out), never
    sooner than FCM's Retry-After."""
    base = min(
        settings.PUSH_RETRY_MAX_SECONDS, settings.PUSH_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    delay = base * random.uniform(0.5, 1.5)  # noqa: S311 (jitter, not security)
    return datetime.timedelta(seconds=max(delay, retry_after or 0))


# --- Fan-out --------------------------------------------------------------------------------


def fan_out(notification_id: int) -> None:
    """Resolve the audience and write a delivery per device (or send to topics), then send.

    The delivery rows are committed chunk by chunk rather than in one transaction, so that the
    other senders start on the first chunk while the rest is being written: pushes leave
    within a fraction of a second of the fan-out starting, however large the audience. While
    the rows are being written the notification stays PENDING with its path set and
    ``fanned_out_at`` as the writer's lease; a writer that dies is replaced by the sweep once
    that lease runs out, and rewriting is harmless: a delivery is unique per (notification,
    device), so rows written (and sent) before are kept, not duplicated.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("event__twinning", "announcement")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.state != State.PENDING:
            return
        if _writing(notification, timezone.now()):
            return  # another worker is writing its deliveries
        devices = recipient_devices(notification)
        size = devices.count()
        notification.audience_size = size
        notification.fanned_out_at = timezone.now()
        if notification.kind in TOPIC_KINDS and size > settings.PUSH_TOPIC_THRESHOLD:
            _send_to_topics(notification)
            return
        notification.path = Notification.Path.TOKENS
        notification.save(update_fields=["audience_size", "fanned_out_at", "path"])
    extra_senders = min(settings.PUSH_PARALLEL_SENDERS, -(-size // MAX_BATCH)) - 1
    now = timezone.now()
    for number, chunk in enumerate(
        _chunks(devices.iterator(chunk_size=FAN_OUT_CHUNK), FAN_OUT_CHUNK)
    ):
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [_delivery(notification, row, now) for row in chunk],
                ignore_conflicts=True,
            )
        if number == 0:
            # Large audiences are sent by several workers at once (batches are claimed with
            # SKIP LOCKED, so they never overlap); they start on the first chunk while this
            # worker writes the rest, then takes its share.
            _start_senders(notification_id, extra_senders)
    Notification.objects.filter(pk=notification_id, state=State.PENDING).update(
        state=State.FANNED_OUT
    )
    send_due(notification_id)


def _writing(notification: Notification, now) -> bool:
    """Whether a worker is (or was, within its lease) writing this notification's deliveries."""
    return (
        notification.state == State.PENDING
        and notification.path == Notification.Path.TOKENS
        and notification.fanned_out_at is not None
        and now - notification.fanned_out_at
        < datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS)
    )


def _start_senders(notification_id: int, count: int) -> None:
    if count > 0 and not settings.CELERY_TASK_ALWAYS_EAGER:
        from .. import tasks

        for _ in range(count):
            broker.enqueue(tasks.send_due_deliveries, notification_id)


def _delivery(notification: Notification, row, now) -> Delivery:
    device_id, locale, user_language, zone, quiet_start, quiet_end = row
    held = None if notification.urgent else quiet_until(now, zone, quiet_start, quiet_end)
    return Delivery(
        notification=notification,
        device_id=device_id,
        language=pick_language(locale, user_language),
        next_attempt_at=held or now,
        held_for_quiet_hours=held is not None,
    )


def _send_to_topics(notification: Notification) -> None:
    """One message per language, to the condition of the topics its followers are in: FCM
    delivers it once per device even when the device is in several of them."""
    backend = get_backend()
    results = {}
    for language, condition in topic_conditions(notification):
        title, body, data = render(notification, language)
        result = backend.send_to_condition(condition, title, body, data, notification.urgent)
        results[language] = {
            "condition": condition,
            "outcome": result.outcome,
            "message_id": result.message_id,
            "detail": result.detail,
        }
    notification.topic_results = results
    notification.path = Notification.Path.TOPICS
    notification.state = State.DONE
    notification.completed_at = timezone.now()
    notification.save()


# --- Sending --------------------------------------------------------------------------------


def _claim(notification_id: int) -> list[Delivery]:
    """Take up to a batch of due deliveries: lock them, count the attempt, move them a lease
    ahead, and commit, so no other worker takes them while they are being sent."""
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            # Lock the deliveries only: locking the joined devices too would make two
            # notifications to overlapping audiences skip each other's rows.
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                notification_id=notification_id,
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now,
            )
            .select_related("device")
            # The index order (notification, status, next_attempt_at): no sort of the
            # pending rows, whose times are often all equal.
            .order_by("next_attempt_at")[:MAX_BATCH]
        )
        if batch:
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                attempts=F("attempts") + 1,
                next_attempt_at=now + datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS),
                held_for_quiet_hours=False,
            )
            for delivery in batch:
                delivery.attempts += 1
    return batch


def send_due(notification_id: int, max_batches: int | None = None) -> int:
    """Send the notification's due deliveries, batch by batch; returns how many were sent.

    Stops early when FCM says the project is over quota: every pending delivery then waits
    at least the Retry-After.
    """
    notification = (
        Notification.objects.select_related(
            "event__host_city", "event__twinning", "announcement__city"
        )
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return 0
    backend = get_backend()
    texts = {}
    sent = batches = 0
    last_claim = time.monotonic()
    while max_batches is None or batches < max_batches:
        batch = _claim(notification_id)
        if not batch:
            if time.monotonic() - last_claim < WRITER_WAIT_SECONDS and _rows_still_coming(
                notification_id
            ):
                time.sleep(WRITER_POLL_SECONDS)
                continue
            break
        last_claim = time.monotonic()
        batches += 1
        messages = []
        for delivery in batch:
            if delivery.language not in texts:
                texts[delivery.language] = render(notification, delivery.language)
            title, body, data = texts[delivery.language]
            messages.append(
                OutgoingMessage(
                    token=delivery.device.token,
                    title=title,
                    body=body,
                    data=data,
                    urgent=notification.urgent,
                )
            )
        results = backend.send(messages)
        sent += sum(1 for result in results if result.outcome == Outcome.SENT)
        quota_wait = _record(batch, results)
        if quota_wait is not None:
            Delivery.objects.filter(
                notification_id=notification_id,
                status=Delivery.Status.PENDING,
                next_attempt_at__lt=quota_wait,
            ).update(next_attempt_at=quota_wait)
            break
    finish_if_complete(notification_id)
    return sent


def _rows_still_coming(notification_id: int) -> bool:
    """Whether the fan-out is still writing deliveries, so a sender that ran out of claimable
    rows should wait for more rather than stop."""
    notification = (
        Notification.objects.filter(pk=notification_id)
        .only("state", "path", "fanned_out_at")
        .first()
    )
    return notification is not None and _writing(notification, timezone.now())


def _record(batch: list[Delivery], results) -> datetime.datetime | None:
    """Store each delivery's outcome; returns until when to wait if FCM is over quota.

    Sent deliveries, nearly all of them, are marked in one UPDATE; only the few that failed
    or wait for a retry are written row by row (each with its own jittered time).
    """
    now = timezone.now()
    quota_wait = None
    sent, unsent, gone_devices = [], [], {}
    for delivery, result in zip(batch, results, strict=True):
        outcome = result.outcome
        if outcome == Outcome.SENT:
            sent.append(delivery.pk)
            continue
        unsent.append(delivery)
        delivery.error_code, delivery.error_detail = outcome, result.detail[:500]
        if outcome in DEACTIVATING:
            delivery.status = Delivery.Status.FAILED
            gone_devices[delivery.device_id] = outcome
        elif outcome == Outcome.INVALID_ARGUMENT:
            # A bad message, not a bad token: the device stays.
            delivery.status = Delivery.Status.FAILED
        elif delivery.attempts >= settings.PUSH_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        elif outcome == Outcome.QUOTA_EXCEEDED:
            wait = now + backoff(
                delivery.attempts, result.retry_after or DEFAULT_QUOTA_WAIT_SECONDS
            )
            delivery.next_attempt_at = wait
            quota_wait = max(quota_wait or wait, wait)
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts, result.retry_after)
    mismatches = sum(1 for result in results if result.outcome == Outcome.SENDER_ID_MISMATCH)
    if mismatches >= MISCONFIGURATION_BATCH and mismatches == len(results):
        # Every token of a sizeable batch "belongs to another sender": the project is
        # misconfigured, not the devices. Fail the deliveries, keep the devices.
        logger.error("SENDER_ID_MISMATCH for a whole batch: check FIREBASE_PROJECT_ID")
        gone_devices = {}
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                status=Delivery.Status.SENT, sent_at=now, error_code="", error_detail=""
            )
        if unsent:
            Delivery.objects.bulk_update(
                unsent, ["status", "error_code", "error_detail", "next_attempt_at"]
            )
        for device_id, outcome in gone_devices.items():
            Device.objects.filter(pk=device_id).update(active=False, deactivated_reason=outcome)
    metrics.count_push_outcomes(result.outcome for result in results)
    return quota_wait


def finish_if_complete(notification_id: int) -> bool:
    """Mark a fanned-out notification DONE once no delivery is pending."""
    pending = Delivery.objects.filter(
        notification_id=notification_id, status=Delivery.Status.PENDING
    ).exists()
    if pending:
        return False
    Notification.objects.filter(pk=notification_id, state=State.FANNED_OUT).update(
        state=State.DONE, completed_at=timezone.now()
    )
    return True


# --- Creating notifications -----------------------------------------------------------------


def notify(kind: str, dedupe_key: str, *, event=None, announcement=None, urgent=False):
    """Write a notification into the outbox, in the caller's transaction, and hand it to a
    worker once that commits. The same ``dedupe_key`` twice is one notification."""
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"kind": kind, "event": event, "announcement": announcement, "urgent": urgent},
    )
    if created:
        transaction.on_commit(lambda: enqueue(notification.pk))
    return notification


def enqueue(notification_id: int) -> None:
    """Hand a notification to a worker. If the broker is down, the sweep will do it later."""
    from .. import tasks

    broker.enqueue(tasks.fan_out_notification, notification_id)


def urgent_cancellation(event: Event) -> bool:
    """A cancellation of an event starting within 24 hours breaks through quiet hours."""
    return event.starts_at - timezone.now() <= datetime.timedelta(hours=24)


# --- The sweep and reminders ----------------------------------------------------------------


def sweep() -> Counter:
    """Re-enqueue what was left behind: notifications never fanned out (the broker was down,
    a worker died), deliveries due again (retries, quiet hours over, expired leases)."""
    now = timezone.now()
    counts = Counter()
    stale = now - datetime.timedelta(seconds=settings.PUSH_SWEEP_AFTER_SECONDS)
    # Those whose writer still holds its lease are being fanned out now.
    writing = Q(path=Notification.Path.TOKENS) & Q(
        fanned_out_at__gt=now - datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS)
    )
    for notification_id in (
        Notification.objects.filter(state=State.PENDING, created_at__lte=stale)
        .exclude(writing)
        .values_list("pk", flat=True)
    ):
        enqueue(notification_id)
        counts["fan_out"] += 1
    due = (
        Delivery.objects.filter(
            notification__state=State.FANNED_OUT,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
        )
        .values_list("notification_id", flat=True)
        .distinct()
    )
    from .. import tasks

    for notification_id in due:
        counts["send"] += broker.enqueue(tasks.send_due_deliveries, notification_id)
    for notification_id in Notification.objects.filter(state=State.FANNED_OUT).values_list(
        "pk", flat=True
    ):
        if finish_if_complete(notification_id):
            counts["finished"] += 1
    return counts


def create_reminders() -> int:
    """A reminder for each announced event starting within the reminder window, once per
    start time (a postponed event is reminded of again at its new time)."""
    now = timezone.now()
    window = now + datetime.timedelta(minutes=settings.PUSH_REMINDER_MINUTES)
    created = 0
    events = (
        Event.objects.filter(
            status__in=[Event.Status.ANNOUNCED, Event.Status.POSTPONED],
            starts_at__gt=now,
            starts_at__lte=window,
        )
        .filter(rsvps__status=Rsvp.Status.GOING)
        .distinct()
    )
    for event in events:
        key = f"event:{event.pk}:reminder:{event.starts_at.isoformat()}"
        with transaction.atomic():
            before = Notification.objects.filter(dedupe_key=key).exists()
            # Urgent: a reminder held past quiet hours would arrive after the start.
            notify(Kind.EVENT_REMINDER, key, event=event, urgent=True)
        created += not before
    return created
