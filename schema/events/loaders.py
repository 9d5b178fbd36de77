"""What the fields of events, announcements and a twinning's events load: for the one object
they are asked of, or, filled in by the list that fetched them, for a whole page at once
(graphene's DataLoaders would need the async execution that graphene-django's HTTP view does
not do).

The types call these; nothing here knows the types, so that the queries behind the lists may
read the types' declarations (``schema.events.types``) without a cycle.
"""

from django.utils import timezone

from cities.models import Twinning
from events import permissions
from events.models import Announcement, Event, EventCohost, Rsvp, StateChange
from graphql_server.errors import ApiErrorCode, PermissionDeniedError, UserInputError

from .enums import RsvpStatus

# The most nested upcoming events a twinning shows (`Twinning.events(first:)`).
MAX_NESTED_EVENTS = 50

VIEWER_RSVP_CACHE = "_viewer_rsvp"


def history_rows():
    """Every recorded change, as an event's history shows them."""
    return StateChange.objects.select_related("actor").order_by("at", "id")


def cohost_rows():
    """Every co-host invitation, as an event's co-hosts show them."""
    return EventCohost.objects.select_related("office").order_by("id")


def upcoming_events():
    """Public events yet to start, soonest first, as a twinning shows them."""
    return Event.objects.public().filter(starts_at__gte=timezone.now()).order_by("starts_at", "id")


def _prefetched(event: Event, name: str) -> bool:
    return name in getattr(event, "_prefetched_objects_cache", {})


def attach_viewer_rsvps(events, viewer) -> None:
    """The viewer's RSVPs for a page of events, in one query."""
    statuses = {}
    if viewer.is_authenticated:
        statuses = dict(
            Rsvp.objects.filter(user=viewer, event__in=events).values_list("event_id", "status")
        )
    for item in events:
        setattr(item, VIEWER_RSVP_CACHE, statuses.get(item.pk, RsvpStatus.NONE.value))


def viewer_rsvp(event: Event, viewer) -> str:
    if not hasattr(event, VIEWER_RSVP_CACHE):
        attach_viewer_rsvps([event], viewer)
    return getattr(event, VIEWER_RSVP_CACHE)


def event_history(event: Event, viewer):
    if not permissions.can_see_drafts_of(viewer, event):
        raise PermissionDeniedError("Only the event's offices may read its history.")
    if _prefetched(event, "history"):
        return event.history.all()
    return history_rows().filter(event=event)


def event_cohosts(event: Event, viewer):
    if not permissions.can_see_drafts_of(viewer, event):
        raise PermissionDeniedError("Only the event's offices may read its co-hosts.")
    if _prefetched(event, "cohosts"):
        return event.cohosts.all()
    return cohost_rows().filter(event=event)


def twinning_upcoming_events(twinning: Twinning, first: int) -> list[Event]:
    if not 0 <= first <= MAX_NESTED_EVENTS:
        raise UserInputError(
            f"first must be between 0 and {MAX_NESTED_EVENTS}.",
            ApiErrorCode.INVALID_PAGE_SIZE,
            "first",
        )
    if hasattr(twinning, "upcoming_events"):
        return twinning.upcoming_events[:first]
    return list(upcoming_events().filter(twinning=twinning).select_related("host_city")[:first])


def announcement_event(announcement: Announcement) -> Event | None:
    """The announcement's event, unless it is a draft."""
    event = announcement.event
    if event is None or event.status == Event.Status.DRAFT:
        return None
    return event
