"""Sending a notification to FCM topics: lease, send, record, one language at a time.

Above ``PUSH_TOPIC_THRESHOLD`` devices, an announcement goes out as one message per language,
addressed to a condition over FCM topics (see ``topics``). Each message reaches the whole
audience of its language; FCM's send API has no idempotency key that would make sending it
again harmless, and a second copy would push tens of thousands of people twice. So the
guarantee here is **at most once** for each language's message:

1. Lease: in a short transaction, under the notification's row lock, the worker checks that
   the notification is still true (``staleness``), takes the next language still WAITING,
   marks it SENDING, renews the notification's lease (``fanned_out_at``) and commits.
2. Send: the message goes to FCM with no transaction open and no row locked.
3. Record: another short transaction stores FCM's outcome for that language.

A worker that dies between 1 and 3 leaves its language SENDING: FCM may or may not have the
message (most likely it has, the send being the one slow step). It is never sent again. Once
the lease has run out, the sweep hands the notification to another worker, which marks that
language UNKNOWN (shown by ``push_status`` and the admin) and sends the languages still
WAITING. A language moves from WAITING to SENDING only under the row lock, so two workers never
send the same one. What a death can cost is the one message in flight; nothing goes twice.
An error FCM answers is recorded as it is, not retried.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .backends import get_backend
from .models import Notification
from .staleness import stale_reason
from .texts import render
from .topics import topic_conditions

logger = logging.getLogger(__name__)

State = Notification.State

# What became of each language's message, besides FCM's outcomes (backends.Outcome).
WAITING = "WAITING"
SENDING = "SENDING"
DROPPED = "DROPPED"
UNKNOWN = "UNKNOWN"
GAVE_UP = (
    "The worker stopped between sending this message and recording FCM's answer; it is not "
    "sent again (at most once)."
)


def lease(notification: Notification) -> None:
    """Put ``notification`` on the topic path with every language WAITING. Called by the
    fan-out under the notification's row lock, with ``fanned_out_at`` set as the lease; the
    caller's transaction commits it before anything is sent."""
    notification.path = Notification.Path.TOPICS
    notification.topic_results = {
        language: {"condition": condition, "outcome": WAITING}
        for language, condition in topic_conditions(notification)
    }
    notification.save(update_fields=["audience_size", "fanned_out_at", "path", "topic_results"])


def take_over(notification: Notification, now) -> None:
    """Continue the topic send of a worker whose lease ran out (it died): what it was
    sending is given up as UNKNOWN, not sent again. Called under the row lock."""
    for language, result in notification.topic_results.items():
        if result["outcome"] == SENDING:
            result.update(outcome=UNKNOWN, detail=GAVE_UP)
            logger.warning(
                "topic message %s of notification %s: outcome unknown, not sent again",
                language,
                notification.pk,
            )
    notification.fanned_out_at = now
    notification.save(update_fields=["topic_results", "fanned_out_at"])


def send(notification_id: int, clock=timezone.now) -> None:
    """Send the notification's WAITING languages, one lease, send and record each."""
    backend = get_backend()
    while (step := _lease_next(notification_id, clock())) is not None:
        notification, language = step
        title, body, data = render(notification, language)
        condition = notification.topic_results[language]["condition"]
        result = backend.send_to_condition(condition, title, body, data, notification.urgent)
        _record(notification_id, language, result)


def _lease_next(notification_id: int, now) -> tuple[Notification, str] | None:
    """Take the next WAITING language (marked SENDING, the lease renewed, committed), or None
    when none is left; a notification no longer true has its WAITING languages DROPPED."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("event__host_city", "event__twinning", "announcement__city")
            .filter(pk=notification_id, state=State.PENDING, path=Notification.Path.TOPICS)
            .first()
        )
        if notification is None:
            return None
        results = notification.topic_results
        waiting = [language for language, result in results.items() if result["outcome"] == WAITING]
        reason = stale_reason(notification, now) if waiting else None
        if reason:
            for language in waiting:
                results[language].update(outcome=DROPPED, detail=reason)
            notification.drop_reason = reason
            notification.save(update_fields=["topic_results", "drop_reason"])
            logger.info("topic messages of notification %s dropped: %s", notification_id, reason)
            waiting = []
        if not waiting:
            _finish(notification, now)
            return None
        language = waiting[0]
        results[language]["outcome"] = SENDING
        notification.fanned_out_at = now
        notification.save(update_fields=["topic_results", "fanned_out_at"])
    return notification, language


def _record(notification_id: int, language: str, result) -> None:
    """Store FCM's answer for one language (over an UNKNOWN too: the truth, when it comes)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .only("topic_results")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return
        notification.topic_results[language].update(
            outcome=result.outcome, message_id=result.message_id, detail=result.detail
        )
        notification.save(update_fields=["topic_results"])


def _finish(notification: Notification, now) -> None:
    """Done once no language is being sent by anyone; DROPPED if none was sent at all."""
    outcomes = {result["outcome"] for result in notification.topic_results.values()}
    if SENDING in outcomes:
        return  # another worker is sending one; it finishes
    notification.state = State.DROPPED if outcomes == {DROPPED} else State.DONE
    notification.completed_at = now
    notification.save(update_fields=["state", "completed_at"])
