"""Live news of events and announcements over the websocket: the Subscription fields.

A subscription joins one channel-layer group when the client subscribes (so that everything
broadcast from then on is heard), then turns the group's payloads into objects. Payloads carry
ids and kinds only (``events.realtime``): for each one the subscription reads the object afresh,
as its viewer may see it at that moment, and sends nothing when the viewer may not (a draft, an
event of an office the viewer has since left). The permission is checked at subscribe time and
again for every event delivered.

The groups are few and coarse: every announced event goes to one group and each subscriber
applies its filter to the payload's public facts before touching the database; announcements
go to their city's group and to one group of all; an event's changes to a group of its own.

The database is read in a worker thread, never on the event loop; the consumer then resolves
the fields selected below the object in a thread as well, in the connection's language.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import graphene
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_noop

from core.channel_groups import (
    ANNOUNCEMENTS_POSTED,
    CITY_ANNOUNCEMENTS,
    EVENT_CHANGES,
    EVENTS_ANNOUNCED,
    group_name,
)
from events.models import Announcement, Event
from events.realtime import event_facts
from graphql_server.errors import ApiErrorCode, UserInputError

from ..core.ids import decode_id
from .enums import EventCategory
from .types import AnnouncementType, EventType

# ---------------------------------------------------------------------------------------------
# Reading as the viewer is now
# ---------------------------------------------------------------------------------------------


def in_thread(function: Callable) -> Callable:
    """``function`` as a coroutine that runs it in a worker thread, with Django's connection
    handling around it."""
    # Not thread-sensitive, as the consumer's own executions: one shared thread would make every
    # subscriber of the process wait for the others' reads.
    return database_sync_to_async(function, thread_sensitive=False)


def current_viewer(account):
    """The connection's user as the database knows them now; anonymous once the account is
    gone or deactivated.

    A socket may stay open for hours, and a user object caches its office roles for as long as
    it lives: a fresh object makes a viewer removed from an office stop seeing its drafts at the
    next event, not at the next connection.
    """
    if not account.is_authenticated:
        return account
    users = get_user_model()._default_manager
    return users.filter(pk=account.pk, is_active=True).first() or AnonymousUser()


def read_as_current_viewer(account, read: Callable, *args) -> tuple:
    """``(viewer, read(viewer, *args))`` with the viewer read afresh: one unit of work for a
    worker thread."""
    viewer = current_viewer(account)
    return viewer, read(viewer, *args)


async def deliveries(
    info, account, stream: AsyncIterator[dict], accepts: Callable, read: Callable
) -> AsyncIterator:
    """The objects that ``read(viewer, payload)`` finds for the payloads of ``stream`` that
    ``accepts`` lets through. A payload that the filter turns down costs no query; one whose
    object the viewer may not see (``read`` finds None) is skipped."""
    async for payload in stream:
        if not accepts(payload):
            continue
        viewer, found = await in_thread(read_as_current_viewer)(account, read, payload)
        if found is not None:
            # The fields selected below the object are resolved for the viewer as they are now
            # too (the context is this operation's own).
            info.context.user = viewer
            yield found


async def joined(info, group: str) -> AsyncIterator[dict]:
    """The payloads of ``group``, joined now: a client that has subscribed hears everything
    that commits from then on."""
    stream = info.context.listen(group)
    await stream.join()
    return stream


def _optional_id(global_id: str | None, type_name: str, field: str) -> int | None:
    return decode_id(global_id, type_name, field) if global_id else None


def _events(viewer):
    return Event.objects.visible_to(viewer).select_related("host_city", "twinning", "office")


# ---------------------------------------------------------------------------------------------
# eventAnnounced
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncedEventFilter:
    """Which announced events a subscriber wants, as primary keys and a category value."""

    city: int | None = None
    twinning: int | None = None
    category: str | None = None

    @classmethod
    def from_input(cls, filter) -> "AnnouncedEventFilter":
        filter = filter or {}
        category = filter.get("category")
        return cls(
            city=_optional_id(filter.get("city"), "City", "filter.city"),
            twinning=_optional_id(filter.get("twinning"), "Twinning", "filter.twinning"),
            category=getattr(category, "value", category),
        )

    def matches(self, facts: dict) -> bool:
        """Whether an event with these facts (``events.realtime.event_facts``) is wanted."""
        return (
            (self.city is None or self.city in facts["cities"])
            and (self.twinning is None or self.twinning == facts["twinning"])
            and (self.category is None or self.category == facts["category"])
        )


def announced_event(viewer, payload: dict, wanted: AnnouncedEventFilter) -> Event | None:
    """The announced event of ``payload`` if it is public and, as it is now, still wanted."""
    # Public only: a draft is never sent as announced, whoever the viewer and whatever the
    # payload says.
    event = _events(viewer).public().filter(pk=payload["event"]).first()
    if event is None or not wanted.matches(event_facts(event)):
        return None
    return event


async def event_announcements(info, filter) -> AsyncIterator[Event]:
    """The events announced from now on that match ``filter`` (an EventAnnouncedFilterInput)."""
    wanted = AnnouncedEventFilter.from_input(filter)
    stream = await joined(info, group_name(EVENTS_ANNOUNCED))
    return deliveries(
        info,
        info.context.user,
        stream,
        accepts=wanted.matches,
        read=lambda viewer, payload: announced_event(viewer, payload, wanted),
    )


# ---------------------------------------------------------------------------------------------
# eventChanged
# ---------------------------------------------------------------------------------------------


def visible_event(viewer, pk: int) -> Event | None:
    """The event if the viewer may see it: public, or a draft of an office they work for."""
    return _events(viewer).filter(pk=pk).first()


async def event_changes(info, event_id: str) -> AsyncIterator[Event]:
    """The event each time it changes from now on; refused at once if the viewer may not see
    it, and silent for any change after which they may not."""
    pk = decode_id(event_id, "Event", "event")
    # Joined before the check, so that a change committed while it runs is not missed.
    stream = await joined(info, group_name(EVENT_CHANGES, id=pk))
    account = info.context.user
    _, event = await in_thread(read_as_current_viewer)(account, visible_event, pk)
    if event is None:
        # As for a mutation: a draft the viewer may not see is not said to exist.
        raise UserInputError(gettext_noop("Nothing with this ID."), ApiErrorCode.NOT_FOUND, "event")
    return deliveries(
        info,
        account,
        stream,
        accepts=lambda payload: True,
        read=lambda viewer, payload: visible_event(viewer, pk),
    )


# ---------------------------------------------------------------------------------------------
# announcementPosted
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementFilter:
    """Which posted announcements a subscriber wants, as primary keys."""

    city: int | None = None
    twinning: int | None = None

    def matches(self, city: int, twinning: int | None) -> bool:
        return (self.city is None or self.city == city) and (
            self.twinning is None or self.twinning == twinning
        )

    def group(self) -> str:
        """The narrowest group that carries every wanted announcement."""
        if self.city is None:
            return group_name(ANNOUNCEMENTS_POSTED)
        return group_name(CITY_ANNOUNCEMENTS, id=self.city)


def posted_announcement(viewer, payload: dict, wanted: AnnouncementFilter) -> Announcement | None:
    """The announcement of ``payload`` if it is published and, as it is now, still wanted."""
    announcement = (
        Announcement.objects.published()
        .select_related("city", "twinning", "office")
        .filter(pk=payload["announcement"])
        .first()
    )
    if announcement is None or not wanted.matches(announcement.city_id, announcement.twinning_id):
        return None
    return announcement


async def posted_announcements(
    info, city: str | None, twinning: str | None
) -> AsyncIterator[Announcement]:
    """The announcements published from now on for ``city`` and ``twinning`` (all without)."""
    wanted = AnnouncementFilter(
        city=_optional_id(city, "City", "city"),
        twinning=_optional_id(twinning, "Twinning", "twinning"),
    )
    stream = await joined(info, wanted.group())
    return deliveries(
        info,
        info.context.user,
        stream,
        accepts=lambda payload: wanted.matches(payload["city"], payload["twinning"]),
        read=lambda viewer, payload: posted_announcement(viewer, payload, wanted),
    )


# ---------------------------------------------------------------------------------------------
# The fields
# ---------------------------------------------------------------------------------------------


class EventAnnouncedFilterInput(graphene.InputObjectType):
    """Which newly announced events to hear of; every condition given must hold."""

    city = graphene.ID(
        description="A City ID: events it hosts, and events of the twinnings it belongs to."
    )
    twinning = graphene.ID(description="A Twinning ID: events of that pair.")
    category = EventCategory()


class EventSubscriptions(graphene.ObjectType):
    event_announced = graphene.Field(
        EventType,
        required=True,
        filter=EventAnnouncedFilterInput(),
        description="Each event announced (made public) from now on that matches the filter.",
    )
    event_changed = graphene.Field(
        EventType,
        required=True,
        event=graphene.ID(required=True, description="The Event to watch."),
        description=(
            "The event after each edit, announcement, postponement or cancellation, while the "
            "viewer may see it. An event the viewer may not see is an error at once."
        ),
    )
    announcement_posted = graphene.Field(
        AnnouncementType,
        required=True,
        city=graphene.ID(description="A City ID: its announcements."),
        twinning=graphene.ID(description="A Twinning ID: announcements about that pair."),
        description="Each announcement published from now on; without arguments, every one.",
    )

    @staticmethod
    async def subscribe_event_announced(root, info, filter=None):
        return await event_announcements(info, filter)

    @staticmethod
    async def subscribe_event_changed(root, info, event):
        return await event_changes(info, event)

    @staticmethod
    async def subscribe_announcement_posted(root, info, city=None, twinning=None):
        return await posted_announcements(info, city, twinning)
