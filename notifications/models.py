"""The push outbox: a notification per thing worth telling, a delivery per (notification,
device).

A notification is written in the same transaction as the change it tells of, so neither exists
without the other; Celery fans it out after commit, and a periodic sweep picks up whatever a
down broker or a dead worker left behind. The unique (notification, device) pair makes every
retry idempotent: a retry never adds a push, it finishes the one recorded.

What a notification says must still be true when it is sent: a push held for quiet hours or
waiting for a retry whose event was cancelled, changed again or is over is DROPPED with its
``DropReason`` instead (see ``staleness``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Device


class DropReason(models.TextChoices):
    """Why a push was not sent: what it says is no longer true."""

    EVENT_CANCELLED = "EVENT_CANCELLED", _("The event was cancelled")
    EVENT_OVER = "EVENT_OVER", _("The event is over")
    EVENT_STARTED = "EVENT_STARTED", _("The event has started")
    SUPERSEDED = "SUPERSEDED", _("A later change of the event superseded it")
    EVENT_DELETED = "EVENT_DELETED", _("The event was deleted")
    ANNOUNCEMENT_DELETED = "ANNOUNCEMENT_DELETED", _("The announcement was deleted")
    ANNOUNCEMENT_UNPUBLISHED = "ANNOUNCEMENT_UNPUBLISHED", _("The announcement is not published")
    # Set by the migrations that repaired times stored outside the window the system holds
    # (events.0006, events.0008): the times it would tell were made up.
    # A place from the waitlist, given up (or taken away) before its push went.
    PLACE_GIVEN_UP = "PLACE_GIVEN_UP", _("The place it tells of is no longer the person's")
    TIMES_REPAIRED = (
        "TIMES_REPAIRED",
        _("Its event's or announcement's times were repaired, and it was made a draft"),
    )


class Notification(models.Model):
    class Kind(models.TextChoices):
        EVENT_ANNOUNCED = "EVENT_ANNOUNCED", _("Event announced")
        EVENT_CHANGED = "EVENT_CHANGED", _("Event changed (time or venue)")
        EVENT_POSTPONED = "EVENT_POSTPONED", _("Event postponed")
        EVENT_CANCELLED = "EVENT_CANCELLED", _("Event cancelled")
        EVENT_REMINDER = "EVENT_REMINDER", _("Event reminder")
        ANNOUNCEMENT_POSTED = "ANNOUNCEMENT_POSTED", _("Announcement posted")
        WAITLIST_PLACE = "WAITLIST_PLACE", _("A place from the waitlist")

    class State(models.TextChoices):
        PENDING = "PENDING", _("Pending: audience not yet resolved")
        FANNED_OUT = "FANNED_OUT", _("Fanned out: deliveries being sent")
        DONE = "DONE", _("Done")
        DROPPED = "DROPPED", _("Dropped before anything was sent: no longer true")

    class Path(models.TextChoices):
        TOKENS = "TOKENS", _("Device by device")
        TOPICS = "TOPICS", _("FCM topics")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # The same change never notifies twice: announcing twice finds the first notification.
    dedupe_key = models.CharField(max_length=120, unique=True)
    event = models.ForeignKey(
        "events.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    announcement = models.ForeignKey(
        "events.Announcement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The one person a notification is for (a place from the waitlist); empty for news to an
    # audience. Their notifications go with their account.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    urgent = models.BooleanField(default=False, help_text=_("Delivered through quiet hours."))
    # The event's times as the notification tells them: a change or a reminder whose times are
    # no longer the event's is stale. Empty for announcements (and rows written before).
    event_starts_at = models.DateTimeField(null=True, blank=True)
    event_ends_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    path = models.CharField(max_length=8, choices=Path.choices, blank=True)
    audience_size = models.PositiveIntegerField(null=True, blank=True)
    # Topic sends: per language, the condition and what became of its message (waiting,
    # sending, FCM's outcome and message id, or dropped); see ``topic_sends``.
    topic_results = models.JSONField(default=dict, blank=True)
    # Set when the notification, or what was left of it, was found no longer true.
    drop_reason = models.CharField(max_length=32, choices=DropReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When a worker took the fan-out: a lease of PUSH_LEASE_SECONDS, renewed at each step of a
    # topic send, after which the sweep gives the notification to another worker.
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The tables keep the names they had when push lived in the events app.
        db_table = "events_notification"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.kind} #{self.pk}"


class Delivery(models.Model):
    """One notification to one device. PENDING until sent, given up on or dropped;
    ``next_attempt_at`` is when it may go: now, the end of the user's quiet hours, or a retry's
    backoff. A worker that takes a batch moves it a lease ahead, so a dead worker's batch comes
    back later."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")
        DROPPED = "DROPPED", _("Dropped: no longer true when it was due")

    # No index of its own: the (notification, status, next_attempt_at) index serves lookups by
    # notification, and a lone one tempts PostgreSQL into sorting every pending delivery of a
    # fresh notification (no statistics yet) on each claim of a batch.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="deliveries")
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    held_for_quiet_hours = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    drop_reason = models.CharField(max_length=32, choices=DropReason.choices, blank=True)

    class Meta:
        db_table = "events_delivery"
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "device"], name="delivery_once_per_device"
            )
        ]
        indexes = [models.Index(fields=["notification", "status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.notification} → device {self.device_id}: {self.status}"


class DeviceTopic(models.Model):
    """An FCM topic a device is subscribed to, as far as we know: what topic sync diffs
    against, so that following one city costs one subscription call, not a full resync."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(max_length=100)

    class Meta:
        db_table = "events_devicetopic"
        constraints = [
            models.UniqueConstraint(fields=["device", "topic"], name="device_topic_once")
        ]
        indexes = [models.Index(fields=["topic"])]

    def __str__(self):
        return f"device {self.device_id} in {self.topic}"
