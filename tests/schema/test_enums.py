"""The API's enums are the domains': each is built from its domain's enum, so that a category,
a status or a role added to the models is in the API with no edit of the schema (and in
schema/schema.graphql once `make schema` runs)."""

import pytest
from graphql import GraphQLEnumType

from accounts.models import Device
from cities.models import OfficeMembership, Twinning
from core.i18n import TextDirection
from events.models import Event, EventCohost, Rsvp, StateChange
from reports.models import Report
from schema.schema import schema

# Each API enum and the domain enum it is built from.
MIRRORS = {
    "EventCategory": Event.Category,
    "EventStatus": Event.Status,
    "CohostStatus": EventCohost.Status,
    "HistoryAction": StateChange.Action,
    "TwinningKind": Twinning.Kind,
    "TwinningStatus": Twinning.Status,
    "OfficeRole": OfficeMembership.Role,
    "DevicePlatform": Device.Platform,
    "TextDirection": TextDirection,
    "ReportReason": Report.Reason,
    "ReportStatus": Report.Status,
}
# API enums that add values of their own to the domain's, and which.
EXTENDED = {
    # The domain has no RSVP as None; the API says NONE (and sends it to withdraw one).
    "RsvpStatus": (Rsvp.Status, ("NONE",)),
}
# API enums with no domain twin, and why.
API_ONLY = {
    "EventOrderBy": "the orders of the events list: querysets' orderings in the domain",
    "TagsMatch": "how the events list's tag filter combines its tags: ANY or ALL of them",
}
# The chat's enums, which come with its part of the API.
CHAT = {"ChatMessageEventKind", "ChatReportStatus", "ChatReportAction"}


def api_enum(name: str) -> GraphQLEnumType:
    return schema.graphql_schema.get_type(name)


def members(graphql_enum: GraphQLEnumType) -> dict[str, str]:
    """The API's values, each with the value that its resolvers and arguments carry."""
    return {
        name: getattr(value.value, "value", value.value)
        for name, value in graphql_enum.values.items()
    }


@pytest.mark.parametrize("name", MIRRORS)
def test_an_api_enum_is_its_domain_enum(name):
    graphql_enum = api_enum(name)
    domain = MIRRORS[name]

    assert graphql_enum.graphene_type._meta.enum is domain
    assert members(graphql_enum) == {member.name: member.value for member in domain}


@pytest.mark.parametrize("name", EXTENDED)
def test_an_extended_api_enum_has_the_domain_values_and_its_own(name):
    domain, own = EXTENDED[name]

    assert members(api_enum(name)) == {
        **{member.name: member.value for member in domain},
        **{value: value for value in own},
    }


def test_every_enum_of_the_api_is_accounted_for():
    """A new enum of the API is built from the domain's, or says why it has no twin."""
    enums = {
        name
        for name, graphql_type in schema.graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLEnumType) and not name.startswith("__")
    }

    assert enums == set(MIRRORS) | set(EXTENDED) | set(API_ONLY) | CHAT
