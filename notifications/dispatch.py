"""Turning outbox notifications into pushes: fan-out, sending in batches, retries, the sweep.

Every step is safe to run twice and in parallel: deliveries are unique per (notification,
device); a worker takes a batch by moving its ``next_attempt_at`` a lease ahead (rows locked
with SKIP LOCKED on PostgreSQL), so two workers never take the same delivery, and a batch
whose worker died comes back when the lease runs out.

No call to FCM or to the broker is made while a transaction is open or a row is locked: each
step takes what it needs in a short transaction and commits (the lease), makes its calls with
no transaction open, then records their outcome in another. Device by device this is at least
once for the batch in flight, once for the rest: a worker that dies after FCM accepted a batch
and before its outcomes were recorded leaves the batch leased, and when the lease runs out it
is sent again; the delivery records keep such a duplicate to that one batch (at most 500
devices). A push to FCM topics reaches a whole audience, and goes at most once instead (see
``topic_sends``).

Before each batch is sent, its notification is checked against the present (``staleness``,
with the checks its kind registers): a push about a cancelled event, a change superseded by a
later one, an event that is over, a deleted announcement is DROPPED with the reason, not sent.
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
from events.models import Event, Rsvp

from . import broker, registry, topic_sends
from .audience import recipient_devices
from .backends import MAX_BATCH, Outcome, OutgoingMessage, get_backend
from .broker import Job
from .models import Delivery, DropReason, Notification
from .quiet_hours import quiet_until
from .staleness import stale_reason
from .texts import pick_language, render

logger = logging.getLogger(__name__)

Kind = Notification.Kind
State = Notification.State
Path = Notification.Path

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


def fan_out(notification_id: int, clock=timezone.now) -> None:
    """Resolve the audience and write a delivery per device (or send to topics), then send.

    The delivery rows are committed chunk by chunk rather than in one transaction, so that the
    other senders start on the first chunk while the rest is being written: pushes leave
    within a fraction of a second of the fan-out starting, however large the audience. While
    the rows are being written the notification stays PENDING with its path set and
    ``fanned_out_at`` as the writer's lease; a writer that dies is replaced by the sweep once
    that lease runs out, and rewriting is harmless: a delivery is unique per (notification,
    device), so rows written (and sent) before are kept, not duplicated. A notification no
    longer true before anything of it was written is DROPPED as a whole. ``clock`` gives the
    present time (tests pass their own).
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
        now = clock()
        if _leased(notification, now):
            return  # another worker is writing its deliveries, or sending it to topics
        if not notification.path:
            reason = stale_reason(notification, now)
            if reason:
                _drop(notification, reason, now)
                return
        if notification.path == Path.TOPICS:
            # Its last worker died sending it to topics: take over what is left.
            topic_sends.take_over(notification, now)
            to_topics = True
        else:
            devices = recipient_devices(notification)
            size = devices.count()
            notification.audience_size = size
            notification.fanned_out_at = now
            to_topics = (
                registry.spec(notification.kind).by_topic and size > settings.PUSH_TOPIC_THRESHOLD
            )
            if to_topics:
                topic_sends.lease(notification)
            else:
                notification.path = Path.TOKENS
                notification.save(update_fields=["audience_size", "fanned_out_at", "path"])
    # Committed: the lease is taken, no lock is held while FCM is called.
    if to_topics:
        topic_sends.send(notification_id, clock)
        return
    extra_senders = min(settings.PUSH_PARALLEL_SENDERS, -(-size // MAX_BATCH)) - 1
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
    send_due(notification_id, clock=clock)


def _leased(notification: Notification, now) -> bool:
    """Whether a worker is (or was, within its lease) writing this notification's deliveries
    or sending it to topics."""
    return (
        notification.state == State.PENDING
        and bool(notification.path)
        and notification.fanned_out_at is not None
        and now - notification.fanned_out_at
        < datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS)
    )


def _drop(notification: Notification, reason: DropReason, now) -> None:
    """Drop a notification of which nothing was written or sent: it is no longer true."""
    notification.state = State.DROPPED
    notification.drop_reason = reason
    notification.completed_at = now
    notification.save(update_fields=["state", "drop_reason", "completed_at"])
    logger.info("notification %s dropped before fan-out: %s", notification.pk, reason)


def _start_senders(notification_id: int, count: int) -> None:
    if count > 0 and not settings.CELERY_TASK_ALWAYS_EAGER:
        for _ in range(count):
            broker.enqueue(Job.SEND_DUE, notification_id)


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


# --- Sending --------------------------------------------------------------------------------


def _claim(notification_id: int, now=None) -> list[Delivery]:
    """Take up to a batch of due deliveries: lock them, count the attempt, move them a lease
    ahead, and commit, so no other worker takes them while they are being sent."""
    now = now or timezone.now()
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


def send_due(notification_id: int, max_batches: int | None = None, clock=timezone.now) -> int:
    """Send the notification's due deliveries, batch by batch; returns how many were sent.

    Each batch is checked against the present first (one query): if the notification is no
    longer true, the batch is DROPPED with the reason instead. Stops early when FCM says the
    project is over quota: every pending delivery then waits at least the Retry-After.
    ``clock`` gives the present time (tests pass their own).
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
        batch = _claim(notification_id, clock())
        if not batch:
            if time.monotonic() - last_claim < WRITER_WAIT_SECONDS and _rows_still_coming(
                notification_id, clock()
            ):
                time.sleep(WRITER_POLL_SECONDS)
                continue
            break
        last_claim = time.monotonic()
        batches += 1
        reason = stale_reason(notification, clock())
        if reason:
            _drop_batch(batch, reason)
            continue
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
        quota_wait = _record(batch, results, clock())
        if quota_wait is not None:
            Delivery.objects.filter(
                notification_id=notification_id,
                status=Delivery.Status.PENDING,
                next_attempt_at__lt=quota_wait,
            ).update(next_attempt_at=quota_wait)
            break
    finish_if_complete(notification_id, clock())
    return sent


def _drop_batch(batch: list[Delivery], reason: DropReason) -> None:
    """Drop a claimed batch, whose notification is no longer true, with the reason."""
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in batch]).update(
        status=Delivery.Status.DROPPED, drop_reason=reason
    )
    logger.info(
        "%d push(es) of notification %s dropped: %s",
        len(batch),
        batch[0].notification_id,
        reason,
    )


def _rows_still_coming(notification_id: int, now) -> bool:
    """Whether the fan-out is still writing deliveries, so a sender that ran out of claimable
    rows should wait for more rather than stop."""
    notification = (
        Notification.objects.filter(pk=notification_id)
        .only("state", "path", "fanned_out_at")
        .first()
    )
    return notification is not None and _leased(notification, now)


def _record(batch: list[Delivery], results, now=None) -> datetime.datetime | None:
    """Store each delivery's outcome; returns until when to wait if FCM is over quota.

    Sent deliveries, nearly all of them, are marked in one UPDATE; only the few that failed
    or wait for a retry are written row by row (each with its own jittered time).
    """
    now = now or timezone.now()
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


def finish_if_complete(notification_id: int, now=None) -> bool:
    """Mark a fanned-out notification DONE once no delivery is pending."""
    pending = Delivery.objects.filter(
        notification_id=notification_id, status=Delivery.Status.PENDING
    ).exists()
    if pending:
        return False
    Notification.objects.filter(pk=notification_id, state=State.FANNED_OUT).update(
        state=State.DONE, completed_at=now or timezone.now()
    )
    return True


# --- Creating notifications -----------------------------------------------------------------


def notify(kind: str, subject, *, change=None, recipient=None) -> Notification:
    """Write a notification of ``kind`` about ``subject`` (an event or an announcement, as the
    kind's entry says) into the outbox, in the caller's transaction, and hand it to a worker
    once that commits. ``change`` is the StateChange that made it, for kinds notified once per
    change; ``recipient`` the one user a personal kind is for (its audience reads it). The
    kind's dedupe key makes the same change twice one notification; an event's times are
    kept with it, to tell later whether they are still the event's."""
    entry = registry.spec(kind)
    defaults = {
        "kind": kind,
        entry.subject.value: subject,
        "urgent": entry.urgent(subject, timezone.now()),
        "recipient": recipient,
    }
    if entry.subject == registry.Subject.EVENT:
        defaults.update(event_starts_at=subject.starts_at, event_ends_at=subject.ends_at)
    notification, created = Notification.objects.get_or_create(
        dedupe_key=entry.dedupe_key(subject, change), defaults=defaults
    )
    if created:
        transaction.on_commit(lambda: enqueue(notification.pk))
    return notification


def enqueue(notification_id: int) -> None:
    """Hand a notification to a worker. If the broker is down, the sweep will do it later."""
    broker.enqueue(Job.FAN_OUT, notification_id)


# --- The sweep and reminders ----------------------------------------------------------------


def sweep() -> Counter:
    """Re-enqueue what was left behind: notifications never fanned out (the broker was down,
    a worker died), deliveries due again (retries, quiet hours over, expired leases)."""
    now = timezone.now()
    counts = Counter()
    stale = now - datetime.timedelta(seconds=settings.PUSH_SWEEP_AFTER_SECONDS)
    # Those whose worker still holds its lease are being fanned out (or sent to topics) now.
    leased = ~Q(path="") & Q(
        fanned_out_at__gt=now - datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS)
    )
    for notification_id in (
        Notification.objects.filter(state=State.PENDING, created_at__lte=stale)
        .exclude(leased)
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
    for notification_id in due:
        counts["send"] += broker.enqueue(Job.SEND_DUE, notification_id)
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
    reminder = registry.spec(Kind.EVENT_REMINDER)
    for event in events:
        with transaction.atomic():
            before = Notification.objects.filter(
                dedupe_key=reminder.dedupe_key(event, None)
            ).exists()
            notify(Kind.EVENT_REMINDER, event)
        created += not before
    return created
