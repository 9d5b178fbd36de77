"""Whether a push is still true when it is about to leave.

A push may wait long after its notification was written: for the end of the recipient's quiet
hours, for a retry's backoff, for a broker that was down. Meanwhile its event may have been
cancelled, moved again or be over, its announcement deleted. Before each batch is sent (and
before a topic message), ``stale_reason`` reads the present state of the notification's subject
in one query and runs the checks its kind registers; the first reason found drops the batch
instead of sending it. The checks below are the pieces the kinds in ``kinds`` are built from.
"""

import datetime

from django.db.models import Exists, OuterRef

from events.models import Event, Rsvp

from . import registry
from .models import DropReason, Notification
from .registry import Current


def current(notification: Notification, now: datetime.datetime) -> Current:
    """The present state of what ``notification`` is about, in one query."""
    entry = registry.spec(notification.kind)
    columns = [
        "event_id",
        "event__status",
        "event__starts_at",
        "event__ends_at",
        "announcement_id",
        "announcement__published_at",
        "announcement__event__ends_at",
    ]
    rows = Notification.objects.filter(pk=notification.pk)
    if entry.superseded_by:
        subject = f"{entry.subject}_id"
        later = Notification.objects.filter(
            **{subject: OuterRef(subject)},
            kind__in=entry.superseded_by,
            pk__gt=OuterRef("pk"),
        )
        rows = rows.annotate(superseded=Exists(later))
        columns.append("superseded")
    if notification.recipient_id is not None:
        going = Rsvp.objects.filter(
            event=OuterRef("event"), user=OuterRef("recipient"), status=Rsvp.Status.GOING
        )
        rows = rows.annotate(recipient_going=Exists(going))
        columns.append("recipient_going")
    row = rows.values(*columns).first() or {}
    return Current(
        now=now,
        event_id=row.get("event_id"),
        event_status=row.get("event__status"),
        starts_at=row.get("event__starts_at"),
        ends_at=row.get("event__ends_at"),
        announcement_id=row.get("announcement_id"),
        published_at=row.get("announcement__published_at"),
        announcement_event_ends_at=row.get("announcement__event__ends_at"),
        superseded=bool(row.get("superseded")),
        recipient_going=bool(row.get("recipient_going")),
    )


def stale_reason(notification: Notification, now: datetime.datetime) -> DropReason | None:
    """Why ``notification`` is no longer true at ``now``, or None if it still is."""
    state = current(notification, now)
    for check in registry.spec(notification.kind).stale:
        reason = check(notification, state)
        if reason:
            return reason
    return None


# --- The checks -------------------------------------------------------------------------------


def event_deleted(notification: Notification, state: Current) -> DropReason | None:
    """The event is gone (only drafts are deleted, but a push must never render nothing)."""
    return DropReason.EVENT_DELETED if state.event_id is None else None


def event_cancelled(notification: Notification, state: Current) -> DropReason | None:
    """The event was called off: only the cancellation itself is still worth telling."""
    return DropReason.EVENT_CANCELLED if state.event_status == Event.Status.CANCELLED else None


def event_over(notification: Notification, state: Current) -> DropReason | None:
    """The event has ended: news of it to come is too late."""
    over = state.ends_at is not None and state.ends_at <= state.now
    return DropReason.EVENT_OVER if over else None


def event_started(notification: Notification, state: Current) -> DropReason | None:
    """The event has begun: "starting soon" would arrive late."""
    started = state.starts_at is not None and state.starts_at <= state.now
    return DropReason.EVENT_STARTED if started else None


def superseded(notification: Notification, state: Current) -> DropReason | None:
    """A later change of the event was notified, or the times this push tells are no longer
    the event's: the later push (or none at all) tells the truth."""
    moved = _moved(notification.event_starts_at, state.starts_at) or _moved(
        notification.event_ends_at, state.ends_at
    )
    return DropReason.SUPERSEDED if state.superseded or moved else None


def start_moved(notification: Notification, state: Current) -> DropReason | None:
    """The event no longer starts when this push says."""
    return DropReason.SUPERSEDED if _moved(notification.event_starts_at, state.starts_at) else None


def _moved(told: datetime.datetime | None, now_is: datetime.datetime | None) -> bool:
    # Nothing told (a notification written before the times were kept): nothing to compare.
    return told is not None and told != now_is


def place_given_up(notification: Notification, state: Current) -> DropReason | None:
    """The place from the waitlist this push tells of is no longer the recipient's: they
    withdrew, or the RSVP is gone."""
    return None if state.recipient_going else DropReason.PLACE_GIVEN_UP


def announcement_deleted(notification: Notification, state: Current) -> DropReason | None:
    return DropReason.ANNOUNCEMENT_DELETED if state.announcement_id is None else None


def announcement_unpublished(notification: Notification, state: Current) -> DropReason | None:
    """The announcement went back to being a draft, or its publication was moved ahead."""
    published = state.published_at is not None and state.published_at <= state.now
    return None if published else DropReason.ANNOUNCEMENT_UNPUBLISHED


def announced_event_over(notification: Notification, state: Current) -> DropReason | None:
    """News about an event, posted before it ended, that would arrive after it ended. News
    posted once it was over (a summary, photos) is not about what is to come, and stays."""
    ends_at, published_at = state.announcement_event_ends_at, state.published_at
    late = (
        ends_at is not None
        and ends_at <= state.now
        and (published_at is None or published_at < ends_at)
    )
    return DropReason.EVENT_OVER if late else None
