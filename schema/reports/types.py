"""GraphQL types of reports of events and announcements."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from cities.permissions import MODERATING_ROLES, office_roles
from events.models import Event
from graphql_server.cache_policy import ALL_FIELDS, cache_policy
from reports.models import Report

from ..events.types import AnnouncementType, EventType

ReportReason = graphene.Enum.from_enum(
    Report.Reason, name="ReportReason", description="What is wrong with what is reported."
)
ReportStatus = graphene.Enum.from_enum(
    Report.Status, name="ReportStatus", description="Where a report stands."
)


def readable_reports(queryset, viewer):
    """The reports ``viewer`` may read: their own, and those of the offices they moderate for."""
    if not viewer.is_authenticated:
        return queryset.none()
    if viewer.is_superuser:
        return queryset
    offices = [office for office, roles in office_roles(viewer).items() if roles & MODERATING_ROLES]
    return queryset.filter(reporter=viewer) | queryset.of_offices(offices)


class ReportType(DjangoObjectType):
    """A report of an event or an announcement to the moderators of the office that publishes
    it. The reporter reads their own; the office's moderators settle it in the admin."""

    event = graphene.Field(EventType, description="The event reported, if it is still public.")
    announcement = graphene.Field(
        AnnouncementType, description="The announcement reported, if it is still published."
    )
    reason = graphene.Field(ReportReason, required=True)
    details = graphene.String(required=True, description="What the reporter added; may be empty.")
    status = graphene.Field(ReportStatus, required=True)
    created_at = graphene.DateTime(required=True)
    resolved_at = graphene.DateTime(description="When a moderator settled it.")

    class Meta:
        model = Report
        name = "Report"
        interfaces = (relay.Node,)
        fields = ("id",)

    @classmethod
    def get_queryset(cls, queryset, info):
        return readable_reports(queryset, info.context.user)

    @staticmethod
    def resolve_event(root, info):
        event = root.event if root.event_id is not None else None
        return event if event is not None and event.status != Event.Status.DRAFT else None

    @staticmethod
    def resolve_announcement(root, info):
        if root.announcement_id is None:
            return None
        announcement = root.announcement
        return announcement if announcement.published_at is not None else None


# What the response cache may keep of these types (graphql_server.cache_policy): nothing, as a
# report is read by its reporter and its office's moderators only.
CACHE_POLICIES = (cache_policy(ReportType, viewer=ALL_FIELDS),)
