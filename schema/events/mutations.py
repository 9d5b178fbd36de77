"""Mutations of events, co-hosts, announcements and RSVPs. Each loads what its arguments name
and calls one service of events.services, where the rules live."""

import graphene
from django.core.exceptions import ValidationError

from cities.models import CityOffice, Twinning
from events import services
from events.models import Announcement, Event

from ..core.arguments import TextInputField, TextLimit
from ..core.inputs import TranslationsInput, translated_columns
from ..core.mutations import BaseMutation, RefusedWith, load
from ..core.scalars import Decimal
from .enums import EventCategory, RsvpStatus
from .types import AnnouncementType, EventCohostType, EventType

# Input fields copied as they are (camelCase in the API, snake_case on the model).
EVENT_PLAIN_FIELDS = {
    "category": "category",
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "time_zone": "timezone",
    "venue_name": "venue_name",
    "venue_address": "venue_address",
    "latitude": "latitude",
    "longitude": "longitude",
    "capacity": "capacity",
    "image_url": "image_url",
    "registration_url": "registration_url",
}
# Model fields whose API name is not their camelCase, for the errors' `field`.
EVENT_FIELD_ALIASES = {
    "timezone": "timeZone",
    "price_amount": "price.amount",
    "price_currency": "price.currency",
}


class PriceInput(graphene.InputObjectType):
    """What a ticket costs. Setting a price makes the event not free."""

    amount = Decimal(
        required=True,
        description="Above 0 and below 10,000,000,000, at most two decimals, best sent as a "
        'string: `"2500"`, `"12.50"`; a number (`12.5`) is taken as written.',
    )
    currency = TextInputField(
        required=True,
        max_length=TextLimit.IDENTIFIER,
        description="An ISO 4217 code: KZT, RUB, PKR, USD, EUR …",
    )


class EventFieldsMixin:
    category = EventCategory()
    summary = TranslationsInput()
    description = TranslationsInput()
    starts_at = graphene.DateTime(description="With its UTC offset.")
    ends_at = graphene.DateTime(description="With its UTC offset; after the start.")
    time_zone = graphene.String(description="The venue's IANA zone, e.g. Asia/Almaty.")
    venue_name = graphene.String()
    venue_address = graphene.String()
    latitude = graphene.Float()
    longitude = graphene.Float()
    capacity = graphene.Int(
        description="Most people GOING; null for no limit. Raising it gives the new places to "
        "the waitlist, first in line first."
    )
    image_url = graphene.String()
    registration_url = graphene.String(
        description="Where to register or buy tickets: an https address; null or empty clears it."
    )
    price = PriceInput(description="Null clears the price (not stated).")
    is_free = graphene.Boolean(
        description="True: nobody pays (clears a price unless one is given too, which is "
        "FREE_WITH_PRICE)."
    )
    accessibility = TranslationsInput(description="Notes on access, in each language.")
    tags = TextInputField(
        graphene.List(graphene.NonNull(graphene.String)),
        max_length=TextLimit.IDENTIFIER,
        description="Tag slugs (`Query.tags`), at most 10: the event's tags from now on; "
        "[] or null removes them all.",
    )
    twinning = graphene.ID(description="A Twinning of the office's city; null for none.")


class EventCreateInput(EventFieldsMixin, graphene.InputObjectType):
    office = graphene.ID(required=True, description="The organising CityOffice.")
    title = TranslationsInput(required=True)
    category = EventCategory(required=True)
    starts_at = graphene.DateTime(required=True, description="With its UTC offset.")
    ends_at = graphene.DateTime(required=True, description="With its UTC offset.")
    time_zone = graphene.String(required=True, description="The venue's IANA zone.")
    venue_name = graphene.String(required=True)


class EventUpdateInput(EventFieldsMixin, graphene.InputObjectType):
    """Only the fields given change; null clears an optional field."""

    title = TranslationsInput()


