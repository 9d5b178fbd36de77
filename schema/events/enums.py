"""The events part of the API's enums, each built from the domain's, so that a category, a
status or an action added to the models appears in the API with no edit here."""

import enum

import graphene

from events.models import Event, EventCohost, Rsvp, StateChange

EventCategory = graphene.Enum.from_enum(
    Event.Category, name="EventCategory", description="What an event is about."
)
EventStatus = graphene.Enum.from_enum(
    Event.Status, name="EventStatus", description="Where an event stands."
)
CohostStatus = graphene.Enum.from_enum(EventCohost.Status, name="CohostStatus")
HistoryAction = graphene.Enum.from_enum(StateChange.Action, name="HistoryAction")

# The API's RSVP statuses: the domain's, and NONE, which the domain spells None (no RSVP, or
# withdrawing one with ``events.services.set_rsvp``).
RSVP_NONE = "NONE"
RsvpStatus = graphene.Enum.from_enum(
    enum.Enum("RsvpStatus", {**{s.name: s.value for s in Rsvp.Status}, RSVP_NONE: RSVP_NONE}),
    description="Whether someone is going to an event; NONE withdraws an RSVP.",
)


class EventOrderBy(graphene.Enum):
    """The order of an events list."""

    # The API's own: an order of its lists, which the domain knows as querysets' ordering.
    START = "START"
    START_DESC = "START_DESC"
    DISTANCE = "DISTANCE"

    @property
    def description(self):
        return {
            EventOrderBy.START: "Soonest first.",
            EventOrderBy.START_DESC: "Latest first.",
            EventOrderBy.DISTANCE: "Nearest first; needs `filter.near`.",
        }.get(self)


class TagsMatch(graphene.Enum):
    """How `filter.tags` matches an event's tags."""

    # The API's own, as EventOrderBy: a condition of its list.
    ANY = "ANY"
    ALL = "ALL"

    @property
    def description(self):
        return {
            TagsMatch.ANY: "Events with at least one of the tags (music or theatre).",
            TagsMatch.ALL: "Events with every one of the tags (outdoors and for children).",
        }.get(self)
