"""Reads of events and announcements that change with the clock rather than with a write: the
response cache keeps an answer showing them only until their next tick
(``graphql_server.cache_policy.Clock``)."""

from django.db.models import Min

from events.models import Announcement, Event
from graphql_server.cache_policy import Clock


def next_event_start(since):
    """The first start of a public event at or after ``since``: upcoming lists hold the events
    starting at or after now, and each start drops one."""
    queryset = Event.objects.public().filter(starts_at__gte=since)
    return queryset.aggregate(at=Min("starts_at"))["at"]


def next_event_end(since):
    """The first end of an event after ``since``: lists of the events not over yet
    (``events(filter: {upcoming: true})``) lose one then. Drafts too, which an office's own
    list shows."""
    queryset = Event.objects.filter(ends_at__gt=since)
    return queryset.aggregate(at=Min("ends_at"))["at"]


def next_publication(since):
    """The first publication of an announcement after ``since``: a scheduled one appears then."""
    queryset = Announcement.objects.filter(published_at__gt=since)
    return queryset.aggregate(at=Min("published_at"))["at"]


UPCOMING_EVENTS = Clock("upcoming events", next_event_start)
EVENTS_NOT_OVER = Clock("events not over", next_event_end)
PUBLISHED_ANNOUNCEMENTS = Clock("published announcements", next_publication)
