"""What the fields of events, announcements and a twinning's events load: for the one object
they are asked of, or, filled in by the list that fetched them, for a whole page at once
(graphene's DataLoaders would need the async execution that graphene-django's HTTP view does
not do).

The types call these; nothing here knows the types, so that the queries behind the lists may
read the types' declarations (``schema.events.types``) without a cycle.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop
from graphql_relay import to_global_id

from cities.models import Twinning
from events import attendance, history, permissions
from events.models import Announcement, Event, EventCohost, StateChange, Tag
from graphql_server.errors import ApiErrorCode, PermissionDeniedError, UserInputError

from ..core.mutations import api_field
from .enums import RsvpStatus

# Model fields whose API name is not their camelCase (as the mutations' ``field_aliases``).
API_FIELD_NAMES = {"timezone": "timeZone"}

# The most nested upcoming events a twinning shows (`Twinning.events(first:)`).
MAX_NESTED_EVENTS = 50

VIEWER_RSVP_CACHE = "_viewer_rsvp"
WAITLIST_POSITION_CACHE = "_viewer_waitlist_position"


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


def tag_rows():
    """The tags, as an event shows them: by slug."""
    return Tag.objects.order_by("slug", "id")


def attach_viewer_rsvps(events, viewer) -> None:
    """The viewer's RSVPs for a page of events, with their places in the waitlists, in one
    query."""
    answers = attendance.answers_of(viewer, events) if viewer.is_authenticated else {}
    for item in events:
        status, position = answers.get(item.pk, (RsvpStatus.NONE.value, None))
        setattr(item, VIEWER_RSVP_CACHE, status)
        setattr(item, WAITLIST_POSITION_CACHE, position)


def viewer_rsvp(event: Event, viewer) -> str:
    if not hasattr(event, VIEWER_RSVP_CACHE):
        attach_viewer_rsvps([event], viewer)
    return getattr(event, VIEWER_RSVP_CACHE)


def viewer_waitlist_position(event: Event, viewer) -> int | None:
    if not hasattr(event, WAITLIST_POSITION_CACHE):
        attach_viewer_rsvps([event], viewer)
    return getattr(event, WAITLIST_POSITION_CACHE)


def event_tags(event: Event):
    """The event's tags: prefetched for the page that holds it, else read."""
    if _prefetched(event, "tags"):
        return event.tags.all()
    return tag_rows().filter(events=event)


def event_history(event: Event, viewer):
    if not permissions.can_see_drafts_of(viewer, event):
        raise PermissionDeniedError(gettext_noop("Only the event's offices may read its history."))
    if _prefetched(event, "history"):
        return event.history.all()
    return history_rows().filter(event=event)


def announcement_history(announcement: Announcement, viewer):
    if not permissions.can_post_for(viewer, announcement.office_id):
        raise PermissionDeniedError(
            gettext_noop("Only the office's publishers may read its history.")
        )
    if _prefetched(announcement, "history"):
        return announcement.history.all()
    return history_rows().filter(announcement=announcement)


def history_changes(record: StateChange) -> list[dict]:
    """A record's field changes as the API gives them: each field by its API name
    (``title.en``, ``startsAt``, ``timeZone``), each value as the API shows such a value, as
    text (a time in UTC, ISO 8601; a choice as its enum value; a linked object as its global
    ID); ``recorded`` False, with null values, for a field an old record names without them."""
    model = Event if record.announcement_id is None else Announcement
    return [
        {
            "field": API_FIELD_NAMES.get(change.field) or api_field(change.field),
            "before": _api_value(model, change.field, change.before),
            "after": _api_value(model, change.field, change.after),
            "recorded": change.recorded,
        }
        for change in history.changes_of(record)
    ]


def _api_value(model, field: str, value) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        # The tags: their global IDs, in id order, separated by commas.
        return ", ".join(_api_value(model, field, item) or "" for item in value)
    if history.is_time(model, field):
        moment = history.parse_time(value)
        return moment.astimezone(datetime.UTC).isoformat() if moment else str(value)
    if isinstance(value, dict):
        related = history.related_model(model, field)
        if related is None:
            return str(value.get("id"))
        return to_global_id(related.__name__, value.get("id"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def event_cohosts(event: Event, viewer):
    if not permissions.can_see_drafts_of(viewer, event):
        raise PermissionDeniedError(gettext_noop("Only the event's offices may read its co-hosts."))
    if _prefetched(event, "cohosts"):
        return event.cohosts.all()
    return cohost_rows().filter(event=event)


def twinning_upcoming_events(twinning: Twinning, first: int) -> list[Event]:
    if not 0 <= first <= MAX_NESTED_EVENTS:
        raise UserInputError(
            gettext_noop("%(field)s must be between 0 and %(limit)s."),
            ApiErrorCode.INVALID_PAGE_SIZE,
            "first",
            params={"field": "first", "limit": MAX_NESTED_EVENTS},
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