def event_data(data) -> dict:
    """The service's field values from an event input, only for the fields given."""
    values = {
        model_field: (
            data[api_field].strip() if isinstance(data[api_field], str) else data[api_field]
        )
        for api_field, model_field in EVENT_PLAIN_FIELDS.items()
        if api_field in data
    }
    for field in ("title", "summary", "description", "accessibility"):
        if data.get(field) is not None:
            values.update(translated_columns(field, data[field]))
    if "price" in data:
        price = data["price"]
        values["price_amount"] = price.amount if price else None
        values["price_currency"] = price.currency if price else ""
    if "is_free" in data:
        values["is_free"] = bool(data["is_free"])
    if "tags" in data:
        values["tags"] = services.event_tags(data["tags"] or [])
    if "twinning" in data:
        values["twinning"] = (
            load(Twinning.objects.all(), data["twinning"], "Twinning", "twinning")
            if data["twinning"]
            else None
        )
    for field in ("venue_address", "image_url", "registration_url"):
        if field in values and values[field] is None:
            values[field] = ""
    return values


def load_event(global_id: str, field: str = "id") -> Event:
    return load(Event.objects.select_related("twinning", "office"), global_id, "Event", field)


class EventCreate(BaseMutation):
    """Create a draft event for an office's city (editors and publishers of that office)."""

    event = graphene.Field(EventType)
    field_aliases = EVENT_FIELD_ALIASES

    class Arguments:
        input = EventCreateInput(required=True)

    @classmethod
    def perform(cls, info, viewer, input):
        office = load(CityOffice.objects.all(), input["office"], "CityOffice", "office")
        return {"event": services.create_event(viewer, office, event_data(input))}


class EventUpdate(BaseMutation):
    """Edit an event: drafts by editors, public events by publishers; never a cancelled one."""

    event = graphene.Field(EventType)
    field_aliases = EVENT_FIELD_ALIASES

    class Arguments:
        id = graphene.ID(required=True)
        input = EventUpdateInput(required=True)

    @classmethod
    def perform(cls, info, viewer, id, input):
        event = load_event(id)
        return {"event": services.update_event(viewer, event, event_data(input))}


class EventDelete(BaseMutation):
    """Delete a draft. Public events are cancelled instead."""

    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, id):
        services.delete_event(viewer, load_event(id))
        return {"deleted_id": id}


class EventAnnounce(BaseMutation):
    """Make an event public (publishers). Announcing it again changes nothing. With `at`, a
    draft announces itself then instead (a later call with another `at` moves that time)."""

    event = graphene.Field(EventType)
    field_aliases = {"announce_at": "at"}

    class Arguments:
        id = graphene.ID(required=True)
        at = graphene.DateTime(
            description="A future time, with its UTC offset, before the event ends: the draft "
            "stays a draft until then. Null or left out: now."
        )

    @classmethod
    def perform(cls, info, viewer, id, at=None):
        event = load_event(id)
        if at is not None:
            return {"event": services.schedule_event_announcement(viewer, event, at)}
        return {"event": services.announce_event(viewer, event)}


class EventUnschedule(BaseMutation):
    """Drop the time a draft was to announce itself at (publishers); it stays a draft.
    Without such a time, nothing changes."""

    event = graphene.Field(EventType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, id):
        return {"event": services.unschedule_event_announcement(viewer, load_event(id))}


class EventPostpone(BaseMutation):
    """Move a public event to new dates in the future (publishers)."""

    event = graphene.Field(EventType)

    class Arguments:
        id = graphene.ID(required=True)
        new_starts_at = graphene.DateTime(required=True)
        new_ends_at = graphene.DateTime(required=True)

    @classmethod
    def perform(cls, info, viewer, id, new_starts_at, new_ends_at):
        event = services.postpone_event(viewer, load_event(id), new_starts_at, new_ends_at)
        return {"event": event}


class EventCancel(BaseMutation):
    """Call off a public event (publishers); it stays visible as cancelled."""

    event = graphene.Field(EventType)

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String(description="Shown to people; at most 500 characters.")

    @classmethod
    def perform(cls, info, viewer, id, reason=""):
        return {"event": services.cancel_event(viewer, load_event(id), reason or "")}


class EventCohostInvite(BaseMutation):
    """Invite the twinning partner city's office to co-host (the organiser's publishers)."""

    cohost = graphene.Field(EventCohostType)

    class Arguments:
        id = graphene.ID(required=True)
        office = graphene.ID(required=True, description="The partner city's CityOffice.")

    @classmethod
    def perform(cls, info, viewer, id, office):
        event = load_event(id)
        office = load(CityOffice.objects.all(), office, "CityOffice", "office")
        return {"cohost": services.invite_cohost(viewer, event, office)}


class EventCohostAccept(BaseMutation):
    """Accept an invitation to co-host (publishers of the invited office)."""

    cohost = graphene.Field(EventCohostType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, id):
        return {"cohost": services.accept_cohost(viewer, load_event(id))}


