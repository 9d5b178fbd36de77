"""What live subscribers hear of events and announcements: the services call these.

Each function queues a broadcast for after the caller's transaction commits, so that nobody
hears of a change that is rolled back. A payload names the object and what happened to it, never
its content: a group's members are viewers with different rights, and each subscription re-reads
the object with its own viewer's permissions before sending anything. The few facts added for
filtering (category, cities, twinning of an announced event; city and twinning of an
announcement) are public once the object is.
"""

from enum import StrEnum

from core.channel_groups import (
    ANNOUNCEMENTS_POSTED,
    CITY_ANNOUNCEMENTS,
    EVENT_CHANGES,
    EVENTS_ANNOUNCED,
    broadcast_on_commit,
    group_name,
)

from .models import Announcement, Event


class EventChange(StrEnum):
    """The kinds of change an event's subscribers hear of."""

    ANNOUNCED = "announced"
    UPDATED = "updated"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


def event_facts(event: Event) -> dict:
    """What a filter of announced events looks at: the category, the twinning, and every city
    the event concerns (its host and, for a twinning's event, both cities of the pair).

    Subscribers match their filter against these in the payload before reading the database,
    and against the same facts of the row they read.
    """
    cities = {event.host_city_id}
    if event.twinning_id is not None:
        cities |= {event.twinning.city_a_id, event.twinning.city_b_id}
    return {"category": event.category, "twinning": event.twinning_id, "cities": sorted(cities)}


def event_announced(event: Event) -> None:
    """A draft went public: lists of upcoming events may show it."""
    # One group for every announcement, filtered by each subscriber: events are announced a few
    # times a day, and a filter by city takes in twinning partners, which per-city groups could
    # only serve by sending each event to up to three groups.
    payload = {"kind": EventChange.ANNOUNCED.value, "event": event.pk, **event_facts(event)}
    broadcast_on_commit(group_name(EVENTS_ANNOUNCED), payload)


def event_changed(event: Event, change: EventChange) -> None:
    """The event was edited, announced, postponed or cancelled: its page may show it anew."""
    broadcast_on_commit(
        group_name(EVENT_CHANGES, id=event.pk), {"kind": change.value, "event": event.pk}
    )


def announcement_posted(announcement: Announcement) -> None:
    """An announcement was published: to its city's subscribers, and to those of every city."""
    # A city's news is what the app shows, so its subscribers get a group of their own and do
    # not wake for every other city's; the group of all serves the rarer wider feeds.
    payload = {
        "kind": "posted",
        "announcement": announcement.pk,
        "city": announcement.city_id,
        "twinning": announcement.twinning_id,
    }
    broadcast_on_commit(group_name(CITY_ANNOUNCEMENTS, id=announcement.city_id), payload)
    broadcast_on_commit(group_name(ANNOUNCEMENTS_POSTED), payload)
