"""Calendar files (RFC 5545) of events, for "add to calendar" and for subscribed feeds.

Times are written as the venue's clocks show them (``DTSTART;TZID=Asia/Almaty:…``), with a
VTIMEZONE for every zone used: a calendar app can then show the event in the venue's time as
well as in its reader's, and apps that do not know the zone's name still convert it correctly.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone
from icalendar import STATUS, Calendar
from icalendar import Event as CalendarEvent

from core.i18n import translate

from .models import Event

PRODID = "-//Twinning//Events//EN"

# SEQUENCE counts seconds from this instant to the event's last change. An edit count would need
# a column or a COUNT per event; updated_at already moves on every change that the services make
# to what a calendar shows (times, status, texts all save it) and not on RSVP counts. A recent
# epoch keeps the number small: clients such as Outlook store SEQUENCE as a signed 32-bit
# integer, which plain Unix seconds would overflow in 2038 and these not before 2092.
SEQUENCE_EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def event_uid(event: Event) -> str:
    """The event's UID in every feed and file: the same one always, so that a calendar that
    already holds the event updates it instead of adding a copy."""
    return f"event-{event.pk}@twinning"


def event_sequence(event: Event) -> int:
    """The revision number of the event, higher after every change, so that calendars that
    compare SEQUENCE take the newer copy (and show a cancellation or a new time)."""
    return max(0, int((event.updated_at - SEQUENCE_EPOCH).total_seconds()))


def event_calendar(events: Iterable[Event], language: str, name: str) -> bytes:
    """A VCALENDAR of ``events`` with their texts in ``language`` (English where a text has no
    translation), named ``name`` in calendar apps.

    Pass public events only: cancelled ones are written with STATUS:CANCELLED (not left out) so
    that subscribed calendars take them off people's plans; postponed ones are confirmed at
    their new times.
    """
    events = list(events)
    stamp = timezone.now()
    calendar = Calendar()
    calendar.prodid = PRODID
    calendar.version = "2.0"
    calendar.calscale = "GREGORIAN"
    calendar.method = "PUBLISH"
    # Writes both NAME (RFC 7986) and X-WR-CALNAME, which most calendar apps read.
    calendar.calendar_name = name
    for event in events:
        calendar.add_component(_vevent(event, language, stamp))
    if events:
        # The zones' rules only over the years the events fall in: a few hundred bytes per zone
        # instead of every transition since 1970, and no cut-off at the library's default 2038.
        first = min(event.local_starts_at.date() for event in events)
        last = max(event.local_ends_at.date() for event in events)
        calendar.add_missing_timezones(
            first_date=datetime.date(first.year, 1, 1),
            last_date=datetime.date(last.year + 1, 1, 1),
        )
    return calendar.to_ical()


def _vevent(event: Event, language: str, stamp: datetime.datetime) -> CalendarEvent:
    vevent = CalendarEvent.new(
        uid=event_uid(event),
        stamp=stamp,
        sequence=event_sequence(event),
        last_modified=event.updated_at,
        start=event.local_starts_at,
        end=event.local_ends_at,
        summary=translate(event, "title", language),
        description=_description(event, language) or None,
        location=", ".join(filter(None, (event.venue_name, event.venue_address))) or None,
        status=STATUS.CANCELLED if event.status == Event.Status.CANCELLED else STATUS.CONFIRMED,
    )
    if event.latitude is not None and event.longitude is not None:
        vevent.add("geo", (event.latitude, event.longitude))
    return vevent


def _description(event: Event, language: str) -> str:
    # The summary stands in for a missing description: a calendar entry has no other place
    # for it. A cancellation's reason comes first, where a reader of a cancelled entry looks.
    text = translate(event, "description", language) or translate(event, "summary", language)
    if event.status == Event.Status.CANCELLED and event.cancellation_reason:
        return "\n\n".join(filter(None, (event.cancellation_reason, text)))
    return text