class AnnouncementInput(graphene.InputObjectType):
    title = TranslationsInput()
    body = TranslationsInput()
    twinning = graphene.ID(description="A Twinning of the office's city; null for none.")
    event = graphene.ID(description="An Event the office organises or co-hosts; null for none.")
    publish_at = graphene.DateTime(
        description="A future time, with its UTC offset: until then nobody but the office sees "
        "it and nobody is pushed. Null or left out on create: published at once; null on an "
        "update of one not yet published: published now."
    )


class AnnouncementCreateInput(AnnouncementInput):
    office = graphene.ID(required=True)
    title = TranslationsInput(required=True)
    body = TranslationsInput(required=True)


def announcement_data(data) -> dict:
    values = {}
    for field in ("title", "body"):
        if data.get(field) is not None:
            values.update(translated_columns(field, data[field]))
    if "twinning" in data:
        values["twinning"] = (
            load(Twinning.objects.all(), data["twinning"], "Twinning", "twinning")
            if data["twinning"]
            else None
        )
    if "event" in data:
        values["event"] = load_event(data["event"], "event") if data["event"] else None
    if "publish_at" in data:
        values["publish_at"] = data["publish_at"]
    return values


def load_announcement(global_id: str) -> Announcement:
    return load(Announcement.objects.all(), global_id, "Announcement", "id")


class AnnouncementCreate(BaseMutation):
    """Post an announcement for an office's city (publishers): published at once, or at
    `publishAt`."""

    announcement = graphene.Field(AnnouncementType)

    class Arguments:
        input = AnnouncementCreateInput(required=True)

    @classmethod
    def perform(cls, info, viewer, input):
        office = load(CityOffice.objects.all(), input["office"], "CityOffice", "office")
        announcement = services.create_announcement(viewer, office, announcement_data(input))
        return {"announcement": announcement}


class AnnouncementUpdate(BaseMutation):
    announcement = graphene.Field(AnnouncementType)

    class Arguments:
        id = graphene.ID(required=True)
        input = AnnouncementInput(required=True)

    @classmethod
    def perform(cls, info, viewer, id, input):
        announcement = services.update_announcement(
            viewer, load_announcement(id), announcement_data(input)
        )
        return {"announcement": announcement}


class AnnouncementDelete(BaseMutation):
    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, id):
        services.delete_announcement(viewer, load_announcement(id))
        return {"deleted_id": id}


class RsvpSet(BaseMutation):
    """Say whether the viewer is going; capacity is never exceeded. GOING on a full event is
    EVENT_FULL; WAITLISTED takes a free place (GOING) or else joins the end of the event's
    waitlist, whose first person gets the next place that frees (and a push). NONE or
    INTERESTED leaves the waitlist; leaving GOING frees a place for the next in line."""

    event = graphene.Field(
        EventType,
        description="The event as it now stands, with the viewer's answer; when refused "
        "(EVENT_FULL, EVENT_NOT_OPEN) too, beside the errors, so that the app can offer the "
        "waitlist without fetching the event again. Null when the ID names no public event.",
    )

    class Arguments:
        event = graphene.ID(required=True)
        status = RsvpStatus(required=True)

    @classmethod
    def perform(cls, info, viewer, event, status):
        events = Event.objects.public()
        target = load(events, event, "Event", "event")
        value = None if status == RsvpStatus.NONE else status.value
        try:
            return {"event": services.set_rsvp(viewer, target, value)}
        except ValidationError as error:
            # Read again after the refusal rolled back, as anyone may read a public event: its
            # counts, and the viewer's RSVP, as they are now.
            raise RefusedWith(error, event=events.filter(pk=target.pk).first()) from error


class EventMutations(graphene.ObjectType):
    event_create = EventCreate.Field()
    event_update = EventUpdate.Field()
    event_delete = EventDelete.Field()
    event_announce = EventAnnounce.Field()
    event_unschedule = EventUnschedule.Field()
    event_postpone = EventPostpone.Field()
    event_cancel = EventCancel.Field()
    event_cohost_invite = EventCohostInvite.Field()
    event_cohost_accept = EventCohostAccept.Field()
    announcement_create = AnnouncementCreate.Field()
    announcement_update = AnnouncementUpdate.Field()
    announcement_delete = AnnouncementDelete.Field()
    rsvp_set = RsvpSet.Field()
