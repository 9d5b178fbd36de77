"""Who is coming to an event, as its offices may see it: the totals now, the counts per day
(replayed from the RSVPs' changes), and the people who agreed to be listed; and, for an app
user, their own answers with their places in the waitlists.

Read-only selectors for the admin's "Who is coming" page and its CSV files, and the API. A
user is named only when they turned on ``listed_as_attendee``; everyone else is only counted.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.wall_clock import zone_or_utc

from .models import Event, Rsvp, RsvpChange

GOING, INTERESTED, WAITLISTED = Rsvp.Status.GOING, Rsvp.Status.INTERESTED, Rsvp.Status.WAITLISTED


@dataclass(frozen=True)
class Totals:
    """How many people are going to, interested in, and waiting for a place at an event."""

    going: int
    interested: int
    waitlisted: int = 0


@dataclass(frozen=True)
class DayCount:
    """The counts as they stood at the end of ``day`` (a date of the venue's calendar)."""

    day: datetime.date
    going: int
    interested: int


def totals(event: Event) -> Totals:
    """The current totals, counted from the RSVPs themselves."""
    counts = Rsvp.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status=GOING)),
        interested=Count("pk", filter=Q(status=INTERESTED)),
        waitlisted=Count("pk", filter=Q(status=WAITLISTED)),
    )
    return Totals(
        going=counts["going"], interested=counts["interested"], waitlisted=counts["waitlisted"]
    )


def answers_of(user, events) -> dict[int, tuple[str, int | None]]:
    """``user``'s RSVPs of ``events`` in one query: by event id, the status and, for one on
    the waitlist, the place in the line (1: the next place is theirs)."""
    ahead = (
        Rsvp.objects.filter(event=OuterRef("event"), status=WAITLISTED)
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("event")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = (
        Rsvp.objects.filter(user=user, event__in=events)
        .annotate(
            ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)),
        )
        .values_list("event_id", "status", "ahead")
    )
    return {
        event_id: (status, ahead + 1 if status == WAITLISTED else None)
        for event_id, status, ahead in rows
    }


def daily_counts(event: Event) -> list[DayCount]:
    """The people going and interested at the end of each day, days as the venue's clocks
    count them (the event's ``timezone``), from the day of the first recorded change to the
    day of the last; a day without changes repeats the day before, so the days run on."""
    zone = zoneinfo.ZoneInfo(zone_or_utc(event.timezone))
    changes = (
        RsvpChange.objects.filter(event=event)
        .order_by("at", "pk")
        .values_list("at", "from_status", "to_status")
    )
    at_end_of: dict[datetime.date, tuple[int, int]] = {}
    going = interested = 0
    for at, before, after in changes.iterator():
        going += (after == GOING) - (before == GOING)
        interested += (after == INTERESTED) - (before == INTERESTED)
        at_end_of[at.astimezone(zone).date()] = (going, interested)
    if not at_end_of:
        return []
    days = []
    day, last = min(at_end_of), max(at_end_of)
    counts = at_end_of[day]
    while day <= last:
        counts = at_end_of.get(day, counts)
        days.append(DayCount(day=day, going=counts[0], interested=counts[1]))
        day += datetime.timedelta(days=1)
    return days


def listed_attendees(event: Event) -> QuerySet:
    """The RSVPs of the people who agreed to be listed, going first, then by when they
    answered as they do now."""
    return (
        Rsvp.objects.filter(event=event, user__listed_as_attendee=True)
        .select_related("user")
        .order_by("status", "updated_at", "pk")
    )


def unlisted_count(event: Event) -> int:
    """How many people answered but chose not to be listed: counted, never named."""
    return Rsvp.objects.filter(event=event, user__listed_as_attendee=False).count()
